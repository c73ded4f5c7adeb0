/**
 * Intake keeps its rules (settings, holiday schedule, departments) in memory between complaints
 * (api/intake/config.ts). A change made anywhere else — another app process, a script,
 * another connection — must be honoured by the very next complaint, never by a later one.
 * "Another process" here is a second createDb on the same file: its own connections, and none of
 * this process's in-memory state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { createDb, type Db } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import { complaintBody, createSeededDeps, postJson, testApp, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
let other: Db;
let institutions: string[] = [];
let mobileSeq = 5000;

/** Files a complaint against a so-far unused institution; returns the answer's body. */
async function file(overrides: Record<string, unknown> = {}) {
  const res = await postJson(app, '/api/complaints', complaintBody({ institutionId: institutions.shift(), mobile: `139${String(mobileSeq++).padStart(8, '0')}`, ...overrides }));
  if (res.status !== 201) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as { trackingCode: string; acceptBy: string; lead: { code: string; name: string } };
}

const setSetting = (key: string, value: unknown) =>
  other.write((tx) =>
    tx
      .insert(t.settings)
      .values({ key, value, updatedAt: new Date() })
      .onConflictDoUpdate({ target: t.settings.key, set: { value, updatedAt: new Date() } }),
  );

beforeAll(async () => {
  deps = await createSeededDeps(160, { env: { INTAKE_RATE_LIMIT: 'off' } });
  app = testApp(deps);
  other = await createDb(deps.env.DATABASE_URL);
  institutions = (await deps.db.read.select({ id: t.institutions.id }).from(t.institutions).where(eq(t.institutions.category, 'subject'))).map((r) => r.id);
});
afterAll(async () => {
  await other.close();
  await deps.cleanup();
});

describe('intake rules changed by another process', () => {
  // The fixed clock: Friday 2026-11-27, 10:00 Beijing.
  it('a new accept deadline applies to the next complaint', async () => {
    expect((await file()).acceptBy).toBe('2026-12-01'); // default: 2 working days (Mon, Tue)
    await setSetting('acceptWorkingDays', 5);
    expect((await file()).acceptBy).toBe('2026-12-04');
    await other.write((tx) => tx.delete(t.settings).where(eq(t.settings.key, 'acceptWorkingDays')));
    expect((await file()).acceptBy).toBe('2026-12-01');
  });

  it('a holiday entered for the deadline period moves the next deadline', async () => {
    await other.write((tx) => tx.insert(t.holidayOverrides).values({ date: '2026-11-30', isWorkday: false, name: '测试假日' }));
    expect((await file()).acceptBy).toBe('2026-12-02');
    await other.write((tx) => tx.delete(t.holidayOverrides).where(eq(t.holidayOverrides.date, '2026-11-30')));
    expect((await file()).acceptBy).toBe('2026-12-01');
  });

  it('a renamed department is named so in the next answer', async () => {
    expect((await file()).lead.name).not.toBe('测试局');
    const [before] = await other.read.select({ nameZh: t.departments.nameZh }).from(t.departments).where(eq(t.departments.code, 'edu'));
    await other.write((tx) => tx.update(t.departments).set({ nameZh: '测试局' }).where(eq(t.departments.code, 'edu')));
    expect((await file()).lead).toEqual({ code: 'edu', name: '测试局' });
    await other.write((tx) => tx.update(t.departments).set({ nameZh: before!.nameZh }).where(eq(t.departments.code, 'edu')));
    expect((await file()).lead.name).toBe(before!.nameZh);
  });

  it('a lowered cluster threshold counts the complaint that is filed next', async () => {
    const clusterOf = async (code: string) =>
      (await deps.db.read.select({ clusterId: t.complaints.clusterId }).from(t.complaints).where(eq(t.complaints.trackingCode, code)))[0]!.clusterId;
    const inst = institutions[0]!;
    const first = await file(); // default threshold 3: one complaint is no cluster
    expect(await clusterOf(first.trackingCode)).toBeNull();
    await setSetting('clusterThreshold', 2);
    const second = await file({ institutionId: inst });
    const cluster = await clusterOf(second.trackingCode);
    expect(cluster).not.toBeNull();
    expect(await clusterOf(first.trackingCode)).toBe(cluster); // the earlier one joins it
    await other.write((tx) => tx.delete(t.settings).where(eq(t.settings.key, 'clusterThreshold')));
  });

  it('a change made in this process is honoured too', async () => {
    await deps.db.write((tx) => tx.insert(t.settings).values({ key: 'acceptWorkingDays', value: 3, updatedAt: new Date() }).onConflictDoUpdate({ target: t.settings.key, set: { value: 3 } }));
    expect((await file()).acceptBy).toBe('2026-12-02');
  });

  it('without the version row (a database from before it) nothing is cached', async () => {
    await other.write((tx) => tx.run(sql`DELETE FROM meta WHERE key = 'config_version'`));
    // Triggers now update no row; intake must re-read every time.
    await other.write((tx) => tx.run(sql`DROP TRIGGER settings_config_version_update`));
    await setSetting('acceptWorkingDays', 5);
    expect((await file()).acceptBy).toBe('2026-12-04');
    await setSetting('acceptWorkingDays', 2);
    expect((await file()).acceptBy).toBe('2026-12-01');
  });
});
