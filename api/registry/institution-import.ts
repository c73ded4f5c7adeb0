/**
 * Bulk import of institutions from CSV or XLSX in two steps.
 *   1. Dry run: every row goes through the institution form's own schema, then against the
 *      register (credit code → update that institution, else create; license number and credit
 *      code unique in the register and in the file). The report lists every row's problems and
 *      what would be created or updated; nothing is written except the previewed file itself.
 *   2. Apply: the same file (by SHA-256, from the database) is checked again against the register
 *      as it is now and, if the outcome is still exactly what the preview showed, written in one
 *      transaction with an audit row per institution and one for the import.
 * Imports do not change license status: a new institution starts 有效 from its issue date, an
 * existing one keeps its status (status changes are decisions with a reason, made one by one).
 */
import { eq, inArray } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import { institutions, institutionSupervisors, licenseStatusHistory } from '../../db/schema.ts';
import { supervisorsFor } from './supervisors.ts';
import type { AdminActor } from '../ops/system.ts';
import { appendAudit, appendAuditMany, type AuditEntry } from '../audit/log.ts';
import { parseWith } from '../lib/errors.ts';
import { msg, type Lang, type MessageKey } from '../lib/messages.ts';
import { INSTITUTION_COLUMNS, mapHeaders } from './import-columns.ts';
import { cellsOf, emptyCounts, headerIssues, rowIssues, type ImportIssue, type ImportReport, type RowReport } from './import-report.ts';
import { findUpload, keepUpload, markApplied, sha256Hex } from './import-store.ts';
import { bumpDataVersion, changedFields, institutionColumns, newInstitutionId, referenceLists, writeSupervisors } from './institutions.ts';
import { INSTITUTION_FIELDS, InstitutionInputSchema, type InstitutionInput } from './schema.ts';
import { readUpload, type Grid } from './spreadsheet.ts';

type Reader = Pick<Tx, 'select'>;

type PlanItem = { action: 'create'; row: number; input: InstitutionInput } | { action: 'update'; row: number; id: string; input: InstitutionInput; changes: Record<string, unknown> };

interface Checked {
  fileIssues: ImportIssue[];
  rows: RowReport[];
  plan: PlanItem[];
}

const CHUNK = 400;
async function existingBy(reader: Reader, col: typeof institutions.creditCode | typeof institutions.licenseNo, values: string[]) {
  const out: (typeof institutions.$inferSelect)[] = [];
  const uniq = [...new Set(values)];
  for (let i = 0; i < uniq.length; i += CHUNK) out.push(...(await reader.select().from(institutions).where(inArray(col, uniq.slice(i, i + CHUNK)))));
  return out;
}

/** Headers and every row through the schema: CPU work, done before the write lock is taken. */
async function parseFile(db: Db, grid: Grid, lang: Lang) {
  const map = mapHeaders(INSTITUTION_COLUMNS, grid.headers, lang);
  const fileIssues = headerIssues(map, lang);
  const schema = InstitutionInputSchema(await referenceLists(db));
  const parsed = fileIssues.length ? [] : grid.rows.map((r) => ({ row: r.row, raw: cellsOf(r.cells, map, INSTITUTION_FIELDS), result: parseWith(schema, cellsOf(r.cells, map, INSTITUTION_FIELDS), lang) }));
  return { map, fileIssues, parsed };
}
type ParsedFile = Awaited<ReturnType<typeof parseFile>>;

/** The parsed rows against the register as `reader` sees it: duplicates, create or update. */
async function check(reader: Reader, grid: Grid, pf: ParsedFile, lang: Lang): Promise<Checked> {
  const { map, fileIssues, parsed } = pf;
  if (fileIssues.length) return { fileIssues, rows: [], plan: [] };
  const valid = parsed.flatMap((p) => (p.result.ok ? [p.result.data] : []));
  const [byCredit, byLicense] = await Promise.all([existingBy(reader, institutions.creditCode, valid.map((v) => v.creditCode)), existingBy(reader, institutions.licenseNo, valid.map((v) => v.licenseNo))]);
  const creditMap = new Map(byCredit.map((r) => [r.creditCode, r]));
  const licenseMap = new Map(byLicense.map((r) => [r.licenseNo, r.id]));
  const seenCredit = new Map<string, number>();
  const seenLicense = new Map<string, number>();
  const rows: RowReport[] = [];
  const plan: PlanItem[] = [];
  const colName = (field: string) => {
    const idx = map.index[field as keyof typeof map.index];
    return idx === undefined ? null : (grid.headers[idx] ?? null);
  };
  const issue = (row: number, field: string, key: MessageKey): ImportIssue => ({ row, column: colName(field), message: msg(key, lang) });
  for (const p of parsed) {
    const label = p.raw.name.trim() || p.raw.creditCode.trim();
    if (!p.result.ok) {
      rows.push({ row: p.row, action: 'error', label, issues: rowIssues(p.row, p.result.issues, INSTITUTION_COLUMNS, grid.headers, map, lang) });
      continue;
    }
    const v = p.result.data;
    const issues: ImportIssue[] = [];
    if (seenCredit.has(v.creditCode)) issues.push(issue(p.row, 'creditCode', 'import_duplicate_in_file'));
    if (seenLicense.has(v.licenseNo)) issues.push(issue(p.row, 'licenseNo', 'import_duplicate_in_file'));
    seenCredit.set(v.creditCode, p.row);
    seenLicense.set(v.licenseNo, p.row);
    const existing = creditMap.get(v.creditCode);
    const licenseOwner = licenseMap.get(v.licenseNo);
    if (licenseOwner && licenseOwner !== existing?.id) issues.push(issue(p.row, 'licenseNo', 'license_no_taken'));
    if (issues.length) {
      rows.push({ row: p.row, action: 'error', label, issues });
      continue;
    }
    if (!existing) {
      plan.push({ action: 'create', row: p.row, input: v });
      rows.push({ row: p.row, action: 'create', label, issues: [] });
      continue;
    }
    const changes = changedFields(existing, institutionColumns(v));
    const action = Object.keys(changes).length ? 'update' : 'unchanged';
    if (action === 'update') plan.push({ action, row: p.row, id: existing.id, input: v, changes });
    rows.push({ row: p.row, action, label, issues: [] });
  }
  return { fileIssues, rows, plan };
}

function report(c: Checked, grid: Grid, sha256: string, fileName: string): ImportReport {
  const counts = emptyCounts();
  for (const r of c.rows) counts[r.action]++;
  return { kind: 'institutions', year: null, format: grid.format, sha256, fileName, counts, fileIssues: c.fileIssues, rows: c.rows, applicable: !c.fileIssues.length && counts.error === 0 && counts.create + counts.update > 0 };
}

export type DryRunResult = { ok: true; report: ImportReport } | { ok: false; status: 413 | 422; key: MessageKey };

export async function dryRunInstitutionImport(db: Db, file: { bytes: Buffer; name: string }, actor: AdminActor, now: Date, lang: Lang): Promise<DryRunResult> {
  const read = await readUpload(file.bytes);
  if (!read.ok) return { ok: false, status: read.key === 'import_file_too_large' ? 413 : 422, key: read.key };
  const sha256 = sha256Hex(file.bytes);
  const checked = await check(db.read, read.grid, await parseFile(db, read.grid, lang), lang);
  const r = report(checked, read.grid, sha256, file.name);
  if (r.applicable) await keepUpload(db, { kind: 'institutions', year: null, sha256, fileName: file.name, format: read.grid.format, content: file.bytes, summary: r.counts }, actor.staffId, now);
  return { ok: true, report: r };
}

export type ApplyResult = { ok: true; counts: ImportReport['counts']; importId: number } | { ok: false; status: 404 | 409 | 422; key: MessageKey };

export async function applyInstitutionImport(db: Db, sha256: string, actor: AdminActor, now: Date, lang: Lang): Promise<ApplyResult> {
  // Parse outside the write lock (the bytes are immutable, named by their hash); re-check inside it.
  const stored = await findUpload(db.read, 'institutions', sha256, actor.staffId, now);
  if (!stored) return { ok: false, status: 404, key: 'import_not_previewed' };
  const read = await readUpload(stored.content);
  if (!read.ok) return { ok: false, status: 422, key: read.key };
  const pf = await parseFile(db, read.grid, lang);
  return db.write(async (tx): Promise<ApplyResult> => {
    const again = await findUpload(tx, 'institutions', sha256, actor.staffId, now);
    if (!again || again.id !== stored.id) return { ok: false, status: 404, key: 'import_not_previewed' };
    const checked = await check(tx, read.grid, pf, lang);
    const r = report(checked, read.grid, sha256, stored.fileName);
    if (!r.applicable) return { ok: false, status: 422, key: 'import_has_errors' };
    if (JSON.stringify(r.counts) !== JSON.stringify(stored.summary)) return { ok: false, status: 409, key: 'import_changed' };
    // Batched: a 5,000-row file must not hold the write lock (and parents' complaint intake) for long.
    const audits: AuditEntry[] = [];
    const audit = (action: string, id: string, detail: Record<string, unknown>): AuditEntry => ({ at: now, actorKind: 'staff', actorStaffId: actor.staffId, actorRole: actor.role, action, objectType: 'institution', objectId: id, ip: actor.ip, detail: { importId: stored.id, ...detail } });
    const creates = checked.plan.flatMap((p) => (p.action === 'create' ? [{ ...p, id: newInstitutionId() }] : []));
    for (let i = 0; i < creates.length; i += 100) {
      const chunk = creates.slice(i, i + 100);
      await tx.insert(institutions).values(chunk.map((c) => ({ id: c.id, ...institutionColumns(c.input), licenseStatus: 'valid' as const, updatedAt: now })));
      await tx.insert(institutionSupervisors).values(chunk.flatMap((c) => supervisorsFor(c.input.category).map((s) => ({ institutionId: c.id, ...s }))));
      await tx.insert(licenseStatusHistory).values(chunk.map((c) => ({ institutionId: c.id, status: 'valid' as const, effectiveOn: c.input.licenseIssuedOn, reasonZh: '准予设立，核发办学许可证（批量导入）', reasonEn: 'License granted (bulk import)', recordedBy: actor.staffId, createdAt: now })));
    }
    for (const c of creates) audits.push(audit('institution.import_create', c.id, { row: c.row, creditCode: c.input.creditCode }));
    for (const item of checked.plan) {
      if (item.action !== 'update') continue;
      await tx.update(institutions).set({ ...institutionColumns(item.input), updatedAt: now }).where(eq(institutions.id, item.id));
      if (item.changes.category) await writeSupervisors(tx, item.id, item.input.category);
      audits.push(audit('institution.import_update', item.id, { row: item.row, changes: item.changes }));
    }
    await appendAuditMany(tx, audits);
    await bumpDataVersion(tx, now);
    await markApplied(tx, stored.id, now);
    await appendAudit(tx, { at: now, actorKind: 'staff', actorStaffId: actor.staffId, actorRole: actor.role, action: 'registry_import.apply', objectType: 'registry_import', objectId: String(stored.id), ip: actor.ip, detail: { kind: 'institutions', sha256, counts: r.counts } });
    return { ok: true, counts: r.counts, importId: stored.id };
  });
}
