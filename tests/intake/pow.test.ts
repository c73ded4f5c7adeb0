/**
 * Proof-of-work on intake, switched on (INTAKE_POW=on; other test files run with it off):
 * GET /api/complaints/challenge, the browser solver (pow-solve.ts, WebCrypto — run here in
 * Node 22), and intake refusing missing, forged, expired, unfinished and replayed solutions.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { issueChallenge, POW_DIFFICULTY, POW_TTL_MS, verifyPow } from '../../api/intake/pow.ts';
import { leadingZeroBits, solvePow } from '../../api/intake/pow-solve.ts';
import { complaintBody, createSeededDeps, postJson, testApp, type TestDeps } from '../helpers/test-deps.ts';
import { expectErrorShape, rowCounts } from '../helpers/intake.ts';

const NOW = '2026-11-27T02:00:00Z';
let deps: TestDeps;
let app: ReturnType<typeof testApp>;
let mobileSeq = 3000;
const body = (pow: string | undefined, overrides: Record<string, unknown> = {}) =>
  complaintBody({ institutionId: 'demo-0003', mobile: `136${String(mobileSeq++).padStart(8, '0')}`, pow, ...overrides });

/** Node's synchronous sha256 is ~30× faster than WebCrypto's per-call path; the browser solver has its own test. */
function solveFast(challenge: string, difficulty: number): string {
  for (let n = 0; ; n++) {
    const s = `${challenge}:${n.toString(36)}`;
    if (leadingZeroBits(createHash('sha256').update(s).digest()) >= difficulty) return s;
  }
}

async function freshSolution(): Promise<string> {
  const res = await app.request('/api/complaints/challenge');
  const c = (await res.json()) as { challenge: string; difficulty: number };
  return solveFast(c.challenge, c.difficulty);
}

async function expectPowRefused(res: Response) {
  expect(res.status).toBe(422);
  const e = expectErrorShape(422, await res.json());
  expect(e.code).toBe('pow_required');
  expect(e.issues!.map((i) => i.path)).toEqual(['pow']);
  return e;
}

beforeAll(async () => {
  deps = await createSeededDeps(10, { now: NOW, env: { INTAKE_POW: 'on' } });
  app = testApp(deps);
});
afterAll(async () => {
  await deps?.cleanup();
});
// Every test starts at NOW (challenges are issued and checked against this clock).
beforeEach(() => {
  deps.clock.set(NOW);
});

describe('GET /api/complaints/challenge', () => {
  it('issues a signed, uncached challenge that expires in 10 minutes', async () => {
    const res = await app.request('/api/complaints/challenge');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const c = await res.json();
    expect(Object.keys(c).sort()).toEqual(['challenge', 'difficulty', 'expiresAt']);
    expect(c.difficulty).toBe(POW_DIFFICULTY);
    expect(c.expiresAt).toBe(new Date(Date.parse(NOW) + POW_TTL_MS).toISOString());
    expect(c.challenge).toMatch(/^p1\.[A-Za-z0-9_-]{22}\.\d+\.\d+\.[A-Za-z0-9_-]{43}$/);
    const other = await (await app.request('/api/complaints/challenge')).json();
    expect(other.challenge).not.toBe(c.challenge);
  });
});

describe('the browser solver (WebCrypto)', () => {
  it('leadingZeroBits counts bits, not bytes', () => {
    expect(leadingZeroBits(new Uint8Array([0, 0, 0x80]))).toBe(16);
    expect(leadingZeroBits(new Uint8Array([0, 0x01]))).toBe(15);
    expect(leadingZeroBits(new Uint8Array([0x7f]))).toBe(1);
    expect(leadingZeroBits(new Uint8Array([0, 0]))).toBe(16);
  });

  it('finds a nonce the server accepts, with the hash really starting with the zero bits', async () => {
    const { challenge, difficulty } = issueChallenge(deps.keys.pow, deps.clock.now());
    const solution = await solvePow(challenge, difficulty);
    expect(solution.startsWith(`${challenge}:`)).toBe(true);
    expect(leadingZeroBits(createHash('sha256').update(solution).digest())).toBeGreaterThanOrEqual(difficulty);
    expect(verifyPow(deps.keys.pow, solution, deps.clock.now())).toMatchObject({ ok: true });
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    ac.abort(new Error('left the page'));
    await expect(solvePow('x', 30, { signal: ac.signal })).rejects.toThrow('left the page');
  });
});

describe('verifyPow', () => {
  const key = () => deps.keys.pow;
  it('refuses what it cannot trust', () => {
    const now = deps.clock.now();
    const { challenge } = issueChallenge(key(), now);
    expect(verifyPow(key(), undefined, now)).toEqual({ ok: false, reason: 'missing' });
    expect(verifyPow(key(), 'garbage', now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyPow(key(), `${challenge}:NOT-base36`, now)).toEqual({ ok: false, reason: 'malformed' });
    // a challenge signed with another key (another deployment, or forged)
    const foreign = issueChallenge(Buffer.alloc(32, 9), now).challenge;
    expect(verifyPow(key(), `${foreign}:0`, now)).toEqual({ ok: false, reason: 'signature' });
    // lowering the difficulty inside a genuine challenge breaks its signature
    const easier = challenge.replace(/\.(\d+)\.([^.]+)$/, '.1.$2');
    expect(verifyPow(key(), `${easier}:0`, now)).toEqual({ ok: false, reason: 'signature' });
    // a challenge we issued ourselves at a lower difficulty than required now
    const weak = issueChallenge(key(), now, 4).challenge;
    expect(verifyPow(key(), `${weak}:0`, now)).toEqual({ ok: false, reason: 'too_easy' });
    // expired
    expect(verifyPow(key(), `${challenge}:0`, new Date(now.getTime() + POW_TTL_MS))).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a nonce that does not do the work', () => {
    const now = deps.clock.now();
    const { challenge } = issueChallenge(key(), now);
    let n = 0;
    while (leadingZeroBits(createHash('sha256').update(`${challenge}:${n.toString(36)}`).digest()) >= POW_DIFFICULTY) n++;
    expect(verifyPow(key(), `${challenge}:${n.toString(36)}`, now)).toEqual({ ok: false, reason: 'work' });
  });
});

describe('intake with INTAKE_POW=on', () => {
  it('without a pow field → 422 pow_required at pow, nothing stored', async () => {
    const before = await rowCounts(deps);
    const e = await expectPowRefused(await postJson(app, '/api/complaints', body(undefined)));
    expect(e.issues![0]!.message).toBe('安全校验未完成或已过期，请重新提交');
    expect(await rowCounts(deps)).toEqual(before);
  });

  it('a solved challenge files one complaint; replaying it → 422 at pow; the same Idempotency-Key still replays', async () => {
    const solution = await freshSolution();
    const first = body(solution);
    // Counted before: other tests in this file spend solutions too.
    const spentBefore = (await rowCounts(deps, ['pow_spent'])).pow_spent!;
    const res = await postJson(app, '/api/complaints', first, { 'idempotency-key': 'pow-replay-0001' });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect((await rowCounts(deps, ['pow_spent'])).pow_spent).toBe(spentBefore + 1);

    const before = await rowCounts(deps);
    await expectPowRefused(await postJson(app, '/api/complaints', body(solution)));
    expect(await rowCounts(deps)).toEqual(before);

    // The network dropped the first answer and the phone retries 11 minutes later: the
    // challenge has expired, but the key identifies the request already filed.
    deps.clock.set(new Date(Date.parse(NOW) + 11 * 60_000));
    try {
      const retry = await postJson(app, '/api/complaints', first, { 'idempotency-key': 'pow-replay-0001' });
      expect(retry.status).toBe(201);
      expect(await retry.json()).toEqual(created);
      expect(await rowCounts(deps)).toEqual(before);
    } finally {
      deps.clock.set(NOW);
    }
  });

  it('a complaint refused for another reason does not spend the solution', async () => {
    const solution = await freshSolution();
    const before = await rowCounts(deps);
    const res = await postJson(app, '/api/complaints', body(solution, { institutionId: 'demo-9999' }));
    expect(res.status).toBe(422);
    expect(expectErrorShape(422, await res.json()).issues!.map((i) => i.path)).toEqual(['institutionId']);
    expect(await rowCounts(deps)).toEqual(before);
    expect((await postJson(app, '/api/complaints', body(solution))).status).toBe(201);
  });

  it('an expired solution → 422 at pow; spent ids past their expiry are pruned', async () => {
    const solution = await freshSolution();
    deps.clock.set(new Date(Date.parse(NOW) + POW_TTL_MS + 1));
    try {
      await expectPowRefused(await postJson(app, '/api/complaints', body(solution)));
      // a fresh challenge works; filing it prunes the ids that can no longer be replayed anyway
      const fresh = await freshSolution();
      expect((await postJson(app, '/api/complaints', body(fresh))).status).toBe(201);
      expect((await rowCounts(deps, ['pow_spent'])).pow_spent).toBe(1);
    } finally {
      deps.clock.set(NOW);
    }
  });
});
