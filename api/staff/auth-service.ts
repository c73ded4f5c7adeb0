/**
 * Staff authentication rules: sign-in (password + TOTP, both always), first-sign-in TOTP
 * enrolment, lockout, sign-out, sign-out everywhere and password change with re-authentication.
 *
 * Shape of every operation: slow or CPU-bound work (argon2, decryption, QR rendering) happens
 * before the write lock; then one transaction re-reads the account, decides, and writes the
 * counters, the session and the audit rows together. Failures are *returned*, not thrown, so the
 * failure counter and its audit row commit; the route turns the result into the HTTP answer.
 * Audit rows carry ids and reasons only — never a password, a code or a typed username.
 */
import { and, eq, gt } from 'drizzle-orm';
import QRCode from 'qrcode';
import type { Tx } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import { appendAudit } from '../audit/log.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../lib/errors.ts';
import { consumeRateLimit, overLimit, type Limit } from '../security/rate-limit.ts';
import { dummyHash, hashPassword, verifyPassword } from './passwords.ts';
import { createSession, hashToken, newToken, revokeSession, revokeStaffSessions, type ActiveSession, type NewSession } from './sessions.ts';
import type { EnrolConfirmInput, PasswordChangeInput, SignInInput } from './schema.ts';
import { checkTotp, newTotpSecret, totpUri } from './totp.ts';

export const MAX_FAILURES = 5;
export const LOCK_MS = 15 * 60_000;
export const ENROLMENT_TTL_MS = 10 * 60_000;
/** Per client IP, on top of the per-account lockout: slows password spraying across accounts. */
export const SIGNIN_IP_LIMIT: Limit = { limit: 50, windowMs: 15 * 60_000 };

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export type SignInResult =
  | { kind: 'signed_in'; staffId: number; session: NewSession }
  | { kind: 'enrolment_required'; enrolmentToken: string; secret: string; otpauthUri: string; qrSvg: string; expiresAt: Date }
  | { kind: 'failed'; retryAfterSeconds?: number };

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

const lockedFor = (s: Pick<StaffRow, 'lockedUntil'>, now: Date) => (s.lockedUntil && s.lockedUntil > now ? Math.ceil((s.lockedUntil.getTime() - now.getTime()) / 1000) : 0);

/** Counts a failed attempt; the fifth in a row locks the account for LOCK_MS. */
async function recordFailure(tx: Tx, s: StaffRow, now: Date, meta: RequestMeta, reason: string): Promise<{ locked: boolean; retryAfterSeconds?: number }> {
  const failures = s.failedLogins + 1;
  if (failures >= MAX_FAILURES) {
    const lockedUntil = new Date(now.getTime() + LOCK_MS);
    // The counter restarts at zero, so after the lock ends the account gets five fresh attempts.
    await tx.update(t.staff).set({ failedLogins: 0, lockedUntil }).where(eq(t.staff.id, s.id));
    await audit(tx, now, meta, 'staff.signin_failed', s, { reason, failures });
    await audit(tx, now, meta, 'staff.locked', s, { until: lockedUntil.toISOString() });
    return { locked: true, retryAfterSeconds: LOCK_MS / 1000 };
  }
  await tx.update(t.staff).set({ failedLogins: failures }).where(eq(t.staff.id, s.id));
  await audit(tx, now, meta, 'staff.signin_failed', s, { reason, failures });
  return { locked: false };
}

export const signInIpKey = (ip: string) => `signin:ip:${ip}`;

/** The per-IP sign-in limit's 429 if the address has used it up, without counting (checked before a body is read). */
export const signInIpRefused = (deps: Deps, ip: string | null) => (ip ? overLimit(deps.db, signInIpKey(ip), SIGNIN_IP_LIMIT, deps.clock.now()) : Promise.resolve(null));

async function limitIp(deps: Deps, meta: RequestMeta, now: Date) {
  // A separate, committed transaction: refused attempts keep counting even when the sign-in fails.
  if (meta.ip) await deps.db.write((tx) => consumeRateLimit(tx, signInIpKey(meta.ip!), SIGNIN_IP_LIMIT, now));
}

export async function signIn(deps: Deps, input: SignInInput, meta: RequestMeta): Promise<SignInResult> {
  const now = deps.clock.now();
  await limitIp(deps, meta, now);

  const [found] = await deps.db.read.select().from(t.staff).where(eq(t.staff.username, input.username));
  // Unknown accounts cost one argon2 verification too, so timing does not reveal which exist.
  const passwordOk = (await verifyPassword(found?.passwordHash ?? (await dummyHash()), input.password)) && !!found;

  // Prepared before the write lock: a pending secret and its QR code for a first sign-in.
  let enrolment: { token: string; secret: string; uri: string; qrSvg: string } | null = null;
  if (found && passwordOk && !found.totpSecretEnc) {
    const secret = newTotpSecret();
    const uri = totpUri(secret, found.username);
    enrolment = { token: newToken(), secret, uri, qrSvg: await QRCode.toString(uri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }) };
  }

  return deps.db.write(async (tx): Promise<SignInResult> => {
    if (!found) {
      await audit(tx, now, meta, 'staff.signin_failed', null, { reason: 'unknown_account' });
      return { kind: 'failed' };
    }
    const [s] = await tx.select().from(t.staff).where(eq(t.staff.id, found.id));
    if (!s || !s.active) {
      await audit(tx, now, meta, 'staff.signin_failed', s ?? null, { reason: 'inactive' });
      return { kind: 'failed' };
    }
    const locked = lockedFor(s, now);
    if (locked) {
      await audit(tx, now, meta, 'staff.signin_refused_locked', s);
      return { kind: 'failed', retryAfterSeconds: locked };
    }
    if (!passwordOk) {
      const r = await recordFailure(tx, s, now, meta, 'password');
      return { kind: 'failed', retryAfterSeconds: r.retryAfterSeconds };
    }

    if (!s.totpSecretEnc) {
      if (!enrolment) return { kind: 'failed' }; // enrolled and reset between our reads: ask again
      const expiresAt = new Date(now.getTime() + ENROLMENT_TTL_MS);
      await tx.delete(t.totpEnrolments).where(eq(t.totpEnrolments.staffId, s.id));
      await tx.insert(t.totpEnrolments).values({ tokenHash: hashToken(enrolment.token), staffId: s.id, secretEnc: deps.pii.encrypt(enrolment.secret), createdAt: now, expiresAt });
      await audit(tx, now, meta, 'staff.totp_enrolment_started', s);
      return { kind: 'enrolment_required', enrolmentToken: enrolment.token, secret: enrolment.secret, otpauthUri: enrolment.uri, qrSvg: enrolment.qrSvg, expiresAt };
    }

    // Checked inside the transaction against the current lastTotpStep: a code works once.
    const step = input.totp ? checkTotp(deps.pii.decrypt(s.totpSecretEnc), input.totp, now, s.lastTotpStep) : null;
    if (step === null) {
      const r = await recordFailure(tx, s, now, meta, input.totp ? 'totp' : 'totp_missing');
      return { kind: 'failed', retryAfterSeconds: r.retryAfterSeconds };
    }
    await tx.update(t.staff).set({ failedLogins: 0, lockedUntil: null, lastTotpStep: step }).where(eq(t.staff.id, s.id));
    const session = await createSession(tx, s.id, now, meta);
    await audit(tx, now, meta, 'staff.signin', s);
    return { kind: 'signed_in', staffId: s.id, session };
  });
}

export type EnrolResult = { kind: 'signed_in'; staffId: number; session: NewSession } | { kind: 'invalid' } | { kind: 'failed'; retryAfterSeconds?: number };

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
    const locked = lockedFor(s, now);
    if (locked) {
      await audit(tx, now, meta, 'staff.signin_refused_locked', s);
      return { kind: 'failed', retryAfterSeconds: locked };
    }
    const step = checkTotp(deps.pii.decrypt(e.secretEnc), input.totp, now, null);
    if (step === null) {
      const r = await recordFailure(tx, s, now, meta, 'totp_enrolment');
      if (r.locked) await tx.delete(t.totpEnrolments).where(eq(t.totpEnrolments.staffId, s.id));
      return { kind: 'failed', retryAfterSeconds: r.retryAfterSeconds };
    }
    await tx
      .update(t.staff)
      .set({ totpSecretEnc: e.secretEnc, totpEnrolledAt: now, lastTotpStep: step, failedLogins: 0, lockedUntil: null })
      .where(eq(t.staff.id, s.id));
    await tx.delete(t.totpEnrolments).where(eq(t.totpEnrolments.staffId, s.id));
    await audit(tx, now, meta, 'staff.totp_enrolled', s);
    const session = await createSession(tx, s.id, now, meta);
    await audit(tx, now, meta, 'staff.signin', s);
    return { kind: 'signed_in', staffId: s.id, session };
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
 * ends every other session. Failures count towards the lockout like sign-in failures; a lockout
 * reached this way also ends the current session (it may be a stolen one guessing passwords).
 */
export async function changePassword(deps: Deps, session: ActiveSession, input: PasswordChangeInput, meta: RequestMeta): Promise<PasswordChangeResult> {
  const now = deps.clock.now();
  if (input.newPassword.toLowerCase().includes(session.staff.username.toLowerCase())) {
    throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'newPassword', key: 'password_username' }]);
  }
  const [found] = await deps.db.read.select().from(t.staff).where(eq(t.staff.id, session.staff.id));
  if (!found) throw new ApiError(401, 'unauthorized', 'unauthorized');
  const passwordOk = await verifyPassword(found.passwordHash, input.currentPassword);
  const newHash = passwordOk ? await hashPassword(input.newPassword) : null;

  return deps.db.write(async (tx): Promise<PasswordChangeResult> => {
    const [s] = await tx.select().from(t.staff).where(eq(t.staff.id, found.id));
    if (!s || !s.active || !s.totpSecretEnc) throw new ApiError(401, 'unauthorized', 'unauthorized');
    const locked = lockedFor(s, now);
    if (locked) {
      await audit(tx, now, meta, 'staff.password_change_refused_locked', s);
      return { kind: 'failed', retryAfterSeconds: locked, signedOut: false };
    }
    const step = passwordOk ? checkTotp(deps.pii.decrypt(s.totpSecretEnc), input.totp, now, s.lastTotpStep) : null;
    if (!passwordOk || step === null || !newHash) {
      const r = await recordFailure(tx, s, now, meta, passwordOk ? 'reauth_totp' : 'reauth_password');
      if (r.locked) await revokeSession(tx, session.idHash, now);
      return { kind: 'failed', retryAfterSeconds: r.retryAfterSeconds, signedOut: r.locked };
    }
    await tx
      .update(t.staff)
      .set({ passwordHash: newHash, passwordChangedAt: now, lastTotpStep: step, failedLogins: 0, lockedUntil: null })
      .where(eq(t.staff.id, s.id));
    const n = await revokeStaffSessions(tx, s.id, now, session.idHash);
    await audit(tx, now, meta, 'staff.password_changed', s, { otherSessionsRevoked: n });
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
  };
}
