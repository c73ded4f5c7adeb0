/**
 * Publishing from the admin: one build at a time across processes (two createDb connections on
 * one file stand for two app processes), a crashed process's claim taken over after the timeout,
 * output stored while the build runs, a failed build leaves the live site as it was, history, old
 * builds pruned, audit rows, and the HTTP routes by role. The build command is a small script
 * (tests/fixtures/fake-site-build.mjs) instead of a full Astro build; the lock, the log, the
 * folder and the symlink swap are the real ones.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import { claimBuild, KEEP_LOGS, runBuild, STALE_AFTER_MS, startPublish } from '../../api/ops/build-runs.ts';
import { KEEP_BUILDS } from '../../api/ops/build.ts';
import { buildsDir, currentLink } from '../../api/ops/site-dirs.ts';
import { logInAs, seedStaff, type StaffAgent } from '../helpers/admin-session.ts';
import { createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

const SCRIPT = fileURLToPath(new URL('../fixtures/fake-site-build.mjs', import.meta.url));
const build = (mode: 'ok' | 'fail' | 'hold', release = '') => ({ argv: (dir: string) => [SCRIPT, dir, mode, release] });
const system = { staffId: null, role: null, ip: null };

let deps: TestDeps;
let other: Db; // a second "process" on the same database file
let coord: StaffAgent;
let sysadmin: StaffAgent;
let head: StaffAgent;
let handler: StaffAgent;

// A database and site folder of their own for every test: the lock, the live symlink, the build
// folders and the log history are what these tests are about, so none may inherit them.
beforeEach(async () => {
  deps = await createSeededDeps(5);
  other = await createDb(deps.env.DATABASE_URL);
  await seedStaff(deps);
  const app = testApp(deps);
  coord = await logInAs(app, deps, 'coord');
  sysadmin = await logInAs(app, deps, 'sysadmin');
  head = await logInAs(app, deps, 'edu.head');
  handler = await logInAs(app, deps, 'edu.handler');
});

afterEach(async () => {
  await other?.close();
  await deps?.cleanup();
});

const rowOf = async (id: number) => (await deps.db.read.select().from(t.siteBuilds).where(eq(t.siteBuilds.id, id)))[0]!;
const audits = async (action: string) => (await deps.db.read.select().from(t.auditLog)).filter((a) => a.action === action);
const live = () => (existsSync(currentLink(deps.env.SITE_DIR)) ? realpathSync(currentLink(deps.env.SITE_DIR)) : null);

/** Publishes once successfully, so there is a live site a later build could disturb. */
async function publishedOnce(): Promise<string> {
  const claim = await claimBuild(deps.db, system, deps.clock.now());
  expect(claim.claimed).toBe(true);
  expect((await runBuild(deps, claim.build, system, build('ok'))).ok).toBe(true);
  return live()!;
}

describe('the build lock across processes', () => {
  it('two processes claiming at once: exactly one gets it, the other is shown the running build', async () => {
    const [a, b] = await Promise.all([claimBuild(deps.db, system, deps.clock.now()), claimBuild(other, system, deps.clock.now())]);
    expect([a.claimed, b.claimed].sort()).toEqual([false, true]);
    expect(a.build.id).toBe(b.build.id);
    // A third try from either process while it runs: still the same build.
    const c = await claimBuild(other, system, deps.clock.now());
    expect(c).toMatchObject({ claimed: false, build: { id: a.build.id, status: 'running' } });
    const running = await deps.db.read.select().from(t.siteBuilds).where(eq(t.siteBuilds.status, 'running'));
    expect(running).toHaveLength(1);
    // The database itself refuses a second running row.
    await expect(deps.db.write((tx) => tx.insert(t.siteBuilds).values({ status: 'running', startedAt: deps.clock.now(), dataVersion: 0 }))).rejects.toThrow();
  });

  it("a crashed process's claim is taken over once its heartbeat is older than the timeout, not before", async () => {
    // A process claims the lock and dies: nothing ever finishes or refreshes that claim.
    expect((await claimBuild(deps.db, system, deps.clock.now())).claimed).toBe(true);
    const [held] = await deps.db.read.select().from(t.siteBuilds).where(eq(t.siteBuilds.status, 'running'));
    deps.clock.advance(STALE_AFTER_MS - 1_000);
    expect((await claimBuild(other, system, deps.clock.now())).claimed).toBe(false);
    deps.clock.advance(2_000);
    const taken = await claimBuild(other, system, deps.clock.now());
    expect(taken.claimed).toBe(true);
    expect(taken.build.id).not.toBe(held!.id);
    const old = await rowOf(held!.id);
    expect(old.status).toBe('failed');
    expect(old.log).toContain('abandoned');
    expect((await audits('site.build_abandoned')).map((a) => a.objectId)).toContain(String(held!.id));
    // The taker's build runs as any other.
    expect((await runBuild(deps, taken.build, system, build('ok'))).ok).toBe(true);
  });
});

describe('running a build', () => {
  it('a successful build swaps the live symlink to its folder, stores its output and an audit row', async () => {
    const claim = await claimBuild(deps.db, system, deps.clock.now());
    expect(claim.claimed).toBe(true);
    const r = await runBuild(deps, claim.build, system, build('ok'));
    expect(r.ok).toBe(true);
    const row = await rowOf(claim.build.id);
    expect(row).toMatchObject({ status: 'succeeded', heartbeatAt: null });
    expect(row.log).toContain('1 page built');
    expect(row.finishedAt).not.toBeNull();
    expect(live()).toBe(row.dir);
    expect(readFileSync(join(row.dir!, 'client', 'index.html'), 'utf8')).toBe('<h1>ok</h1>');
    expect((await audits('site.publish_succeeded')).map((a) => a.objectId)).toContain(String(row.id));
  });

  it('a failed build leaves the live site untouched and its half-written folder removed', async () => {
    await publishedOnce();
    const before = live();
    expect(before).not.toBeNull();
    const foldersBefore = readdirSync(buildsDir(deps.env.SITE_DIR)).sort();
    const claim = await claimBuild(deps.db, system, deps.clock.now());
    const r = await runBuild(deps, claim.build, system, build('fail'));
    expect(r.ok).toBe(false);
    expect(live()).toBe(before);
    expect(readFileSync(join(before!, 'client', 'index.html'), 'utf8')).toBe('<h1>ok</h1>');
    expect(readdirSync(buildsDir(deps.env.SITE_DIR)).sort()).toEqual(foldersBefore);
    const row = await rowOf(claim.build.id);
    expect(row.status).toBe('failed');
    expect(row.dir).toBeNull();
    expect(row.log).toContain('loader failed');
    expect(row.log).toContain('live site was not changed');
    expect((await audits('site.publish_failed')).map((a) => a.objectId)).toContain(String(row.id));
    // The lock is free again.
    expect((await claimBuild(deps.db, system, deps.clock.now())).claimed).toBe(true);
    const [again] = await deps.db.read.select().from(t.siteBuilds).where(eq(t.siteBuilds.status, 'running'));
    await runBuild(deps, again!, system, build('ok'));
  });

  it(`keeps the last ${KEEP_BUILDS} build folders (and always the live one)`, async () => {
    for (let i = 0; i < KEEP_BUILDS + 2; i++) {
      const claim = await claimBuild(deps.db, system, deps.clock.now());
      expect((await runBuild(deps, claim.build, system, build('ok'))).ok).toBe(true);
    }
    const folders = readdirSync(buildsDir(deps.env.SITE_DIR));
    expect(folders).toHaveLength(KEEP_BUILDS);
    expect(folders.map((f) => join(buildsDir(deps.env.SITE_DIR), f))).toContain(live());
  });
});

describe('old build logs', () => {
  it(`rows stay as history, but only the last ${KEEP_LOGS} builds keep their logs`, async () => {
    const at = deps.clock.now();
    await deps.db.write((tx) => tx.insert(t.siteBuilds).values(Array.from({ length: KEEP_LOGS + 5 }, () => ({ status: 'failed' as const, startedAt: at, finishedAt: at, dataVersion: 0, log: 'old output\n' }))));
    const claim = await claimBuild(deps.db, system, deps.clock.now());
    await runBuild(deps, claim.build, system, build('ok'));
    const rows = await deps.db.read.select({ id: t.siteBuilds.id, log: t.siteBuilds.log }).from(t.siteBuilds);
    const newest = rows.filter((r) => r.id > claim.build.id - KEEP_LOGS);
    expect(newest.length).toBe(KEEP_LOGS);
    expect(newest.every((r) => r.log !== '')).toBe(true);
    expect(rows.filter((r) => r.id <= claim.build.id - KEEP_LOGS).every((r) => r.log === '')).toBe(true);
    expect(rows.length).toBeGreaterThan(KEEP_LOGS + 5);
  });
});

describe('HTTP: /api/admin/publish', () => {
  it('coordinator starts a build (202); a second click while it runs shows the running one (200); the log is readable as it runs', async () => {
    const release = join(deps.dir, 'release-1');
    deps.siteBuild = build('hold', release);
    try {
      const first = await coord.post('/api/admin/publish');
      expect(first.status).toBe(202);
      const a = await first.json();
      expect(a).toMatchObject({ started: true, build: { status: 'running', requestedBy: { username: 'coord' } } });
      const second = await sysadmin.post('/api/admin/publish');
      expect(second.status).toBe(200);
      expect(await second.json()).toMatchObject({ started: false, build: { id: a.build.id, status: 'running' } });
      const overview = await (await sysadmin.get('/api/admin/publish')).json();
      expect(overview.runningId).toBe(a.build.id);
      // The first output line reaches the database while the build is still running.
      let log = '';
      for (let i = 0; i < 100 && !log.includes('building into'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        log = (await (await coord.get(`/api/admin/publish/${a.build.id}`)).json()).log;
      }
      expect(log).toContain('building into');
      expect((await rowOf(a.build.id)).status).toBe('running');
      writeFileSync(release, '');
      let status = 'running';
      for (let i = 0; i < 100 && status === 'running'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await (await coord.get(`/api/admin/publish/${a.build.id}`)).json()).status;
      }
      expect(status).toBe('succeeded');
      const after = await (await coord.get('/api/admin/publish')).json();
      expect(after.runningId).toBeNull();
      expect(after.builds[0]).toMatchObject({ id: a.build.id, status: 'succeeded', live: true, requestedBy: { username: 'coord' }, durationMs: expect.any(Number) });
      expect(after.live).toMatchObject({ id: expect.stringContaining(`-${a.build.id}`) });
      const started = (await audits('site.publish_started')).find((x) => x.objectId === String(a.build.id));
      expect(started).toMatchObject({ actorKind: 'staff', actorRole: 'coordinator' });
    } finally {
      delete deps.siteBuild;
    }
  });

  it('department heads and handlers may not publish (403); an unknown build is 404; CSRF is required', async () => {
    for (const who of [head, handler]) {
      expect((await who.post('/api/admin/publish')).status).toBe(403);
      expect((await who.get('/api/admin/publish')).status).toBe(403);
      expect((await who.get('/api/admin/publish/1')).status).toBe(403);
    }
    expect((await coord.get('/api/admin/publish/999999')).status).toBe(404);
    expect((await coord.get('/api/admin/publish/x1')).status).toBe(404);
    expect((await coord.post('/api/admin/publish', {}, { 'x-csrf-token': 'wrong' })).status).toBe(403);
  });

  it('startPublish in the background does not block the request and never throws on a failing build', async () => {
    const before = await publishedOnce();
    expect(before).not.toBeNull();
    const claim = await startPublish(deps, system, build('fail'));
    expect(claim.claimed).toBe(true);
    await claim.done;
    expect((await rowOf(claim.build.id)).status).toBe('failed');
    expect(live()).toBe(before);
  });
});
