/**
 * Annual inspection results, imported one year per file, in the same two steps as institutions
 * (dry-run report, then apply exactly the previewed file in one transaction).
 *
 * Re-importing is idempotent: for every institution in the file, that year's result and its
 * findings are replaced by the row in the file (identical rows are reported as unchanged and not
 * touched); institutions not in the file keep whatever that year holds. A correction is therefore
 * a file with just the corrected rows. publishedBy is the institution's supervising departments
 * (docs/domain.md: results are published jointly by the education bureau and the co-supervisor).
 * A co-supervising bureau's staff may only import rows for institutions it supervises (access.ts).
 */
import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, Tx } from '../../db/client.ts';
import { FINDING_CODES, inspectionFindings, inspections, institutions, institutionSupervisors } from '../../db/schema.ts';
import type { AdminActor } from '../ops/system.ts';
import { appendAudit } from '../audit/log.ts';
import { beijingDate } from '../calendar/working-days.ts';
import { parseWith } from '../lib/errors.ts';
import { msg, type Lang, type MessageKey } from '../lib/messages.ts';
import { INSPECTION_COLUMNS, mapHeaders, type InspectionField } from './import-columns.ts';
import { cellsOf, emptyCounts, headerIssues, rowIssues, type ImportIssue, type ImportReport, type RowReport } from './import-report.ts';
import { findUpload, keepUpload, markApplied, sha256Hex } from './import-store.ts';
import { bumpDataVersion } from './institutions.ts';
import { isRealDate, looksLikeFormula, normaliseDate } from './schema.ts';
import { readUpload, type Grid } from './spreadsheet.ts';
import { codeOf, FINDING_WORDS, RECTIFICATION_WORDS, RESULT_WORDS, splitList } from './vocabulary.ts';

type Reader = Pick<Tx, 'select'>;
const FIELDS: readonly InspectionField[] = INSPECTION_COLUMNS.map((c) => c.field);

const optionalDate = z
  .string()
  .transform((s) => (s.trim() ? normaliseDate(s) : ''))
  .refine((s) => s === '' || isRealDate(s), { message: 'date_invalid' })
  .transform((s) => s || null);

export function InspectionRowSchema(today: string) {
  return z
    .object({
      year: z
        .string()
        .trim()
        .refine((s) => /^\d{4}$/.test(s) && Number(s) >= 2000 && Number(s) <= Number(today.slice(0, 4)), { message: 'year_invalid' })
        .transform(Number),
      creditCode: z.string().transform((s) => s.normalize('NFKC').replace(/\s+/g, '').toUpperCase()).refine((s) => s.length === 18, { message: 'credit_code_length' }),
      name: z.string().transform((s) => s.normalize('NFC').replace(/\s+/g, ' ').trim()),
      result: z.string().transform((s, ctx) => codeOf(RESULT_WORDS, s) ?? (ctx.addIssue({ code: 'custom', message: 'result_invalid' }), z.NEVER)),
      findings: z.string().transform((s, ctx) => {
        const codes: (typeof FINDING_CODES)[number][] = [];
        for (const w of splitList(s)) {
          const c = codeOf(FINDING_WORDS, w);
          if (!c) {
            ctx.addIssue({ code: 'custom', message: 'finding_invalid' });
            return z.NEVER;
          }
          if (!codes.includes(c)) codes.push(c);
        }
        return codes;
      }),
      rectification: z.string().transform((s, ctx) => (s.trim() === '' ? null : (codeOf(RECTIFICATION_WORDS, s) ?? (ctx.addIssue({ code: 'custom', message: 'rectification_invalid' }), z.NEVER)))),
      rectifiedOn: optionalDate,
      publishedOn: z
        .string()
        .transform(normaliseDate)
        .refine((s) => isRealDate(s) && s <= today, { message: 'published_on_invalid' }),
      note: z
        .string()
        .transform((s) => s.normalize('NFC').trim())
        .refine((s) => !looksLikeFormula(s), { message: 'formula_refused' })
        .refine((s) => s.length <= 200, { message: 'text_long' })
        .transform((s) => s || null),
    })
    .superRefine((v, ctx) => {
      if (v.findings.length && (v.result === 'pass' || v.result === 'absent')) ctx.addIssue({ code: 'custom', path: ['findings'], message: 'findings_on_pass' });
      if (v.findings.length && !v.rectification) ctx.addIssue({ code: 'custom', path: ['rectification'], message: 'rectification_invalid' });
      if (v.rectification === 'done' && !v.rectifiedOn) ctx.addIssue({ code: 'custom', path: ['rectifiedOn'], message: 'rectified_on_required' });
    });
}
type InspectionRow = z.output<ReturnType<typeof InspectionRowSchema>>;

interface PlanItem {
  row: number;
  institutionId: string;
  action: 'create' | 'replace';
  v: InspectionRow;
  publishedBy: string[];
}
interface Checked {
  year: number | null;
  fileIssues: ImportIssue[];
  rows: RowReport[];
  plan: PlanItem[];
}

export interface InspectionScope {
  scope: 'all' | 'supervised';
  dept: string;
}

const CHUNK = 400;
async function chunked<T>(values: string[], fn: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  const uniq = [...new Set(values)];
  for (let i = 0; i < uniq.length; i += CHUNK) out.push(...(await fn(uniq.slice(i, i + CHUNK))));
  return out;
}

/** The stored row in comparable form: result, publication date, note-free findings. */
const fingerprint = (result: string, publishedOn: string, publishedBy: string[], findings: { code: string; note: string | null; rectification: string | null; rectifiedOn: string | null }[]) =>
  JSON.stringify([result, publishedOn, [...publishedBy].sort(), findings.map((f) => [f.code, f.note, f.rectification, f.rectifiedOn]).sort()]);

const findingRows = (v: InspectionRow) => v.findings.map((code) => ({ code, note: v.note, rectification: v.rectification, rectifiedOn: v.rectification === 'done' ? v.rectifiedOn : null }));

/** Headers and every row through the schema: CPU work, done before the write lock is taken. */
function parseFile(grid: Grid, today: string, lang: Lang) {
  const map = mapHeaders(INSPECTION_COLUMNS, grid.headers, lang);
  const fileIssues = headerIssues(map, lang);
  const schema = InspectionRowSchema(today);
  const parsed = fileIssues.length
    ? []
    : grid.rows.map((r) => {
        const raw = cellsOf(r.cells, map, FIELDS);
        return { row: r.row, raw, result: parseWith(schema, raw, lang) };
      });
  return { map, fileIssues, parsed, lang };
}
type ParsedFile = ReturnType<typeof parseFile>;

async function check(reader: Reader, grid: Grid, pf: ParsedFile, who: InspectionScope): Promise<Checked> {
  const { map, fileIssues, parsed } = pf;
  const lang = pf.lang;
  if (fileIssues.length) return { year: null, fileIssues, rows: [], plan: [] };
  const valid = parsed.flatMap((p) => (p.result.ok ? [p.result.data] : []));
  const insts = await chunked(valid.map((v) => v.creditCode), (c) => reader.select({ id: institutions.id, name: institutions.name, creditCode: institutions.creditCode }).from(institutions).where(inArray(institutions.creditCode, c)));
  const byCode = new Map(insts.map((i) => [i.creditCode, i]));
  const sups = await chunked(insts.map((i) => i.id), (c) => reader.select().from(institutionSupervisors).where(inArray(institutionSupervisors.institutionId, c)));
  const supervisorsOf = (id: string) => sups.filter((s) => s.institutionId === id).sort((a, b) => (a.role === 'primary' ? -1 : b.role === 'primary' ? 1 : 0)).map((s) => s.departmentCode);
  const year = valid[0]?.year ?? null;
  const existing = year === null ? [] : await chunked(insts.map((i) => i.id), (c) => reader.select().from(inspections).where(and(eq(inspections.year, year), inArray(inspections.institutionId, c))));
  const existingFindings = await chunked(existing.map((e) => String(e.id)), (c) => reader.select().from(inspectionFindings).where(inArray(inspectionFindings.inspectionId, c.map(Number))));
  const colName = (field: InspectionField) => {
    const idx = map.index[field];
    return idx === undefined ? null : (grid.headers[idx] ?? null);
  };
  const issue = (row: number, field: InspectionField, key: MessageKey): ImportIssue => ({ row, column: colName(field), message: msg(key, lang) });
  const seen = new Set<string>();
  const rows: RowReport[] = [];
  const plan: PlanItem[] = [];
  for (const p of parsed) {
    const inst = p.result.ok ? byCode.get(p.result.data.creditCode) : undefined;
    const label = inst?.name ?? (p.raw.name.trim() || p.raw.creditCode.trim());
    if (!p.result.ok) {
      rows.push({ row: p.row, action: 'error', label, issues: rowIssues(p.row, p.result.issues, INSPECTION_COLUMNS, grid.headers, map, lang) });
      continue;
    }
    const v = p.result.data;
    const issues: ImportIssue[] = [];
    if (year !== null && v.year !== year) issues.push(issue(p.row, 'year', 'year_mixed'));
    if (!inst) issues.push(issue(p.row, 'creditCode', 'institution_unknown_code'));
    else {
      if (v.name && v.name !== inst.name) issues.push(issue(p.row, 'name', 'institution_name_mismatch'));
      if (who.scope === 'supervised' && !supervisorsOf(inst.id).includes(who.dept)) issues.push(issue(p.row, 'creditCode', 'not_your_institution'));
      if (seen.has(inst.id)) issues.push(issue(p.row, 'creditCode', 'import_duplicate_in_file'));
      seen.add(inst.id);
    }
    if (issues.length || !inst) {
      rows.push({ row: p.row, action: 'error', label, issues });
      continue;
    }
    const publishedBy = supervisorsOf(inst.id);
    const old = existing.find((e) => e.institutionId === inst.id);
    if (old && fingerprint(old.result, old.publishedOn, old.publishedBy, existingFindings.filter((f) => f.inspectionId === old.id)) === fingerprint(v.result, v.publishedOn, publishedBy, findingRows(v))) {
      rows.push({ row: p.row, action: 'unchanged', label, issues: [] });
      continue;
    }
    const action = old ? 'replace' : 'create';
    plan.push({ row: p.row, institutionId: inst.id, action, v, publishedBy });
    rows.push({ row: p.row, action, label, issues: [] });
  }
  return { year, fileIssues, rows, plan };
}

function report(c: Checked, grid: Grid, sha256: string, fileName: string): ImportReport {
  const counts = emptyCounts();
  for (const r of c.rows) counts[r.action]++;
  return { kind: 'inspections', year: c.year, format: grid.format, sha256, fileName, counts, fileIssues: c.fileIssues, rows: c.rows, applicable: !c.fileIssues.length && counts.error === 0 && counts.create + counts.replace > 0 };
}

export type DryRunResult = { ok: true; report: ImportReport } | { ok: false; status: 413 | 422; key: MessageKey };

export async function dryRunInspectionImport(db: Db, file: { bytes: Buffer; name: string }, who: InspectionScope, actor: AdminActor, now: Date, lang: Lang): Promise<DryRunResult> {
  const read = await readUpload(file.bytes);
  if (!read.ok) return { ok: false, status: read.key === 'import_file_too_large' ? 413 : 422, key: read.key };
  const sha256 = sha256Hex(file.bytes);
  const checked = await check(db.read, read.grid, parseFile(read.grid, beijingDate(now), lang), who);
  const r = report(checked, read.grid, sha256, file.name);
  if (r.applicable) await keepUpload(db, { kind: 'inspections', year: r.year, sha256, fileName: file.name, format: read.grid.format, content: file.bytes, summary: r.counts }, actor.staffId, now);
  return { ok: true, report: r };
}

export type ApplyResult = { ok: true; counts: ImportReport['counts']; importId: number; year: number } | { ok: false; status: 404 | 409 | 422; key: MessageKey };

export async function applyInspectionImport(db: Db, sha256: string, who: InspectionScope, actor: AdminActor, now: Date, lang: Lang): Promise<ApplyResult> {
  const stored = await findUpload(db.read, 'inspections', sha256, actor.staffId, now);
  if (!stored) return { ok: false, status: 404, key: 'import_not_previewed' };
  const read = await readUpload(stored.content);
  if (!read.ok) return { ok: false, status: 422, key: read.key };
  const pf = parseFile(read.grid, beijingDate(now), lang);
  return db.write(async (tx): Promise<ApplyResult> => {
    const again = await findUpload(tx, 'inspections', sha256, actor.staffId, now);
    if (!again || again.id !== stored.id) return { ok: false, status: 404, key: 'import_not_previewed' };
    const checked = await check(tx, read.grid, pf, who);
    const r = report(checked, read.grid, sha256, stored.fileName);
    if (!r.applicable || checked.year === null) return { ok: false, status: 422, key: 'import_has_errors' };
    if (JSON.stringify(r.counts) !== JSON.stringify(stored.summary)) return { ok: false, status: 409, key: 'import_changed' };
    const year = checked.year;
    // Batched, so a 5,000-row year holds the write lock briefly. Replace: the old rows' findings
    // go with them (ON DELETE CASCADE).
    for (let i = 0; i < checked.plan.length; i += 200) {
      const chunk = checked.plan.slice(i, i + 200);
      const replaced = chunk.filter((p) => p.action === 'replace').map((p) => p.institutionId);
      if (replaced.length) await tx.delete(inspections).where(and(eq(inspections.year, year), inArray(inspections.institutionId, replaced)));
      const ids = await tx.insert(inspections).values(chunk.map((item) => ({ institutionId: item.institutionId, year, result: item.v.result, publishedOn: item.v.publishedOn, publishedBy: item.publishedBy }))).returning({ id: inspections.id });
      const f = chunk.flatMap((item, j) => findingRows(item.v).map((x) => ({ ...x, inspectionId: ids[j]!.id })));
      for (let k = 0; k < f.length; k += 200) await tx.insert(inspectionFindings).values(f.slice(k, k + 200));
    }
    await bumpDataVersion(tx, now);
    await markApplied(tx, stored.id, now);
    await appendAudit(tx, {
      at: now,
      actorKind: 'staff',
      actorStaffId: actor.staffId,
      actorRole: actor.role,
      action: 'registry_import.apply',
      objectType: 'registry_import',
      objectId: String(stored.id),
      ip: actor.ip,
      detail: { kind: 'inspections', year, sha256, counts: r.counts, created: checked.plan.filter((p) => p.action === 'create').map((p) => p.institutionId), replaced: checked.plan.filter((p) => p.action === 'replace').map((p) => p.institutionId) },
    });
    return { ok: true, counts: r.counts, importId: stored.id, year };
  });
}
