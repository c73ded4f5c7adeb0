/**
 * Separation of duties for staff accounts. The system administrator runs the system but reads no
 * complaints (access.ts); an account that does read them — handler, department head,
 * coordinator — which the administrator creates or re-enables stays inactive (it cannot sign in)
 * until a second person confirms it:
 *   handler or head of department D   an active head of D (not the account itself), or a
 *                                     coordinator (the coordination office oversees every
 *                                     department, and confirms where D has no head yet)
 *   coordinator                       another active coordinator
 * Nobody confirms a request they made. Refusing leaves the account inactive.
 * The administrator's password or TOTP reset of such an account is a request to the same
 * confirmer (kinds reset_password, reset_totp): resetting both alone, it could sign in as a
 * clerk. Until confirmed nothing changes, so the clerk keeps working; refused, nothing ever does.
 * The temporary password of a confirmed password reset is generated at confirmation and shown
 * once, to the confirmer, who hands it to their own clerk: the administrator never sees it (it
 * could not be shown to it at request time without it holding a working password the moment
 * the request is confirmed). The confirmer could then sign in as the clerk only with the
 * clerk's authenticator too — and reads that department's cases already.
 * A new account the administrator creates for such a role works the same way: the administrator
 * gets no password, and confirming the `create` request sets the account's first temporary
 * password and shows it once to the confirmer (it must be changed, and an authenticator
 * enrolled, at first sign-in). Otherwise the administrator, holding the password, could sign in
 * before the clerk, enrol its own authenticator and read the department's cases.
 *
 *   GET  /staff-requests                 the pending requests the caller may decide
 *   POST /staff-requests/:id/confirm     the account becomes active, or the reset takes effect
 *                                        ({ temporaryPassword } for a new account or a password
 *                                        reset, once)
 *   POST /staff-requests/:id/refuse      the account stays as it was
 * A request the caller may not decide answers 404, like an unknown id. Audited both ways.
 */
import { and, asc, eq, ne } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { Hono } from 'hono';
import type { Db, Tx } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import { appendAudit } from '../audit/log.ts';
import { ApiError } from '../lib/errors.ts';
import { hashPassword } from './passwords.ts';
import { accountKey, clearFailures } from './throttle.ts';
import { idParam, sessionOf, type AdminContext, type AdminEnv } from './admin-api-http.ts';
import { applyReset, temporaryPassword } from './credentials.ts';
import type { AdminActor } from '../ops/system.ts';

/** Whether a change the actor makes to an account of `role` needs someone else's confirmation. */
export const needsConfirmation = (actorRole: string, role: t.StaffRole) => actorRole === 'sysadmin' && role !== 'sysadmin';

export interface Confirmer {
  staffId: number;
  role: t.StaffRole;
  dept: string;
}

/** Whether `c` may decide a request about an account of `role` in `dept`. */
export function mayConfirm(c: Confirmer, account: { id: number; role: t.StaffRole; departmentCode: string }, requestedBy: number): boolean {
  if (c.staffId === requestedBy || c.staffId === account.id) return false;
  if (account.role === 'coordinator') return c.role === 'coordinator';
  if (account.role === 'handler' || account.role === 'dept_head') return c.role === 'coordinator' || (c.role === 'dept_head' && c.dept === account.departmentCode);
  return false;
}

/** Both open the account: a second ask of either is the same request. */
const OPENING: readonly t.StaffRequestKind[] = ['create', 'reactivate'];

/**
 * Opens the account's request. One pending per account: asking the same again keeps the first;
 * asking something else while one waits is refused (409) until that one is decided — a
 * confirmer decides one clear thing at a time.
 */
export async function openRequest(tx: Tx, staffId: number, kind: t.StaffRequestKind, actor: AdminActor, now: Date): Promise<void> {
  const [waiting] = await tx
    .select({ kind: t.staffRequests.kind })
    .from(t.staffRequests)
    .where(and(eq(t.staffRequests.staffId, staffId), eq(t.staffRequests.status, 'pending')));
  if (waiting) {
    if (waiting.kind === kind || (OPENING.includes(waiting.kind) && OPENING.includes(kind))) return;
    throw new ApiError(409, 'staff_request_pending', 'staff_request_pending');
  }
  await tx.insert(t.staffRequests).values({ staffId, kind, requestedBy: actor.staffId, requestedAt: now }).onConflictDoNothing();
}

/** Confirming these sets a temporary password that only the confirmer is shown. */
const issuesPassword = (kind: t.StaffRequestKind) => kind === 'reset_password' || kind === 'create';

const requester = alias(t.staff, 'requester');

async function pendingRows(db: Db['read'] | Tx, id?: number) {
  return db
    .select({
      id: t.staffRequests.id,
      kind: t.staffRequests.kind,
      requestedAt: t.staffRequests.requestedAt,
      requestedBy: t.staffRequests.requestedBy,
      requestedByName: requester.displayName,
      staffId: t.staff.id,
      username: t.staff.username,
      displayName: t.staff.displayName,
      role: t.staff.role,
      departmentCode: t.staff.departmentCode,
    })
    .from(t.staffRequests)
    .innerJoin(t.staff, eq(t.staff.id, t.staffRequests.staffId))
    .innerJoin(requester, eq(requester.id, t.staffRequests.requestedBy))
    .where(and(eq(t.staffRequests.status, 'pending'), id === undefined ? undefined : eq(t.staffRequests.id, id), ne(t.staff.role, 'sysadmin')))
    .orderBy(asc(t.staffRequests.id));
}

export type PendingRequest = Awaited<ReturnType<typeof pendingRows>>[number];

/** The pending requests `c` may decide, oldest first. */
export async function pendingFor(db: Db, c: Confirmer): Promise<PendingRequest[]> {
  const rows = await pendingRows(db.read);
  return rows.filter((r) => mayConfirm(c, { id: r.staffId, role: r.role, departmentCode: r.departmentCode }, r.requestedBy));
}

export interface Decided {
  username: string;
  kind: t.StaffRequestKind;
  /** A confirmed new account's or password reset's temporary password, for the confirmer's eyes only (once). */
  temporaryPassword: string | null;
}

export async function decideRequest(db: Db, id: number, decision: 'confirmed' | 'refused', c: Confirmer & { ip: string | null }, now: Date): Promise<Decided> {
  // The password is made (and hashed, outside the write) only for a new account or a password
  // reset its confirmer confirms; a request's kind never changes, so this look-up decides as the
  // write would.
  const [peek] = decision === 'confirmed' ? await pendingRows(db.read, id) : [];
  const mine = peek && mayConfirm(c, { id: peek.staffId, role: peek.role, departmentCode: peek.departmentCode }, peek.requestedBy);
  const password = mine && issuesPassword(peek.kind) ? temporaryPassword() : null;
  const passwordHash = password ? await hashPassword(password) : null;
  return db.write(async (tx) => {
    const [r] = await pendingRows(tx, id);
    // Not pending, not there, or not the caller's to decide: one answer.
    if (!r || !mayConfirm(c, { id: r.staffId, role: r.role, departmentCode: r.departmentCode }, r.requestedBy)) throw new ApiError(404, 'not_found', 'not_found');
    // (Only if the look-up above missed a request written a moment before: ask again.)
    if (decision === 'confirmed' && issuesPassword(r.kind) && !passwordHash) throw new ApiError(404, 'not_found', 'not_found');
    await tx.update(t.staffRequests).set({ status: decision, decidedBy: c.staffId, decidedAt: now }).where(eq(t.staffRequests.id, id));
    if (decision === 'confirmed') {
      if (r.kind === 'reset_password' || r.kind === 'reset_totp') {
        await applyReset(tx, r.staffId, r.kind, passwordHash, now);
      } else if (r.kind === 'create') {
        // Its first password: nobody knew the one it was created with (accounts.ts).
        await tx.update(t.staff).set({ active: true, passwordHash: passwordHash!, passwordChangedAt: null, mustChangePassword: true }).where(eq(t.staff.id, r.staffId));
        await clearFailures(tx, accountKey(r.staffId));
      } else {
        await tx.update(t.staff).set({ active: true }).where(eq(t.staff.id, r.staffId));
        await clearFailures(tx, accountKey(r.staffId));
      }
    }
    await appendAudit(tx, {
      at: now,
      actorKind: 'staff',
      actorStaffId: c.staffId,
      actorRole: c.role,
      action: decision === 'confirmed' ? 'staff.request_confirmed' : 'staff.request_refused',
      objectType: 'staff',
      objectId: String(r.staffId),
      ip: c.ip,
      detail: { request: id, kind: r.kind, requestedBy: r.requestedBy, ...(decision === 'confirmed' && password ? { temporaryPasswordTo: 'confirmer' } : {}) },
    });
    return { username: r.username, kind: r.kind, temporaryPassword: decision === 'confirmed' ? password : null };
  });
}

export function staffRequestRoutes() {
  const r = new Hono<AdminEnv>();
  const confirmer = (c: AdminContext) => {
    const s = sessionOf(c).staff;
    return { staffId: s.id, role: s.role, dept: s.departmentCode, ip: c.var.clientIp };
  };
  r.get('/', async (c) => {
    const rows = await pendingFor(c.var.deps.db, confirmer(c));
    return c.json({ requests: rows.map((x) => ({ ...x, requestedAt: x.requestedAt.toISOString() })) });
  });
  r.post('/:id/confirm', async (c) => c.json(await decideRequest(c.var.deps.db, idParam(c.req.param('id')), 'confirmed', confirmer(c), c.var.deps.clock.now())));
  r.post('/:id/refuse', async (c) => c.json(await decideRequest(c.var.deps.db, idParam(c.req.param('id')), 'refused', confirmer(c), c.var.deps.clock.now())));
  return r;
}
