/**
 * Uploaded spreadsheets in, templates out. An upload is recognised by its bytes, never its name:
 * a zip archive is XLSX (guarded against zip bombs, then read with read-excel-file), anything else
 * is CSV text — UTF-8, or GB18030 as Excel on a Chinese Windows saves it. Output: the header row
 * and each data row's cells as trimmed strings, with its row number as the clerk's spreadsheet
 * shows it (the header is row 1). Templates go out as CSV (UTF-8 with BOM so Excel opens it in
 * Chinese) and XLSX; every cell that a spreadsheet would run as a formula is neutralised.
 */
import { readSheet } from 'read-excel-file/node';
import writeXlsxFile from 'write-excel-file/node';
import type { MessageKey } from '../lib/messages.ts';
import { checkZip } from './zip-guard.ts';

export const MAX_UPLOAD_BYTES = 2 * 1024 * 1024;
export const MAX_ROWS = 5000;
const MAX_COLUMNS = 60;

export interface Grid {
  format: 'csv' | 'xlsx';
  headers: string[];
  rows: { row: number; cells: string[] }[];
}

export type ReadResult = { ok: true; grid: Grid } | { ok: false; key: MessageKey };

const isZip = (b: Buffer) => b.length >= 4 && b.readUInt32LE(0) === 0x04034b50;
const isOle = (b: Buffer) => b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]));
// Binary files that are neither: PDF, images, executables. CSV text has no NUL bytes.
const looksBinary = (b: Buffer) => b.subarray(0, 4096).includes(0);

export async function readUpload(buf: Buffer): Promise<ReadResult> {
  if (buf.length === 0) return { ok: false, key: 'import_empty' };
  if (buf.length > MAX_UPLOAD_BYTES) return { ok: false, key: 'import_file_too_large' };
  if (isOle(buf)) return { ok: false, key: 'import_file_type' };
  let raw: unknown[][];
  let format: Grid['format'];
  if (isZip(buf)) {
    const problem = checkZip(buf);
    if (problem) return { ok: false, key: problem === 'bomb' ? 'import_file_bomb' : 'import_file_damaged' };
    try {
      raw = (await readSheet(buf)) as unknown[][];
    } catch {
      return { ok: false, key: 'import_file_damaged' };
    }
    format = 'xlsx';
  } else {
    if (looksBinary(buf)) return { ok: false, key: 'import_file_type' };
    const parsed = parseCsv(decodeText(buf), MAX_ROWS + 2);
    if (!parsed) return { ok: false, key: 'import_too_many_rows' };
    raw = parsed;
    format = 'csv';
  }
  const rows = raw.map((r, i) => ({ row: i + 1, cells: r.slice(0, MAX_COLUMNS).map(cellText) }));
  // Blank lines (often at the end of a CSV or below a table) are not rows.
  const nonEmpty = rows.filter((r) => r.cells.some((c) => c !== ''));
  const [header, ...data] = nonEmpty;
  if (!header || data.length === 0) return { ok: false, key: 'import_empty' };
  if (data.length > MAX_ROWS) return { ok: false, key: 'import_too_many_rows' };
  return { ok: true, grid: { format, headers: header.cells, rows: data } };
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : v.toISOString().slice(0, 10);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  if (typeof v === 'boolean') return v ? '是' : '否';
  return String(v).replace(/^\uFEFF/, '').trim();
}

/** UTF-8 when the bytes are valid UTF-8, else GB18030 (Excel's "CSV" on a Chinese Windows). */
export function decodeText(buf: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf).replace(/^\uFEFF/, '');
  } catch {
    return new TextDecoder('gb18030').decode(buf);
  }
}

/**
 * RFC 4180 CSV: quoted fields with "" escapes and line breaks inside quotes; CRLF or LF.
 * Returns null as soon as there are more than `maxRows` lines, without reading further.
 */
export function parseCsv(text: string, maxRows: number): string[][] | null {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      if (rows.length > maxRows) return null;
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.length > maxRows ? null : rows;
}

/** A leading = + - @ (or tab / CR) makes a spreadsheet evaluate a cell: prefix it with '. */
export const neutraliseFormula = (s: string) => (/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);

export function csvTemplate(rows: readonly (readonly string[])[]): Buffer {
  const cell = (s: string) => `"${neutraliseFormula(s).replace(/"/g, '""')}"`;
  return Buffer.from(`\uFEFF${rows.map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`, 'utf8');
}

export async function xlsxWorkbook(sheets: readonly { name: string; rows: readonly (readonly string[])[] }[]): Promise<Buffer> {
  // Every cell a string cell (never a formula); text still neutralised, in case a clerk copies
  // values into a CSV later.
  return writeXlsxFile(
    sheets.map((sh) => ({
      sheet: sh.name,
      columns: (sh.rows[0] ?? []).map((_, i) => ({ width: i === 2 && sh.rows[0]!.length === 3 ? 60 : 20 })),
      data: sh.rows.map((r, i) => r.map((v) => ({ value: neutraliseFormula(v), type: String, ...(i === 0 ? { fontWeight: 'bold' as const } : {}) }))),
    })),
  ).toBuffer();
}
