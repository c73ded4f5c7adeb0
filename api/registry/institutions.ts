/**
 * The register's services: list and search, one institution with its supervisors, license status
 * history and inspections, create, edit, and license status changes. Every write is one
 * transaction with its audit row and a new data version (the public site shows the change after
 * the next publish). Callers have already checked access (access.ts).
 */
import { randomBytes } from 'node:crypto';
import { and, asc, count, desc, eq, ne, or, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import { departments, inspectionFindings, inspections, institutions, institutionSupervisors, licenseStatusHistory, towns, zones, type LicenseStatus } from '../../db/schema.ts';
import type { AdminActor } from '../ops/system.ts';
import { appendAudit } from '../audit/log.ts';
import { beijingDate } from '../calendar/working-days.ts';
import type { ErrorIssue } from '../lib/errors.ts';
import { msg, type Lang, type MessageKey } from '../lib/messages.ts';
import { nameSearchKeys } from './search-keys.ts';
import { effectiveLicenseStatus } from './license-status.ts';
import { supervisorsFor } from './supervisors.ts';
import type { InstitutionInput, ReferenceLists, RegistryListQuery, StatusChange } from './schema.ts';

export const PAGE_SIZE = 50;

export async function referenceLists(db: Db): Promise<ReferenceLists> {
  const [t, z] = await Promise.all([
    db.read.select({ code: towns.code, nameZh: towns.nameZh, nameEn: towns.nameEn }).from(towns).orderBy(asc(towns.kind), asc(towns.code)),
    db.read.select({ id: zones.id }).from(zones).orderBy(asc(zones.id)),
  ]);
  return { towns: t, zoneIds: z.map((r) => r.id) };
}

const likeTerm = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** One page of the register, by name / pinyin / credit code / license number, town, category, status. */
export async function listInstitutions(db: Db, q: RegistryListQuery) {
  const where: SQL[] = [];
  if (q.q) {
    const term = likeTerm(q.q.normalize('NFKC'));
    const latin = likeTerm(q.q.toLowerCase().replace(/\s+/g, ''));
    where.push(
      or(
        sql`${institutions.name} LIKE ${term} ESCAPE '\\'`,
        sql`${institutions.namePinyin} LIKE ${latin} ESCAPE '\\'`,
        sql`${institutions.nameInitials} LIKE ${latin} ESCAPE '\\'`,
        sql`${institutions.licenseNo} LIKE ${term} ESCAPE '\\'`,
        sql`${institutions.creditCode} LIKE ${likeTerm(q.q.toUpperCase())} ESCAPE '\\'`,
      )!,
    );
  }
  if (q.town) where.push(eq(institutions.townCode, q.town));
  if (q.category) where.push(sql`${institutions.category} = ${q.category}`);
  if (q.status) where.push(sql`${institutions.licenseStatus} = ${q.status}`);
  const cond = where.length ? and(...where) : undefined;
  const [total] = await db.read.select({ n: count() }).from(institutions).where(cond);
  const rows = await db.read
    .select({
      id: institutions.id,
      name: institutions.name,
      creditCode: institutions.creditCode,
      licenseNo: institutions.licenseNo,
      category: institutions.category,
      townCode: institutions.townCode,
      townZh: towns.nameZh,
      townEn: towns.nameEn,
      licenseStatus: institutions.licenseStatus,
      licenseValidUntil: institutions.licenseValidUntil,
      updatedAt: institutions.updatedAt,
    })
    .from(institutions)
    .innerJoin(towns, eq(towns.code, institutions.townCode))
    .where(cond)
    .orderBy(asc(institutions.name), asc(institutions.id))
    .limit(PAGE_SIZE)
    .offset((q.page - 1) * PAGE_SIZE);
  return { total: total?.n ?? 0, page: q.page, pageSize: PAGE_SIZE, items: rows.map((r) => ({ ...r, updatedAt: r.updatedAt.toISOString() })) };
}

export async function institutionDetail(db: Db, id: string, today: string) {
  const [row] = await db.read.select().from(institutions).where(eq(institutions.id, id));
  if (!row) return null;
  const [sup, history, insp] = await Promise.all([
    db.read
      .select({ code: institutionSupervisors.departmentCode, role: institutionSupervisors.role, nameZh: departments.nameZh, nameEn: departments.nameEn })
      .from(institutionSupervisors)
      .innerJoin(departments, eq(departments.code, institutionSupervisors.departmentCode))
      .where(eq(institutionSupervisors.institutionId, id))
      .orderBy(desc(sql`${institutionSupervisors.role} = 'primary'`)),
    db.read.select().from(licenseStatusHistory).where(eq(licenseStatusHistory.institutionId, id)).orderBy(desc(licenseStatusHistory.effectiveOn), desc(licenseStatusHistory.id)),
    db.read.select().from(inspections).where(eq(inspections.institutionId, id)).orderBy(desc(inspections.year)),
  ]);
  const findings = insp.length
    ? await db.read.select().from(inspectionFindings).where(sql`${inspectionFindings.inspectionId} IN (${sql.join(insp.map((i) => sql`${i.id}`), sql`, `)})`)
    : [];
  const { createdAt, updatedAt, namePinyin: _p, nameInitials: _i, ...rest } = row;
  return {
    ...rest,
    createdAt: createdAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
    effectiveStatus: effectiveLicenseStatus(row.licenseStatus, row.licenseValidUntil, today),
    supervisors: sup,
    history: history.map((h) => ({ id: h.id, status: h.status, effectiveOn: h.effectiveOn, reasonZh: h.reasonZh, reasonEn: h.reasonEn, recordedBy: h.recordedBy, createdAt: h.createdAt.toISOString() })),
    inspections: insp.map((i) => ({ ...i, findings: findings.filter((f) => f.inspectionId === i.id).map(({ inspectionId: _x, ...f }) => f) })),
  };
}
export type InstitutionDetail = NonNullable<Awaited<ReturnType<typeof institutionDetail>>>;

/** The stored columns of an institution from validated input. */
export function institutionColumns(v: InstitutionInput) {
  return {
    name: v.name,
    ...nameSearchKeys(v.name),
    creditCode: v.creditCode,
    licenseNo: v.licenseNo,
    legalForm: v.legalForm,
    category: v.category,
    address: v.address,
    townCode: v.town,
    zoneId: v.zone,
    licenseIssuedOn: v.licenseIssuedOn,
    licenseValidUntil: v.licenseValidUntil,
    fireSafetyPassed: v.fireSafetyPassed,
    fireSafetyDate: v.fireSafetyPassed ? v.fireSafetyDate : null,
    custodyBank: v.custodyBank,
    custodyAccountNo: v.custodyAccountNo,
    usesModelContract: v.usesModelContract,
    trainingItems: v.trainingItems,
    staffCount: v.staffCount,
    teacherCount: v.teacherCount,
    phone: v.phone,
  };
}

export const newInstitutionId = () => `i-${randomBytes(8).toString('hex')}`;

/** Tells the publish step the data changed (api/ops/build.ts compares builds against it). */
export async function bumpDataVersion(tx: Tx, now: Date) {
  await tx.run(sql`INSERT INTO meta(key, value) VALUES ('data_version', ${String(now.getTime())}) ON CONFLICT(key) DO UPDATE SET value = excluded.value`);
}

/** 双主管 follows the category: rewrite the supervisors whenever it may have changed. */
export async function writeSupervisors(tx: Tx, id: string, category: InstitutionInput['category']) {
  await tx.delete(institutionSupervisors).where(eq(institutionSupervisors.institutionId, id));
  await tx.insert(institutionSupervisors).values(supervisorsFor(category).map((s) => ({ institutionId: id, ...s })));
}

/** Credit code and license number are unique in the register; field issues when another row has them. */
export async function uniquenessIssues(tx: Tx | Db['read'], v: Pick<InstitutionInput, 'creditCode' | 'licenseNo'>, exceptId: string | null): Promise<{ path: string; key: MessageKey }[]> {
  const other = (col: typeof institutions.creditCode | typeof institutions.licenseNo, value: string) =>
    tx.select({ id: institutions.id }).from(institutions).where(exceptId ? and(eq(col, value), ne(institutions.id, exceptId)) : eq(col, value)).limit(1);
  const [a, b] = await Promise.all([other(institutions.creditCode, v.creditCode), other(institutions.licenseNo, v.licenseNo)]);
  return [...(a.length ? [{ path: 'creditCode', key: 'credit_code_taken' as const }] : []), ...(b.length ? [{ path: 'licenseNo', key: 'license_no_taken' as const }] : [])];
}

const translate = (issues: { path: string; key: MessageKey }[], lang: Lang): ErrorIssue[] => issues.map((i) => ({ path: i.path, message: msg(i.key, lang) }));

const auditRow = (actor: AdminActor, at: Date, action: string, id: string, detail: Record<string, unknown>) => ({
  at,
  actorKind: 'staff' as const,
  actorStaffId: actor.staffId,
  actorRole: actor.role,
  action,
  objectType: 'institution',
  objectId: id,
  ip: actor.ip,
  detail,
});

export type SaveResult = { ok: true; id: string } | { ok: false; status: 404 | 422; issues: ErrorIssue[] };

/** A new institution: license valid from its issue date, the first history row, its supervisors. */
export async function createInstitution(db: Db, v: InstitutionInput, actor: AdminActor, now: Date, lang: Lang): Promise<SaveResult> {
  return db.write(async (tx) => {
    const taken = await uniquenessIssues(tx, v, null);
    if (taken.length) return { ok: false as const, status: 422 as const, issues: translate(taken, lang) };
    const id = newInstitutionId();
    await tx.insert(institutions).values({ id, ...institutionColumns(v), licenseStatus: 'valid', updatedAt: now });
    await writeSupervisors(tx, id, v.category);
    await tx.insert(licenseStatusHistory).values({ institutionId: id, status: 'valid', effectiveOn: v.licenseIssuedOn, reasonZh: '准予设立，核发办学许可证', reasonEn: 'License granted', recordedBy: actor.staffId, createdAt: now });
    await bumpDataVersion(tx, now);
    await appendAudit(tx, auditRow(actor, now, 'institution.create', id, { creditCode: v.creditCode, licenseNo: v.licenseNo, category: v.category }));
    return { ok: true as const, id };
  });
}

/** The audit detail of an edit: which fields changed, old → new (registry data is public, not personal). */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const [k, to] of Object.entries(after)) {
    if (k === 'namePinyin' || k === 'nameInitials') continue;
    const from = before[k];
    if (JSON.stringify(from ?? null) !== JSON.stringify(to ?? null)) out[k] = { from: from ?? null, to: to ?? null };
  }
  return out;
}

export async function updateInstitution(db: Db, id: string, v: InstitutionInput, actor: AdminActor, now: Date, lang: Lang): Promise<SaveResult> {
  return db.write(async (tx) => {
    const [before] = await tx.select().from(institutions).where(eq(institutions.id, id));
    if (!before) return { ok: false as const, status: 404 as const, issues: [] };
    const taken = await uniquenessIssues(tx, v, id);
    if (taken.length) return { ok: false as const, status: 422 as const, issues: translate(taken, lang) };
    const cols = institutionColumns(v);
    const changes = changedFields(before, cols);
    if (!Object.keys(changes).length) return { ok: true as const, id };
    await tx.update(institutions).set({ ...cols, updatedAt: now }).where(eq(institutions.id, id));
    if (changes.category) await writeSupervisors(tx, id, v.category);
    await bumpDataVersion(tx, now);
    await appendAudit(tx, auditRow(actor, now, 'institution.update', id, { changes }));
    return { ok: true as const, id };
  });
}

/**
 * A license status change (暂停办学 / 注销 / 吊销 / 恢复正常) with its effective date and reason,
 * kept in the history. The effective date is today or earlier and not before the license was issued.
 */
export async function changeLicenseStatus(db: Db, id: string, change: StatusChange, actor: AdminActor, now: Date, lang: Lang): Promise<SaveResult> {
  const today = beijingDate(now);
  return db.write(async (tx) => {
    const [row] = await tx.select({ status: institutions.licenseStatus, issuedOn: institutions.licenseIssuedOn }).from(institutions).where(eq(institutions.id, id));
    if (!row) return { ok: false as const, status: 404 as const, issues: [] };
    const issues: { path: string; key: MessageKey }[] = [];
    if (row.status === change.status) issues.push({ path: 'status', key: 'status_same' });
    if (change.effectiveOn > today) issues.push({ path: 'effectiveOn', key: 'effective_future' });
    else if (change.effectiveOn < row.issuedOn) issues.push({ path: 'effectiveOn', key: 'effective_before_issue' });
    if (issues.length) return { ok: false as const, status: 422 as const, issues: translate(issues, lang) };
    await tx.update(institutions).set({ licenseStatus: change.status as LicenseStatus, updatedAt: now }).where(eq(institutions.id, id));
    await tx.insert(licenseStatusHistory).values({ institutionId: id, status: change.status, effectiveOn: change.effectiveOn, reasonZh: change.reasonZh, reasonEn: change.reasonEn, recordedBy: actor.staffId, createdAt: now });
    await bumpDataVersion(tx, now);
    await appendAudit(tx, auditRow(actor, now, 'institution.license_status', id, { from: row.status, to: change.status, effectiveOn: change.effectiveOn }));
    return { ok: true as const, id };
  });
}
