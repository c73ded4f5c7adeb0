/**
 * Guessing a case's four digits: besides the per-IP limit, 10 wrong lookups of one tracking code
 * within an hour lock that code's lookups for an hour — from any address, for the API and the
 * no-JS tracking page alike, with 429 + Retry-After and a message in the user's language. The
 * counters live in the database (rate_limits), so every process sees the same lock, and they hold
 * a keyed hash, never the code.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { like } from 'drizzle-orm';
import { rateLimits } from '../../db/schema.ts';
import { handleTrack } from '../../api/public/track-page.ts';
import { complaintBody, createSeededDeps, postJson, testApp, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
let code: string;
let other: string;
let ipSeq = 0;

/** Each lookup from a new address (behind the proxy), so the per-IP limit never comes into it. */
const lookup = (c: string, last4: string, lang = 'zh-CN', a = app) =>
  a.request(`/api/complaints/${c}?last4=${last4}`, { headers: { 'x-forwarded-for': `198.51.100.${++ipSeq % 250}`, 'accept-language': lang } });

const trackPage = (c: string, last4: string, lang: 'zh-CN' | 'en' = 'zh-CN') =>
  handleTrack(deps, new Request('http://127.0.0.1/complaints/track/', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ code: c, last4 }).toString() }), `203.0.113.${++ipSeq % 250}`, lang);

async function file(mobile: string): Promise<string> {
  const res = await postJson(app, '/api/complaints', complaintBody({ mobile }));
  expect(res.status).toBe(201);
  return ((await res.json()) as { trackingCode: string }).trackingCode;
}

/** 10 wrong last4 from 10 addresses: the code is locked for an hour. */
async function lock(c: string) {
  for (let i = 0; i < 10; i++) expect((await lookup(c, String(1000 + i))).status).toBe(404);
}

// A database of its own for every test: the locks and counters live in it, and the clock moves.
beforeEach(async () => {
  deps = await createSeededDeps(10, { env: { TRUST_PROXY: 'on' } });
  app = testApp(deps);
  code = await file('13800005678');
  other = await file('13900001234');
});
afterEach(() => deps?.cleanup());

describe('per-code lock on tracking lookups', () => {
  it('10 wrong last4 from 10 addresses lock the code: the right digits then get 429 + Retry-After, in the user\'s language', async () => {
    await lock(code);
    const locked = await lookup(code, '5678');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBe(3600);
    expect(((await locked.json()) as { error: { code: string; message: string } }).error).toEqual({ code: 'rate_limited', message: '该跟踪码的查询错误次数过多，已暂停查询1小时，请稍后再试。' });
    const en = await lookup(code, '5678', 'en');
    expect(en.status).toBe(429);
    expect(((await en.json()) as { error: { message: string } }).error.message).toMatch(/paused for an hour/);
    // The no-JS page answers the same: 429, Retry-After, its own localised message.
    const page = await trackPage(code, '5678', 'en');
    expect(page).toMatchObject({ status: 429, error: 'code_locked', view: null });
    expect(Number(page.retryAfter)).toBeGreaterThan(3500);
  });

  it('other codes are not affected', async () => {
    await lock(code);
    expect((await lookup(code, '5678')).status).toBe(429);
    expect((await lookup(other, '1234')).status).toBe(200);
  });

  it('the lock is in the database: a second app on the same database refuses too; no code is stored', async () => {
    await lock(code);
    expect((await lookup(code, '5678', 'zh-CN', testApp(deps))).status).toBe(429);
    const rows = await deps.db.read.select().from(rateLimits).where(like(rateLimits.key, 'track:code:%'));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.key).not.toContain(code);
  });

  it('the lock ends after an hour', async () => {
    await lock(code);
    expect((await lookup(code, '5678')).status).toBe(429);
    deps.clock.advance(3_600_000 + 1000);
    expect((await lookup(code, '5678')).status).toBe(200);
  });

  it('failures spread over more than an hour do not add up to a lock', async () => {
    for (let i = 0; i < 9; i++) expect((await lookup(other, String(2000 + i))).status).toBe(404);
    deps.clock.advance(3_600_000 + 1000);
    for (let i = 0; i < 9; i++) expect((await lookup(other, String(3000 + i))).status).toBe(404);
    expect((await lookup(other, '1234')).status).toBe(200);
  });

  it('an unknown code locks exactly like a real one (the lock tells nothing about existence)', async () => {
    for (let i = 0; i < 10; i++) expect((await trackPage('TS-2222-2222', String(4000 + i))).error).toBe('not_found');
    expect((await lookup('TS-2222-2222', '5678')).status).toBe(429);
  });
});

describe('client IP for the limits', () => {
  it('behind the proxy, the per-IP counter is keyed by the right-most untrusted address', async () => {
    await app.request(`/api/complaints/${other}?last4=1234`, { headers: { 'x-forwarded-for': '6.6.6.6, 192.0.2.44' } });
    const keys = (await deps.db.read.select().from(rateLimits).where(like(rateLimits.key, 'track:ip-key:%'))).map((r) => r.key);
    expect(keys).toContain(`track:ip-key:${deps.pii.ipKey('192.0.2.44')}`);
    expect(keys).not.toContain(`track:ip-key:${deps.pii.ipKey('6.6.6.6')}`);
  });

  it('an address over its per-IP limit is refused by the page before its body is read', async () => {
    const ip = '192.0.2.99';
    for (let i = 0; i < 30; i++) await handleTrack(deps, new Request('http://x/', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `code=${other}&last4=1234` }), ip, 'zh-CN');
    let pulled = false;
    const body = new ReadableStream({
      pull(c) {
        pulled = true;
        c.enqueue(new TextEncoder().encode(`code=${other}&last4=1234`));
        c.close();
      },
    }, { highWaterMark: 0 }); // nothing is pulled until someone reads
    const state = await handleTrack(deps, new Request('http://x/', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, duplex: 'half' } as RequestInit), ip, 'zh-CN');
    expect(state).toMatchObject({ status: 429, error: 'rate_limited' });
    expect(Number(state.retryAfter)).toBeGreaterThan(0);
    expect(pulled).toBe(false);
  });
});
