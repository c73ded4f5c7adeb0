/**
 * Overdue escalations with the injected clock: a case still submitted after its accept-by date,
 * and an accepted case after its resolve-by date, appear under their lead department with days
 * overdue counted from the Beijing date; a case on its deadline day is not overdue yet; finished
 * and spam cases never appear; only the coordinator may look (others 403).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { addCalendarDays, beijingMidnight } from '../../api/calendar/working-days.ts';
import { submitComplaint } from '../../api/intake/service.ts';
import { ComplaintInputSchema } from '../../api/intake/schema.ts';
import { applyAction, type Actor } from '../../api/cases/workflow.ts';
import { loadEscalations } from '../../api/cases/escalations.ts';
import { handleEscalations } from '../../api/cases/escalations-page.ts';
import { logInAs, seedStaff, type StaffAgent } from '../helpers/admin-session.ts';
import { complaintBody, createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
const as: Record<string, StaffAgent> = {};
let seq = 0;
const coordCaller = { staffId: 0, role: 'coordinator' as const, dept: 'edu' };
type Row = typeof t.complaints.$inferSelect;

async function file(at: string, overrides: Record<string, unknown> = {}): Promise<Row> {
  const data = ComplaintInputSchema.parse(complaintBody({ mobile: `137${String(++seq).padStart(8, '0')}`, ...overrides }));
  const { result } = await submitComplaint(deps, data, { ip: null, submittedAt: new Date(at) });
  return (await deps.db.read.select().from(t.complaints).where(eq(t.complaints.trackingCode, result.trackingCode)))[0]!;
}
const reload = async (id: number) => (await deps.db.read.select().from(t.complaints).where(eq(t.complaints.id, id)))[0]!;

let waiting: Row; // never accepted
let accepted: Row; // accepted, never resolved
let resolved: Row;
let spam: Row;
let fresh: Row;

beforeAll(async () => {
  deps = await createSeededDeps(10, { now: '2026-10-08T02:00:00Z' });
  app = testApp(deps);
  await seedStaff(deps);
  const [head] = await deps.db.read.select().from(t.staff).where(eq(t.staff.username, 'edu.head'));
  const actor: Actor = { kind: 'staff', staffId: head!.id, role: 'dept_head', dept: 'edu' };
  waiting = await file('2026-10-12T02:00:00Z', { institutionId: 'demo-0001' });
  accepted = await file('2026-10-12T03:00:00Z', { institutionId: 'demo-0001' });
  resolved = await file('2026-10-12T04:00:00Z', { institutionId: 'demo-0001' });
  spam = await file('2026-10-12T05:00:00Z', { institutionId: 'demo-0001' });
  const lead = (r: Row) => ({ ...actor, dept: r.leadDept });
  await applyAction(deps, accepted.id, { type: 'accept' }, lead(accepted), { at: new Date('2026-10-13T02:00:00Z') });
  await applyAction(deps, resolved.id, { type: 'accept' }, lead(resolved), { at: new Date('2026-10-13T02:00:00Z') });
  await applyAction(deps, resolved.id, { type: 'resolve', outcome: 'full_refund', amountRefundedFen: 270000, note: '已全额退费' }, lead(resolved), { at: new Date('2026-10-14T02:00:00Z') });
  await deps.db.write((tx) => tx.update(t.complaints).set({ isSpam: true }).where(eq(t.complaints.id, spam.id)));
  accepted = await reload(accepted.id);
  fresh = await file('2026-11-26T02:00:00Z', { institutionId: 'demo-0001' });
  deps.clock.set('2026-11-27T02:00:00Z');
  for (const u of ['coord', 'edu.head', 'market.handler', 'sysadmin']) as[u] = await logInAs(app, deps, u);
});

afterAll(async () => deps.cleanup());

const days = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);

describe('GET /api/admin/escalations', () => {
  it('coordinator only', async () => {
    for (const u of ['edu.head', 'market.handler', 'sysadmin']) expect((await as[u]!.get('/api/admin/escalations')).status, u).toBe(403);
    expect((await as.coord!.get('/api/admin/escalations')).status).toBe(200);
  });

  it('lists overdue cases by lead department with days overdue (Beijing date of the clock)', async () => {
    const body = (await (await as.coord!.get('/api/admin/escalations')).json()) as Awaited<ReturnType<typeof loadEscalations>>;
    expect(body.today).toBe('2026-11-27');
    const all = body.departments.flatMap((g) => g.cases.map((c) => ({ ...c, dept: g.dept })));
    const codes = all.map((c) => c.code);
    expect(codes).not.toContain(resolved.trackingCode);
    expect(codes).not.toContain(spam.trackingCode);
    expect(codes).not.toContain(fresh.trackingCode);
    const w = all.find((c) => c.code === waiting.trackingCode)!;
    expect(w).toMatchObject({ dept: waiting.leadDept, status: 'submitted', deadline: 'accept', dueOn: waiting.acceptBy, daysOverdue: days(waiting.acceptBy, '2026-11-27') });
    expect(w.daysOverdue).toBeGreaterThan(30);
    const a = all.find((c) => c.code === accepted.trackingCode)!;
    expect(accepted.resolveBy).toBeTruthy();
    expect(a).toMatchObject({ status: 'accepted', deadline: 'resolve', dueOn: accepted.resolveBy, daysOverdue: days(accepted.resolveBy!, '2026-11-27') });
    expect(body.total).toBe(2);
    const group = body.departments.find((g) => g.dept === waiting.leadDept)!;
    expect(group.nameZh.length).toBeGreaterThan(0);
    // most overdue first within the department
    expect(group.cases[0]!.code).toBe(waiting.trackingCode);
  });

  it('a case is overdue from the day after its deadline, in Beijing time', async () => {
    const due = fresh.acceptBy;
    deps.clock.set(new Date(beijingMidnight(due).getTime() + 23 * 3_600_000)); // 23:00 Beijing on the deadline day
    let r = await loadEscalations(deps, coordCaller);
    expect(r.departments.flatMap((g) => g.cases).some((c) => c.code === fresh.trackingCode)).toBe(false);
    deps.clock.set(beijingMidnight(addCalendarDays(due, 1))); // 00:00 Beijing the next day (16:00 UTC before)
    r = await loadEscalations(deps, coordCaller);
    const c = r.departments.flatMap((g) => g.cases).find((x) => x.code === fresh.trackingCode)!;
    expect(c.daysOverdue).toBe(1);
    deps.clock.set('2026-11-27T02:00:00Z');
  });
});

describe('/admin/escalations/ page handler', () => {
  const req = (path: string, cookie?: string): [Request, URL] => {
    const url = new URL(path, 'http://127.0.0.1:4321');
    return [new Request(url, { headers: cookie ? { cookie } : {} }), url];
  };
  it('coordinator sees the groups; others a 403 message; no session to sign-in', async () => {
    const r = await handleEscalations(deps, ...req('/admin/escalations/', as.coord!.cookie), 'zh-CN');
    if (r.kind !== 'page') throw new Error(r.kind);
    expect(r.state.data.total).toBe(2);
    const no = await handleEscalations(deps, ...req('/admin/escalations/', as['edu.head']!.cookie), 'en');
    expect(no.kind === 'message' && no.status).toBe(403);
    const out = await handleEscalations(deps, ...req('/admin/escalations/'), 'zh-CN');
    expect(out.kind).toBe('response');
  });
});
