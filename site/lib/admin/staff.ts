/**
 * /admin/staff/: staff accounts for the system administrator, over the same services as the API
 * (api/admin/staff-accounts.ts). Creating an account answers with the page itself (not a
 * redirect) so the temporary password is shown exactly once. Every POST needs the CSRF token.
 */
import { createStaff, deactivateStaff, listStaff, NewStaffSchema, reactivateStaff, resetStaffPassword, resetStaffTotp } from '../../../api/admin/staff-accounts.ts';
import { listDepartments } from '../../../api/admin/system.ts';
import type { Deps } from '../../../api/deps.ts';
import { ApiError, apiErrorBody, parseWith } from '../../../api/lib/errors.ts';
import { msg, type Lang } from '../../../api/lib/messages.ts';
import { strings } from '../../i18n/index.ts';
import { csrfRefused } from './account.ts';
import { adminPath, csrfOk, isDemo, readForm, TOO_LARGE, redirect, passwordChangeFirst, sessionOf, toSignIn, type Frame, type PageResult } from './http.ts';
import type { Notice } from './system.ts';
import { adminUser } from './user.ts';

export interface StaffState extends Frame {
  staff: Awaited<ReturnType<typeof listStaff>>;
  departments: Awaited<ReturnType<typeof listDepartments>>;
  form: Record<string, string>;
  fieldErrors: Record<string, string>;
  message: Notice | null;
}

export async function handleStaff(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang): Promise<PageResult<StaffState>> {
  const session = await sessionOf(deps, request);
  if (!session) return { kind: 'response', response: toSignIn(lang, url, request.method === 'POST' ? 'expired' : undefined) };
  const mustChange = passwordChangeFirst(session, lang);
  if (mustChange) return { kind: 'response', response: mustChange };
  const frame: Frame = { user: await adminUser(deps, session), demo: await isDemo(deps) };
  const t = strings(lang).admin.system;
  if (session.staff.role !== 'sysadmin') return { kind: 'message', status: 403, state: { ...frame, title: t.noAccessTitle, text: t.noAccess, back: { href: adminPath(lang, '/account/'), label: strings(lang).admin.nav.account } } };
  const state = async (extra: Partial<StaffState> = {}): Promise<StaffState> => ({
    ...frame,
    staff: await listStaff(deps.db),
    departments: await listDepartments(deps.db),
    form: {},
    fieldErrors: {},
    message: url.searchParams.get('done') === '1' ? { kind: 'ok', text: t.staff.done } : url.searchParams.get('done') === 'requested' ? { kind: 'ok', text: t.staff.reactivationRequested } : null,
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
    if (form.action === 'deactivate' || form.action === 'reset_totp') {
      await (form.action === 'deactivate' ? deactivateStaff : resetStaffTotp)(deps.db, id, actor, now);
      return { kind: 'response', response: redirect(`${adminPath(lang, '/staff/')}?done=1`) };
    }
    if (form.action === 'reset_password') {
      // Shown once, in this answer (no redirect: never in a URL or the history).
      const password = await resetStaffPassword(deps.db, id, actor, now);
      const who = (await listStaff(deps.db)).find((x) => x.id === id)?.username ?? String(id);
      return { kind: 'page', status: 200, state: await state({ message: { kind: 'ok', text: strings(lang).admin.ops.team.passwordReset(who, password) } }) };
    }
    const input = { username: form.username ?? '', displayName: form.displayName ?? '', departmentCode: form.departmentCode ?? '', role: form.role ?? '' };
    const parsed = parseWith(NewStaffSchema, input, lang);
    if (!parsed.ok) return { kind: 'page', status: 422, state: await state({ form: input, fieldErrors: Object.fromEntries(parsed.issues.map((i) => [i.path, i.message])), message: { kind: 'error', text: t.fixErrors } }) };
    const created = await createStaff(deps.db, parsed.data, actor, now);
    const text = (created.pendingConfirmation ? t.staff.createdPending : t.staff.created)(created.username, created.temporaryPassword);
    return { kind: 'page', status: 201, state: await state({ message: { kind: 'ok', text } }) };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status === 401) throw err;
    const body = apiErrorBody(err, lang).error;
    return { kind: 'page', status: err.status, state: await state({ form: form, message: { kind: 'error', text: body.message } }) };
  }
}
