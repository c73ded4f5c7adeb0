/**
 * HTTP plumbing shared by the admin routes: the context type (the app's variables plus the
 * session), request bodies as JSON or HTML form, the session cookie, and request metadata.
 */
import type { Context } from 'hono';
import { generateCookie } from 'hono/cookie';
import type { AppEnv } from '../http/app-env.ts';
import type { Env } from '../env.ts';
import { ApiError } from '../lib/errors.ts';
import { BodyTooLarge } from '../http/body.ts';
import type { ActiveSession } from './sessions.ts';
import type { RequestMeta } from './auth-service.ts';

export interface AdminEnv {
  Variables: AppEnv['Variables'] & { session: ActiveSession | null };
}
export type AdminContext = Context<AdminEnv>;

/**
 * An HTML form's fields. The body arrives through api/admin-routes.ts's limit (api/http/body.ts):
 * over it, BodyTooLarge passes through to that middleware's 413; any other failure to read or
 * parse is the client's broken body, a 400.
 */
export async function readFormFields(c: AdminContext): Promise<Record<string, string | File>> {
  try {
    return await c.req.parseBody();
  } catch (err) {
    if (err instanceof BodyTooLarge) throw err;
    throw new ApiError(400, 'bad_body', 'bad_body');
  }
}

/** JSON, or an HTML form (urlencoded or multipart) for pages that work without JavaScript. */
export async function readBody(c: AdminContext): Promise<Record<string, unknown>> {
  const type = (c.req.header('content-type') ?? '').toLowerCase();
  if (type.startsWith('application/json')) {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch (err) {
      if (err instanceof BodyTooLarge) throw err;
      throw new ApiError(400, 'bad_json', 'bad_json');
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'bad_json', 'bad_json');
    return body as Record<string, unknown>;
  }
  if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
    const form = await readFormFields(c);
    // Files have no place in these forms; a File value would fail the string schemas anyway.
    return Object.fromEntries(Object.entries(form).filter(([, v]) => typeof v === 'string'));
  }
  throw new ApiError(415, 'unsupported_media', 'unsupported_media');
}

export const isHttps = (env: Pick<Env, 'PUBLIC_BASE_URL'>) => new URL(env.PUBLIC_BASE_URL).protocol === 'https:';

/** `__Host-` (Secure, Path=/, no Domain: cannot be set by a sibling subdomain) when served over https. */
export const sessionCookieName = (env: Pick<Env, 'PUBLIC_BASE_URL'>) => (isHttps(env) ? '__Host-peixun_admin' : 'peixun_admin');

/** The session cookie's attributes: one definition for the API and the admin pages. */
const sessionCookieOptions = (env: Pick<Env, 'PUBLIC_BASE_URL'>) => ({ httpOnly: true, sameSite: 'Strict', path: '/', secure: isHttps(env) }) as const;

/**
 * Set-Cookie value for a new session. No Max-Age: a browser-session cookie, gone when a shared
 * office computer's browser closes; the server enforces the 30-minute idle and 12-hour absolute
 * limits either way. The admin pages (the features' page.ts controllers) send exactly this header too.
 */
export const sessionCookieHeader = (env: Pick<Env, 'PUBLIC_BASE_URL'>, token: string) => generateCookie(sessionCookieName(env), token, sessionCookieOptions(env));

/** Set-Cookie value that removes the session cookie. */
export const clearedSessionCookieHeader = (env: Pick<Env, 'PUBLIC_BASE_URL'>) => generateCookie(sessionCookieName(env), '', { ...sessionCookieOptions(env), maxAge: 0 });

export function setSessionCookie(c: AdminContext, token: string) {
  c.header('Set-Cookie', sessionCookieHeader(c.var.deps.env, token), { append: true });
}

export function clearSessionCookie(c: AdminContext) {
  c.header('Set-Cookie', clearedSessionCookieHeader(c.var.deps.env), { append: true });
}

export const requestMeta = (c: AdminContext): RequestMeta => ({ ip: c.var.clientIp, userAgent: c.req.header('user-agent') ?? null });

/** The signed-in session; the guard has already answered 401 where there is none. */
export function sessionOf(c: AdminContext): ActiveSession {
  const s = c.var.session;
  if (!s) throw new ApiError(401, 'unauthorized', 'unauthorized');
  return s;
}

/** A numeric id in a path; anything else is a 404, as an unknown id would be. */
export const idParam = (raw: string) => {
  if (!/^\d{1,9}$/.test(raw)) throw new ApiError(404, 'not_found', 'not_found');
  return Number(raw);
};
