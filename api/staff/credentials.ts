/**
 * Staff credentials as the account administration hands them out: temporary passwords, and what a
 * password or TOTP reset does to an account. Shared by the direct changes (accounts.ts) and
 * the confirmed requests (requests.ts), which would otherwise import each other.
 */
import { randomInt } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import { accountKey, clearFailures } from './throttle.ts';

/** 16 characters without look-alikes (0/O, 1/l/I), read out or typed from a printout. */
export function temporaryPassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  let s = '';
  for (let i = 0; i < 16; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

/** Ends every session of the account. */
export const revokeSessions = (tx: Tx, staffId: number, now: Date) =>
  tx.update(t.sessions).set({ revokedAt: now }).where(and(eq(t.sessions.staffId, staffId), isNull(t.sessions.revokedAt)));

/**
 * What a password or TOTP reset does to the account, applied at once by its confirmer or by a
 * head to their own handler, or at confirmation of the administrator's request
 * (requests.ts): a temporary password (changed at first sign-in, the TOTP stays) or no
 * authenticator (the next sign-in enrols one); either way every session of the account ends.
 */
export async function applyReset(tx: Tx, id: number, kind: 'reset_totp' | 'reset_password', passwordHash: string | null, now: Date): Promise<void> {
  if (kind === 'reset_totp') {
    await tx.update(t.staff).set({ totpSecretEnc: null, totpEnrolledAt: null, lastTotpStep: null }).where(eq(t.staff.id, id));
    await tx.delete(t.totpEnrolments).where(eq(t.totpEnrolments.staffId, id));
  } else {
    await tx.update(t.staff).set({ passwordHash: passwordHash!, passwordChangedAt: null, mustChangePassword: true }).where(eq(t.staff.id, id));
    await clearFailures(tx, accountKey(id));
  }
  await revokeSessions(tx, id, now);
}
