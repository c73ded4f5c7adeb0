/**
 * Server-side staff sessions. The cookie carries a random 32-byte token; the database keeps only
 * its SHA-256, so a leaked database or backup holds no usable session. Each session has its own
 * CSRF token. Expiry: 30 minutes without use, 12 hours after sign-in whatever happens.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, isNull, lt, ne, or } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import * as t from '../../db/schema.ts';

export const IDLE_TIMEOUT_MS = 30 * 60_000;
export const ABSOLUTE_TIMEOUT_MS = 12 * 3_600_000;
/** lastSeenAt is written at most once a minute, so reading pages is not a write per request. */
export const TOUCH_INTERVAL_MS = 60_000;

export const newToken = () => randomBytes(32).toString('base64url');
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Compares two secrets in constant time (length differences return false without a timing hint on content). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface NewSession {
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

export async function createSession(tx: Tx, staffId: number, now: Date, meta: { ip: string | null; userAgent: string | null }): Promise<NewSession> {
  const token = newToken();
  const csrfToken = newToken();
  const expiresAt = new Date(now.getTime() + ABSOLUTE_TIMEOUT_MS);
  // Housekeeping: this account's dead sessions go when a new one starts.
  await tx
    .delete(t.sessions)
    .where(and(eq(t.sessions.staffId, staffId), or(lt(t.sessions.expiresAt, now), lt(t.sessions.lastSeenAt, new Date(now.getTime() - IDLE_TIMEOUT_MS)))));
  await tx.insert(t.sessions).values({
    idHash: hashToken(token),
    staffId,
    csrfToken,
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
    ip: meta.ip,
    // Enough to recognise a device in a session list; not a fingerprint.
    userAgent: meta.userAgent?.slice(0, 200) ?? null,
  });
  return { token, csrfToken, expiresAt };
}

export interface SessionStaff {
  id: number;
  username: string;
  displayName: string;
  departmentCode: string;
  role: t.StaffRole;
  passwordChangedAt: Date | null;
  /** Signed in with a temporary password: only the password change is open (api/staff/guard.ts). */
  mustChangePassword: boolean;
}

export interface ActiveSession {
  idHash: string;
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
  staff: SessionStaff;
}

/** The live session for a cookie token, or null (unknown, revoked, idle, expired, account off). */
export async function findSession(db: Db, token: string, now: Date): Promise<ActiveSession | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const idHash = hashToken(token);
  const [row] = await db.read
    .select({
      idHash: t.sessions.idHash,
      csrfToken: t.sessions.csrfToken,
      createdAt: t.sessions.createdAt,
      lastSeenAt: t.sessions.lastSeenAt,
      expiresAt: t.sessions.expiresAt,
      revokedAt: t.sessions.revokedAt,
      staffId: t.staff.id,
      username: t.staff.username,
      displayName: t.staff.displayName,
      departmentCode: t.staff.departmentCode,
      role: t.staff.role,
      active: t.staff.active,
      totpEnrolledAt: t.staff.totpEnrolledAt,
      passwordChangedAt: t.staff.passwordChangedAt,
      mustChangePassword: t.staff.mustChangePassword,
    })
    .from(t.sessions)
    .innerJoin(t.staff, eq(t.staff.id, t.sessions.staffId))
    .where(eq(t.sessions.idHash, idHash));
  if (!row || row.revokedAt || !row.active || !row.totpEnrolledAt) return null;
  const ms = now.getTime();
  if (ms >= row.expiresAt.getTime() || ms - row.lastSeenAt.getTime() > IDLE_TIMEOUT_MS) return null;
  if (ms - row.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
    await db.write((tx) => tx.update(t.sessions).set({ lastSeenAt: now }).where(and(eq(t.sessions.idHash, idHash), isNull(t.sessions.revokedAt))));
  }
  return {
    idHash,
    csrfToken: row.csrfToken,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    staff: {
      id: row.staffId,
      username: row.username,
      displayName: row.displayName,
      departmentCode: row.departmentCode,
      role: row.role,
      passwordChangedAt: row.passwordChangedAt,
      mustChangePassword: row.mustChangePassword,
    },
  };
}

export async function revokeSession(tx: Tx, idHash: string, now: Date): Promise<void> {
  await tx.update(t.sessions).set({ revokedAt: now }).where(and(eq(t.sessions.idHash, idHash), isNull(t.sessions.revokedAt)));
}

/** Revokes every live session of an account, optionally keeping one; returns how many ended. */
export async function revokeStaffSessions(tx: Tx, staffId: number, now: Date, keepIdHash?: string): Promise<number> {
  const rows = await tx
    .update(t.sessions)
    .set({ revokedAt: now })
    .where(and(eq(t.sessions.staffId, staffId), isNull(t.sessions.revokedAt), keepIdHash ? ne(t.sessions.idHash, keepIdHash) : undefined))
    .returning({ idHash: t.sessions.idHash });
  return rows.length;
}
