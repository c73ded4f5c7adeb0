/**
 * Staff accounts, managed by the system administrator:
 *   GET  /staff                     the accounts (no hashes, no secrets)
 *   POST /staff                     { username, displayName, departmentCode, role } → a temporary
 *                                   password shown once (201); no TOTP secret, so the first
 *                                   sign-in forces TOTP enrolment (auth-service.ts), and the
 *                                   password must be changed before anything else (guard.ts).
 *                                   A handler, head or coordinator: 202, no password — it waits
 *                                   for its confirmer, who receives it (requests.ts)
 *   POST /staff/:id/deactivate      the account can no longer sign in; its sessions end
 *   POST /staff/:id/reset-totp      the next sign-in enrols a new authenticator; sessions end
 *   POST /staff/:id/reactivate      the account may sign in again (sign-in delay cleared)
 *   POST /staff/:id/reset-password  a new temporary password shown once; sessions end
 * Separation of duties: an account that reads cases (handler, head, coordinator) which the
 * system administrator creates or re-enables stays inactive until its confirmer confirms the
 * request (requests.ts) — the administrator alone never opens access to complaints. Nor
 * does it ever learn such a new account's password: it is generated at confirmation and shown
 * to the confirmer, who hands it over (otherwise the administrator could sign in first, enrol its
 * own authenticator and read the department's cases).
 * Its password or TOTP reset of such an account is a request too (202): otherwise resetting
 * both would hand it a working sign-in of someone who reads cases. Until confirmed the account
 * keeps its credentials and sessions; the new temporary password is generated at confirmation
 * and shown to the confirmer only (requests.ts), never to the administrator.
 * Department heads manage their own department's handlers through the same functions with a
 * department scope (team.ts); a head is a confirmer, so their changes take effect at once.
 * Every change is one write transaction with its audit row (ids only, never the password).
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import type { Db, Tx } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import { appendAudit } from '../audit/log.ts';
import { ApiError, parseWith, validationError } from '../lib/errors.ts';
import { hashPassword } from './passwords.ts';
import { accountKey, clearFailures } from './throttle.ts';
import { applyReset, revokeSessions, temporaryPassword } from './credentials.ts';
import { needsConfirmation, openRequest } from './requests.ts';
import { idParam, readBody, sessionOf, type AdminContext, type AdminEnv } from './admin-api-http.ts';
import type { AdminActor } from '../ops/system.ts';

export const NewStaffSchema = z
  .object({
    username: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9._-]{2,63}$/),
    displayName: z.string().trim().min(1).max(40),
    departmentCode: z.string().trim().min(1).max(40),
    role: z.enum(t.STAFF_ROLES),
  })
  .strict();
export type NewStaffInput = z.infer<typeof NewStaffSchema>;

export async function listStaff(db: Db) {
  const rows = await db.read
    .select({
      id: t.staff.id,
      username: t.staff.username,
      displayName: t.staff.displayName,
      departmentCode: t.staff.departmentCode,
      role: t.staff.role,
      active: t.staff.active,
      totpEnrolledAt: t.staff.totpEnrolledAt,
      mustChangePassword: t.staff.mustChangePassword,
      createdAt: t.staff.createdAt,
      pendingRequest: t.staffRequests.kind,
    })
    .from(t.staff)
    .leftJoin(t.staffRequests, and(eq(t.staffRequests.staffId, t.staff.id), eq(t.staffRequests.status, 'pending')))
    .orderBy(asc(t.staff.departmentCode), asc(t.staff.username));
  return rows.map((r) => ({ ...r, totpEnrolled: r.totpEnrolledAt !== null }));
}


const staffAudit = (actor: AdminActor, at: Date, action: string, staffId: number, detail: Record<string, unknown> = {}) => ({
  at,
  actorKind: 'staff' as const,
  actorStaffId: actor.staffId,
  actorRole: actor.role,
  action,
  objectType: 'staff',
  objectId: String(staffId),
  ip: actor.ip,
  detail,
});

export type CreatedStaff =
  | { id: number; username: string; pendingConfirmation: false; temporaryPassword: string }
  | { id: number; username: string; pendingConfirmation: true; temporaryPassword: null };

/**
 * A new account with a temporary password (shown once) that must be changed at first sign-in.
 * Created by the system administrator for someone who reads cases, it stays inactive until the
 * confirmer confirms it (`pendingConfirmation`) and has no password anyone knows until then: the
 * confirmation sets the one its confirmer hands over (requests.ts).
 */
export async function createStaff(db: Db, input: NewStaffInput, actor: AdminActor, now: Date): Promise<CreatedStaff> {
  const pending = needsConfirmation(actor.role, input.role);
  // Waiting: the column needs a hash, so it holds one of a password nobody ever sees (thrown
  // away here); the account is inactive besides.
  const password = temporaryPassword();
  const passwordHash = await hashPassword(password);
  return db.write(async (tx) => {
    const [dept] = await tx.select({ code: t.departments.code }).from(t.departments).where(eq(t.departments.code, input.departmentCode));
    if (!dept) throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'departmentCode', key: 'unknown_field' }]);
    const [taken] = await tx.select({ id: t.staff.id }).from(t.staff).where(eq(t.staff.username, input.username));
    if (taken) throw new ApiError(409, 'username_taken', 'username_taken');
    const [row] = await tx
      .insert(t.staff)
      .values({
        username: input.username,
        displayName: input.displayName,
        departmentCode: input.departmentCode,
        role: input.role,
        passwordHash,
        totpSecretEnc: null,
        mustChangePassword: true,
        active: !pending,
        createdAt: now,
      })
      .returning({ id: t.staff.id });
    await appendAudit(tx, staffAudit(actor, now, 'staff.created', row!.id, { role: input.role, departmentCode: input.departmentCode, ...(pending ? { pendingConfirmation: true } : {}) }));
    if (pending) await openRequest(tx, row!.id, 'create', actor, now);
    return pending
      ? { id: row!.id, username: input.username, pendingConfirmation: true, temporaryPassword: null }
      : { id: row!.id, username: input.username, pendingConfirmation: false, temporaryPassword: password };
  });
}

/**
 * Whose accounts an actor may manage: the system administrator any account; a department head
 * (docs/domain.md: "manage the department's staff") only the handler accounts of their own department —
 * never another department's, never a head, coordinator or sysadmin (so never themselves, and a
 * department can never be left without its head by its head). An account outside the scope is
 * answered exactly like an unknown id (404).
 */
export type StaffScope = { kind: 'all' } | { kind: 'department'; dept: string };
export const ALL_STAFF: StaffScope = { kind: 'all' };
export const departmentScope = (dept: string): StaffScope => ({ kind: 'department', dept });

export type StaffChange = 'deactivate' | 'reactivate' | 'reset_totp' | 'reset_password';
const CHANGE_AUDIT: Record<StaffChange, string> = {
  deactivate: 'staff.deactivated',
  reactivate: 'staff.reactivated',
  reset_totp: 'staff.totp_reset',
  reset_password: 'staff.password_reset',
};

const settleWaiting = (tx: Tx, id: number, kinds: t.StaffRequestKind[], actor: AdminActor, now: Date) =>
  tx
    .update(t.staffRequests)
    .set({ status: 'confirmed', decidedBy: actor.staffId, decidedAt: now })
    .where(and(eq(t.staffRequests.staffId, id), eq(t.staffRequests.status, 'pending'), inArray(t.staffRequests.kind, kinds)));

const REQUEST_AUDIT: Record<StaffChange, string> = {
  deactivate: 'staff.deactivated', // never requested: it closes access
  reactivate: 'staff.reactivation_requested',
  reset_totp: 'staff.totp_reset_requested',
  reset_password: 'staff.password_reset_requested',
};

async function changeStaff(
  db: Db,
  id: number,
  actor: AdminActor,
  now: Date,
  kind: StaffChange,
  scope: StaffScope = ALL_STAFF,
): Promise<{ temporaryPassword: string | null; pendingConfirmation: boolean }> {
  if (kind === 'deactivate' && id === actor.staffId && scope.kind === 'all') throw new ApiError(409, 'cannot_deactivate_self', 'cannot_deactivate_self');
  // A password is generated (and hashed, outside the write) only when it takes effect now: an
  // account's role never changes, so this look-up decides as the transaction below would.
  const [target] = kind === 'reset_password' ? await db.read.select({ role: t.staff.role }).from(t.staff).where(eq(t.staff.id, id)) : [];
  const password = target && !needsConfirmation(actor.role, target.role) ? temporaryPassword() : null;
  const passwordHash = password ? await hashPassword(password) : null;
  let pendingConfirmation = false;
  await db.write(async (tx) => {
    const [s] = await tx.select({ id: t.staff.id, active: t.staff.active, role: t.staff.role, departmentCode: t.staff.departmentCode }).from(t.staff).where(eq(t.staff.id, id));
    if (!s) throw new ApiError(404, 'not_found', 'not_found');
    if (scope.kind === 'department' && (s.departmentCode !== scope.dept || s.role !== 'handler' || s.id === actor.staffId)) throw new ApiError(404, 'not_found', 'not_found');
    if ((kind === 'reset_totp' || kind === 'reset_password') && needsConfirmation(actor.role, s.role)) {
      // Nothing changes yet — the clerk keeps working with their credentials and sessions —
      // until the confirmer confirms (requests.ts). Inactive accounts too: otherwise a
      // reactivation could later open an account whose password the administrator had set.
      await openRequest(tx, id, kind, actor, now);
      pendingConfirmation = true;
      await appendAudit(tx, staffAudit(actor, now, REQUEST_AUDIT[kind], id, { pendingConfirmation: true }));
      return;
    }
    switch (kind) {
      case 'deactivate':
        await tx.update(t.staff).set({ active: false }).where(eq(t.staff.id, id));
        // A request still waiting would otherwise re-enable the account once confirmed.
        await tx.update(t.staffRequests).set({ status: 'withdrawn', decidedBy: actor.staffId, decidedAt: now }).where(and(eq(t.staffRequests.staffId, id), eq(t.staffRequests.status, 'pending')));
        break;
      case 'reactivate':
        if (s.active) {
          await clearFailures(tx, accountKey(id)); // already active: just lift the sign-in delay
          break;
        }
        if (needsConfirmation(actor.role, s.role)) {
          // Stays inactive until confirmed (requests.ts).
          await openRequest(tx, id, 'reactivate', actor, now);
          pendingConfirmation = true;
          break;
        }
        await tx.update(t.staff).set({ active: true }).where(eq(t.staff.id, id));
        // A head re-enabling their handler is the confirmer: a request to open the account
        // still waiting is settled.
        await settleWaiting(tx, id, ['create', 'reactivate'], actor, now);
        await clearFailures(tx, accountKey(id));
        break;
      case 'reset_totp':
      case 'reset_password':
        // Done by the confirmer themselves (a head, for their own handler): the same reset
        // the administrator may have asked for is settled too, rather than done twice.
        await applyReset(tx, id, kind, passwordHash, now);
        await settleWaiting(tx, id, [kind], actor, now);
        break;
    }
    await revokeSessions(tx, id, now);
    const detail = { ...(scope.kind === 'department' ? { scope: 'department' } : {}), ...(pendingConfirmation ? { pendingConfirmation: true } : {}) };
    await appendAudit(tx, staffAudit(actor, now, pendingConfirmation ? REQUEST_AUDIT[kind] : CHANGE_AUDIT[kind], id, detail));
  });
  return { temporaryPassword: password, pendingConfirmation };
}

export const deactivateStaff = (db: Db, id: number, actor: AdminActor, now: Date, scope?: StaffScope) => changeStaff(db, id, actor, now, 'deactivate', scope).then(() => undefined);
/** Re-enables an account; `pendingConfirmation` when it waits for its confirmer first. */
export const reactivateStaff = (db: Db, id: number, actor: AdminActor, now: Date, scope?: StaffScope) =>
  changeStaff(db, id, actor, now, 'reactivate', scope).then((r) => ({ pendingConfirmation: r.pendingConfirmation }));
/** Clears the account's TOTP; `pendingConfirmation` when it waits for its confirmer first. */
export const resetStaffTotp = (db: Db, id: number, actor: AdminActor, now: Date, scope?: StaffScope) =>
  changeStaff(db, id, actor, now, 'reset_totp', scope).then((r) => ({ pendingConfirmation: r.pendingConfirmation }));
/**
 * A new temporary password, shown once, and the sessions end — or, when it waits for its
 * confirmer, no password at all (`pendingConfirmation`; the confirmer receives it).
 */
export const resetStaffPassword = (db: Db, id: number, actor: AdminActor, now: Date, scope?: StaffScope) => changeStaff(db, id, actor, now, 'reset_password', scope);

function sysadminOnly(c: AdminContext): AdminActor {
  const s = sessionOf(c).staff;
  if (s.role !== 'sysadmin') throw new ApiError(403, 'forbidden', 'forbidden');
  return { staffId: s.id, role: s.role, ip: c.var.clientIp };
}

export function staffRoutes() {
  const r = new Hono<AdminEnv>();
  r.get('/', async (c) => {
    sysadminOnly(c);
    return c.json({ staff: await listStaff(c.var.deps.db) });
  });
  r.post('/', async (c) => {
    const actor = sysadminOnly(c);
    const { lang, deps } = c.var;
    const parsed = parseWith(NewStaffSchema, await readBody(c), lang);
    if (!parsed.ok) return c.json(validationError(parsed.issues, lang), 422);
    const created = await createStaff(deps.db, parsed.data, actor, deps.clock.now());
    // Waiting for the confirmer: no password in this answer (requests.ts gives it to them).
    if (created.pendingConfirmation) return c.json({ id: created.id, username: created.username, pendingConfirmation: true }, 202);
    return c.json(created, 201);
  });
  r.post('/:id/deactivate', async (c) => {
    const actor = sysadminOnly(c);
    await deactivateStaff(c.var.deps.db, idParam(c.req.param('id')), actor, c.var.deps.clock.now());
    return c.json({ ok: true });
  });
  r.post('/:id/reset-totp', async (c) => {
    const actor = sysadminOnly(c);
    const r = await resetStaffTotp(c.var.deps.db, idParam(c.req.param('id')), actor, c.var.deps.clock.now());
    return c.json({ ok: true, pendingConfirmation: r.pendingConfirmation }, r.pendingConfirmation ? 202 : 200);
  });
  r.post('/:id/reactivate', async (c) => {
    const actor = sysadminOnly(c);
    const r = await reactivateStaff(c.var.deps.db, idParam(c.req.param('id')), actor, c.var.deps.clock.now());
    return c.json({ ok: true, pendingConfirmation: r.pendingConfirmation }, r.pendingConfirmation ? 202 : 200);
  });
  r.post('/:id/reset-password', async (c) => {
    const actor = sysadminOnly(c);
    const r = await resetStaffPassword(c.var.deps.db, idParam(c.req.param('id')), actor, c.var.deps.clock.now());
    // Waiting for the confirmer: no password in this answer (requests.ts gives it to them).
    if (r.pendingConfirmation) return c.json({ ok: true, pendingConfirmation: true }, 202);
    return c.json({ ok: true, pendingConfirmation: false, temporaryPassword: r.temporaryPassword });
  });
  return r;
}
