/**
 * Open data: the registry and inspection results as plain records, serialised to JSON and CSV.
 * Field names are the data dictionary's (site/components/DataPage.astro documents each one).
 * Public registry data only — nothing from complaints.
 */
import { loadRegistry } from './registry.ts';

export const INSTITUTION_FIELDS = ['id', 'name', 'creditCode', 'licenseNo', 'legalForm', 'category', 'supervisors', 'town', 'address', 'zone', 'licenseStatus', 'licenseIssuedOn', 'licenseValidUntil', 'fireSafetyPassed', 'hasCustodyAccount', 'usesModelContract', 'latestInspection'] as const;
export const INSPECTION_FIELDS = ['institutionId', 'institutionName', 'year', 'result', 'findings', 'rectification', 'publishedOn', 'publishedBy'] as const;

/**
 * Records one at a time: at 100,000 institutions the files are tens of MB, and whole arrays of
 * records, lines and one joined string (two bytes a character, Chinese names) were several copies
 * of that alive at once in the site build.
 */
export async function institutionRecords() {
  const reg = await loadRegistry();
  return mapIter(reg.institutions, (i) => ({
    id: i.id,
    name: i.name,
    creditCode: i.creditCode,
    licenseNo: i.licenseNo,
    legalForm: i.legalForm,
    category: i.category,
    supervisors: i.supervisors.map((s) => s.department.code),
    town: i.town.code,
    address: i.address,
    zone: i.zone.id,
    licenseStatus: i.status,
    licenseIssuedOn: i.licenseIssuedOn,
    licenseValidUntil: i.licenseValidUntil,
    fireSafetyPassed: i.fireSafetyPassed,
    hasCustodyAccount: i.hasCustodyAccount,
    usesModelContract: i.usesModelContract,
    latestInspection: i.inspections[0] ? { year: i.inspections[0].year, result: i.inspections[0].result } : null,
  }));
}

export async function inspectionRecords() {
  const reg = await loadRegistry();
  return (function* () {
    for (const i of reg.institutions) {
      // Oldest year first.
      for (let k = i.inspections.length - 1; k >= 0; k--) {
        const x = i.inspections[k]!;
        yield {
          institutionId: i.id,
          institutionName: i.name,
          year: x.year,
          result: x.result,
          findings: x.findings.map((f) => f.code),
          rectification: x.findings.map((f) => f.rectification ?? ''),
          publishedOn: x.publishedOn,
          publishedBy: x.publishedBy,
        };
      }
    }
  })();
}

function* mapIter<T, R>(items: readonly T[], fn: (t: T) => R): Generator<R> {
  for (const it of items) yield fn(it);
}

/** UTF-8 bytes built in ~1 MB pieces, so no single huge string is ever made. */
function bytesOf(pieces: Iterable<string>): Uint8Array<ArrayBuffer> {
  const parts: Buffer[] = [];
  let pending: string[] = [];
  let pendingLength = 0;
  for (const p of pieces) {
    pending.push(p);
    pendingLength += p.length;
    if (pendingLength >= 1 << 20) {
      parts.push(Buffer.from(pending.join('')));
      pending = [];
      pendingLength = 0;
    }
  }
  parts.push(Buffer.from(pending.join('')));
  const all = Buffer.concat(parts);
  return new Uint8Array(all.buffer, all.byteOffset, all.length) as Uint8Array<ArrayBuffer>;
}

/** The same bytes as JSON.stringify([...records]). */
export function toJson(records: Iterable<object>): Uint8Array<ArrayBuffer> {
  return bytesOf(
    (function* () {
      yield '[';
      let first = true;
      for (const r of records) {
        yield first ? JSON.stringify(r) : `,${JSON.stringify(r)}`;
        first = false;
      }
      yield ']';
    })(),
  );
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(';') : typeof v === 'object' ? Object.values(v as object).join(' ') : String(v);
  // Quote always; double quotes inside. A leading =,+,-,@ would be a formula in Excel: prefix it.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** UTF-8 with BOM so Excel opens Chinese text correctly; every line ends in CRLF. */
export function toCsv(fields: readonly string[], rows: Iterable<Record<string, unknown>>): Uint8Array<ArrayBuffer> {
  return bytesOf(
    (function* () {
      yield `\uFEFF${fields.join(',')}\r\n`;
      for (const r of rows) yield `${fields.map((f) => csvCell(r[f])).join(',')}\r\n`;
    })(),
  );
}
