/**
 * /admin/account (profile, password change with re-authentication, sign out everywhere) and
 * /admin/logout (POST), over the same services as the API's /session, /sessions/revoke-all and
 * /password routes. Every POST needs the session's CSRF token.
 */
import { ApiError, apiErrorBody, parseWith } from '../lib/errors.ts';
import { msg, type Lang } from '../lib/messages.ts';
import { changePassword, signOut, signOutEverywhere, staffProfile } from './auth-service.ts';
import { PasswordChangeSchema } from './schema.ts';
import type { Deps } from '../deps.ts';
import { strings } from '../../site/i18n/index.ts';
import {
  adminPath,
  beijingTime,
  clearedSessionCookie,
  csrfOk,
  isDemo,
  readForm,
  TOO_LARGE,
  fieldsOrNone,
  redirect,
  requestMeta,
  sessionOf,
  toSignIn,
  type Frame,
  type MessageState,
  type PageResult,
} from './admin-page-http.ts';
import { adminUser } from './admin-user.ts';

export interface AccountState extends Frame {
  profile: Awaited<ReturnType<typeof staffProfile>>;
  session: { createdAt: string; expiresAt: string };
  message: { kind: 'error' | 'ok'; text: string } | null;
  fieldErrors: Record<string, string>;
}

/** The "this form has expired" answer to a POST without the session's CSRF token. */
export function csrfRefused(lang: Lang, frame: Frame, back: string): PageResult<never> {
  const e = strings(lang).admin.errors;
  const state: MessageState = { ...frame, title: e.csrfTitle, text: e.csrf, back: { href: back, label: e.backToQueue } };
  return { kind: 'message', status: 403, state };
}

export async function handleAccount(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang): Promise<PageResult<AccountState>> {
  const t = strings(lang).admin.account;
  const session = await sessionOf(deps, request);
  if (!session) return { kind: 'response', response: toSignIn(lang, url, request.method === 'POST' ? 'expired' : undefined) };
  const frame: Frame = { user: await adminUser(deps, session), demo: await isDemo(deps) };
  const state: AccountState = {
    ...frame,
    profile: await staffProfile(deps, session.staff.id),
    session: { createdAt: beijingTime(session.createdAt), expiresAt: beijingTime(session.expiresAt) },
    message: null,
    fieldErrors: {},
  };

  if (request.method !== 'POST') {
    const changed = url.searchParams.get('changed');
    if (changed !== null && /^\d{1,4}$/.test(changed)) state.message = { kind: 'ok', text: t.changed(Number(changed)) };
    return { kind: 'page', status: 200, state };
  }

  const read = await readForm(request);
  if (read === TOO_LARGE) return { kind: 'page', status: 413, state: { ...state, message: { kind: 'error', text: msg('payload_too_large', lang) } } };
  const form = read ?? {};
  if (!csrfOk(session, form)) return csrfRefused(lang, frame, adminPath(lang, '/account/'));

  const input = { currentPassword: form.currentPassword ?? '', totp: form.totp ?? '', newPassword: form.newPassword ?? '' };
  const parsed = parseWith(PasswordChangeSchema, input, lang);
  if (!parsed.ok) state.fieldErrors = Object.fromEntries(parsed.issues.map((i) => [i.path, i.message]));
  if ((form.confirmPassword ?? '') !== input.newPassword && !state.fieldErrors.confirmPassword) state.fieldErrors.confirmPassword = t.mismatch;
  if (!parsed.ok || Object.keys(state.fieldErrors).length) return { kind: 'page', status: 422, state };

  try {
    const result = await changePassword(deps, session, parsed.data, requestMeta(request, ip));
    if (result.kind === 'changed') return { kind: 'response', response: redirect(`${adminPath(lang, '/account/')}?changed=${result.otherSessionsRevoked}`) };
    // Re-authentication failed; after the fifth failure the account locks and this session ends.
    if (result.signedOut) return { kind: 'response', response: redirect(`${adminPath(lang, '/login/')}?m=expired`, [clearedSessionCookie(deps)]) };
    state.message = { kind: 'error', text: msg('reauth_failed', lang) };
    return { kind: 'page', status: 403, state, headers: result.retryAfterSeconds ? { 'Retry-After': String(result.retryAfterSeconds) } : undefined };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 422) throw err;
    const body = apiErrorBody(err, lang).error;
    state.fieldErrors = Object.fromEntries((body.issues ?? []).map((i) => [i.path, i.message]));
    return { kind: 'page', status: 422, state };
  }
}

/** POST /admin/logout: this session (or, with scope=everywhere, every session of the account). */
export async function handleLogout(deps: Deps, request: Request, ip: string | null, lang: Lang): Promise<PageResult<never>> {
  const session = await sessionOf(deps, request);
  if (request.method !== 'POST') return { kind: 'response', response: redirect(adminPath(lang, session ? '/account/' : '/login/')) };
  if (!session) return { kind: 'response', response: redirect(adminPath(lang, '/login/'), [clearedSessionCookie(deps)]) };
  const form = fieldsOrNone(await readForm(request));
  if (!csrfOk(session, form)) return csrfRefused(lang, { user: await adminUser(deps, session), demo: await isDemo(deps) }, adminPath(lang, '/'));
  const meta = requestMeta(request, ip);
  if (form.scope === 'everywhere') {
    await signOutEverywhere(deps, session, meta);
    return { kind: 'response', response: redirect(`${adminPath(lang, '/login/')}?m=everywhere`, [clearedSessionCookie(deps)]) };
  }
  await signOut(deps, session, meta);
  return { kind: 'response', response: redirect(`${adminPath(lang, '/login/')}?m=out`, [clearedSessionCookie(deps)]) };
}
