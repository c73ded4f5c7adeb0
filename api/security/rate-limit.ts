/**
 * Fixed-window rate limits kept in the database (table rate_limits), so every app process
 * counts the same requests. Called inside the caller's write transaction: the check and the
 * increment are one atomic step, and a rejected request leaves nothing else behind.
 */
import { sql } from 'drizzle-orm';
import type { RawTx, Tx } from '../../db/client.ts';
import { rateLimits } from '../../db/schema.ts';
import { ApiError } from '../lib/errors.ts';

export interface Limit {
  limit: number;
  windowMs: number;
}

// Windows are aligned to Beijing time, so a daily limit resets at local midnight, not 08:00.
const BEIJING = 8 * 3_600_000;
const windowOf = (now: Date, windowMs: number) => new Date(Math.floor((now.getTime() + BEIJING) / windowMs) * windowMs - BEIJING);

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
