/**
 * HTTP for staff sign-in and sessions. Rules live in api/staff/auth-service.ts; this file maps
 * their results to answers: a session cookie, the TOTP enrolment step, or one generic 401 for
 * every failed sign-in (unknown account, wrong password, wrong or replayed code, a name that must
 * still wait), with Retry-After saying how long the name's throttle asks to wait — the same for
 * an unknown name as for a real one (api/staff/throttle.ts).
 * A session signed in with a temporary password sees `staff.mustChangePassword: true` and may
 * only use /me, /password and sign-out until it changes it (guard.ts).
 *
 *   POST   /session               { username, password, totp }  sign in (or start TOTP enrolment)
 *   POST   /session/enrol         { enrolmentToken, totp }      confirm enrolment, then signed in
 *   DELETE /session                                             sign out
 *   POST   /sessions/revoke-all                                 sign out everywhere
 *   POST   /password              { currentPassword, totp, newPassword }
 *   GET    /me                                                  the account and its CSRF token
 */
import { Hono } from 'hono';
import { ApiError, parseWith, validationError } from '../lib/errors.ts';
import { changePassword, confirmEnrolment, signIn, signInIpRefused, signOut, signOutEverywhere, staffProfile } from './auth-service.ts';
import { IDLE_TIMEOUT_MS, type NewSession } from './sessions.ts';
import { EnrolConfirmSchema, PasswordChangeSchema, SignInSchema } from './schema.ts';
import { clearSessionCookie, readBody, requestMeta, sessionOf, setSessionCookie, type AdminContext, type AdminEnv } from './admin-api-http.ts';

const failed = (retryAfterSeconds?: number) =>
  new ApiError(401, 'signin_failed', 'signin_failed', undefined, retryAfterSeconds ? { 'Retry-After': String(retryAfterSeconds) } : undefined);

async function signedIn(c: AdminContext, staffId: number, session: NewSession) {
  setSessionCookie(c, session.token);
  return c.json({
    status: 'signed_in' as const,
    staff: await staffProfile(c.var.deps, staffId),
    csrfToken: session.csrfToken,
    session: { expiresAt: session.expiresAt.toISOString(), idleTimeoutSeconds: IDLE_TIMEOUT_MS / 1000 },
  });
}

export function sessionRoutes() {
  const r = new Hono<AdminEnv>();

  r.post('/session', async (c) => {
    const { deps, lang } = c.var;
    // An address over its sign-in limit is refused before its body is read.
    const refused = await signInIpRefused(deps, c.var.clientIp);
    if (refused) throw refused;
    const parsed = parseWith(SignInSchema, await readBody(c), lang);
    if (!parsed.ok) return c.json(validationError(parsed.issues, lang), 422);
    const result = await signIn(deps, parsed.data, requestMeta(c));
    switch (result.kind) {
      case 'signed_in':
        return signedIn(c, result.staffId, result.session);
      case 'enrolment_required':
        // Nothing is usable yet: no cookie, no session; only /session/enrol accepts this token.
        return c.json({
          status: 'enrolment_required' as const,
          enrolmentToken: result.enrolmentToken,
          secret: result.secret,
          otpauthUri: result.otpauthUri,
          qrSvg: result.qrSvg,
          expiresAt: result.expiresAt.toISOString(),
        });
      case 'failed':
        throw failed(result.retryAfterSeconds);
    }
  });

  r.post('/session/enrol', async (c) => {
    const { deps, lang } = c.var;
    const parsed = parseWith(EnrolConfirmSchema, await readBody(c), lang);
    if (!parsed.ok) return c.json(validationError(parsed.issues, lang), 422);
    const result = await confirmEnrolment(deps, parsed.data, requestMeta(c));
    if (result.kind === 'invalid') throw new ApiError(401, 'enrolment_invalid', 'enrolment_invalid');
    if (result.kind === 'failed') throw failed(result.retryAfterSeconds);
    return signedIn(c, result.staffId, result.session);
  });

  r.delete('/session', async (c) => {
    await signOut(c.var.deps, sessionOf(c), requestMeta(c));
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  r.post('/sessions/revoke-all', async (c) => {
    const n = await signOutEverywhere(c.var.deps, sessionOf(c), requestMeta(c));
    clearSessionCookie(c);
    return c.json({ revoked: n });
  });

  r.post('/password', async (c) => {
    const { deps, lang } = c.var;
    const parsed = parseWith(PasswordChangeSchema, await readBody(c), lang);
    if (!parsed.ok) return c.json(validationError(parsed.issues, lang), 422);
    const result = await changePassword(deps, sessionOf(c), parsed.data, requestMeta(c));
    if (result.kind === 'failed') {
      if (result.signedOut) clearSessionCookie(c);
      // 403, not 401: the session is fine (unless just ended), the re-authentication was not.
      throw new ApiError(403, 'reauth_failed', 'reauth_failed', undefined, result.retryAfterSeconds ? { 'Retry-After': String(result.retryAfterSeconds) } : undefined);
    }
    return c.json({ status: 'changed' as const, otherSessionsRevoked: result.otherSessionsRevoked });
  });

  r.get('/me', async (c) => {
    const session = sessionOf(c);
    return c.json({
      staff: await staffProfile(c.var.deps, session.staff.id),
      csrfToken: session.csrfToken,
      session: { createdAt: session.createdAt.toISOString(), expiresAt: session.expiresAt.toISOString(), idleTimeoutSeconds: IDLE_TIMEOUT_MS / 1000 },
    });
  });

  return r;
}
