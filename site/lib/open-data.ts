/**
 * Open data: the registry and inspection results as plain records, serialised to JSON and CSV.
 * Field names are the data dictionary's (site/components/DataPage.astro documents each one).
 * Public registry data only — nothing from complaints.
 */
import { loadRegistry } from './registry.ts';

export const INSTITUTION_FIELDS = ['id', 'name', 'creditCode', 'licenseNo', 'legalForm', 'category', 'supervisors', 'town', 'address', 'zone', 'licenseStatus', 'licenseIssuedOn', 'licenseValidUntil', 'fireSafetyPassed', 'hasCustodyAccount', 'usesModelContract', 'latestInspection'] as const;
export const INSPECTION_FIELDS = ['institutionId', 'institutionName', 'year', 'result', 'findings', 'rectification', 'publishedOn', 'publishedBy'] as const;

export async function institutionRecords() {
  const reg = await loadRegistry();
  return reg.institutions.map((i) => ({
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
  return reg.institutions.flatMap((i) =>
    [...i.inspections].reverse().map((x) => ({
      institutionId: i.id,
      institutionName: i.name,
      year: x.year,
      result: x.result,
      findings: x.findings.map((f) => f.code),
      rectification: x.findings.map((f) => f.rectification ?? ''),
      publishedOn: x.publishedOn,
      publishedBy: x.publishedBy,
    })),
  );
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(';') : typeof v === 'object' ? Object.values(v as object).join(' ') : String(v);
  // Quote always; double quotes inside. A leading =,+,-,@ would be a formula in Excel: prefix it.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** UTF-8 with BOM so Excel opens Chinese text correctly. */
export function toCsv(fields: readonly string[], rows: Record<string, unknown>[]): string {
  const lines = [fields.join(','), ...rows.map((r) => fields.map((f) => csvCell(r[f])).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
