/**
 * A department head manages their own department's handler accounts (docs/domain.md: dept_head
 * "manage the department's staff"), with the same functions and the same first-sign-in flow as
 * the system administrator's staff accounts (accounts.ts), in a department scope:
 *   GET  /team                      the department's accounts (heads see their colleagues too,
 *                                   but may change handlers only)
 *   POST /team                      { username, displayName } → a handler of the head's own
 *                                   department, temporary password shown once, TOTP at first sign-in
 *   POST /team/:id/deactivate | /reactivate | /reset-totp | /reset-password
 * Anyone else: 403. An account outside the scope (another department, not a handler, oneself): 404.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { ApiError, parseWith, validationError } from '../lib/errors.ts';
import { idParam, readBody, sessionOf, type AdminContext, type AdminEnv } from './admin-api-http.ts';
import { createStaff, deactivateStaff, departmentScope, listStaff, NewStaffSchema, reactivateStaff, resetStaffPassword, resetStaffTotp } from './accounts.ts';
import type { AdminActor } from '../ops/system.ts';

/** What a head types: the department and the role are not theirs to choose. */
export const NewHandlerSchema = NewStaffSchema.pick({ username: true, displayName: true }).strict();
export type NewHandlerInput = z.output<typeof NewHandlerSchema>;

export interface TeamActor extends AdminActor {
  dept: string;
}

export const mayManageTeam = (role: string) => role === 'dept_head';

export async function listTeam(db: Db, dept: string) {
  const all = await listStaff(db);
  return all.filter((s) => s.departmentCode === dept).map((s) => ({ ...s, manageable: s.role === 'handler' }));
}

/** A head is their handlers' confirmer: the account is open at once, its password for the head. */
export async function createHandler(db: Db, input: NewHandlerInput, actor: TeamActor, now: Date) {
  const created = await createStaff(db, { ...input, departmentCode: actor.dept, role: 'handler' }, actor, now);
  if (created.pendingConfirmation) throw new Error('a head’s own handler never waits for confirmation');
  return created;
}

export type TeamChange = 'deactivate' | 'reactivate' | 'reset_totp' | 'reset_password';

/** One change to a handler of the actor's department; a reset password comes back once. */
export async function changeTeamMember(db: Db, id: number, kind: TeamChange, actor: TeamActor, now: Date): Promise<{ temporaryPassword: string | null }> {
  const scope = departmentScope(actor.dept);
  switch (kind) {
    case 'deactivate':
      await deactivateStaff(db, id, actor, now, scope);
      return { temporaryPassword: null };
    case 'reactivate':
      await reactivateStaff(db, id, actor, now, scope);
      return { temporaryPassword: null };
    case 'reset_totp':
      await resetStaffTotp(db, id, actor, now, scope);
      return { temporaryPassword: null };
    case 'reset_password':
      // A head is their handlers' confirmer: the reset takes effect at once, the password comes back here.
      return { temporaryPassword: (await resetStaffPassword(db, id, actor, now, scope)).temporaryPassword };
  }
}

function headOf(c: AdminContext): TeamActor {
  const s = sessionOf(c).staff;
  if (!mayManageTeam(s.role)) throw new ApiError(403, 'forbidden', 'forbidden');
  return { staffId: s.id, role: s.role, ip: c.var.clientIp, dept: s.departmentCode };
}

export function teamRoutes() {
  const r = new Hono<AdminEnv>();
  r.get('/', async (c) => {
    const actor = headOf(c);
    return c.json({ department: actor.dept, staff: await listTeam(c.var.deps.db, actor.dept) });
  });
  r.post('/', async (c) => {
    const actor = headOf(c);
    const { lang, deps } = c.var;
    const parsed = parseWith(NewHandlerSchema, await readBody(c), lang);
    if (!parsed.ok) return c.json(validationError(parsed.issues, lang), 422);
    return c.json(await createHandler(deps.db, parsed.data, actor, deps.clock.now()), 201);
  });
  const change = (kind: TeamChange) => async (c: AdminContext) => {
    const actor = headOf(c);
    const r = await changeTeamMember(c.var.deps.db, idParam(c.req.param('id')!), kind, actor, c.var.deps.clock.now());
    return c.json(kind === 'reset_password' ? { temporaryPassword: r.temporaryPassword } : { ok: true });
  };
  r.post('/:id/deactivate', change('deactivate'));
  r.post('/:id/reactivate', change('reactivate'));
  r.post('/:id/reset-totp', change('reset_totp'));
  r.post('/:id/reset-password', change('reset_password'));
  return r;
}
