/**
 * Fixed-window rate limits kept in the database (table rate_limits), so every app process
 * counts the same requests. Called inside the caller's write transaction: the check and the
 * increment are one atomic step, and a rejected request leaves nothing else behind.
 */
import { eq, sql } from 'drizzle-orm';
import type { Db, RawTx, Tx } from '../../db/client.ts';
import { rateLimits } from '../../db/schema.ts';
import { ApiError } from '../lib/errors.ts';
import type { MessageKey } from '../lib/messages.ts';

export interface Limit {
  limit: number;
  windowMs: number;
}

// Windows are aligned to Beijing time, so a daily limit resets at local midnight, not 08:00.
const BEIJING = 8 * 3_600_000;
const windowOf = (now: Date, windowMs: number) => new Date(Math.floor((now.getTime() + BEIJING) / windowMs) * windowMs - BEIJING);

/**
 * The longest window or lock any limit may use (today: the per-mobile intake limit and the backup
 * limit, one day). A row keeps its window's start but not its length, so the retention job
 * (api/retention/purge.ts) deletes a row only once this long has passed since `window_start`: by
 * then whatever window or lock the row belongs to has ended, and a deleted row behaves exactly as
 * the expired one would have (the next request starts from one, and no lock is in force).
 * A limit longer than this is refused at its first use, rather than silently cut short.
 */
export const LONGEST_WINDOW_MS = 24 * 3_600_000;
function withinHorizon(ms: number): void {
  if (!(ms > 0 && ms <= LONGEST_WINDOW_MS)) throw new Error(`rate limit window or lock of ${ms} ms: raise LONGEST_WINDOW_MS first (api/security/rate-limit.ts), or the retention job deletes live rows`);
}

const limited = (windowStart: Date, windowMs: number, now: Date) => {
  const retryAfter = Math.ceil((windowStart.getTime() + windowMs - now.getTime()) / 1000);
  return new ApiError(429, 'rate_limited', 'rate_limited', undefined, { 'Retry-After': String(retryAfter) });
};

/**
 * Several counters in one statement (intake counts per mobile and per IP on every complaint).
 * All are counted, then checked in the order given; the first one over its limit throws — and
 * since the caller's SAVEPOINT then rolls back, none of the increments stays, exactly as with
 * one consumeRateLimit call after another.
 */
export async function consumeRateLimits(raw: RawTx, entries: readonly { key: string; limit: Limit }[], now: Date): Promise<void> {
  if (!entries.length) return;
  for (const e of entries) withinHorizon(e.limit.windowMs);
  const windows = entries.map((e) => windowOf(now, e.limit.windowMs));
  const rows = await raw.all(
    `INSERT INTO rate_limits (key, window_start, count) VALUES ${entries.map(() => '(?, ?, 1)').join(', ')}
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.count + 1 ELSE 1 END,
       window_start = excluded.window_start
     RETURNING key, count`,
    entries.flatMap((e, i) => [e.key, windows[i]!.getTime()]),
  );
  const counts = new Map(rows.map((r) => [r.key as string, Number(r.count)]));
  entries.forEach((e, i) => {
    if ((counts.get(e.key) ?? 0) > e.limit.limit) throw limited(windows[i]!, e.limit.windowMs, now);
  });
}

export async function consumeRateLimit(tx: Tx, key: string, { limit, windowMs }: Limit, now: Date): Promise<void> {
  withinHorizon(windowMs);
  const windowStart = windowOf(now, windowMs);
  const [row] = await tx
    .insert(rateLimits)
    .values({ key, windowStart, count: 1 })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`CASE WHEN ${rateLimits.windowStart} = ${windowStart.getTime()} THEN ${rateLimits.count} + 1 ELSE 1 END`,
        windowStart: sql`${windowStart.getTime()}`,
      },
    })
    .returning({ count: rateLimits.count });
  if (row!.count > limit) throw limited(windowStart, windowMs, now);
}

/**
 * A failure limit with a lock: `limit` failures within `windowMs` (counted from the first one)
 * lock the key for `lockMs` from the failure that reached the limit. Two rows of rate_limits:
 * `<key>:fail` (first failure, count) and `<key>:lock` (when the lock began).
 */
export interface LockPolicy {
  limit: number;
  windowMs: number;
  lockMs: number;
}

/** The end of a lock on `key` still in force at `now`, or null. */
export async function lockedUntil(db: Pick<Db, 'read'>, key: string, policy: LockPolicy, now: Date): Promise<Date | null> {
  const [row] = await db.read.select({ since: rateLimits.windowStart }).from(rateLimits).where(eq(rateLimits.key, `${key}:lock`));
  if (!row) return null;
  const until = new Date(row.since.getTime() + policy.lockMs);
  return until > now ? until : null;
}

/** Counts one failure against `key`; returns the lock's end when this failure set the lock. */
export async function recordFailure(tx: Tx, key: string, policy: LockPolicy, now: Date): Promise<Date | null> {
  withinHorizon(policy.windowMs);
  withinHorizon(policy.lockMs);
  const windowOpen = now.getTime() - policy.windowMs;
  const [row] = await tx
    .insert(rateLimits)
    .values({ key: `${key}:fail`, windowStart: now, count: 1 })
    .onConflictDoUpdate({
      target: rateLimits.key,
      // A first failure older than the window starts a new count from this one.
      set: {
        count: sql`CASE WHEN ${rateLimits.windowStart} > ${windowOpen} THEN ${rateLimits.count} + 1 ELSE 1 END`,
        windowStart: sql`CASE WHEN ${rateLimits.windowStart} > ${windowOpen} THEN ${rateLimits.windowStart} ELSE ${now.getTime()} END`,
      },
    })
    .returning({ count: rateLimits.count });
  if (row!.count < policy.limit) return null;
  await tx
    .insert(rateLimits)
    .values({ key: `${key}:lock`, windowStart: now, count: row!.count })
    .onConflictDoUpdate({ target: rateLimits.key, set: { windowStart: now, count: row!.count } });
  // The lock starts a fresh count: after it ends, another `limit` failures are needed.
  await tx.delete(rateLimits).where(eq(rateLimits.key, `${key}:fail`));
  return new Date(now.getTime() + policy.lockMs);
}

/** 429 with Retry-After until `until`, in the one error shape. */
export const lockedError = (until: Date, now: Date, messageKey: MessageKey) =>
  new ApiError(429, 'rate_limited', messageKey, undefined, { 'Retry-After': String(Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000))) });

/**
 * Whether `key` has already used up `limit` in its current window, without counting: lets a
 * handler refuse before it reads a body. The 429 it returns is the one consumeRateLimit throws.
 */
export async function overLimit(db: Pick<Db, 'read'>, key: string, { limit, windowMs }: Limit, now: Date): Promise<ApiError | null> {
  const windowStart = windowOf(now, windowMs);
  const [row] = await db.read.select({ start: rateLimits.windowStart, count: rateLimits.count }).from(rateLimits).where(eq(rateLimits.key, key));
  return row && row.start.getTime() === windowStart.getTime() && row.count >= limit ? limited(windowStart, windowMs, now) : null;
}
