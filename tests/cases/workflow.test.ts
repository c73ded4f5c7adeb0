/**
 * The complaint state machine (applyAction): deadlines set on acceptance, illegal transitions
 * refused without side effects, the parent's 不满意 rating reopening a case once, extensions
 * approved only by a department head, and the hash-chained audit log around every change.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { verifyAuditChain } from '../../api/audit/log.ts';
import { submitComplaint } from '../../api/intake/service.ts';
import { ComplaintInputSchema } from '../../api/intake/schema.ts';
import { applyAction, type Action, type Actor } from '../../api/cases/workflow.ts';
import { ApiError } from '../../api/lib/errors.ts';
import { complaintBody, createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';
import { officialScheduleUpTo } from '../helpers/calendar.ts';

const FRIDAY = '2026-11-27T02:00:00Z';
const DAY = 86_400_000;

let deps: TestDeps;
let handler: Actor;
let head: Actor;
let otherHandler: Actor;
const parent: Actor = { kind: 'public' };

let mobileSeq = 1;
const nextMobile = () => `138${String(mobileSeq++).padStart(8, '0')}`;

/** Files a complaint at `at` (Beijing paidOn 2026-09-01) and returns its id. */
async function newComplaint(at = FRIDAY, overrides: Record<string, unknown> = {}) {
  deps.clock.set(at);
  const data = ComplaintInputSchema.parse(complaintBody({ institutionId: 'demo-0002', mobile: nextMobile(), ...overrides }));
  const { result } = await submitComplaint(deps, data, { ip: null });
  const [row] = await deps.db.read.select().from(t.complaints).where(eq(t.complaints.trackingCode, result.trackingCode));
  return row!;
}

const getRow = async (id: number) => (await deps.db.read.select().from(t.complaints).where(eq(t.complaints.id, id)))[0]!;

async function counts(id: number) {
  const ev = await deps.db.readClient.execute({ sql: 'SELECT count(*) AS n FROM complaint_events WHERE complaint_id = ?', args: [id] });
  const au = await deps.db.readClient.execute('SELECT count(*) AS n FROM audit_log');
  const auMine = await deps.db.readClient.execute({ sql: "SELECT count(*) AS n FROM audit_log WHERE object_type = 'complaint' AND object_id = ?", args: [String(id)] });
  return { events: Number(ev.rows[0]!.n), audit: Number(au.rows[0]!.n), auditMine: Number(auMine.rows[0]!.n) };
}

/** Applies an action at `at` and checks it wrote exactly one event and one audit row. */
async function act(id: number, action: Action, actor: Actor, at?: string | Date) {
  if (at) deps.clock.set(at);
  const before = await counts(id);
  const r = await applyAction(deps, id, action, actor);
  const after = await counts(id);
  expect(after.events, `${action.type}: events`).toBe(before.events + 1);
  expect(after.audit, `${action.type}: audit rows`).toBe(before.audit + 1);
  expect(after.auditMine, `${action.type}: audit rows for the complaint`).toBe(before.auditMine + 1);
  const [last] = await deps.db.read.select().from(t.auditLog).orderBy(t.auditLog.id).limit(1).offset(after.audit - 1);
  expect(last).toMatchObject({ action: `complaint.${action.type}`, objectType: 'complaint', objectId: String(id) });
  expect(await verifyAuditChain(deps.db)).toMatchObject({ ok: true, brokenAt: null });
  return r;
}

/** Expects the action to be refused with `status` and to leave no trace. */
async function refused(id: number, action: Action, actor: Actor, status: number, at?: string | Date) {
  if (at) deps.clock.set(at);
  const before = await counts(id);
  const rowBefore = await getRow(id);
  const err = await applyAction(deps, id, action, actor).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `${action.type} should be refused`).toBeInstanceOf(ApiError);
  expect((err as ApiError).status).toBe(status);
  expect(await counts(id)).toEqual(before);
  const rowAfter = await getRow(id);
  expect(rowAfter).toEqual(rowBefore);
  return err as ApiError;
}

const lastEvent = async (id: number) => {
  const rows = await deps.db.read.select().from(t.complaintEvents).where(eq(t.complaintEvents.complaintId, id)).orderBy(t.complaintEvents.id);
  const e = rows.at(-1)!;
  // Notes are stored encrypted (api/security/pii.ts).
  return { ...e, publicNote: deps.pii.reveal(e.publicNote), staffNote: deps.pii.reveal(e.staffNote) };
};

const at = (iso: string, plusMs = 0) => new Date(Date.parse(iso) + plusMs);


// The official schedule knows the years up to 2026 only: the tests below are about 2027, a year
// with no official schedule, whatever the calendar package has learnt since.
officialScheduleUpTo(2026);
beforeAll(async () => {
  deps = await createSeededDeps(10, { now: FRIDAY });
  const inserted = await deps.db.write((tx) =>
    tx
      .insert(t.staff)
      .values([
        { username: 't.handler', displayName: '承办人（测试）', departmentCode: 'edu', role: 'handler', passwordHash: 'x' },
        { username: 't.head', displayName: '科室负责人（测试）', departmentCode: 'edu', role: 'dept_head', passwordHash: 'x' },
        { username: 't.market', displayName: '市场监管承办人（测试）', departmentCode: 'market', role: 'handler', passwordHash: 'x' },
      ])
      .returning({ id: t.staff.id }),
  );
  handler = { kind: 'staff', staffId: inserted[0]!.id, role: 'handler', dept: 'edu' };
  head = { kind: 'staff', staffId: inserted[1]!.id, role: 'dept_head', dept: 'edu' };
  otherHandler = { kind: 'staff', staffId: inserted[2]!.id, role: 'handler', dept: 'market' };
});

afterAll(async () => {
  await deps?.cleanup();
});

beforeEach(() => {
  deps.clock.set(FRIDAY);
});

describe('accept: resolve within 15 working days of acceptance', () => {
  it('accepting on Monday 01:00 Beijing (Sunday 17:00 UTC) → resolveBy 2026-12-21', async () => {
    const c = await newComplaint();
    const r = await act(c.id, { type: 'accept', note: '已受理' }, handler, '2026-11-29T17:00:00Z');
    expect(r.status).toBe('accepted');
    const row = await getRow(c.id);
    expect(row.status).toBe('accepted');
    // Mon 11-30: Dec 1–4 (4), 7–11 (9), 14–18 (14), Mon 21 (15)
    expect(row.resolveBy).toBe('2026-12-21');
    expect(row.acceptedAt?.toISOString()).toBe('2026-11-29T17:00:00.000Z');
    expect(row.acceptBy).toBe('2026-12-01'); // the accept deadline is not touched
    const ev = await lastEvent(c.id);
    expect(ev).toMatchObject({ kind: 'accept', fromStatus: 'submitted', toStatus: 'accepted', publicNote: '已受理', actorStaffId: (handler as { staffId: number }).staffId });
    expect(ev.data).toMatchObject({ resolveBy: '2026-12-21' });
  });

  it('accepting on Fri 2026-09-25 counts across National Day → 2026-10-22', async () => {
    const c = await newComplaint('2026-09-24T02:00:00Z');
    await act(c.id, { type: 'accept' }, handler, '2026-09-25T02:00:00Z');
    expect((await getRow(c.id)).resolveBy).toBe('2026-10-22');
  });

  it('a resolve deadline in 2027 (no holiday data yet) is recorded with the unknown year', async () => {
    const c = await newComplaint('2026-12-18T02:00:00Z');
    await act(c.id, { type: 'accept' }, handler, '2026-12-21T02:00:00Z');
    // Dec 22–25 (4), 28–31 (8), Fri Jan 1 as a plain weekday (9), Jan 4–8 (14), Mon Jan 11 (15)
    expect((await getRow(c.id)).resolveBy).toBe('2027-01-11');
    expect((await lastEvent(c.id)).data).toMatchObject({ unknownCalendarYears: [2027] });
  });
});

describe('illegal transitions are refused (409) and leave no trace', () => {
  it('resolving a case that was never accepted', async () => {
    const c = await newComplaint();
    const e = await refused(c.id, { type: 'resolve', outcome: 'full_refund', amountRefundedFen: 100, note: '已退费' }, handler, 409);
    expect(e.code).toBe('invalid_transition');
    expect((await getRow(c.id)).status).toBe('submitted');
  });

  it('accepting twice', async () => {
    const c = await newComplaint();
    await act(c.id, { type: 'accept' }, handler);
    const resolveBy = (await getRow(c.id)).resolveBy;
    deps.clock.advance(3 * DAY);
    await refused(c.id, { type: 'accept' }, handler, 409);
    expect((await getRow(c.id)).resolveBy).toBe(resolveBy); // the clock does not restart
  });

  it('the parent cannot act for staff; staff cannot rate for the parent', async () => {
    const c = await newComplaint();
    await refused(c.id, { type: 'accept' }, parent, 409);
    await act(c.id, { type: 'accept' }, handler);
    await act(c.id, { type: 'resolve', outcome: 'partial_refund', amountRefundedFen: 150_000, note: '部分退费' }, handler);
    await refused(c.id, { type: 'rate', rating: 'satisfied' }, handler, 409);
    await refused(c.id, { type: 'note', staffNote: 'x' }, parent, 409);
  });

  it('nothing happens to a rejected or closed case', async () => {
    const c = await newComplaint();
    await act(c.id, { type: 'reject', reason: 'out_of_scope', note: '不属于校外培训退费纠纷，请向12315反映' }, handler);
    const row = await getRow(c.id);
    expect(row).toMatchObject({ status: 'rejected', rejectReason: 'out_of_scope' });
    expect(row.closedAt).not.toBeNull();
    for (const a of [{ type: 'accept' }, { type: 'note', staffNote: 'x' }, { type: 'close' }] as Action[]) await refused(c.id, a, handler, 409);
  });

  it('a refund above the amount paid → 422', async () => {
    const c = await newComplaint(); // paid 3600 yuan
    await act(c.id, { type: 'accept' }, handler);
    const e = await refused(c.id, { type: 'resolve', outcome: 'full_refund', amountRefundedFen: 360_001, note: '退费' }, handler, 422);
    expect(e.issues?.[0]?.path).toBe('amountRefunded');
  });

  it('a stale version (another clerk changed the case) → 409 stale', async () => {
    const c = await newComplaint();
    await act(c.id, { type: 'accept' }, handler);
    const before = await counts(c.id);
    const err = await applyAction(deps, c.id, { type: 'note', staffNote: '过期页面' }, otherHandler, { expectedVersion: c.version }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, code: 'stale' });
    expect(await counts(c.id)).toEqual(before);
  });
});

describe("the parent's rating (回访复核)", () => {
  async function resolvedCase() {
    const c = await newComplaint();
    await act(c.id, { type: 'accept' }, handler, at(FRIDAY, 1 * DAY));
    await act(c.id, { type: 'note', staffNote: '已电话联系机构负责人', publicNote: '已联系机构，正在调解' }, handler, at(FRIDAY, 2 * DAY));
    expect((await getRow(c.id)).status).toBe('in_progress');
    await act(c.id, { type: 'resolve', outcome: 'partial_refund', amountRefundedFen: 100_000, note: '机构同意退还1000元' }, handler, at(FRIDAY, 5 * DAY));
    return c.id;
  }

  it('不满意 within 7 days reopens once; the second 不满意 closes the case', async () => {
    const id = await resolvedCase();
    expect((await getRow(id)).status).toBe('resolved');

    const r1 = await act(id, { type: 'rate', rating: 'unsatisfied' }, parent, at(FRIDAY, 8 * DAY));
    expect(r1.status).toBe('in_progress');
    let row = await getRow(id);
    expect(row).toMatchObject({ status: 'in_progress', reopenCount: 1, rating: 'unsatisfied', resolvedAt: null, outcome: null, closedAt: null });
    expect((await lastEvent(id)).data).toMatchObject({ rating: 'unsatisfied', reopened: true });

    await act(id, { type: 'resolve', outcome: 'full_refund', amountRefundedFen: 270_000, note: '复核后全额退还' }, handler, at(FRIDAY, 10 * DAY));
    const r2 = await act(id, { type: 'rate', rating: 'unsatisfied' }, parent, at(FRIDAY, 11 * DAY));
    expect(r2.status).toBe('closed');
    row = await getRow(id);
    expect(row).toMatchObject({ status: 'closed', reopenCount: 1, rating: 'unsatisfied', outcome: 'full_refund', amountRefundedFen: 270_000 });
    expect(row.closedAt?.toISOString()).toBe(at(FRIDAY, 11 * DAY).toISOString());
  });

  it('不满意 after 7 days closes the case', async () => {
    const id = await resolvedCase(); // resolved at FRIDAY + 5 days
    const r = await act(id, { type: 'rate', rating: 'unsatisfied' }, parent, at(FRIDAY, 5 * DAY + 7 * DAY + 60_000));
    expect(r.status).toBe('closed');
    expect(await getRow(id)).toMatchObject({ status: 'closed', reopenCount: 0, rating: 'unsatisfied' });
  });

  it('满意 closes the case', async () => {
    const id = await resolvedCase();
    const r = await act(id, { type: 'rate', rating: 'satisfied' }, parent, at(FRIDAY, 6 * DAY));
    expect(r.status).toBe('closed');
    expect(await getRow(id)).toMatchObject({ status: 'closed', reopenCount: 0, rating: 'satisfied' });
    await refused(id, { type: 'rate', rating: 'unsatisfied' }, parent, 409, at(FRIDAY, 7 * DAY));
  });

  it('staff cannot close before the rating window ends (the parent may still reopen); after it they can', async () => {
    const id = await resolvedCase(); // resolved at FRIDAY + 5 days
    await refused(id, { type: 'close' }, handler, 409, at(FRIDAY, 6 * DAY));
    expect((await getRow(id)).status).toBe('resolved');
    await act(id, { type: 'close', note: '回访期满，未评价' }, handler, at(FRIDAY, 5 * DAY + 7 * DAY + 60_000));
    expect((await getRow(id)).status).toBe('closed');
  });
});

describe('extensions: one, requested before the deadline, approved by the department head', () => {
  async function acceptedCase() {
    const c = await newComplaint('2026-09-24T02:00:00Z');
    await act(c.id, { type: 'accept' }, handler, '2026-09-25T02:00:00Z');
    expect((await getRow(c.id)).resolveBy).toBe('2026-10-22');
    return c.id;
  }

  it('a handler requests, a handler cannot approve, the department head approves: +15 working days', async () => {
    const id = await acceptedCase();
    await act(id, { type: 'request_extension', note: '需调取合同原件' }, handler, '2026-10-20T02:00:00Z');
    expect((await getRow(id)).extensionStatus).toBe('requested');

    await refused(id, { type: 'decide_extension', approve: true }, handler, 409);
    await refused(id, { type: 'decide_extension', approve: true }, otherHandler, 409);
    await refused(id, { type: 'decide_extension', approve: true }, { kind: 'system' }, 409);

    await act(id, { type: 'decide_extension', approve: true, note: '同意延期' }, head, '2026-10-21T02:00:00Z');
    const row = await getRow(id);
    expect(row.extensionStatus).toBe('approved');
    // from Thu Oct 22: Oct 23 (1), 26–30 (6), Nov 2–6 (11), Nov 9–12 (15)
    expect(row.extendedUntil).toBe('2026-11-12');
    expect(row.resolveBy).toBe('2026-10-22'); // the original deadline stays on record
    expect((await lastEvent(id)).data).toMatchObject({ extendedUntil: '2026-11-12' });

    // only one extension
    await refused(id, { type: 'request_extension', note: '再延期' }, handler, 409, '2026-11-02T02:00:00Z');
  });

  it('a request after the deadline is refused', async () => {
    const id = await acceptedCase();
    await refused(id, { type: 'request_extension', note: '逾期申请' }, handler, 409, '2026-10-22T16:30:00Z'); // Oct 23, 00:30 Beijing
    expect((await getRow(id)).extensionStatus).toBeNull();
  });

  it('a request on the last day (Beijing time) is still in time', async () => {
    const id = await acceptedCase();
    await act(id, { type: 'request_extension', note: '最后一天申请' }, handler, '2026-10-22T15:30:00Z'); // Oct 22, 23:30 Beijing
  });

  it('a refused extension leaves the deadline and cannot be asked again', async () => {
    const id = await acceptedCase();
    await act(id, { type: 'request_extension', note: '申请延期' }, handler, '2026-10-15T02:00:00Z');
    await act(id, { type: 'decide_extension', approve: false, note: '理由不充分' }, head);
    expect(await getRow(id)).toMatchObject({ extensionStatus: 'refused', extendedUntil: null, resolveBy: '2026-10-22' });
    await refused(id, { type: 'request_extension', note: '再次申请' }, handler, 409);
  });

  it('a deadline-free state cannot be extended', async () => {
    const c = await newComplaint();
    await refused(c.id, { type: 'request_extension', note: '尚未受理' }, handler, 409);
  });
});

describe('what the parent sees of the workflow', () => {
  it('the tracking page shows public notes and the outcome, never staff notes', async () => {
    const c = await newComplaint(FRIDAY, { mobile: '13900004321' });
    await act(c.id, { type: 'accept', note: '您的投诉已受理' }, handler, at(FRIDAY, DAY));
    await act(c.id, { type: 'note', staffNote: '内部：机构负责人手机13012345678', publicNote: '已约谈机构' }, handler, at(FRIDAY, 2 * DAY));
    await act(c.id, { type: 'resolve', outcome: 'partial_refund', amountRefundedFen: 123_450, note: '机构退还1234.50元' }, handler, at(FRIDAY, 3 * DAY));
    const res = await testApp(deps).request(`/api/complaints/${c.trackingCode}?last4=4321`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const view = JSON.parse(text);
    expect(view.status).toBe('resolved');
    expect(view.outcome).toBe('partial_refund');
    expect(view.amountRefunded).toBe(1234.5);
    expect(view.canRate).toBe(true);
    expect(view.deadlines.resolveBy).toBe('2026-12-18'); // accepted Sat 11-28: Mon 11-30 (1), Dec 1–4 (5), 7–11 (10), 14–18 (15)
    expect(view.timeline.map((e: { kind: string }) => e.kind)).toEqual(['submitted', 'accept', 'note', 'resolve']);
    expect(view.timeline.map((e: { note: string | null }) => e.note)).toEqual([null, '您的投诉已受理', '已约谈机构', '机构退还1234.50元']);
    expect(text).not.toContain('内部');
    expect(text).not.toContain('13012345678');
  });
});

describe('audit log tamper evidence', () => {
  it('the chain verifies after every change above', async () => {
    // Changes of its own, so the chain is long enough whichever tests ran before (or none).
    const c = await newComplaint();
    await act(c.id, { type: 'accept' }, handler);
    await act(c.id, { type: 'note', staffNote: '已联系机构' }, handler);
    const n = Number((await deps.db.readClient.execute('SELECT count(*) AS n FROM audit_log')).rows[0]!.n);
    expect(n).toBeGreaterThan(2);
    expect(await verifyAuditChain(deps.db)).toEqual({ ok: true, checked: n, brokenAt: null });
  });

  describe('on a database of its own (tampering must not break the chain the other tests verify)', () => {
    let own: TestDeps;
    /** A fresh database with an intact chain of at least three rows, written by the real workflow. */
    beforeEach(async () => {
      own = await createSeededDeps(2, { now: FRIDAY });
      const [s] = await own.db.write((tx) =>
        tx.insert(t.staff).values({ username: 't.handler', displayName: '承办人（测试）', departmentCode: 'edu', role: 'handler', passwordHash: 'x' }).returning({ id: t.staff.id }),
      );
      const actor: Actor = { kind: 'staff', staffId: s!.id, role: 'handler', dept: 'edu' };
      const data = ComplaintInputSchema.parse(complaintBody({ institutionId: 'demo-0002', mobile: '13800000001' }));
      const { result } = await submitComplaint(own, data, { ip: null });
      const [row] = await own.db.read.select().from(t.complaints).where(eq(t.complaints.trackingCode, result.trackingCode));
      await applyAction(own, row!.id, { type: 'accept' }, actor);
      await applyAction(own, row!.id, { type: 'note', staffNote: '已联系机构' }, actor);
      await applyAction(own, row!.id, { type: 'note', staffNote: '调解中' }, actor);
      const n = Number((await own.db.readClient.execute('SELECT count(*) AS n FROM audit_log')).rows[0]!.n);
      expect(n).toBeGreaterThanOrEqual(3);
      expect(await verifyAuditChain(own.db)).toEqual({ ok: true, checked: n, brokenAt: null });
    });
    afterEach(async () => {
      await own?.cleanup();
    });

    it('editing one row is detected at that row', async () => {
      await own.db.writeClient.execute("UPDATE audit_log SET action = 'x' WHERE id = 2");
      expect(await verifyAuditChain(own.db)).toEqual({ ok: false, checked: 1, brokenAt: 2 });
    });

    it('re-hashing the edited row does not hide it: the next row no longer links', async () => {
      // An attacker who edits row 2 and recomputes its hash still breaks row 3's prevHash link.
      const { hashEntry } = await import('../../api/audit/log.ts');
      await own.db.writeClient.execute("UPDATE audit_log SET action = 'x' WHERE id = 2");
      const [r2] = await own.db.read.select().from(t.auditLog).where(eq(t.auditLog.id, 2));
      const newHash = hashEntry({ ...r2!, detail: r2!.detail ?? null }, r2!.prevHash);
      await own.db.writeClient.execute({ sql: 'UPDATE audit_log SET hash = ? WHERE id = 2', args: [newHash] });
      expect(await verifyAuditChain(own.db)).toEqual({ ok: false, checked: 2, brokenAt: 3 });
    });
  });
});
