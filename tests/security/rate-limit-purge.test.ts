/**
 * Housekeeping of rate_limits: every per-IP, per-mobile and per-code counter leaves a row, and the
 * retention job deletes the rows whose window and lock have ended — never one still in force (a
 * locked tracking code stays locked, a counter keeps counting) — in batches of short writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, gte, lt } from 'drizzle-orm';
import { rawTx } from '../../db/client.ts';
import { rateLimits } from '../../db/schema.ts';
import { purgeExpiredRateLimits, runRetention } from '../../api/retention/purge.ts';
import { BACKUP_LIMIT } from '../../api/ops/backup.ts';
import { consumeRateLimit, consumeRateLimits, LONGEST_WINDOW_MS, recordFailure } from '../../api/security/rate-limit.ts';
import { complaintBody, createSeededDeps, postJson, testApp, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
let code: string;
let other: string;
let ipSeq = 0;

/** Each lookup from a new address (behind the proxy): one per-IP row each, and the code's own counter. */
const lookup = (c: string, last4: string) => app.request(`/api/complaints/${c}?last4=${last4}`, { headers: { 'x-forwarded-for': `198.51.100.${++ipSeq % 250}` } });
const lock = async (c: string) => {
  for (let i = 0; i < 10; i++) expect((await lookup(c, '0000')).status).toBe(404);
  expect((await lookup(c, '5678')).status).toBe(429);
};
const rowCount = async () => (await deps.db.read.select({ key: rateLimits.key }).from(rateLimits)).length;

async function file(mobile: string): Promise<string> {
  const res = await postJson(app, '/api/complaints', complaintBody({ mobile }), { 'x-forwarded-for': '203.0.113.9' });
  expect(res.status).toBe(201);
  return ((await res.json()) as { trackingCode: string }).trackingCode;
}

beforeAll(async () => {
  deps = await createSeededDeps(5, { env: { TRUST_PROXY: 'on' } });
  app = testApp(deps);
  code = await file('13800005678');
  other = await file('13900005678');
});
afterAll(() => deps.cleanup());

describe('expired rate-limit rows are purged', () => {
  it('keeps every counter and lock whose window may still be running', async () => {
    await lock(code);
    const before = await rowCount();
    expect(before).toBeGreaterThan(12); // per-IP lookups, the code's lock, the intake counters
    deps.clock.advance(30 * 60_000);
    await runRetention(deps);
    expect(await rowCount()).toBe(before);
    expect((await lookup(code, '5678')).status).toBe(429);
  });

  it('deletes, in batches, every row older than the longest window; fresh rows stay and keep working', async () => {
    deps.clock.advance(LONGEST_WINDOW_MS + 3_600_000);
    await lock(other); // a lock set now must survive the purge
    const cutoff = new Date(deps.clock.now().getTime() - LONGEST_WINDOW_MS);
    const old = await deps.db.read.select({ key: rateLimits.key }).from(rateLimits).where(lt(rateLimits.windowStart, cutoff));
    const fresh = await deps.db.read.select({ key: rateLimits.key }).from(rateLimits).where(gte(rateLimits.windowStart, cutoff));
    expect(old.length).toBeGreaterThan(6);
    expect(fresh.length).toBeGreaterThan(10);

    expect(await purgeExpiredRateLimits(deps, 3)).toBe(old.length);
    expect((await deps.db.read.select({ key: rateLimits.key }).from(rateLimits)).map((r) => r.key).sort()).toEqual(fresh.map((r) => r.key).sort());
    expect(await purgeExpiredRateLimits(deps, 3)).toBe(0);
    // The fresh lock still holds; the old one had ended anyway, and the code answers again.
    expect((await lookup(other, '5678')).status).toBe(429);
    expect((await lookup(code, '5678')).status).toBe(200);
  });

  it('a day-long counter goes only once its whole window has passed (to the millisecond)', async () => {
    await deps.db.write((tx) => consumeRateLimit(tx, 'backup:42', BACKUP_LIMIT, deps.clock.now()));
    const [row] = await deps.db.read.select().from(rateLimits).where(eq(rateLimits.key, 'backup:42'));
    deps.clock.set(new Date(row!.windowStart.getTime() + BACKUP_LIMIT.windowMs));
    await runRetention(deps);
    expect(await deps.db.read.select().from(rateLimits).where(eq(rateLimits.key, 'backup:42'))).toHaveLength(1);
    deps.clock.advance(1);
    await runRetention(deps);
    expect(await deps.db.read.select().from(rateLimits).where(eq(rateLimits.key, 'backup:42'))).toHaveLength(0);
  });

  it('a limit or lock longer than the purge horizon is refused at its first use, and writes nothing', async () => {
    const long = LONGEST_WINDOW_MS + 1;
    const now = deps.clock.now();
    await expect(deps.db.write((tx) => consumeRateLimit(tx, 'test:long', { limit: 5, windowMs: long }, now))).rejects.toThrow(/LONGEST_WINDOW_MS/);
    await expect(deps.db.write((tx) => recordFailure(tx, 'test:lock', { limit: 3, windowMs: 60_000, lockMs: long }, now))).rejects.toThrow(/LONGEST_WINDOW_MS/);
    await expect(deps.db.write((tx) => consumeRateLimits(rawTx(tx), [{ key: 'test:many', limit: { limit: 5, windowMs: long } }], now))).rejects.toThrow(/LONGEST_WINDOW_MS/);
    expect((await deps.db.read.select().from(rateLimits)).map((r) => r.key).filter((k) => k.startsWith('test:'))).toEqual([]);
  });
});
