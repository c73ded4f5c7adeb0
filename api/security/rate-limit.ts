/**
 * Fixed-window rate limits kept in the database (table rate_limits), so every app process
 * counts the same requests. Called inside the caller's write transaction: the check and the
 * increment are one atomic step, and a rejected request leaves nothing else behind.
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { rateLimits } from '../../db/schema.ts';
import { ApiError } from '../lib/errors.ts';

export interface Limit {
  limit: number;
  windowMs: number;
}

export async function consumeRateLimit(tx: Tx, key: string, { limit, windowMs }: Limit, now: Date): Promise<void> {
  // Windows are aligned to Beijing time, so a daily limit resets at local midnight, not 08:00.
  const BEIJING = 8 * 3_600_000;
  const windowStart = new Date(Math.floor((now.getTime() + BEIJING) / windowMs) * windowMs - BEIJING);
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
  if (row!.count > limit) {
    const retryAfter = Math.ceil((windowStart.getTime() + windowMs - now.getTime()) / 1000);
    throw new ApiError(429, 'rate_limited', 'rate_limited', undefined, { 'Retry-After': String(retryAfter) });
  }
}
