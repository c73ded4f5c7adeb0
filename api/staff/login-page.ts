/**
 * /admin/login: the sign-in page's server side, over the same service as POST /api/admin/session
 * (api/staff/auth-service.ts). Username + password + TOTP code; an account without TOTP gets the
 * enrolment step (QR code + key + first code). Every failure shows one generic message, as the
 * API does — unknown account, wrong password, wrong code and lockout look alike. On success the
 * session cookie is exactly the API's (api/staff/admin-api-http.ts) and the browser goes to the queue.
 */
import QRCode from 'qrcode';
import { ApiError, parseWith } from '../lib/errors.ts';
import { msg, type Lang } from '../lib/messages.ts';
import { confirmEnrolment, signIn, signInIpRefused } from './auth-service.ts';
import { EnrolConfirmSchema, SignInSchema } from './schema.ts';
import { totpUri } from './totp.ts';
import type { Deps } from '../deps.ts';
import { strings } from '../../site/i18n/index.ts';
import {
  adminPath,
  clearedLoginCookie,
  isDemo,
  loginCookie,
  loginTokenOk,
  newLoginToken,
  passwordChangePath,
  readForm,
  loginCookiePresent,
  TOO_LARGE,
  redirect,
  requestMeta,
  safeNext,
  sessionCookie,
  sessionOf,
  beijingTime,
  type Frame,
  type PageResult,
} from './admin-page-http.ts';

export interface LoginState extends Frame {
  step: 'signin' | 'enrol';
  username: string;
  next: string | null;
  /** The form token, also set as a cookie with this page. */
  formToken: string;
  message: { kind: 'error' | 'info'; text: string } | null;
  fieldErrors: Record<string, string>;
  enrol: { token: string; secret: string; qrSvg: string; expiresAt: string } | null;
}

const SECRET = /^[A-Z2-7]{16,64}$/;
const USERNAME = /^[A-Za-z0-9_.-]{1,64}$/;

const qrFor = (secret: string, username: string) => QRCode.toString(totpUri(secret, username), { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });

export async function handleLogin(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang): Promise<PageResult<LoginState>> {
  const t = strings(lang).admin.login;
  const formToken = newLoginToken();
  const state: LoginState = {
    user: null,
    demo: await isDemo(deps),
    step: 'signin',
    username: '',
    next: safeNext(url.searchParams.get('next')),
    formToken,
    message: null,
    fieldErrors: {},
    enrol: null,
  };
  const page = (status: number, headers?: Record<string, string>): PageResult<LoginState> => ({ kind: 'page', status, state, cookies: [loginCookie(deps, formToken)], headers });
  // A temporary password goes straight to the password change, the only page it may use.
  const signedIn = (token: string, next: string | null, mustChangePassword: boolean) => ({
    kind: 'response' as const,
    response: redirect(mustChangePassword ? passwordChangePath(lang) : (next ?? adminPath(lang, '/')), [sessionCookie(deps, token), clearedLoginCookie(deps)]),
  });

  if (request.method !== 'POST') {
    // Already signed in: straight on.
    const current = await sessionOf(deps, request);
    if (current) return { kind: 'response', response: redirect(current.staff.mustChangePassword ? passwordChangePath(lang) : (state.next ?? adminPath(lang, '/'))) };
    const m = url.searchParams.get('m');
    if (m === 'expired') state.message = { kind: 'info', text: t.sessionEnded };
    else if (m === 'out') state.message = { kind: 'info', text: t.signedOut };
    else if (m === 'everywhere') state.message = { kind: 'info', text: t.signedOutEverywhere };
    return page(200);
  }

  // The form token's cookie is checked before the body is read: without it the post is refused
  // whatever it holds, and a stranger's large body costs nothing.
  if (!loginCookiePresent(deps, request)) {
    state.message = { kind: 'error', text: t.expired };
    return page(403);
  }
  const refused = await signInIpRefused(deps, ip);
  if (refused) {
    state.message = { kind: 'error', text: msg('rate_limited', lang) };
    return page(429, refused.headers);
  }
  const read = await readForm(request);
  if (read === TOO_LARGE) {
    state.message = { kind: 'error', text: msg('payload_too_large', lang) };
    return page(413);
  }
  const form = read ?? {};
  state.next = safeNext(form.next) ?? state.next;
  state.username = (form.username ?? '').slice(0, 64);
  if (!loginTokenOk(deps, request, form)) {
    state.message = { kind: 'error', text: t.expired };
    return page(403);
  }

  try {
    if (form.action === 'enrol') {
      const username = USERNAME.test(form.username ?? '') ? form.username! : '';
      const secret = SECRET.test(form.secret ?? '') ? form.secret! : '';
      const parsed = parseWith(EnrolConfirmSchema, { enrolmentToken: form.enrolmentToken ?? '', totp: form.totp ?? '' }, lang);
      const again = async (status: number, text: string | null, fieldErrors: Record<string, string> = {}) => {
        // The pending enrolment stays valid; show its QR code and key again for another try.
        if (!secret || !username) {
          state.message = { kind: 'error', text: msg('enrolment_invalid', lang) };
          return page(status);
        }
        state.step = 'enrol';
        state.username = username;
        state.enrol = { token: form.enrolmentToken ?? '', secret, qrSvg: await qrFor(secret, username), expiresAt: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/.test(form.expiresAt ?? '') ? form.expiresAt! : '' };
        state.fieldErrors = fieldErrors;
        if (text) state.message = { kind: 'error', text };
        return page(status);
      };
      if (!parsed.ok) {
        if (parsed.issues.some((i) => i.path === 'enrolmentToken')) {
          state.message = { kind: 'error', text: msg('enrolment_invalid', lang) };
          return page(422);
        }
        return again(422, null, Object.fromEntries(parsed.issues.map((i) => [i.path, i.message])));
      }
      const result = await confirmEnrolment(deps, parsed.data, requestMeta(request, ip));
      if (result.kind === 'signed_in') return signedIn(result.session.token, state.next, result.mustChangePassword);
      if (result.kind === 'invalid') {
        state.message = { kind: 'error', text: msg('enrolment_invalid', lang) };
        return page(401);
      }
      return again(401, msg('signin_failed', lang));
    }

    const parsed = parseWith(SignInSchema, { username: form.username ?? '', password: form.password ?? '', totp: form.totp ?? '' }, lang);
    if (!parsed.ok) {
      state.fieldErrors = Object.fromEntries(parsed.issues.map((i) => [i.path, i.message]));
      return page(422);
    }
    const result = await signIn(deps, parsed.data, requestMeta(request, ip));
    switch (result.kind) {
      case 'signed_in':
        return signedIn(result.session.token, state.next, result.mustChangePassword);
      case 'enrolment_required':
        state.step = 'enrol';
        state.username = parsed.data.username;
        state.enrol = { token: result.enrolmentToken, secret: result.secret, qrSvg: result.qrSvg, expiresAt: beijingTime(result.expiresAt) };
        return page(200);
      case 'failed':
        // One message and one Retry-After rule for every failure, as the API does.
        state.message = { kind: 'error', text: msg('signin_failed', lang) };
        return page(401, { 'Retry-After': String(result.retryAfterSeconds) });
    }
  } catch (err) {
    if (err instanceof ApiError && err.status === 429) {
      state.message = { kind: 'error', text: msg('rate_limited', lang) };
      return page(429, err.headers);
    }
    throw err;
  }
}
