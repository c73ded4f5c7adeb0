/**
 * /admin/staff/: staff accounts for the system administrator, over the same services as the API
 * (api/staff/accounts.ts). Creating an account answers with the page itself (not a
 * redirect) so a temporary password is shown exactly once — only for another administrator's
 * account: a handler's, head's or coordinator's goes to its confirmer instead
 * (api/staff/requests.ts). Every POST needs the CSRF token.
 */
import { createStaff, deactivateStaff, listStaff, NewStaffSchema, reactivateStaff, resetStaffPassword, resetStaffTotp } from './accounts.ts';
import { listDepartments } from '../ops/system.ts';
import type { Deps } from '../deps.ts';
import { ApiError, apiErrorBody, parseWith } from '../lib/errors.ts';
import { msg, type Lang } from '../lib/messages.ts';
import { strings } from '../../site/i18n/index.ts';
import { csrfRefused } from './account-page.ts';
import { adminPath, csrfOk, isDemo, readForm, TOO_LARGE, redirect, passwordChangeFirst, sessionOf, toSignIn, type Frame, type PageResult } from './admin-page-http.ts';
import type { Notice } from '../ops/system-page.ts';
import { adminUser } from './admin-user.ts';

export interface StaffState extends Frame {
  staff: Awaited<ReturnType<typeof listStaff>>;
  departments: Awaited<ReturnType<typeof listDepartments>>;
  form: Record<string, string>;
  fieldErrors: Record<string, string>;
  message: Notice | null;
}

/**
 * An account's status cell (this page and /admin/team/). A request to open the account
 * (create, reactivate) is its state; a reset waiting for its confirmer leaves the account as it
 * is, active or not, so it is named beside that state.
 */
export function accountStatus(lang: Lang, s: Pick<StaffState['staff'][number], 'active' | 'pendingRequest' | 'totpEnrolled' | 'mustChangePassword'>): string {
  const a = strings(lang).admin;
  const t = a.system.staff;
  const opening = s.pendingRequest === 'create' || s.pendingRequest === 'reactivate';
  return [
    opening ? t.pending : s.active ? t.active : t.inactive,
    ...(s.pendingRequest && !opening ? [t.pendingWhat(a.notices.kinds[s.pendingRequest])] : []),
    s.totpEnrolled ? t.totpYes : t.totpNo,
    ...(s.mustChangePassword ? [t.mustChange] : []),
  ].join(' · ');
}

export async function handleStaff(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang): Promise<PageResult<StaffState>> {
  const session = await sessionOf(deps, request);
  if (!session) return { kind: 'response', response: toSignIn(lang, url, request.method === 'POST' ? 'expired' : undefined) };
  const mustChange = passwordChangeFirst(session, lang);
  if (mustChange) return { kind: 'response', response: mustChange };
  const frame: Frame = { user: await adminUser(deps, session), demo: await isDemo(deps) };
  const t = strings(lang).admin.system;
  if (session.staff.role !== 'sysadmin') return { kind: 'message', status: 403, state: { ...frame, title: t.noAccessTitle, text: t.noAccess, back: { href: adminPath(lang, '/account/'), label: strings(lang).admin.nav.account } } };
  const DONE: Record<string, string> = { '1': t.staff.done, requested: t.staff.reactivationRequested, reset_password: t.staff.resetPasswordRequested, reset_totp: t.staff.resetTotpRequested };
  const doneMessage = (done: string | null): Notice | null => (done && Object.hasOwn(DONE, done) ? { kind: 'ok', text: DONE[done]! } : null);
  const state = async (extra: Partial<StaffState> = {}): Promise<StaffState> => ({
    ...frame,
    staff: await listStaff(deps.db),
    departments: await listDepartments(deps.db),
    form: {},
    fieldErrors: {},
    message: doneMessage(url.searchParams.get('done')),
    ...extra,
  });
  if (request.method !== 'POST') return { kind: 'page', status: 200, state: await state() };

  const read = await readForm(request);
  if (read === TOO_LARGE) return { kind: 'page', status: 413, state: await state({ message: { kind: 'error', text: msg('payload_too_large', lang) } }) };
  const form = read ?? {};
  if (!csrfOk(session, form)) return csrfRefused(lang, frame, adminPath(lang, '/staff/'));
  const actor = { staffId: session.staff.id, role: session.staff.role, ip };
  const now = deps.clock.now();
  try {
    const id = /^\d{1,9}$/.test(form.id ?? '') ? Number(form.id) : -1;
    if (form.action === 'reactivate') {
      const r = await reactivateStaff(deps.db, id, actor, now);
      return { kind: 'response', response: redirect(`${adminPath(lang, '/staff/')}?done=${r.pendingConfirmation ? 'requested' : '1'}`) };
    }
    if (form.action === 'deactivate') {
      await deactivateStaff(deps.db, id, actor, now);
      return { kind: 'response', response: redirect(`${adminPath(lang, '/staff/')}?done=1`) };
    }
    if (form.action === 'reset_totp') {
      const r = await resetStaffTotp(deps.db, id, actor, now);
      return { kind: 'response', response: redirect(`${adminPath(lang, '/staff/')}?done=${r.pendingConfirmation ? 'reset_totp' : '1'}`) };
    }
    if (form.action === 'reset_password') {
      // A handler's, head's or coordinator's waits for its confirmer, who receives the password
      // (api/staff/requests.ts); nothing to show here then.
      const r = await resetStaffPassword(deps.db, id, actor, now);
      if (r.pendingConfirmation || !r.temporaryPassword) return { kind: 'response', response: redirect(`${adminPath(lang, '/staff/')}?done=reset_password`) };
      // Another administrator's: shown once, in this answer (no redirect: never in a URL or the history).
      const who = (await listStaff(deps.db)).find((x) => x.id === id)?.username ?? String(id);
      return { kind: 'page', status: 200, state: await state({ message: { kind: 'ok', text: strings(lang).admin.ops.team.passwordReset(who, r.temporaryPassword) } }) };
    }
    const input = { username: form.username ?? '', displayName: form.displayName ?? '', departmentCode: form.departmentCode ?? '', role: form.role ?? '' };
    const parsed = parseWith(NewStaffSchema, input, lang);
    if (!parsed.ok) return { kind: 'page', status: 422, state: await state({ form: input, fieldErrors: Object.fromEntries(parsed.issues.map((i) => [i.path, i.message])), message: { kind: 'error', text: t.fixErrors } }) };
    const created = await createStaff(deps.db, parsed.data, actor, now);
    // A case-reading account waits for its confirmer, who alone receives its password
    // (api/staff/requests.ts); another administrator's is shown here, once.
    const text = created.pendingConfirmation
      ? (parsed.data.role === 'coordinator' ? t.staff.createdPendingCoordinator : t.staff.createdPending)(created.username)
      : t.staff.created(created.username, created.temporaryPassword);
    return { kind: 'page', status: 201, state: await state({ message: { kind: 'ok', text } }) };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status === 401) throw err;
    const body = apiErrorBody(err, lang).error;
    return { kind: 'page', status: err.status, state: await state({ form: form, message: { kind: 'error', text: body.message } }) };
  }
}
