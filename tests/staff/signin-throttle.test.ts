/**
 * The sign-in throttle (api/staff/throttle.ts) through the real API: failures make the next
 * attempt on that name wait 1 s, 2 s, 4 s … at most 15 minutes — never a lock that keeps the
 * clerk out once the wait is over; an unknown username gets exactly the answers a real one gets
 * (status, headers, body, and an argon2 verification's worth of time); after ten failures in a
 * row the account's owner finds a notice in the admin; the state is in the database, so a second
 * process sees it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { createDb } from '../../db/client.ts';
import { createApp } from '../../api/app.ts';
import { adminUser } from '../../api/staff/admin-user.ts';
import { findSession } from '../../api/staff/sessions.ts';
import { account, codeNow, logInAs, postSignIn, seedStaff } from '../helpers/admin-session.ts';
import { createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  deps = await createSeededDeps(1);
  app = testApp(deps);
  await seedStaff(deps);
});
afterAll(async () => deps?.cleanup());
beforeEach(() => deps.clock.advance(3_600_000)); // fresh TOTP steps and per-IP windows

/** Everything a client can see of an answer but the Date header. */
async function visible(res: Response) {
  const headers = [...res.headers.entries()].filter(([k]) => k !== 'date').sort();
  return { status: res.status, headers, body: await res.text() };
}

const wrong = (username: string, i: number) => postSignIn(app, { username, password: `wrong-password-${i}`, totp: '123456' });

describe('unknown and real usernames are answered alike', () => {
  it('every failure, the fifth included, looks the same for a real account and an unknown name', async () => {
    const real: Awaited<ReturnType<typeof visible>>[] = [];
    const ghost: Awaited<ReturnType<typeof visible>>[] = [];
    for (let i = 1; i <= 7; i++) {
      real.push(await visible(await wrong('edu.handler', i)));
      ghost.push(await visible(await wrong('edu.handlr', i)));
      deps.clock.advance(2 ** (i - 1) * 1000); // exactly the wait this failure set
    }
    expect(ghost).toEqual(real);
    expect(real.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401, 401]);
    expect(real.map((r) => r.headers.find(([k]) => k === 'retry-after')?.[1])).toEqual(['1', '2', '4', '8', '16', '32', '64']);
  });

  it('an attempt while the name must wait is refused unread and uncounted — alike for both', async () => {
    await wrong('culture.handler', 0);
    await wrong('culture.handlr', 0);
    deps.clock.advance(400);
    const real = await visible(await postSignIn(app, { username: 'culture.handler', password: account('culture.handler').password, totp: codeNow(deps, account('culture.handler')) }));
    const ghost = await visible(await wrong('culture.handlr', 1));
    expect(ghost).toEqual(real);
    expect(real.status).toBe(401);
    expect(real.headers.find(([k]) => k === 'retry-after')?.[1]).toBe('1');
    const [row] = await deps.db.read.select().from(t.signinThrottle).where(eq(t.signinThrottle.key, `staff:${await idOf('culture.handler')}`));
    expect(row!.failures).toBe(1); // the refused attempt did not count
  });

  it('an unknown name costs an argon2 verification too (similar time)', async () => {
    const time = async (username: string) => {
      deps.clock.advance(60_000);
      const started = performance.now();
      await wrong(username, 0);
      return performance.now() - started;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push(await time('science.handler'));
      unknown.push(await time(`nobody-${i}`));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2]!;
    // argon2id (19 MiB, t=2) takes tens of milliseconds; skipping it for unknown names would
    // answer them several times faster.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
  });

  it('the typed name is not stored: unknown names are kept under an HMAC', async () => {
    const keys = (await deps.db.read.select({ key: t.signinThrottle.key }).from(t.signinThrottle)).map((r) => r.key);
    expect(keys.some((k) => k.includes('nobody') || k.includes('handlr'))).toBe(false);
    expect(keys.filter((k) => k.startsWith('name:')).length).toBeGreaterThan(0);
  });
});

describe('growing delays instead of a lock', () => {
  it('doubles up to 15 minutes, and the right credentials work as soon as the wait is over', async () => {
    const a = account('market.handler');
    const waits: number[] = [];
    for (let i = 1; i <= 13; i++) {
      const res = await wrong(a.username, i);
      waits.push(Number(res.headers.get('retry-after')));
      deps.clock.advance(waits.at(-1)! * 1000);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]);
    // The wait after the 13th failure is over: no lock, the clerk gets in.
    deps.clock.advance(30_000);
    const ok = await postSignIn(app, { username: a.username, password: a.password, totp: codeNow(deps, a) });
    expect(ok.status).toBe(200);
    // …and the run starts again from one second.
    expect((await wrong(a.username, 99)).headers.get('retry-after')).toBe('1');
  });

  it('the state is in the database: another process on the same file sees the wait', async () => {
    await wrong('science.head', 0);
    const other = await createDb(deps.db.url);
    try {
      const otherApp = createApp({ ...deps, db: other });
      const a = account('science.head');
      const res = await otherApp.request('/api/admin/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: a.username, password: a.password, totp: codeNow(deps, a) }) });
      expect(res.status).toBe(401);
      expect(res.headers.get('retry-after')).toBe('1');
    } finally {
      await other.close();
    }
  });
});

describe('ten failures in a row: the owner is told', () => {
  it('leaves one notice for the account (audited), shown in its admin header until acknowledged', async () => {
    const a = account('market.head');
    for (let i = 1; i <= 11; i++) {
      const res = await wrong(a.username, i);
      deps.clock.advance(Number(res.headers.get('retry-after')) * 1000);
    }
    const id = await idOf(a.username);
    const notices = await deps.db.read.select().from(t.adminNotices).where(eq(t.adminNotices.recipientStaffId, id));
    expect(notices).toHaveLength(1); // at the tenth, not again at the eleventh
    expect(notices[0]).toMatchObject({ kind: 'signin_failures', detail: { failures: 10 }, acknowledgedAt: null });
    const audit = await deps.db.read.select().from(t.auditLog).where(eq(t.auditLog.action, 'staff.signin_failures_notice'));
    expect(audit.filter((r) => r.objectId === String(id))).toHaveLength(1);

    deps.clock.advance(30_000);
    const s = await logInAs(app, deps, a.username);
    const list = (await (await s.get('/api/admin/notices')).json()) as { notices: { id: number; kind: string }[] };
    expect(list.notices).toEqual([expect.objectContaining({ kind: 'signin_failures' })]);
    const session = await findSession(deps.db, s.cookie.split('=')[1]!, deps.clock.now());
    expect((await adminUser(deps, session!)).alerts).toBe(1);
    // Nobody else sees it, nobody else can acknowledge it.
    const other = await logInAs(app, deps, 'edu.head');
    expect(((await (await other.get('/api/admin/notices')).json()) as { notices: unknown[] }).notices).toEqual([]);
    expect((await other.post(`/api/admin/notices/${list.notices[0]!.id}/acknowledge`)).status).toBe(404);

    expect((await s.post(`/api/admin/notices/${list.notices[0]!.id}/acknowledge`)).status).toBe(200);
    expect(((await (await s.get('/api/admin/notices')).json()) as { notices: unknown[] }).notices).toEqual([]);
    expect((await adminUser(deps, session!)).alerts).toBe(0);
    const ack = await deps.db.read.select().from(t.auditLog).where(eq(t.auditLog.action, 'notice.acknowledged'));
    expect(ack.at(-1)).toMatchObject({ actorStaffId: id, objectId: String(list.notices[0]!.id) });
  });
});

async function idOf(username: string): Promise<number> {
  return (await deps.db.read.select({ id: t.staff.id }).from(t.staff).where(eq(t.staff.username, username)))[0]!.id;
}

describe('old runs are forgotten', () => {
  it('a failure a day after the last one starts again at one second; the retention job prunes such rows', async () => {
    const { pruneThrottle } = await import('../../api/staff/throttle.ts');
    for (let i = 1; i <= 4; i++) {
      const res = await wrong('culture.head', i);
      deps.clock.advance(Number(res.headers.get('retry-after')) * 1000);
    }
    deps.clock.advance(24 * 3_600_000);
    expect((await wrong('culture.head', 5)).headers.get('retry-after')).toBe('1');
    deps.clock.advance(24 * 3_600_000 + 1);
    await deps.db.write((tx) => pruneThrottle(tx, deps.clock.now()));
    expect(await deps.db.read.select().from(t.signinThrottle)).toEqual([]);
  });
});
