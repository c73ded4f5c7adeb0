/**
 * The queue's derived data is kept by SQLite triggers (migration 0002_queue_triggers), not by the
 * code that writes complaints. After every kind of write — intake, accept, extension, resolve,
 * co-handler added, change of lead, deletion — it must equal what a full recount gives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { submitComplaint } from '../../api/intake/service.ts';
import { ComplaintInputSchema } from '../../api/intake/schema.ts';
import { applyAction, type Actor } from '../../api/cases/workflow.ts';
import { complaintBody, createSeededDeps, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;
let head: Actor;
let coord: Actor;
let seq = 0;

async function file(overrides: Record<string, unknown> = {}) {
  const data = ComplaintInputSchema.parse(complaintBody({ mobile: `137${String(++seq).padStart(8, '0')}`, ...overrides }));
  const { result } = await submitComplaint(deps, data, { ip: null });
  const [row] = await deps.db.read.select().from(t.complaints).where(eq(t.complaints.trackingCode, result.trackingCode));
  return row!;
}

const rows = async (sql: string) => (await deps.db.readClient.execute(sql)).rows.map((r) => ({ ...r }));

/** queue_counts must equal a recount from the tables (zero rows may linger; ignore them). */
async function expectCountsConsistent() {
  const stored = await rows('SELECT scope, status, n FROM queue_counts WHERE n <> 0 ORDER BY scope, status');
  const truth = await rows(`
    SELECT scope, status, sum(n) AS n FROM (
      SELECT '*' AS scope, status, count(*) AS n FROM complaints GROUP BY status
      UNION ALL SELECT lead_dept, status, count(*) FROM complaints GROUP BY lead_dept, status
      UNION ALL SELECT h.department_code, c.status, count(*) FROM complaint_co_handlers h JOIN complaints c ON c.id = h.complaint_id GROUP BY h.department_code, c.status
    ) GROUP BY scope, status ORDER BY scope, status`);
  expect(stored).toEqual(truth);
  const drift = await rows('SELECT count(*) AS n FROM complaint_co_handlers h JOIN complaints c ON c.id = h.complaint_id WHERE h.status IS NOT c.status OR h.due_on IS NOT c.due_on OR h.submitted_at IS NOT c.submitted_at');
  expect(drift[0]!.n).toBe(0);
  const negative = await rows('SELECT count(*) AS n FROM queue_counts WHERE n < 0');
  expect(negative[0]!.n).toBe(0);
}

beforeAll(async () => {
  deps = await createSeededDeps(12);
  const ids = await deps.db.write((tx) =>
    tx
      .insert(t.staff)
      .values([
        { username: 'q.head', displayName: 'head', departmentCode: 'edu', role: 'dept_head', passwordHash: 'x' },
        { username: 'q.coord', displayName: 'coord', departmentCode: 'edu', role: 'coordinator', passwordHash: 'x' },
        { username: 'q.culture', displayName: 'culture', departmentCode: 'culture', role: 'handler', passwordHash: 'x' },
      ])
      .returning({ id: t.staff.id }),
  );
  head = { kind: 'staff', staffId: ids[0]!.id, role: 'dept_head', dept: 'edu' };
  coord = { kind: 'staff', staffId: ids[1]!.id, role: 'coordinator', dept: 'edu' };
});

afterAll(async () => {
  await deps?.cleanup();
});

describe('queue triggers', () => {
  it('due_on follows the state: accept-by, then resolve-by, then the extension, then nothing', async () => {
    const c = await file({ institutionId: 'demo-0002' });
    expect(c.dueOn).toBe(c.acceptBy);
    await applyAction(deps, c.id, { type: 'accept' }, head);
    let row = (await deps.db.read.select().from(t.complaints).where(eq(t.complaints.id, c.id)))[0]!;
    expect(row.dueOn).toBe(row.resolveBy);
    await applyAction(deps, c.id, { type: 'request_extension', note: '需要更多时间' }, head);
    await applyAction(deps, c.id, { type: 'decide_extension', approve: true }, head);
    row = (await deps.db.read.select().from(t.complaints).where(eq(t.complaints.id, c.id)))[0]!;
    expect(row.dueOn).toBe(row.extendedUntil);
    await applyAction(deps, c.id, { type: 'resolve', outcome: 'full_refund', amountRefundedFen: 1000, note: '已全额退费' }, head);
    row = (await deps.db.read.select().from(t.complaints).where(eq(t.complaints.id, c.id)))[0]!;
    expect(row.dueOn).toBe(t.NO_DEADLINE);
    await expectCountsConsistent();
  });

  it('intake of registered and unregistered operators, rejection, co-handlers', async () => {
    for (let i = 1; i <= 6; i++) await file({ institutionId: `demo-${String(i).padStart(4, '0')}` });
    const u = await file({ institutionId: undefined, institutionName: '无证托管班', institutionAddress: '某小区底商', town: 'xindian' });
    await applyAction(deps, u.id, { type: 'reject', reason: 'duplicate', note: '重复投诉，请查看原投诉' }, head);
    const c = await file({ institutionId: 'demo-0003' });
    await applyAction(deps, c.id, { type: 'add_cohandler', department: 'fire' }, head);
    await expectCountsConsistent();
  });

  it('change of lead moves the counts, keeps the old lead as co-handler, never both', async () => {
    const c = await file({ institutionId: 'demo-0004' });
    const before = c.leadDept;
    const target = before === 'culture' ? 'edu' : 'culture';
    await applyAction(deps, c.id, { type: 'change_lead', department: target, reason: '经协调，由文旅局牵头' }, coord);
    const co = await deps.db.read.select().from(t.complaintCoHandlers).where(eq(t.complaintCoHandlers.complaintId, c.id));
    expect(co.map((x) => x.departmentCode)).toContain(before);
    expect(co.map((x) => x.departmentCode)).not.toContain(target);
    await expectCountsConsistent();
  });

  it('deleting a complaint (retention) removes it from every count', async () => {
    const c = await file({ institutionId: 'demo-0005' });
    await deps.db.write((tx) => tx.delete(t.complaints).where(eq(t.complaints.id, c.id)));
    await expectCountsConsistent();
  });
});
