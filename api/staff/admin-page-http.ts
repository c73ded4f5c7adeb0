/**
 * Plumbing shared by the admin pages (on-demand, server side only): the staff session from the
 * cookie, the CSRF check on every state-changing form, never-cached and never-indexed answers,
 * POST-redirect-GET, and the page paths in both languages. Rules and data come from the same
 * services the admin API uses (api/staff, api/admin); nothing here decides who may do what.
 */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { parse } from 'hono/utils/cookie';
import { meta } from '../../db/schema.ts';
import { csrfTokenValid } from './guard.ts';
import { BodyTooLarge, readFormData } from '../http/body.ts';
import { clearedSessionCookieHeader, isHttps, sessionCookieName, sessionCookieHeader } from './admin-api-http.ts';
import type { Caller } from '../cases/access.ts';
import type { Deps } from '../deps.ts';
import type { Lang } from '../lib/messages.ts';
import { findSession, sameSecret, type ActiveSession } from './sessions.ts';
import type { RequestMeta } from './auth-service.ts';
import { localePath } from '../../site/i18n/index.ts';
import type { AdminUser } from './admin-user.ts';

/** Sent with every admin page and redirect: staff pages hold personal data. */
export const ADMIN_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Robots-Tag': 'noindex, nofollow',
};

export function applyAdminHeaders(headers: Headers) {
  for (const [k, v] of Object.entries(ADMIN_HEADERS)) headers.set(k, v);
}

/** A page path below /admin in a language: adminPath('en', '/cases/X/') → '/en/admin/cases/X/'. */
export const adminPath = (lang: Lang, sub = '/') => localePath(lang, `/admin${sub}`);

/** 303 See Other (POST-redirect-GET) with the admin headers and any cookies. */
export function redirect(location: string, cookies: string[] = []): Response {
  const headers = new Headers({ ...ADMIN_HEADERS, Location: location });
  for (const c of cookies) headers.append('Set-Cookie', c);
  return new Response(null, { status: 303, headers });
}

function cookies(request: Request): Record<string, string> {
  const raw = request.headers.get('cookie');
  return raw ? parse(raw) : {};
}

/** The live staff session behind the request's cookie, or null. */
export async function sessionOf(deps: Deps, request: Request): Promise<ActiveSession | null> {
  const token = cookies(request)[sessionCookieName(deps.env)];
  return token ? findSession(deps.db, token, deps.clock.now()) : null;
}

/** Where a session still on a temporary password is sent: the password change, and nothing else. */
export const passwordChangePath = (lang: Lang) => `${adminPath(lang, '/account/')}?must=1`;

/**
 * For every admin page but the account page, sign-in and sign-out: a session that must first
 * replace its temporary password is sent to the password change (the API's guard refuses the
 * same sessions everything else, api/staff/guard.ts). Null: carry on.
 */
export function passwordChangeFirst(session: ActiveSession, lang: Lang): Response | null {
  return session.staff.mustChangePassword ? redirect(passwordChangePath(lang)) : null;
}

export const callerOf = (s: ActiveSession): Caller => ({ staffId: s.staff.id, role: s.staff.role, dept: s.staff.departmentCode });

/** Where to send someone without a session: the sign-in page, coming back here afterwards. */
export function toSignIn(lang: Lang, url: URL, flag?: 'expired'): Response {
  const q = new URLSearchParams();
  const back = url.pathname + url.search;
  if (safeNext(back)) q.set('next', back);
  if (flag) q.set('m', flag);
  const s = q.toString();
  return redirect(`${adminPath(lang, '/login/')}${s ? `?${s}` : ''}`);
}

/** Only our own admin pages are acceptable targets after signing in (no open redirect). */
export function safeNext(raw: string | null | undefined): string | null {
  if (!raw || raw.length > 300) return null;
  if (!/^\/(en\/)?admin(\/[A-Za-z0-9/_\-.?=&%]*)?$/.test(raw)) return null;
  if (raw.includes('//') || raw.includes('\\') || /\/login\/?(\?|$)/.test(raw)) return null;
  return raw;
}

export const sessionCookie = (deps: Deps, token: string) => sessionCookieHeader(deps.env, token);
export const clearedSessionCookie = (deps: Deps) => clearedSessionCookieHeader(deps.env);

/** The CSRF rule of the admin API (api/staff/guard.ts), for a page form's `_csrf` field. */
export const csrfOk = (session: ActiveSession | null, form: Record<string, string>) => csrfTokenValid(session, form._csrf);

/** Admin forms are small; a bigger body is refused (as the API's body limit does). */
export const ADMIN_FORM_LIMIT = 64 * 1024;

/** What readForm gives for a body over its limit. */
export const TOO_LARGE = Symbol('form body over its limit');

/**
 * A form post's string fields (files have no place in admin forms and are dropped), read through
 * the product's one body reader (api/http/body.ts): bytes are counted as they arrive, so a chunked
 * or mislabelled body stops at `limit` with TOO_LARGE. Null for a body that is not a form.
 */
export async function readForm(request: Request, limit = ADMIN_FORM_LIMIT): Promise<Record<string, string> | null | typeof TOO_LARGE> {
  try {
    const form = await readFormData(request, limit);
    const out: Record<string, string> = {};
    for (const [k, v] of form.entries()) if (typeof v === 'string' && !(k in out)) out[k] = v;
    return out;
  } catch (err) {
    return err instanceof BodyTooLarge ? TOO_LARGE : null;
  }
}

/** The fields, or none at all for a body over the limit or not a form (the CSRF check then refuses it). */
export const fieldsOrNone = (read: Record<string, string> | null | typeof TOO_LARGE): Record<string, string> => (read === TOO_LARGE || read === null ? {} : read);

export const requestMeta = (request: Request, ip: string | null): RequestMeta => ({ ip, userAgent: request.headers.get('user-agent') });

export async function isDemo(deps: Deps): Promise<boolean> {
  const [row] = await deps.db.read.select({ value: meta.value }).from(meta).where(eq(meta.key, 'demo'));
  return row?.value === 'true';
}

// ---------------------------------------------------------------- sign-in form token

/**
 * Before there is a session, the sign-in forms carry a token that must match a cookie set with
 * the form (double submit), on top of api/server.ts's same-origin check for page posts: a
 * cross-site page can neither read the cookie nor sign someone into an account (login CSRF).
 */
export const loginCookieName = (deps: Deps) => (isHttps(deps.env) ? '__Host-peixun_admin_login' : 'peixun_admin_login');

export function newLoginToken(): string {
  return randomBytes(24).toString('base64url');
}

export function loginCookie(deps: Deps, token: string): string {
  const secure = isHttps(deps.env) ? '; Secure' : '';
  return `${loginCookieName(deps)}=${token}; Max-Age=3600; Path=/; HttpOnly; SameSite=Strict${secure}`;
}

export function clearedLoginCookie(deps: Deps): string {
  const secure = isHttps(deps.env) ? '; Secure' : '';
  return `${loginCookieName(deps)}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict${secure}`;
}

const LOGIN_TOKEN = /^[A-Za-z0-9_-]{32}$/;

/** The sign-in form's cookie is there and well formed (checked before the body is read). */
export function loginCookiePresent(deps: Deps, request: Request): boolean {
  return LOGIN_TOKEN.test(cookies(request)[loginCookieName(deps)] ?? '');
}

/** The sign-in form's token matches its cookie. */
export function loginTokenOk(deps: Deps, request: Request, form: Record<string, string>): boolean {
  const cookie = cookies(request)[loginCookieName(deps)];
  const sent = form._csrf;
  return !!cookie && !!sent && LOGIN_TOKEN.test(cookie) && sameSecret(cookie, sent);
}

/** Beijing wall-clock time of an instant, "YYYY-MM-DD HH:MM". */
export const beijingTime = (iso: string | Date) => new Date(new Date(iso).getTime() + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');

// ---------------------------------------------------------------- what a handler returns

/** What the admin layout needs on every page. */
export interface Frame {
  user: AdminUser | null;
  demo: boolean;
}

/** A short message page (not found, no access, expired form) inside the admin layout. */
export interface MessageState extends Frame {
  title: string;
  text: string;
  /** Where the page's one link goes, and its label. */
  back: { href: string; label: string } | null;
}

export type PageResult<S> =
  | { kind: 'response'; response: Response }
  | { kind: 'page'; status: number; state: S; cookies?: string[]; headers?: Record<string, string> }
  | { kind: 'message'; status: number; state: MessageState; cookies?: string[] };

/** Status, admin headers and cookies of a rendered page onto Astro.response. */
export function preparePage(response: { status?: number; headers: Headers }, r: { status: number; cookies?: string[]; headers?: Record<string, string> }) {
  response.status = r.status;
  applyAdminHeaders(response.headers);
  for (const [k, v] of Object.entries(r.headers ?? {})) response.headers.set(k, v);
  for (const c of r.cookies ?? []) response.headers.append('Set-Cookie', c);
}
