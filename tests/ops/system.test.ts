/**
 * System administration through the real HTTP API: settings, the holiday schedule for years the
 * calendar package does not know, department intake mailboxes and the audit log viewer — who may
 * use them (sysadmin and the coordination office only), validation answers with field paths in
 * both languages, one audit row per change, and the effect on deadlines of newly filed complaints.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { desc, eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { submitComplaint } from '../../api/intake/service.ts';
import { ComplaintInputSchema } from '../../api/intake/schema.ts';
import { verifyAuditChain } from '../../api/audit/log.ts';
import { logInAs, seedStaff, type StaffAgent } from '../helpers/admin-session.ts';
import { complaintBody, createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';
import { officialScheduleUpTo } from '../helpers/calendar.ts';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
let seq = 0;

function put(a: StaffAgent, path: string, body: unknown, headers: Record<string, string> = {}) {
  return app.request(path, { method: 'PUT', headers: { cookie: a.cookie, 'x-csrf-token': a.csrf, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function fileCase() {
  const mobile = `137${String(++seq).padStart(8, '0')}`;
  const data = ComplaintInputSchema.parse(complaintBody({ mobile }));
  const { result } = await submitComplaint(deps, data, { ip: null });
  return result;
}

async function lastAudit() {
  const [row] = await deps.db.read.select().from(t.auditLog).orderBy(desc(t.auditLog.id)).limit(1);
  return row!;
}

const ROLES = { handler: 'edu.handler', head: 'edu.head', coord: 'coord', sysadmin: 'sysadmin' } as const;
const as: Record<keyof typeof ROLES, StaffAgent> = {} as never;

async function logInAll() {
  for (const [k, u] of Object.entries(ROLES)) as[k as keyof typeof ROLES] = await logInAs(app, deps, u);
}


// The official schedule knows the years up to 2026 only: the tests below are about 2027, a year
// with no official schedule, whatever the calendar package has learnt since.
officialScheduleUpTo(2026);
// A database of its own for every test: the tests change settings, holiday years and mailboxes and
// read the audit log, so each builds the history it reads.
beforeEach(async () => {
  deps = await createSeededDeps(5);
  app = testApp(deps);
  await seedStaff(deps);
  await logInAll();
});
afterEach(async () => deps?.cleanup());

describe('who may use the system administration routes', () => {
  const routes: [string, string, unknown?][] = [
    ['GET', '/api/admin/settings'],
    ['PUT', '/api/admin/settings', { retentionDays: 1000 }],
    ['GET', '/api/admin/holidays?year=2027'],
    ['PUT', '/api/admin/holidays/2030', { days: [] }],
    ['GET', '/api/admin/departments'],
    ['PUT', '/api/admin/departments', { departments: [{ code: 'fire', intakeEmail: '' }] }],
    ['GET', '/api/admin/audit'],
  ];
  it.each(routes)('%s %s: handler and dept_head 403, coordinator and sysadmin 200', async (method, path, body) => {
    for (const who of ['handler', 'head', 'coord', 'sysadmin'] as const) {
      const res = method === 'GET' ? await as[who].get(path) : await put(as[who], path, body);
      expect(res.status, `${who} ${method} ${path}`).toBe(who === 'handler' || who === 'head' ? 403 : 200);
    }
  });

  it('refuses a PUT without the CSRF token and without a session', async () => {
    const noCsrf = await app.request('/api/admin/settings', { method: 'PUT', headers: { cookie: as.sysadmin.cookie, 'content-type': 'application/json' }, body: '{"retentionDays":1000}' });
    expect(noCsrf.status).toBe(403);
    const anon = await app.request('/api/admin/settings');
    expect(anon.status).toBe(401);
  });
});

describe('settings', () => {
  it('reads the effective settings and the defaults', async () => {
    expect((await put(as.sysadmin, '/api/admin/settings', { retentionDays: 1000 })).status).toBe(200);
    const body = (await (await as.sysadmin.get('/api/admin/settings')).json()) as { settings: Record<string, unknown>; defaults: Record<string, unknown> };
    expect(body.defaults.acceptWorkingDays).toBe(2);
    expect(body.settings.retentionDays).toBe(1000); // set just above, not the default
  });

  it('answers 422 with field paths, in Chinese and English', async () => {
    const zh = await put(as.sysadmin, '/api/admin/settings', { acceptWorkingDays: 0, prepaidMaxYuan: 'lots', bogus: 1 });
    expect(zh.status).toBe(422);
    const zb = (await zh.json()) as { error: { code: string; issues: { path: string; message: string }[] } };
    expect(zb.error.code).toBe('validation_failed');
    const paths = zb.error.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['acceptWorkingDays', 'prepaidMaxYuan', 'bogus']));
    expect(zb.error.issues.find((i) => i.path === 'acceptWorkingDays')!.message).toMatch(/[\u4e00-\u9fff]/);
    const en = await put(as.sysadmin, '/api/admin/settings', { acceptWorkingDays: 0 }, { 'accept-language': 'en' });
    const eb = (await en.json()) as { error: { issues: { path: string; message: string }[] } };
    expect(eb.error.issues[0]!.path).toBe('acceptWorkingDays');
    expect(eb.error.issues[0]!.message).toMatch(/[a-z]/i);
    expect(eb.error.issues[0]!.message).not.toMatch(/[\u4e00-\u9fff]/);
  });

  it('a new acceptWorkingDays changes the acceptBy of a newly filed complaint; audited old → new', async () => {
    // 2026-11-27 is a Friday: 2 working days → Tuesday 12-01, 5 → Friday 12-04.
    expect((await fileCase()).acceptBy).toBe('2026-12-01');
    const res = await put(as.coord, '/api/admin/settings', { acceptWorkingDays: 5 });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { settings: { acceptWorkingDays: number } }).settings.acceptWorkingDays).toBe(5);
    const row = await lastAudit();
    expect(row.action).toBe('settings.update');
    expect(row.actorRole).toBe('coordinator');
    expect(row.detail).toEqual({ changes: { acceptWorkingDays: { from: 2, to: 5 } } });
    expect((await fileCase()).acceptBy).toBe('2026-12-04');
    const [stored] = await deps.db.read.select().from(t.settings).where(eq(t.settings.key, 'acceptWorkingDays'));
    expect(stored!.value).toBe(5);
    // Back to the default; then an unchanged PUT writes no audit row.
    await put(as.sysadmin, '/api/admin/settings', { acceptWorkingDays: 2 });
    const before = (await lastAudit()).id;
    await put(as.sysadmin, '/api/admin/settings', { acceptWorkingDays: 2 });
    expect((await lastAudit()).id).toBe(before);
  });
  it('stores "no cap" (null) for the prepaid yuan limit', async () => {
    expect((await put(as.sysadmin, '/api/admin/settings', { prepaidMaxYuan: null })).status).toBe(200);
    const body = (await (await as.sysadmin.get('/api/admin/settings')).json()) as { settings: { prepaidMaxYuan: number | null } };
    expect(body.settings.prepaidMaxYuan).toBeNull();
    expect((await lastAudit()).detail).toEqual({ changes: { prepaidMaxYuan: { from: 5000, to: null } } });
    await put(as.sysadmin, '/api/admin/settings', { prepaidMaxYuan: 5000 });
  });
});

describe('holiday schedule for a year the package does not know', () => {
  it('validates dates inside the year and no duplicates, with field paths', async () => {
    const res = await put(as.sysadmin, '/api/admin/holidays/2027', {
      days: [
        { date: '2026-12-31', isWorkday: false, name: '元旦' },
        { date: '2027-02-30', isWorkday: false, name: '春节' },
        { date: '2027-01-01', isWorkday: false, name: '元旦' },
        { date: '2027-01-01', isWorkday: false, name: '元旦' },
      ],
    });
    expect(res.status).toBe(422);
    const b = (await res.json()) as { error: { issues: { path: string; message: string }[] } };
    expect(b.error.issues.map((i) => i.path).sort()).toEqual(['days.0.date', 'days.1.date', 'days.3.date']);
    expect(b.error.issues.find((i) => i.path === 'days.3.date')!.message).toBe('同一日期只能填写一次');
  });

  it('entering 2027-01-01 as a holiday moves a deadline across it, and the unknown-year warning disappears', async () => {
    deps.clock.set('2026-12-30T02:00:00Z'); // Wednesday, 10:00 Beijing
    await logInAll();
    const before = await fileCase();
    // Without an official schedule for 2027, 2027-01-01 (a Friday) counts as a workday.
    expect(before.acceptBy).toBe('2027-01-01');
    expect(before.calendarWarning).toEqual({ unknownYears: [2027] });
    const g1 = (await (await as.coord.get('/api/admin/holidays?year=2027')).json()) as { known: boolean; inPackage: boolean; knownYears: number[]; openCasesWithDeadlines: number | null };
    expect(g1.known).toBe(false);
    // The coordination office sees how many open cases have a deadline there; the sysadmin gets no count.
    expect(g1.openCasesWithDeadlines).toBe(1);
    expect(((await (await as.sysadmin.get('/api/admin/holidays?year=2027')).json()) as { openCasesWithDeadlines: number | null }).openCasesWithDeadlines).toBeNull();
    expect(g1.inPackage).toBe(false);
    expect(g1.knownYears).not.toContain(2027);

    const res = await put(as.sysadmin, '/api/admin/holidays/2027', {
      days: [
        { date: '2027-01-01', isWorkday: false, name: '元旦' },
        { date: '2027-02-07', isWorkday: true, name: '春节调休' },
      ],
    });
    expect(res.status).toBe(200);
    const g2 = (await res.json()) as { known: boolean; overrides: { date: string; isWorkday: boolean; name: string }[]; knownYears: number[] };
    expect(g2.known).toBe(true);
    expect(g2.knownYears).toContain(2027);
    expect(g2.overrides).toEqual([
      { date: '2027-01-01', isWorkday: false, name: '元旦' },
      { date: '2027-02-07', isWorkday: true, name: '春节调休' },
    ]);
    const row = await lastAudit();
    expect(row).toMatchObject({ action: 'holidays.replace', objectType: 'holiday_year', objectId: '2027', actorRole: 'sysadmin' });

    const after = await fileCase();
    expect(after.acceptBy).toBe('2027-01-04');
    expect(after.calendarWarning).toBeUndefined();

    // PUT replaces the year's list: an empty list makes the year unknown again.
    await put(as.sysadmin, '/api/admin/holidays/2027', { days: [] });
    expect(((await (await as.sysadmin.get('/api/admin/holidays?year=2027')).json()) as { known: boolean }).known).toBe(false);
    await put(as.sysadmin, '/api/admin/holidays/2027', { days: [{ date: '2027-01-01', isWorkday: false, name: '元旦' }] });
  });

  it('shows the package days of a known year', async () => {
    const g = (await (await as.sysadmin.get('/api/admin/holidays?year=2026')).json()) as { known: boolean; inPackage: boolean; packageDays: { date: string; isWorkday: boolean }[] };
    expect(g.known).toBe(true);
    expect(g.inPackage).toBe(true);
    expect(g.packageDays).toContainEqual(expect.objectContaining({ date: '2026-01-01', isWorkday: false }));
    expect((await as.sysadmin.get('/api/admin/holidays?year=abc')).status).toBe(422);
  });
});

describe('department intake e-mail addresses', () => {
  it('validates each address (or empty) and audits the change', async () => {
    const bad = await put(as.sysadmin, '/api/admin/departments', { departments: [{ code: 'market', intakeEmail: 'not-an-email' }] });
    expect(bad.status).toBe(422);
    const bb = (await bad.json()) as { error: { issues: { path: string }[] } };
    expect(bb.error.issues.map((i) => i.path)).toContain('departments.0.intakeEmail');
    const unknown = await put(as.sysadmin, '/api/admin/departments', { departments: [{ code: 'nope', intakeEmail: '' }] });
    expect(unknown.status).toBe(422);

    // The old value as this database holds it (the seed gives fire a mailbox), not assumed.
    const [seeded] = await deps.db.read.select().from(t.departments).where(eq(t.departments.code, 'fire'));
    expect(seeded!.intakeEmail).not.toBe('xiaofang@example.gov.cn');
    const ok = await put(as.sysadmin, '/api/admin/departments', { departments: [{ code: 'fire', intakeEmail: 'xiaofang@example.gov.cn' }] });
    expect(ok.status).toBe(200);
    const [fire] = await deps.db.read.select().from(t.departments).where(eq(t.departments.code, 'fire'));
    expect(fire!.intakeEmail).toBe('xiaofang@example.gov.cn');
    expect((await lastAudit()).detail).toEqual({ changes: { fire: { from: seeded!.intakeEmail, to: 'xiaofang@example.gov.cn' } } });
    await put(as.coord, '/api/admin/departments', { departments: [{ code: 'fire', intakeEmail: '' }] });
    const [cleared] = await deps.db.read.select().from(t.departments).where(eq(t.departments.code, 'fire'));
    expect(cleared!.intakeEmail).toBeNull();
  });
});

describe('audit log viewer', () => {
  interface Page {
    entries: { id: number; action: string; objectType: string; actorStaffId: number | null; detail: unknown }[];
    nextCursor: string | null;
    chain: { ok: boolean };
  }
  it('filters, pages newest first with a keyset cursor, and reports the chain status', async () => {
    // A history of its own: on 2026-11-27 both administrators save 2030 and the coordinator a
    // setting; on 2026-12-30 the sysadmin saves 2027 three times.
    for (const who of [as.coord, as.sysadmin]) expect((await put(who, '/api/admin/holidays/2030', { days: [] })).status).toBe(200);
    expect((await put(as.coord, '/api/admin/settings', { retentionDays: 1000 })).status).toBe(200);
    deps.clock.set('2026-12-30T02:00:00Z');
    await logInAll();
    for (const days of [[{ date: '2027-01-01', isWorkday: false, name: '元旦' }], [], [{ date: '2027-01-01', isWorkday: false, name: '元旦' }]]) {
      expect((await put(as.sysadmin, '/api/admin/holidays/2027', { days })).status).toBe(200);
    }
    const all = (await (await as.sysadmin.get('/api/admin/audit?limit=200')).json()) as Page;
    expect(all.chain.ok).toBe(true);
    expect(all.entries.length).toBeGreaterThan(5);
    const ids = all.entries.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    const p1 = (await (await as.coord.get('/api/admin/audit?limit=2')).json()) as Page;
    expect(p1.entries.map((e) => e.id)).toEqual(ids.slice(0, 2));
    const p2 = (await (await as.coord.get(`/api/admin/audit?limit=2&cursor=${p1.nextCursor}`)).json()) as Page;
    expect(p2.entries.map((e) => e.id)).toEqual(ids.slice(2, 4));

    const hol = (await (await as.sysadmin.get('/api/admin/audit?action=holidays.replace&objectType=holiday_year')).json()) as Page;
    // 2030 twice, 2027 three times, newest first.
    expect(hol.entries.map((e) => (e as { objectId?: string }).objectId)).toEqual(['2027', '2027', '2027', '2030', '2030']);
    expect(hol.entries.every((e) => e.action === 'holidays.replace')).toBe(true);

    const [coordRow] = await deps.db.read.select().from(t.staff).where(eq(t.staff.username, 'coord'));
    const byCoord = (await (await as.sysadmin.get(`/api/admin/audit?actor=${coordRow!.id}`)).json()) as Page;
    expect(byCoord.entries.length).toBeGreaterThan(0);
    expect(byCoord.entries.every((e) => e.actorStaffId === coordRow!.id)).toBe(true);

    // Beijing days: everything above happened on 2026-11-27 or 2026-12-30.
    const nov = (await (await as.sysadmin.get('/api/admin/audit?from=2026-11-27&to=2026-11-27&limit=200')).json()) as Page;
    const dec = (await (await as.sysadmin.get('/api/admin/audit?from=2026-12-30&limit=200')).json()) as Page;
    expect(nov.entries.length + dec.entries.length).toBe(all.entries.length);
    expect(dec.entries.some((e) => e.action === 'holidays.replace')).toBe(true);
    expect((await as.sysadmin.get('/api/admin/audit?from=2026-13-01')).status).toBe(422);
    expect((await verifyAuditChain(deps.db)).ok).toBe(true);
  });

  it('holds no personal data of parents; a parent’s IP shows only its network part', async () => {
    const data = ComplaintInputSchema.parse(complaintBody({ mobile: '13799990000' }));
    await submitComplaint(deps, data, { ip: '203.0.113.77' });
    const all = await (await as.sysadmin.get('/api/admin/audit?limit=200')).text();
    expect(all).not.toMatch(/137\d{8}/);
    expect(all).not.toContain('203.0.113.77');
    const page = JSON.parse(all) as { entries: { actorKind: string; ip: string | null }[] };
    expect(page.entries.find((e) => e.actorKind === 'public')!.ip).toBe('203.0.*.*');
  });
});
