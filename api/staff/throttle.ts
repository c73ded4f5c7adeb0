/**
 * Sign-in throttle: after n failed attempts in a row the next attempt on that name waits
 * 2^(n-1) seconds (1 s, 2 s, 4 s …), never more than 15 minutes — a growing delay instead of a
 * lock, so nobody can shut a clerk out for good by typing wrong passwords under their name.
 *
 * Kept in the database (table signin_throttle), so every process of the service counts the same
 * attempts. A known account's row is keyed by its id (an administrator's reset clears it); any
 * other typed name by an HMAC of the name, so a password typed into the username field is never
 * stored. Both follow the very same schedule, so the answers cannot tell a real name from an
 * unknown one. A run of failures older than a day starts again from one second.
 */
import { createHmac } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import { signinThrottle } from '../../db/schema.ts';
import type { Keys } from '../security/keys.ts';

export const MAX_DELAY_MS = 15 * 60_000;
/** A run of failures this old no longer counts: the next failure starts at one second again. */
export const FAILURE_MEMORY_MS = 24 * 3_600_000;

export const delayAfter = (failures: number) => Math.min(1000 * 2 ** Math.min(failures - 1, 30), MAX_DELAY_MS);

export const accountKey = (staffId: number) => `staff:${staffId}`;
export const unknownNameKey = (keys: Pick<Keys, 'lookup'>, username: string) =>
  `name:${createHmac('sha256', keys.lookup).update(`signin-throttle:${username.trim().toLowerCase()}`).digest('base64url')}`;

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** Seconds until the name may try again (0: it may try now). Read or write handle alike. */
export async function waitFor(db: Db['read'] | Tx, key: string, now: Date): Promise<number> {
  const [row] = await db.select({ next: signinThrottle.nextAttemptAt }).from(signinThrottle).where(eq(signinThrottle.key, key));
  return row && row.next > now ? seconds(row.next.getTime() - now.getTime()) : 0;
}

/** Counts one failure (in the caller's transaction); returns the run's length and the wait it sets. */
export async function recordFailure(tx: Tx, key: string, now: Date): Promise<{ failures: number; retryAfterSeconds: number }> {
  const [prev] = await tx.select().from(signinThrottle).where(eq(signinThrottle.key, key));
  const failures = prev && now.getTime() - prev.lastFailureAt.getTime() < FAILURE_MEMORY_MS ? prev.failures + 1 : 1;
  const delay = delayAfter(failures);
  const nextAttemptAt = new Date(now.getTime() + delay);
  await tx
    .insert(signinThrottle)
    .values({ key, failures, nextAttemptAt, lastFailureAt: now })
    .onConflictDoUpdate({ target: signinThrottle.key, set: { failures, nextAttemptAt, lastFailureAt: now } });
  return { failures, retryAfterSeconds: seconds(delay) };
}

export async function clearFailures(tx: Tx, key: string): Promise<void> {
  await tx.delete(signinThrottle).where(eq(signinThrottle.key, key));
}

/** Housekeeping: rows of runs nobody continued for a day (the retention job may call it). */
export async function pruneThrottle(tx: Tx, now: Date): Promise<void> {
  await tx.delete(signinThrottle).where(sql`${signinThrottle.lastFailureAt} < ${now.getTime() - FAILURE_MEMORY_MS}`);
}
