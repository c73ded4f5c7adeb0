/**
 * The one function that changes a complaint's state. It refuses illegal transitions and writes
 * the state change, the timeline event and the audit row in the same transaction, with an
 * optimistic version check so two clerks cannot overwrite each other.
 *
 *   submitted → accepted | rejected
 *   accepted → in_progress (first mediation step) → resolved
 *   resolved → closed (parent's rating, or staff closing after the rating window)
 *   resolved → in_progress once, when the parent rates 不满意 within the window (回访复核)
 *
 * Besides state changes: co-handlers, notes, extensions, assignment within the lead department
 * (dept_head) and change of lead (转办, coordination office only, deadlines unchanged).
 * Who may act on which case (department, lead or co-handler) is checked by the caller
 * (api/cases/access.ts); this function still refuses roles that may never do an action.
 */
import { and, eq, inArray } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import type { ComplaintStatus } from '../../db/schema.ts';
import { appendAudit } from '../audit/log.ts';
import { beijingDate } from '../calendar/working-days.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../lib/errors.ts';
import { loadCalendar, loadSettings } from '../ops/settings.ts';

export type Actor =
  | { kind: 'staff'; staffId: number; role: t.StaffRole; dept: string }
  | { kind: 'public' }
  | { kind: 'system' };

export type Action =
  | { type: 'accept'; note?: string }
  | { type: 'reject'; reason: 'duplicate' | 'out_of_scope' | 'insufficient'; note: string }
  | { type: 'note'; staffNote: string; publicNote?: string }
  | { type: 'request_extension'; note: string }
  | { type: 'decide_extension'; approve: boolean; note?: string }
  | { type: 'resolve'; outcome: (typeof t.OUTCOMES)[number]; amountRefundedFen: number; note: string }
  | { type: 'rate'; rating: (typeof t.RATINGS)[number] }
  | { type: 'close'; note?: string }
  | { type: 'add_cohandler'; department: string; note?: string }
  | { type: 'assign'; staffId: number; note?: string }
  | { type: 'change_lead'; department: string; reason: string }
  // Moderation (see MODERATION_ACTIONS)
  | { type: 'mark_spam'; note?: string }
  | { type: 'mark_duplicate'; originalCode: string; note?: string }
  | { type: 'ban_mobile'; reason: string }
  | { type: 'redact'; text: string };

/**
 * Moderation, outside the state table above: mark spam (closes an open case; the parent's tracking
 * then answers as for an unknown code), mark duplicate (rejects a submitted case with reason
 * 'duplicate', pointing to the original), ban the case's mobile number, and write the redacted
 * narrative (the only text ever published, and only with the parent's consent). Each writes an
 * event and an audit row like every other action.
 */
export const MODERATION_ACTIONS = ['mark_spam', 'mark_duplicate', 'ban_mobile', 'redact'] as const satisfies readonly Action['type'][];
const OPEN_STATES: readonly ComplaintStatus[] = ['submitted', 'accepted', 'in_progress'];
/** Event kinds the parent's tracking page does not show. */
export const STAFF_ONLY_EVENTS: ReadonlySet<string> = new Set(['ban_mobile', 'redact']);

/** Which actions each state allows — the UI shows exactly these buttons. */
export const ALLOWED: Record<ComplaintStatus, Action['type'][]> = {
  submitted: ['accept', 'reject', 'add_cohandler', 'note', 'assign', 'change_lead'],
  accepted: ['note', 'request_extension', 'decide_extension', 'resolve', 'add_cohandler', 'assign', 'change_lead'],
  in_progress: ['note', 'request_extension', 'decide_extension', 'resolve', 'add_cohandler', 'assign', 'change_lead'],
  resolved: ['rate', 'close'],
  rejected: [],
  closed: [],
};

const conflict = () => new ApiError(409, 'invalid_transition', 'invalid_transition');

type ComplaintRow = typeof t.complaints.$inferSelect;
type Settings = Awaited<ReturnType<typeof loadSettings>>;

/**
 * Whether `type` is possible on this case right now for this kind of actor: the state allows it
 * and its preconditions hold. applyAction refuses whatever this refuses, and the staff case view
 * offers exactly what it allows (department rules come on top, from api/cases/access.ts).
 */
export function actionAvailable(
  c: Pick<ComplaintRow, 'status' | 'extensionStatus' | 'resolveBy' | 'resolvedAt'> & Partial<Pick<ComplaintRow, 'isSpam' | 'mobileHash' | 'description'>>,
  type: Action['type'],
  actor: Actor,
  now: Date,
  settings: Pick<Settings, 'reopenWindowDays'>,
): boolean {
  if ((MODERATION_ACTIONS as readonly string[]).includes(type)) {
    if (actor.kind !== 'staff' || c.isSpam) return false;
    if (type === 'mark_spam') return OPEN_STATES.includes(c.status);
    if (type === 'mark_duplicate') return c.status === 'submitted';
    if (type === 'ban_mobile') return !!c.mobileHash && (actor.role === 'coordinator' || actor.role === 'dept_head');
    return !!c.description; // redact: there is a narrative (not purged)
  }
  if (!ALLOWED[c.status].includes(type)) return false;
  if ((type === 'rate') !== (actor.kind === 'public')) return false;
  const role = actor.kind === 'staff' ? actor.role : null;
  switch (type) {
    case 'request_extension':
      return !c.extensionStatus && !!c.resolveBy && beijingDate(now) <= c.resolveBy;
    case 'decide_extension':
      return c.extensionStatus === 'requested' && role === 'dept_head';
    case 'close':
      return !(c.resolvedAt && now.getTime() - c.resolvedAt.getTime() <= settings.reopenWindowDays * 86_400_000);
    case 'assign':
      return role === 'dept_head';
    case 'change_lead':
      return role === 'coordinator';
    default:
      return true;
  }
}

export async function applyAction(deps: Deps, complaintId: number, action: Action, actor: Actor, opts: { expectedVersion?: number; ip?: string | null; at?: Date } = {}) {
  const now = opts.at ?? deps.clock.now();
  const today = beijingDate(now);
  const [settings, calendar] = await Promise.all([loadSettings(deps.db), loadCalendar(deps.db)]);

  return deps.db.write(async (tx) => {
    const [c] = await tx.select().from(t.complaints).where(eq(t.complaints.id, complaintId));
    if (!c) throw new ApiError(404, 'not_found', 'not_found');
    if (opts.expectedVersion !== undefined && opts.expectedVersion !== c.version) throw new ApiError(409, 'stale', 'stale');
    if (!actionAvailable(c, action.type, actor, now, settings)) throw conflict();

    const patch: Partial<typeof t.complaints.$inferInsert> = {};
    let to: ComplaintStatus = c.status;
    let publicNote: string | null = null;
    let staffNote: string | null = null;
    const data: Record<string, unknown> = {};
    const auditDetail: Record<string, unknown> = {};

    switch (action.type) {
      case 'accept': {
        const d = calendar.addWorkingDays(today, settings.resolveWorkingDays);
        to = 'accepted';
        Object.assign(patch, { acceptedAt: now, resolveBy: d.date });
        data.resolveBy = d.date;
        if (d.unknownYears.length) data.unknownCalendarYears = d.unknownYears;
        publicNote = action.note ?? null;
        break;
      }
      case 'reject':
        to = 'rejected';
        Object.assign(patch, { rejectReason: action.reason, closedAt: now });
        publicNote = action.note;
        data.reason = action.reason;
        break;
      case 'note':
        if (c.status === 'accepted') to = 'in_progress';
        staffNote = action.staffNote;
        publicNote = action.publicNote ?? null;
        break;
      case 'request_extension':
        if (c.extensionStatus) throw conflict();
        if (!c.resolveBy || today > c.resolveBy) throw conflict(); // must be asked before the deadline
        patch.extensionStatus = 'requested';
        staffNote = action.note;
        break;
      case 'decide_extension': {
        if (c.extensionStatus !== 'requested' || actor.kind !== 'staff' || actor.role !== 'dept_head') throw conflict();
        patch.extensionStatus = action.approve ? 'approved' : 'refused';
        if (action.approve) {
          const d = calendar.addWorkingDays(c.resolveBy!, settings.extensionWorkingDays);
          patch.extendedUntil = d.date;
          data.extendedUntil = d.date;
        }
        staffNote = action.note ?? null;
        break;
      }
      case 'resolve':
        if (action.amountRefundedFen < 0 || action.amountRefundedFen > c.amountPaidFen) throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'amountRefunded', key: 'amount_requested_range' }]);
        to = 'resolved';
        Object.assign(patch, { resolvedAt: now, outcome: action.outcome, amountRefundedFen: action.amountRefundedFen });
        publicNote = action.note;
        data.outcome = action.outcome;
        data.amountRefundedFen = action.amountRefundedFen;
        break;
      case 'rate': {
        const withinWindow = c.resolvedAt && now.getTime() - c.resolvedAt.getTime() <= settings.reopenWindowDays * 86_400_000;
        Object.assign(patch, { rating: action.rating, ratedAt: now });
        data.rating = action.rating;
        if (action.rating === 'unsatisfied' && withinWindow && c.reopenCount === 0) {
          to = 'in_progress';
          Object.assign(patch, { reopenCount: 1, resolvedAt: null, outcome: null });
          data.reopened = true;
        } else {
          to = 'closed';
          patch.closedAt = now;
        }
        break;
      }
      case 'close':
        // Only after the rating window: until then the parent may still rate 不满意 and reopen.
        if (c.resolvedAt && now.getTime() - c.resolvedAt.getTime() <= settings.reopenWindowDays * 86_400_000) throw conflict();
        to = 'closed';
        patch.closedAt = now;
        publicNote = action.note ?? null;
        break;
      case 'add_cohandler': {
        if (action.department === c.leadDept) throw conflict();
        const [dept] = await tx.select({ code: t.departments.code }).from(t.departments).where(eq(t.departments.code, action.department));
        if (!dept) throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'department', key: 'choice_invalid' }]);
        await tx
          .insert(t.complaintCoHandlers)
          .values({ complaintId, departmentCode: action.department, addedBy: actor.kind === 'staff' ? actor.staffId : null, addedAt: now })
          .onConflictDoNothing();
        data.department = action.department;
        staffNote = action.note ?? null;
        break;
      }
      case 'assign': {
        const [s] = await tx
          .select({ id: t.staff.id, dept: t.staff.departmentCode, role: t.staff.role, active: t.staff.active })
          .from(t.staff)
          .where(eq(t.staff.id, action.staffId));
        // Assignment stays inside the lead department, to someone who works cases.
        if (!s || !s.active || s.dept !== c.leadDept || (s.role !== 'handler' && s.role !== 'dept_head')) {
          throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'staffId', key: 'assignee_invalid' }]);
        }
        patch.assigneeId = s.id;
        data.assigneeId = s.id;
        auditDetail.assigneeId = s.id;
        staffNote = action.note ?? null;
        break;
      }
      case 'change_lead': {
        // 转办 under 首接负责制: the deadlines (accept-by, resolve-by, extension) stay as they are;
        // the old lead stays on the case as co-handler, so it remains accountable for its part.
        if (action.department === c.leadDept) throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'department', key: 'lead_same' }]);
        const [dept] = await tx.select({ code: t.departments.code }).from(t.departments).where(eq(t.departments.code, action.department));
        if (!dept) throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'department', key: 'choice_invalid' }]);
        // A lead without any active case worker would leave the case in a queue nobody reads.
        const [worker] = await tx
          .select({ id: t.staff.id })
          .from(t.staff)
          .where(and(eq(t.staff.departmentCode, action.department), eq(t.staff.active, true), inArray(t.staff.role, ['handler', 'dept_head'])))
          .limit(1);
        if (!worker) throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'department', key: 'lead_no_staff' }]);
        // A department is never lead and co-handler of one case at once (the queue counts rely on it).
        await tx.delete(t.complaintCoHandlers).where(and(eq(t.complaintCoHandlers.complaintId, complaintId), eq(t.complaintCoHandlers.departmentCode, action.department)));
        await tx
          .insert(t.complaintCoHandlers)
          .values({ complaintId, departmentCode: c.leadDept, addedBy: actor.kind === 'staff' ? actor.staffId : null, addedAt: now })
          .onConflictDoNothing();
        Object.assign(patch, { leadDept: action.department, assigneeId: null });
        data.from = c.leadDept;
        data.to = action.department;
        Object.assign(auditDetail, { leadFrom: c.leadDept, leadTo: action.department });
        staffNote = action.reason;
        break;
      }
      case 'mark_spam':
        Object.assign(patch, { isSpam: true, closedAt: now });
        if (OPEN_STATES.includes(c.status)) to = 'closed';
        staffNote = action.note ?? null;
        data.spam = true;
        break;
      case 'mark_duplicate': {
        const [orig] = await tx
          .select({ id: t.complaints.id, code: t.complaints.trackingCode, isSpam: t.complaints.isSpam, mobileHash: t.complaints.mobileHash })
          .from(t.complaints)
          .where(eq(t.complaints.trackingCode, action.originalCode));
        if (!orig || orig.id === complaintId || orig.isSpam) throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'originalCode', key: 'duplicate_original_invalid' }]);
        to = 'rejected';
        Object.assign(patch, { rejectReason: 'duplicate', duplicateOf: orig.id, closedAt: now });
        // The original's code is shown to the parent only when it is their own complaint (same mobile).
        const own = !!c.mobileHash && c.mobileHash === orig.mobileHash;
        publicNote = own ? `与您此前提交的投诉（跟踪码 ${orig.code}）重复，已合并办理，请通过原跟踪码查询进度。` : '与已受理的同一事项投诉重复，已合并办理。';
        staffNote = action.note ?? null;
        Object.assign(data, { reason: 'duplicate', duplicateOf: orig.code });
        auditDetail.duplicateOf = orig.id;
        break;
      }
      case 'ban_mobile':
        if (!c.mobileHash) throw conflict();
        await tx
          .insert(t.bannedMobiles)
          .values({ mobileHash: c.mobileHash, reason: action.reason, addedBy: actor.kind === 'staff' ? actor.staffId : null, addedAt: now })
          .onConflictDoUpdate({ target: t.bannedMobiles.mobileHash, set: { reason: action.reason, addedBy: actor.kind === 'staff' ? actor.staffId : null, addedAt: now } });
        staffNote = action.reason;
        data.banned = true;
        break;
      case 'redact': {
        // The redacted text may not carry the parent's name or mobile number.
        const pii = [c.parentNameEnc, c.mobileEnc].filter((x): x is string => !!x).map((x) => deps.pii.decrypt(x));
        if (pii.some((v) => v.length >= 2 && action.text.includes(v)) || /1[3-9]\d{9}/.test(action.text)) {
          throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'text', key: 'redaction_has_pii' }]);
        }
        patch.descriptionRedacted = action.text;
        data.publishable = c.consentPublication;
        auditDetail.publishable = c.consentPublication;
        break;
      }
    }

    const updated = await tx
      .update(t.complaints)
      .set({ ...patch, status: to, version: c.version + 1, updatedAt: now })
      .where(and(eq(t.complaints.id, complaintId), eq(t.complaints.version, c.version)))
      .returning({ version: t.complaints.version });
    if (updated.length !== 1) throw new ApiError(409, 'stale', 'stale');

    await tx.insert(t.complaintEvents).values({
      complaintId,
      at: now,
      kind: action.type,
      fromStatus: c.status,
      toStatus: to,
      actorStaffId: actor.kind === 'staff' ? actor.staffId : null,
      actorDept: actor.kind === 'staff' ? actor.dept : null,
      // Notes are encrypted at rest like everything else about the parent (api/security/pii.ts).
      publicNote: publicNote === null ? null : deps.pii.encrypt(publicNote),
      staffNote: staffNote === null ? null : deps.pii.encrypt(staffNote),
      data,
    });
    await appendAudit(tx, {
      at: now,
      actorKind: actor.kind,
      actorStaffId: actor.kind === 'staff' ? actor.staffId : null,
      actorRole: actor.kind === 'staff' ? actor.role : null,
      action: `complaint.${action.type}`,
      objectType: 'complaint',
      objectId: String(complaintId),
      // A parent's IP (rating) is personal data: stored encrypted; staff IPs stay readable for the audit page.
      ip: opts.ip ? (actor.kind === 'public' ? deps.pii.encrypt(opts.ip) : opts.ip) : null,
      detail: { from: c.status, to, ...auditDetail },
    });
    return { status: to, version: updated[0]!.version };
  });
}
