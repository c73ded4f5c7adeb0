/**
 * One complaint as staff see it: everything the parent sent, attachments (list only), the full
 * timeline with staff notes, deadlines, handling departments, the version for optimistic edits,
 * and the actions the workflow and the caller's role both allow right now.
 *
 * The description, notes and file names are stored encrypted (api/security/pii.ts) and decrypted
 * here for every caller who may see the case. The parent's name and number are decrypted only
 * for staff of a handling department, and every such view writes
 * an audit row (who, which case, from where) before the data leaves the server. Everyone else who
 * may see the case gets it masked.
 */
import { asc, eq, inArray } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { appendAudit } from '../audit/log.ts';
import { beijingDate } from '../calendar/working-days.ts';
import { evidenceDownloadName } from '../intake/evidence.ts';
import { TRACKING_CODE_PATTERN } from '../intake/schema.ts';
import { actionAvailable, MODERATION_ACTIONS, type Actor } from './workflow.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../lib/errors.ts';
import { maskMobile, maskName } from '../security/pii.ts';
import { loadSettings } from '../ops/settings.ts';
import { mayAct, mayModerate, maySeeCase, maySeePersonalData, mayUseComplaints, relationOf, STAFF_ACTIONS, type Caller, type CaseHandlers, type StaffActionType } from './access.ts';

type ComplaintRow = typeof t.complaints.$inferSelect;

export const actorOf = (caller: Caller): Actor => ({ kind: 'staff', staffId: caller.staffId, role: caller.role, dept: caller.dept });

/** Same answer for an unknown code, a malformed one and one outside the caller's reach. */
const notFound = () => new ApiError(404, 'not_found', 'complaint_not_found');

export const forbiddenRole = () => new ApiError(403, 'forbidden', 'forbidden');

/** The complaint behind a tracking code, if the caller may see it; 404 otherwise. */
export async function findCaseFor(deps: Deps, caller: Caller, rawCode: string): Promise<{ row: ComplaintRow; handlers: CaseHandlers }> {
  // Role first, before touching the case: a sysadmin learns nothing about which codes exist.
  if (!mayUseComplaints(caller.role)) throw forbiddenRole();
  const code = rawCode.trim().toUpperCase();
  if (!TRACKING_CODE_PATTERN.test(code)) throw notFound();
  const [row] = await deps.db.read.select().from(t.complaints).where(eq(t.complaints.trackingCode, code));
  if (!row) throw notFound();
  const co = await deps.db.read
    .select({ code: t.complaintCoHandlers.departmentCode })
    .from(t.complaintCoHandlers)
    .where(eq(t.complaintCoHandlers.complaintId, row.id));
  const handlers = { leadDept: row.leadDept, coHandlers: co.map((x) => x.code) };
  if (!maySeeCase(caller, handlers)) throw notFound();
  return { row, handlers };
}

/** What the caller may do on this case now: role and department (access.ts) and workflow state. */
export function allowedActions(caller: Caller, row: ComplaintRow, handlers: CaseHandlers, now: Date, settings: { reopenWindowDays: number }): StaffActionType[] {
  const actor = actorOf(caller);
  return STAFF_ACTIONS.filter((a) => mayAct(caller, handlers, a) && actionAvailable(row, a, actor, now, settings));
}

export async function caseView(deps: Deps, caller: Caller, rawCode: string, meta: { ip: string | null }) {
  const { row: c, handlers } = await findCaseFor(deps, caller, rawCode);
  const now = deps.clock.now();
  const today = beijingDate(now);

  const [events, coRows, files, settings] = await Promise.all([
    deps.db.read.select().from(t.complaintEvents).where(eq(t.complaintEvents.complaintId, c.id)).orderBy(asc(t.complaintEvents.at), asc(t.complaintEvents.id)),
    deps.db.read.select().from(t.complaintCoHandlers).where(eq(t.complaintCoHandlers.complaintId, c.id)).orderBy(asc(t.complaintCoHandlers.addedAt)),
    deps.db.read
      .select({ id: t.attachments.id, mime: t.attachments.mime, originalName: t.attachments.originalName, size: t.attachments.size, sha256: t.attachments.sha256, createdAt: t.attachments.createdAt })
      .from(t.attachments)
      .where(eq(t.attachments.complaintId, c.id))
      .orderBy(asc(t.attachments.id)),
    loadSettings(deps.db),
  ]);

  const deptCodes = [...new Set([c.leadDept, ...coRows.map((r) => r.departmentCode), ...events.flatMap((e) => (e.actorDept ? [e.actorDept] : []))])];
  const staffIds = [...new Set([...events.flatMap((e) => (e.actorStaffId ? [e.actorStaffId] : [])), ...(c.assigneeId ? [c.assigneeId] : [])])];
  const [depts, people, institution] = await Promise.all([
    deps.db.read.select({ code: t.departments.code, nameZh: t.departments.nameZh, nameEn: t.departments.nameEn }).from(t.departments).where(inArray(t.departments.code, deptCodes)),
    staffIds.length
      ? deps.db.read.select({ id: t.staff.id, displayName: t.staff.displayName, departmentCode: t.staff.departmentCode }).from(t.staff).where(inArray(t.staff.id, staffIds))
      : Promise.resolve([]),
    c.institutionId
      ? deps.db.read.select({ id: t.institutions.id, name: t.institutions.name, licenseNo: t.institutions.licenseNo, category: t.institutions.category }).from(t.institutions).where(eq(t.institutions.id, c.institutionId))
      : Promise.resolve([]),
  ]);
  const dept = (code: string) => {
    const d = depts.find((x) => x.code === code);
    return { code, nameZh: d?.nameZh ?? code, nameEn: d?.nameEn ?? code };
  };
  const person = (id: number | null) => {
    const p = id ? people.find((x) => x.id === id) : undefined;
    return p ? { id: p.id, displayName: p.displayName, department: p.departmentCode } : null;
  };

  // Personal data: decrypted for handling departments (and audited), masked for everyone else.
  const unmasked = maySeePersonalData(caller, handlers);
  const purged = !c.parentNameEnc && !c.mobileEnc;
  let parent: { name: string | null; mobile: string | null; masked: boolean; purged: boolean };
  if (purged) parent = { name: null, mobile: null, masked: !unmasked, purged: true };
  else {
    const name = c.parentNameEnc ? deps.pii.decrypt(c.parentNameEnc) : null;
    const mobile = c.mobileEnc ? deps.pii.decrypt(c.mobileEnc) : null;
    parent = unmasked
      ? { name, mobile, masked: false, purged: false }
      : { name: name === null ? null : maskName(name), mobile: mobile === null ? null : maskMobile(mobile), masked: true, purged: false };
  }
  if (unmasked && !purged) {
    await deps.db.write((tx) =>
      appendAudit(tx, {
        at: now,
        actorKind: 'staff',
        actorStaffId: caller.staffId,
        actorRole: caller.role,
        action: 'complaint.view_personal_data',
        objectType: 'complaint',
        objectId: String(c.id),
        ip: meta.ip,
        detail: { relation: relationOf(caller, handlers) },
      }),
    );
  }

  const extendedOrResolveBy = c.extendedUntil ?? c.resolveBy;
  const dueOn = c.dueOn === t.NO_DEADLINE ? null : c.dueOn;
  return {
    code: c.trackingCode,
    status: c.status,
    version: c.version,
    relation: relationOf(caller, handlers),
    allowedActions: allowedActions(caller, c, handlers, now, settings),
    allowedModeration: MODERATION_ACTIONS.filter((m) => mayModerate(caller, handlers, m) && actionAvailable(c, m, actorOf(caller), now, settings)),
    descriptionRedacted: c.descriptionRedacted,
    consentPublication: c.consentPublication,
    submittedAt: c.submittedAt.toISOString(),
    institution: institution[0]
      ? { id: institution[0].id, name: institution[0].name, licenseNo: institution[0].licenseNo, category: institution[0].category, registered: true as const }
      : { id: null, name: c.institutionName, address: c.institutionAddress, town: c.townCode, registered: false as const },
    complaint: {
      course: c.course,
      contract: c.contract,
      paidOn: c.paidOn,
      amountPaid: c.amountPaidFen / 100,
      classesTotal: c.classesTotal,
      classesUsed: c.classesUsed,
      amountRequested: c.amountRequestedFen / 100,
      paidVia: c.paidVia,
      reason: c.reason,
      description: deps.pii.reveal(c.description),
      consentProcessing: c.consentProcessing,
      consentPublication: c.consentPublication,
    },
    parent,
    // downloadName: what the download will be called; originalName is for reading only.
    attachments: files.map((f, i) => ({ ...f, originalName: deps.pii.reveal(f.originalName), downloadName: evidenceDownloadName(c.trackingCode, i + 1, f.mime), createdAt: f.createdAt.toISOString() })),
    routing: { rule: c.routingRule, lead: dept(c.leadDept), clusterId: c.clusterId },
    coHandlers: coRows.map((r) => ({ ...dept(r.departmentCode), addedAt: r.addedAt.toISOString(), addedBy: r.addedBy })),
    assignee: person(c.assigneeId),
    deadlines: {
      acceptBy: c.acceptBy,
      acceptedAt: c.acceptedAt?.toISOString() ?? null,
      resolveBy: c.resolveBy,
      extensionStatus: c.extensionStatus,
      extendedUntil: c.extendedUntil,
      effectiveResolveBy: extendedOrResolveBy,
      dueOn,
      overdue: dueOn !== null && dueOn < today,
    },
    outcome: c.outcome ? { outcome: c.outcome, amountRefunded: c.amountRefundedFen === null ? null : c.amountRefundedFen / 100, resolvedAt: c.resolvedAt?.toISOString() ?? null } : null,
    rejectReason: c.rejectReason,
    rating: c.rating ? { rating: c.rating, ratedAt: c.ratedAt?.toISOString() ?? null, reopenCount: c.reopenCount } : null,
    closedAt: c.closedAt?.toISOString() ?? null,
    moderation: { isSpam: c.isSpam, duplicateOf: c.duplicateOf },
    timeline: events.map((e) => ({
      id: e.id,
      at: e.at.toISOString(),
      kind: e.kind,
      fromStatus: e.fromStatus,
      toStatus: e.toStatus,
      actor: e.actorStaffId ? (person(e.actorStaffId) ?? { id: e.actorStaffId, displayName: null, department: e.actorDept }) : null,
      actorDept: e.actorDept ? dept(e.actorDept) : null,
      publicNote: deps.pii.reveal(e.publicNote),
      staffNote: deps.pii.reveal(e.staffNote),
      data: e.data,
    })),
    asOf: today,
  };
}
