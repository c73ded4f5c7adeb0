/**
 * Staff authentication rules: sign-in (password + TOTP, both always), first-sign-in TOTP
 * enrolment, the sign-in throttle, sign-out, sign-out everywhere and password change with
 * re-authentication.
 *
 * Shape of every operation: slow or CPU-bound work (argon2, decryption, QR rendering) happens
 * before the write lock; then one transaction re-reads the account, decides, and writes the
 * counters, the session and the audit rows together. Failures are *returned*, not thrown, so the
 * failure counter and its audit row commit; the route turns the result into the HTTP answer.
 * Audit rows carry ids and reasons only — never a password, a code or a typed username.
 *
 * Failed attempts make the next one wait (api/staff/throttle.ts: 1 s, 2 s, 4 s … at most 15
 * minutes). An unknown name gets exactly what a real one gets — the same delays, the same
 * Retry-After, the same body, and an argon2 verification against a dummy hash — so the answers do
 * not tell which usernames exist. An attempt made while the name must wait is refused unread
 * (no hash, no counting). After ten failures in a row the account's owner sees a notice.
 */
import { and, eq, gt } from 'drizzle-orm';
import QRCode from 'qrcode';
import type { Tx } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import { addNotice } from '../ops/notices.ts';
import { appendAudit } from '../audit/log.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../lib/errors.ts';
import { consumeRateLimit, overLimit, type Limit } from '../security/rate-limit.ts';
import { dummyHash, hashPassword, verifyPassword } from './passwords.ts';
import { createSession, hashToken, newToken, revokeSession, revokeStaffSessions, type ActiveSession, type NewSession } from './sessions.ts';
import type { EnrolConfirmInput, PasswordChangeInput, SignInInput } from './schema.ts';
import { accountKey, clearFailures, recordFailure as countFailure, unknownNameKey, waitFor } from './throttle.ts';
import { checkTotp, newTotpSecret, totpUri } from './totp.ts';

/** Failures in a row after which the account's owner is told (admin notice). */
export const NOTICE_AFTER_FAILURES = 10;
/** Failed re-authentications in a row (password change) that end the session trying them. */
export const REAUTH_FAILURES_SIGN_OUT = 5;
export const ENROLMENT_TTL_MS = 10 * 60_000;
/** Per client IP, on top of the per-name throttle: slows password spraying across accounts. */
export const SIGNIN_IP_LIMIT: Limit = { limit: 50, windowMs: 15 * 60_000 };

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export type SignInResult =
  | { kind: 'signed_in'; staffId: number; session: NewSession; mustChangePassword: boolean }
  | { kind: 'enrolment_required'; enrolmentToken: string; secret: string; otpauthUri: string; qrSvg: string; expiresAt: Date }
  | { kind: 'failed'; retryAfterSeconds: number };

type StaffRow = typeof t.staff.$inferSelect;

const audit = (tx: Tx, now: Date, meta: RequestMeta, action: string, staff: Pick<StaffRow, 'id' | 'role'> | null, detail?: Record<string, unknown>) =>
  appendAudit(tx, {
    at: now,
    actorKind: staff ? 'staff' : 'public',
    actorStaffId: staff?.id ?? null,
    actorRole: staff?.role ?? null,
    action,
    objectType: 'staff',
    objectId: staff ? String(staff.id) : null,
    ip: meta.ip,
    detail: detail ?? null,
  });

/**
 * Counts a failed attempt on the throttle key and audits it; for a real account the tenth
 * failure in a row also leaves a notice for its owner (and an audit row saying so).
 */
async function recordFailure(tx: Tx, key: string, s: StaffRow | null, now: Date, meta: RequestMeta, reason: string): Promise<{ failures: number; retryAfterSeconds: number }> {
  const r = await countFailure(tx, key, now);
  await audit(tx, now, meta, 'staff.signin_failed', s, { reason, failures: r.failures });
  if (s && r.failures === NOTICE_AFTER_FAILURES) {
    // Staff accounts have no e-mail address of their own (only departments do), so the owner
    // is told in the admin header at their next sign-in.
    await addNotice(tx, { staffId: s.id }, 'signin_failures', { failures: r.failures, lastAt: now.toISOString() }, now);
    await audit(tx, now, meta, 'staff.signin_failures_notice', s, { failures: r.failures });
  }
  return r;
}

export const signInIpKey = (ip: string) => `signin:ip:${ip}`;

/** The per-IP sign-in limit's 429 if the address has used it up, without counting (checked before a body is read). */
export const signInIpRefused = (deps: Deps, ip: string | null) => (ip ? overLimit(deps.db, signInIpKey(ip), SIGNIN_IP_LIMIT, deps.clock.now()) : Promise.resolve(null));

async function limitIp(deps: Deps, meta: RequestMeta, now: Date) {
  // A separate, committed transaction: refused attempts keep counting even when the sign-in fails.
  if (meta.ip) await deps.db.write((tx) => consumeRateLimit(tx, signInIpKey(meta.ip!), SIGNIN_IP_LIMIT, now));
}

/** Refused unread while the name must wait: audited (for a real account), not counted. */
async function refuseWaiting(deps: Deps, s: StaffRow | null, wait: number, now: Date, meta: RequestMeta): Promise<{ kind: 'failed'; retryAfterSeconds: number }> {
  await deps.db.write((tx) => audit(tx, now, meta, 'staff.signin_refused_waiting', s, { retryAfterSeconds: wait }));
  return { kind: 'failed', retryAfterSeconds: wait };
}

export async function signIn(deps: Deps, input: SignInInput, meta: RequestMeta): Promise<SignInResult> {
  const now = deps.clock.now();
  await limitIp(deps, meta, now);

  const [found] = await deps.db.read.select().from(t.staff).where(eq(t.staff.username, input.username));
  const key = found ? accountKey(found.id) : unknownNameKey(deps.keys, input.username);
  const waiting = await waitFor(deps.db.read, key, now);
  if (waiting) return refuseWaiting(deps, found ?? null, waiting, now, meta);

  // Unknown accounts cost one argon2 verification too, so timing does not reveal which exist.
  const passwordOk = (await verifyPassword(found?.passwordHash ?? (await dummyHash()), input.password)) && !!found;

  // Prepared before the write lock: a pending secret and its QR code for a first sign-in.
  let enrolment: { token: string; secret: string; uri: string; qrSvg: string } | null = null;
  if (found && found.active && passwordOk && !found.totpSecretEnc) {
    const secret = newTotpSecret();
    const uri = totpUri(secret, found.username);
    enrolment = { token: newToken(), secret, uri, qrSvg: await QRCode.toString(uri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }) };
  }

  return deps.db.write(async (tx): Promise<SignInResult> => {
    // Attempts racing each other: whichever failed first makes the others wait, uncounted.
    const raced = await waitFor(tx, key, now);
    if (raced) {
      await audit(tx, now, meta, 'staff.signin_refused_waiting', found ?? null, { retryAfterSeconds: raced });
      return { kind: 'failed', retryAfterSeconds: raced };
    }
    if (!found) {
      const r = await recordFailure(tx, key, null, now, meta, 'unknown_account');
      return { kind: 'failed', retryAfterSeconds: r.retryAfterSeconds };
    }
    const [s] = await tx.select().from(t.staff).where(eq(t.staff.id, found.id));
    if (!s || !s.active) {
      // Deactivated, or waiting for a confirmation (api/staff/requests.ts): like a wrong password.
      const r = await recordFailure(tx, key, s ?? null, now, meta, 'inactive');
      return { kind: 'failed', retryAfterSeconds: r.retryAfterSeconds };
    }
    if (!passwordOk) {
      const r = await recordFailure(tx, key, s, now, meta, 'password');
      return { kind: 'failed', retryAfterSeconds: r.retryAfterSeconds };
    }

    if (!s.totpSecretEnc) {
      if (!enrolment) return { kind: 'failed', retryAfterSeconds: 1 }; // enrolled and reset between our reads: ask again
      const expiresAt = new Date(now.getTime() + ENROLMENT_TTL_MS);
      await tx.delete(t.totpEnrolments).where(eq(t.totpEnrolments.staffId, s.id));
      await tx.insert(t.totpEnrolments).values({ tokenHash: hashToken(enrolment.token), staffId: s.id, secretEnc: deps.pii.encrypt(enrolment.secret), createdAt: now, expiresAt });
      await audit(tx, now, meta, 'staff.totp_enrolment_started', s);
      return { kind: 'enrolment_required', enrolmentToken: enrolment.token, secret: enrolment.secret, otpauthUri: enrolment.uri, qrSvg: enrolment.qrSvg, expiresAt };
    }

    // Checked inside the transaction against the current lastTotpStep: a code works once.
    const step = input.totp ? checkTotp(deps.pii.decrypt(s.totpSecretEnc), input.totp, now, s.lastTotpStep) : null;
    if (step === null) {
      const r = await recordFailure(tx, key, s, now, meta, input.totp ? 'totp' : 'totp_missing');
      return { kind: 'failed', retryAfterSeconds: r.retryAfterSeconds };
    }
    await clearFailures(tx, key);
    await tx.update(t.staff).set({ lastTotpStep: step }).where(eq(t.staff.id, s.id));
    const session = await createSession(tx, s.id, now, meta);
    await audit(tx, now, meta, 'staff.signin', s);
    return { kind: 'signed_in', staffId: s.id, session, mustChangePassword: s.mustChangePassword };
  });
}

export type EnrolResult = { kind: 'signed_in'; staffId: number; session: NewSession; mustChangePassword: boolean } | { kind: 'invalid' } | { kind: 'failed'; retryAfterSeconds: number };

/** Confirms a pending enrolment with a code from the new secret; signs in on success. */
export async function confirmEnrolment(deps: Deps, input: EnrolConfirmInput, meta: RequestMeta): Promise<EnrolResult> {
  const now = deps.clock.now();
  await limitIp(deps, meta, now);
  return deps.db.write(async (tx): Promise<EnrolResult> => {
    const [e] = await tx
      .select()
      .from(t.totpEnrolments)
      .where(and(eq(t.totpEnrolments.tokenHash, hashToken(input.enrolmentToken)), gt(t.totpEnrolments.expiresAt, now)));
    if (!e) return { kind: 'invalid' };
    const [s] = await tx.select().from(t.staff).where(eq(t.staff.id, e.staffId));
    if (!s || !s.active || s.totpSecretEnc) {
      await tx.delete(t.totpEnrolments).where(eq(t.totpEnrolments.staffId, e.staffId));
      return { kind: 'invalid' };
    }
    const key = accountKey(s.id);
    const waiting = await waitFor(tx, key, now);
    if (waiting) {
      await audit(tx, now, meta, 'staff.signin_refused_waiting', s, { retryAfterSeconds: waiting });
      return { kind: 'failed', retryAfterSeconds: waiting };
    }
    const step = checkTotp(deps.pii.decrypt(e.secretEnc), input.totp, now, null);
    if (step === null) {
      const r = await recordFailure(tx, key, s, now, meta, 'totp_enrolment');
      return { kind: 'failed', retryAfterSeconds: r.retryAfterSeconds };
    }
    await clearFailures(tx, key);
    await tx.update(t.staff).set({ totpSecretEnc: e.secretEnc, totpEnrolledAt: now, lastTotpStep: step }).where(eq(t.staff.id, s.id));
    await tx.delete(t.totpEnrolments).where(eq(t.totpEnrolments.staffId, s.id));
    await audit(tx, now, meta, 'staff.totp_enrolled', s);
    const session = await createSession(tx, s.id, now, meta);
    await audit(tx, now, meta, 'staff.signin', s);
    return { kind: 'signed_in', staffId: s.id, session, mustChangePassword: s.mustChangePassword };
  });
}

export async function signOut(deps: Deps, session: ActiveSession, meta: RequestMeta): Promise<void> {
  const now = deps.clock.now();
  await deps.db.write(async (tx) => {
    await revokeSession(tx, session.idHash, now);
    await audit(tx, now, meta, 'staff.signout', { id: session.staff.id, role: session.staff.role });
  });
}

/** Ends every session of the account, this one included. */
export async function signOutEverywhere(deps: Deps, session: ActiveSession, meta: RequestMeta): Promise<number> {
  const now = deps.clock.now();
  return deps.db.write(async (tx) => {
    const n = await revokeStaffSessions(tx, session.staff.id, now);
    await audit(tx, now, meta, 'staff.signout_everywhere', { id: session.staff.id, role: session.staff.role }, { sessions: n });
    return n;
  });
}

export type PasswordChangeResult = { kind: 'changed'; otherSessionsRevoked: number } | { kind: 'failed'; retryAfterSeconds?: number; signedOut: boolean };

/**
 * Re-authenticates (current password + a fresh TOTP code) before changing the password, then
 * ends every other session and lifts the must-change flag of a temporary password. Failures
 * count on the account's throttle like sign-in failures; the fifth in a row also ends the
 * current session (it may be a stolen one guessing passwords).
 */
export async function changePassword(deps: Deps, session: ActiveSession, input: PasswordChangeInput, meta: RequestMeta): Promise<PasswordChangeResult> {
  const now = deps.clock.now();
  if (input.newPassword.toLowerCase().includes(session.staff.username.toLowerCase())) {
    throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'newPassword', key: 'password_username' }]);
  }
  const [found] = await deps.db.read.select().from(t.staff).where(eq(t.staff.id, session.staff.id));
  if (!found) throw new ApiError(401, 'unauthorized', 'unauthorized');
  const key = accountKey(found.id);
  const waiting = await waitFor(deps.db.read, key, now);
  if (waiting) {
    await deps.db.write((tx) => audit(tx, now, meta, 'staff.password_change_refused_waiting', found, { retryAfterSeconds: waiting }));
    return { kind: 'failed', retryAfterSeconds: waiting, signedOut: false };
  }
  const passwordOk = await verifyPassword(found.passwordHash, input.currentPassword);
  const newHash = passwordOk ? await hashPassword(input.newPassword) : null;

  return deps.db.write(async (tx): Promise<PasswordChangeResult> => {
    const [s] = await tx.select().from(t.staff).where(eq(t.staff.id, found.id));
    if (!s || !s.active || !s.totpSecretEnc) throw new ApiError(401, 'unauthorized', 'unauthorized');
    const raced = await waitFor(tx, key, now);
    if (raced) {
      await audit(tx, now, meta, 'staff.password_change_refused_waiting', s, { retryAfterSeconds: raced });
      return { kind: 'failed', retryAfterSeconds: raced, signedOut: false };
    }
    const step = passwordOk ? checkTotp(deps.pii.decrypt(s.totpSecretEnc), input.totp, now, s.lastTotpStep) : null;
    if (!passwordOk || step === null || !newHash) {
      const r = await recordFailure(tx, key, s, now, meta, passwordOk ? 'reauth_totp' : 'reauth_password');
      const signedOut = r.failures >= REAUTH_FAILURES_SIGN_OUT;
      if (signedOut) await revokeSession(tx, session.idHash, now);
      return { kind: 'failed', retryAfterSeconds: r.retryAfterSeconds, signedOut };
    }
    await clearFailures(tx, key);
    await tx
      .update(t.staff)
      .set({ passwordHash: newHash, passwordChangedAt: now, lastTotpStep: step, mustChangePassword: false })
      .where(eq(t.staff.id, s.id));
    const n = await revokeStaffSessions(tx, s.id, now, session.idHash);
    await audit(tx, now, meta, 'staff.password_changed', s, { otherSessionsRevoked: n, ...(s.mustChangePassword ? { temporaryReplaced: true } : {}) });
    return { kind: 'changed', otherSessionsRevoked: n };
  });
}

/** What the admin shows about the signed-in account: no hashes, secrets or counters. */
export async function staffProfile(deps: Deps, staffId: number) {
  const [row] = await deps.db.read
    .select({
      id: t.staff.id,
      username: t.staff.username,
      displayName: t.staff.displayName,
      role: t.staff.role,
      departmentCode: t.staff.departmentCode,
      departmentNameZh: t.departments.nameZh,
      departmentNameEn: t.departments.nameEn,
      totpEnrolledAt: t.staff.totpEnrolledAt,
      passwordChangedAt: t.staff.passwordChangedAt,
      mustChangePassword: t.staff.mustChangePassword,
    })
    .from(t.staff)
    .innerJoin(t.departments, eq(t.departments.code, t.staff.departmentCode))
    .where(eq(t.staff.id, staffId));
  if (!row) throw new ApiError(401, 'unauthorized', 'unauthorized');
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    role: row.role,
    department: { code: row.departmentCode, nameZh: row.departmentNameZh, nameEn: row.departmentNameEn },
    totpEnrolledAt: row.totpEnrolledAt?.toISOString() ?? null,
    passwordChangedAt: row.passwordChangedAt?.toISOString() ?? null,
    /** A temporary password: nothing but the password change works until it is replaced. */
    mustChangePassword: row.mustChangePassword,
  };
}
