/**
 * The gate in front of every /api/admin route, default-deny: any request needs a live session
 * except the two sign-in steps listed in PUBLIC_ENDPOINTS (and a session still on a temporary
 * password reaches only PASSWORD_CHANGE_ENDPOINTS), and any state-changing request needs
 * the session's CSRF token (header X-CSRF-Token or form field _csrf). A browser's Origin header,
 * when present, must be our own origin on every state-changing request, sign-in included — a
 * cross-site page must not be able to sign someone into an account either (login CSRF).
 */
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { isOwnOrigin } from '../http/own-origin.ts';
import { ApiError } from '../lib/errors.ts';
import { findSession, sameSecret, type ActiveSession } from './sessions.ts';
import { readFormFields, sessionCookieName, type AdminContext, type AdminEnv } from './admin-api-http.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Method + path (below /api/admin) that work without a session. */
const PUBLIC_ENDPOINTS = new Set(['POST /session', 'POST /session/enrol']);

/**
 * All a session signed in with a temporary password may do until it changes it (staff.
 * must_change_password): read its profile, change the password, sign out.
 */
const PASSWORD_CHANGE_ENDPOINTS = new Set(['GET /me', 'POST /password', 'DELETE /session', 'POST /sessions/revoke-all']);

const csrfRefused = () => new ApiError(403, 'csrf', 'csrf');

/** Same origin as PUBLIC_BASE_URL (api/http/own-origin.ts), or no browser origin information at all (non-browser client). */
export function originAllowed(c: AdminContext): boolean {
  const origin = c.req.header('origin');
  if (origin !== undefined) return isOwnOrigin(c.var.deps.env, origin);
  // Browsers that send Fetch Metadata but (for some request types) no Origin still say cross-site.
  return c.req.header('sec-fetch-site') !== 'cross-site';
}

/**
 * Whether a submitted CSRF token is the session's own (constant-time). Shared by this guard and
 * the admin pages' form handlers (the features' page controllers), so both refuse exactly the same requests.
 */
export function csrfTokenValid(session: Pick<ActiveSession, 'csrfToken'> | null, submitted: unknown): boolean {
  return !!session && typeof submitted === 'string' && submitted.length > 0 && sameSecret(submitted, session.csrfToken);
}

async function submittedCsrfToken(c: AdminContext): Promise<string | null> {
  const header = c.req.header('x-csrf-token');
  if (header) return header;
  const type = (c.req.header('content-type') ?? '').toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
    // The token is in the body: read it (under the route's limit) only now, after the session check.
    const form = await readFormFields(c);
    return typeof form._csrf === 'string' ? form._csrf : null;
  }
  return null;
}

export function adminGuard(basePath: string): MiddlewareHandler<AdminEnv> {
  return async function adminGuard(c, next) {
    const { deps } = c.var;
    const token = getCookie(c, sessionCookieName(deps.env));
    c.set('session', token ? await findSession(deps.db, token, deps.clock.now()) : null);

    const method = c.req.method.toUpperCase();
    const sub = c.req.path.slice(basePath.length).replace(/\/+$/, '') || '/';
    const unsafe = !SAFE_METHODS.has(method);
    if (unsafe && !originAllowed(c)) throw csrfRefused();
    if (PUBLIC_ENDPOINTS.has(`${method} ${sub}`)) return next();

    const session = c.var.session;
    if (!session) throw new ApiError(401, 'unauthorized', 'unauthorized');
    if (unsafe) {
      if (!csrfTokenValid(session, await submittedCsrfToken(c))) throw csrfRefused();
    }
    if (session.staff.mustChangePassword && !PASSWORD_CHANGE_ENDPOINTS.has(`${method} ${sub}`)) {
      throw new ApiError(403, 'password_change_required', 'password_change_required');
    }
    await next();
  };
}
