/** The dry-run report both imports produce: file-level problems, then every row's outcome and problems. */
import type { Lang, MessageKey } from '../lib/messages.ts';
import { msg } from '../lib/messages.ts';
import type { ErrorIssue } from '../lib/errors.ts';
import type { Column, HeaderMap } from './import-columns.ts';

export interface ImportIssue {
  /** Row number as the spreadsheet shows it (the header is row 1); null for the whole file. */
  row: number | null;
  /** Column header as the clerk's file names it; null when no single column is at fault. */
  column: string | null;
  message: string;
}

export type RowAction = 'create' | 'update' | 'replace' | 'unchanged' | 'error';

export interface RowReport {
  row: number;
  action: RowAction;
  /** What the row is about: the institution's name, else its credit code. */
  label: string;
  issues: ImportIssue[];
}

export interface ImportReport {
  kind: 'institutions' | 'inspections';
  year: number | null;
  format: 'csv' | 'xlsx';
  sha256: string;
  fileName: string;
  counts: Record<RowAction, number>;
  fileIssues: ImportIssue[];
  rows: RowReport[];
  /** True when nothing is wrong and something would change: the confirm step may apply it. */
  applicable: boolean;
}

export const emptyCounts = (): Record<RowAction, number> => ({ create: 0, update: 0, replace: 0, unchanged: 0, error: 0 });

export function headerIssues<F extends string>(map: HeaderMap<F>, lang: Lang): ImportIssue[] {
  const key: Record<HeaderMap<F>['problems'][number]['kind'], MessageKey> = { missing: 'import_missing_column', unknown: 'import_unknown_column', duplicate: 'import_duplicate_in_file' };
  return map.problems.map((p) => ({ row: 1, column: p.column, message: msg(key[p.kind], lang) }));
}

/** zod field issues of one row → issues naming the clerk's column headers. */
export function rowIssues<F extends string>(row: number, issues: ErrorIssue[], columns: readonly Column<F>[], headers: readonly string[], map: HeaderMap<F>, lang: Lang): ImportIssue[] {
  return issues.map((i) => {
    const field = i.path.split('.')[0] as F;
    const idx = map.index[field];
    const col = columns.find((c) => c.field === field);
    const column = idx !== undefined ? (headers[idx] ?? null) : col ? (lang === 'en' ? col.en : col.zh) : null;
    return { row, column, message: i.message };
  });
}

export function cellsOf<F extends string>(cells: readonly string[], map: HeaderMap<F>, fields: readonly F[]): Record<F, string> {
  return Object.fromEntries(fields.map((f) => [f, map.index[f] === undefined ? '' : (cells[map.index[f]!] ?? '')])) as Record<F, string>;
}
