/**
 * The staff queue over ~100 complaints filed through the real intake and moved through the real
 * workflow with back-dated clocks: every filter, nearest-deadline order, counts per state, and
 * keyset pagination that returns every row exactly once. The expected answers are computed here
 * in plain TypeScript from the raw columns (status, accept-by, resolve-by, extension), not from
 * the due_on column the queue uses. Also: each query strategy's plan uses its index.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClient, type Client } from '@libsql/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { COMPLAINT_REASONS, COMPLAINT_STATUSES, type ComplaintStatus } from '../../db/schema.ts';
import { addCalendarDays, beijingDate, beijingMidnight } from '../../api/calendar/working-days.ts';
import { submitComplaint } from '../../api/intake/service.ts';
import { ComplaintInputSchema } from '../../api/intake/schema.ts';
import { applyAction, type Actor } from '../../api/cases/workflow.ts';
import { queueQuery, weekEnd, type Cursor, type QueueScope } from '../../api/cases/queue.ts';
import { QueueQuerySchema } from '../../api/cases/schema.ts';
import { hashPassword } from '../../api/staff/passwords.ts';
import { base32Secret } from '../../api/staff/totp.ts';
import { logInAs, logInWith, seedStaff, type StaffAgent } from '../helpers/admin-session.ts';
import { complaintBody, createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

const NOW = '2026-11-27T02:00:00Z'; // Friday 10:00 Beijing
const DAY = 86_400_000;

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
let today: string;
/** The clock after the shared sign-ins: every test starts here (see beforeEach). */
let ready: Date;
/** Shared read-only sessions; no test signs these accounts in again or moves them past their idle timeout. */
const as: Record<string, StaffAgent> = {};

interface Truth {
  id: number;
  code: string;
  status: ComplaintStatus;
  lead: string;
  co: string[];
  due: string | null;
  institutionId: string | null;
  reason: string;
  submittedAt: number;
}
let truth: Truth[] = [];

async function loadTruth() {
  const rows = await deps.db.read.select().from(t.complaints);
  const co = await deps.db.read.select().from(t.complaintCoHandlers);
  truth = rows.map((r) => ({
    id: r.id,
    code: r.trackingCode,
    status: r.status,
    lead: r.leadDept,
    co: co.filter((x) => x.complaintId === r.id).map((x) => x.departmentCode),
    due: r.status === 'submitted' ? r.acceptBy : r.status === 'accepted' || r.status === 'in_progress' ? (r.extendedUntil ?? r.resolveBy) : null,
    institutionId: r.institutionId,
    reason: r.reason,
    submittedAt: r.submittedAt.getTime(),
  }));
}

/** Nearest deadline first; cases with nothing due last; ties by submission time, then id. */
const ordered = (rows: Truth[]) =>
  [...rows].sort((a, b) => (a.due ?? '9999-12-31').localeCompare(b.due ?? '9999-12-31') || a.submittedAt - b.submittedAt || a.id - b.id).map((r) => r.code);
const inScope = (dept: string | null) => (r: Truth) => dept === null || r.lead === dept || r.co.includes(dept);

/** Pages through the queue and returns every code in order, checking page sizes and cursors. */
async function pageAll(who: StaffAgent, query: string, limit: number) {
  const codes: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  let first: Record<string, unknown> | null = null;
  do {
    const res = await who.get(`/api/admin/complaints?limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status, await res.clone().text()).toBe(200);
    const body = await res.json();
    first ??= body;
    if (body.nextCursor) expect(body.items.length).toBe(limit);
    codes.push(...body.items.map((i: { code: string }) => i.code));
    cursor = body.nextCursor;
    expect(++pages).toBeLessThan(500);
  } while (cursor);
  return { codes, first: first! };
}

beforeAll(async () => {
  deps = await createSeededDeps(24, { now: NOW });
  app = testApp(deps);
  await seedStaff(deps);
  const heads = await deps.db.read.select().from(t.staff);
  const head: Actor = { kind: 'staff', staffId: heads.find((s) => s.username === 'edu.head')!.id, role: 'dept_head', dept: 'edu' };
  const coord: Actor = { kind: 'staff', staffId: heads.find((s) => s.username === 'coord')!.id, role: 'coordinator', dept: 'edu' };

  // ~100 complaints over the last 45 days, in every state.
  const base = Date.parse(NOW);
  for (let i = 0; i < 104; i++) {
    const submittedAt = new Date(base - (45 - Math.floor(i * 0.43)) * DAY + (i % 9) * 3_600_000);
    const unregistered = i % 11 === 5;
    const data = ComplaintInputSchema.parse(
      complaintBody({
        ...(unregistered
          ? { institutionId: undefined, institutionName: `无证培训点${i % 3}`, institutionAddress: '某小区底商', town: ['xindian', 'qidu'][i % 2] }
          : { institutionId: `demo-${String((i % 12) + 1).padStart(4, '0')}` }),
        reason: COMPLAINT_REASONS[i % COMPLAINT_REASONS.length],
        mobile: `136${String(i).padStart(8, '0')}`,
        paidOn: '2026-09-01',
      }),
    );
    const { result } = await submitComplaint(deps, data, { ip: null, submittedAt });
    const [row] = await deps.db.read.select().from(t.complaints).where(eq(t.complaints.trackingCode, result.trackingCode));
    const id = row!.id;
    const at = (days: number) => ({ at: new Date(Math.min(submittedAt.getTime() + days * DAY, base)) });
    const plan = i % 8;
    if (plan === 1) await applyAction(deps, id, { type: 'reject', reason: 'insufficient', note: '材料不全，请补充' }, head, at(1));
    if (plan >= 2) await applyAction(deps, id, { type: 'accept' }, head, at(1));
    if (plan >= 3 && plan !== 7) await applyAction(deps, id, { type: 'note', staffNote: '调解中' }, head, at(2));
    if (plan === 4) {
      await applyAction(deps, id, { type: 'request_extension', note: '需要更多时间' }, head, at(3));
      await applyAction(deps, id, { type: 'decide_extension', approve: true }, head, at(4));
    }
    if (plan >= 5 && plan !== 7) await applyAction(deps, id, { type: 'resolve', outcome: 'partial_refund', amountRefundedFen: 1000, note: '部分退费' }, head, at(5));
    if (plan === 6 && submittedAt.getTime() + 13 * DAY < base) await applyAction(deps, id, { type: 'close' }, head, at(13));
    if (i % 17 === 3 && plan !== 1 && plan < 5) await applyAction(deps, id, { type: 'change_lead', department: row!.leadDept === 'culture' ? 'science' : 'culture', reason: '协调后改由该部门牵头' }, coord, at(2));
  }
  deps.clock.set(NOW);
  today = beijingDate(deps.clock.now());
  for (const u of ['edu.handler', 'culture.head', 'market.head', 'science.handler', 'coord']) as[u] = await logInAs(app, deps, u);
  ready = deps.clock.now();
  await loadTruth();
  // The data covers what the filters need.
  expect(new Set(truth.map((r) => r.status))).toEqual(new Set(COMPLAINT_STATUSES));
  expect(truth.filter((r) => r.due && r.due < today).length).toBeGreaterThan(3);
});

// Every test starts at the time the expected answers (today, overdue, due this week) were computed
// for, and inside the shared sessions' idle window, whatever ran before it.
beforeEach(() => {
  deps.clock.set(ready);
});

afterAll(async () => {
  await deps?.cleanup();
});

describe('keyset pagination: every case exactly once, nearest deadline first', () => {
  const SCOPES: [string, string | null][] = [
    ['edu.handler', 'edu'],
    ['culture.head', 'culture'],
    ['market.head', 'market'],
    ['science.handler', 'science'],
    ['coord', null],
  ];
  for (const [user, dept] of SCOPES) {
    for (const limit of [1, 7, 100]) {
      it(`${user}, pages of ${limit}`, async () => {
        const { codes } = await pageAll(as[user]!, '', limit);
        expect(codes).toEqual(ordered(truth.filter(inScope(dept))));
        expect(new Set(codes).size).toBe(codes.length);
      });
    }
  }

  it('a page records each item’s deadline, overdue flag and role', async () => {
    const body = await (await as['edu.handler']!.get('/api/admin/complaints?limit=100')).json();
    for (const item of body.items) {
      const r = truth.find((x) => x.code === item.code)!;
      expect(item.dueOn).toBe(r.due);
      expect(item.overdue).toBe(r.due !== null && r.due < today);
      expect(item.role).toBe(r.lead === 'edu' ? 'lead' : 'co');
      expect(item.status).toBe(r.status);
    }
    expect(body.asOf).toBe(today);
  });
});

describe('filters', () => {
  const week = () => weekEnd(today);
  const FILTERS: [string, string, (r: Truth) => boolean][] = [
    ['state=accepted', '&state=accepted', (r) => r.status === 'accepted'],
    ['state=closed', '&state=closed', (r) => r.status === 'closed'],
    ['overdue', '&overdue=1', (r) => r.due !== null && r.due < today],
    ['due this week', '&dueThisWeek=true', (r) => r.due !== null && r.due >= today && r.due <= week()],
    ['overdue + state=submitted', '&overdue=1&state=submitted', (r) => r.status === 'submitted' && r.due !== null && r.due < today],
    ['reason=delayed', '&reason=delayed', (r) => r.reason === 'delayed'],
    ['institution', '&institution=demo-0003', (r) => r.institutionId === 'demo-0003'],
    ['institution + state', '&institution=demo-0005&state=in_progress', (r) => r.institutionId === 'demo-0005' && r.status === 'in_progress'],
    ['short submitted range', '&submittedFrom=2026-11-01&submittedTo=2026-11-15', (r) => beijingDate(new Date(r.submittedAt)) >= '2026-11-01' && beijingDate(new Date(r.submittedAt)) <= '2026-11-15'],
    ['long submitted range', '&submittedFrom=2026-09-01&submittedTo=2026-11-20', (r) => beijingDate(new Date(r.submittedAt)) <= '2026-11-20'],
    ['open-ended range + reason', '&submittedFrom=2026-11-10&reason=refused', (r) => r.reason === 'refused' && r.submittedAt >= beijingMidnight('2026-11-10').getTime()],
    ['state + reason + range', '&state=in_progress&reason=teacher&submittedFrom=2026-10-01&submittedTo=2026-11-30', (r) => r.status === 'in_progress' && r.reason === 'teacher'],
  ];
  for (const [label, query, pred] of FILTERS) {
    for (const [user, dept] of [
      ['market.head', 'market'],
      ['edu.handler', 'edu'],
      ['coord', null],
    ] as const) {
      it(`${label} as ${user}`, async () => {
        const expected = ordered(truth.filter(inScope(dept)).filter(pred));
        const { codes } = await pageAll(as[user]!, query, 3);
        expect(codes).toEqual(expected);
      });
    }
  }

  it('the filters are not vacuous on this data', () => {
    for (const [label, , pred] of FILTERS) expect(truth.filter(pred).length, label).toBeGreaterThan(0);
  });

  it('the coordinator can narrow to one department', async () => {
    const { codes } = await pageAll(as.coord!, '&department=culture&state=submitted', 2);
    expect(codes).toEqual(ordered(truth.filter(inScope('culture')).filter((r) => r.status === 'submitted')));
  });
});

describe('counts per state', () => {
  for (const [user, dept] of [
    ['edu.handler', 'edu'],
    ['culture.head', 'culture'],
    ['market.head', 'market'],
    ['coord', null],
  ] as const) {
    it(`as ${user}: per state, total, overdue and due this week — whatever the filters`, async () => {
      const mine = truth.filter(inScope(dept));
      const body = await (await as[user]!.get('/api/admin/complaints?limit=1&state=closed&reason=other')).json();
      for (const s of COMPLAINT_STATUSES) expect(body.counts[s], s).toBe(mine.filter((r) => r.status === s).length);
      expect(body.counts.total).toBe(mine.length);
      expect(body.counts.overdue).toBe(mine.filter((r) => r.due !== null && r.due < today).length);
      expect(body.counts.dueThisWeek).toBe(mine.filter((r) => r.due !== null && r.due >= today && r.due <= weekEnd(today)).length);
    });
  }
});

describe('bad input → 422 with field paths', () => {
  const BAD: [string, string][] = [
    ['cursor=garbage', 'cursor'],
    [`cursor=${Buffer.from('["2026-01-01",-1]').toString('base64url')}`, 'cursor'],
    ['submittedFrom=2026-11-20&submittedTo=2026-11-01', 'submittedTo'],
    ['submittedFrom=2026-02-30', 'submittedFrom'],
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['state=lost', 'state'],
    ['reason=whatever', 'reason'],
    ['overdue=maybe', 'overdue'],
    ['colour=red', 'colour'],
  ];
  for (const [query, path] of BAD) {
    it(query, async () => {
      const res = await as['edu.handler']!.get(`/api/admin/complaints?${query}`);
      expect(res.status).toBe(422);
      const body = await res.json();
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
    });
  }
});

describe('query plans use the queue indexes (EXPLAIN QUERY PLAN)', () => {
  // A connection of its own: @libsql/client leaves an EXPLAIN statement's read snapshot open on
  // a pooled connection, which then misses later writes (seen here: a new session not found).
  let explain: Client;
  beforeAll(() => {
    explain = createClient({ url: deps.db.url });
  });
  afterAll(() => explain.close());
  const planRows = async (scope: QueueScope, query: Record<string, string | undefined>, cursor: Cursor | null = { dueOn: '2026-11-20', submittedAt: 0, id: 5 }) => {
    const q = QueueQuerySchema.parse(query);
    const { sql, args } = queueQuery(scope, q, today, cursor);
    const rows = (await explain.execute({ sql: `EXPLAIN QUERY PLAN ${sql}`, args })).rows;
    return rows.map((r) => ({ id: Number(r.id), parent: Number(r.parent), detail: String(r.detail) }));
  };
  const plan = async (scope: QueueScope, query: Record<string, string | undefined>, cursor?: Cursor | null) => (await planRows(scope, query, cursor)).map((r) => r.detail);
  const dept: QueueScope = { kind: 'department', dept: 'market' };
  const all: QueueScope = { kind: 'all' };

  /** No sort inside any subquery (that would sort every case of the scope): a temp B-tree may
   * only sit directly under a merge input, sorting that input's short, limited list. */
  const expectNoBigSort = (rows: { id: number; parent: number; detail: string }[]) => {
    const text = rows.map((r) => r.detail).join('\n');
    expect(text).not.toMatch(/SCAN (c|h)\b(?! USING)/);
    for (const r of rows.filter((x) => x.detail.includes('TEMP B-TREE'))) {
      expect(rows.find((x) => x.id === r.parent)?.detail, text).toMatch(/^(LEFT|RIGHT)$/);
    }
  };

  it('a department: led and co-handled cases, open and finished, each an ordered index range', async () => {
    for (const query of [{}, { state: 'submitted' }, { state: 'closed' }, { overdue: '1' }, { reason: 'refused' }, { submittedFrom: '2025-01-01', submittedTo: '2025-12-31' }]) {
      const rows = await planRows(dept, query);
      const text = rows.map((r) => r.detail).join('\n');
      expect(text).toMatch(/SEARCH c USING (COVERING )?INDEX complaints_lead_(status_)?due_sub_idx \(lead_dept=\?/);
      expect(text).toMatch(/SEARCH h USING (COVERING )?INDEX complaint_co_handlers_(status_)?due_sub_idx \(department_code=\?/);
      expectNoBigSort(rows);
    }
  });

  it('everything (coordinator): ordered index ranges', async () => {
    for (const query of [{}, { state: 'accepted' }, { dueThisWeek: '1' }]) {
      const rows = await planRows(all, query);
      expect(rows.map((r) => r.detail).join('\n')).toMatch(/SEARCH c USING INDEX complaints_(status_)?due_sub_idx/);
      expectNoBigSort(rows);
    }
  });

  it('a cursor is a seek, not a filter: deep pages cost what the first costs', async () => {
    const deep: Cursor = { dueOn: '9999-12-31', submittedAt: Date.parse('2026-11-01T00:00:00Z'), id: 50 };
    const closed = (await plan(dept, { state: 'closed' }, deep)).join('\n');
    expect(closed).toMatch(/complaint_co_handlers_status_due_sub_idx \(department_code=\? AND status=\? AND due_on=\? AND \(submitted_at,complaint_id\)>\(\?,\?\)\)/);
    const open = (await plan(all, {}, { dueOn: '2026-11-20', submittedAt: 0, id: 5 })).join('\n');
    expect(open).toMatch(/complaints_due_sub_idx \(\(due_on,submitted_at\)>\(\?,\?\) AND due_on<\?\)/);
  });

  it('filters that narrow a lot seek on their own: submission dates (finished cases), one institution', async () => {
    const text = (await plan(all, { submittedFrom: '2025-01-01', submittedTo: '2025-03-01' }, null)).join('\n');
    expect(text).toContain('SEARCH c USING INDEX complaints_due_sub_idx (due_on=? AND submitted_at>? AND submitted_at<?)');
    for (const scope of [dept, all]) {
      const rows = await planRows(scope, { institution: 'demo-0003', state: 'accepted' });
      expect(rows.map((r) => r.detail).join('\n')).toMatch(/SEARCH c USING (COVERING )?INDEX complaints_institution_queue_idx \(institution_key=\? AND \(due_on,submitted_at\)>\(\?,\?\)\)/);
      expect(rows.map((r) => r.detail).join('\n')).not.toContain('TEMP B-TREE');
    }
  });

  it('the plans hold with the statistics of a million-complaint database (ANALYZE)', async () => {
    // sqlite_stat1 rows as ANALYZE wrote them after `npm run bench:admin` (1M complaints). With
    // them, and without the unary + on in-index filters, SQLite picked a skip-scan and sorted
    // every open case of the department (about 100 ms at 1M).
    const STATS: [string, string, string][] = [
      ['complaint_co_handlers', 'complaint_co_handlers_dept_idx', '1685507 120394 1'],
      ['complaint_co_handlers', 'complaint_co_handlers_due_sub_idx', '1685507 120394 1075 1 1'],
      ['complaint_co_handlers', 'complaint_co_handlers_status_due_sub_idx', '1685507 120394 20066 706 1 1'],
      ['complaint_co_handlers', 'sqlite_autoindex_complaint_co_handlers_1', '1685507 2 1'],
      ['complaints', 'complaints_cluster_idx', '1000000 1000000'],
      ['complaints', 'complaints_due_sub_idx', '1000000 2080 1 1'],
      ['complaints', 'complaints_institution_idx', '1000000 143 1'],
      ['complaints', 'complaints_institution_queue_idx', '1000000 143 20 1 1 1 1'],
      ['complaints', 'complaints_lead_due_sub_idx', '1000000 333334 1271 1 1'],
      ['complaints', 'complaints_lead_status_due_sub_idx', '1000000 333334 55556 944 1 1'],
      ['complaints', 'complaints_status_due_sub_idx', '1000000 166667 1737 1 1'],
      ['complaints', 'complaints_submitted_idx', '1000000 1'],
      ['complaints', 'complaints_tracking_code_uq', '1000000 1'],
    ];
    const dir = mkdtempSync(join(tmpdir(), 'peixun-plan-'));
    const copy = join(dir, 'stats.db');
    await deps.db.readClient.execute({ sql: 'VACUUM INTO ?', args: [copy] });
    const c = createClient({ url: `file:${copy}` });
    try {
      await c.execute('ANALYZE');
      await c.execute("DELETE FROM sqlite_stat1 WHERE tbl IN ('complaints', 'complaint_co_handlers')");
      for (const [tbl, idx, stat] of STATS) await c.execute({ sql: 'INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)', args: [tbl, idx, stat] });
      await c.execute('ANALYZE sqlite_schema'); // reload the statistics
      const QUERIES: [QueueScope, Record<string, string>][] = [
        [dept, {}],
        [dept, { submittedFrom: '2026-01-31', submittedTo: '2026-12-13' }],
        [dept, { reason: 'other', submittedFrom: '2026-01-31', submittedTo: '2026-12-13' }],
        [dept, { state: 'in_progress', submittedFrom: '2025-01-01' }],
        [dept, { overdue: '1' }],
        [all, { submittedFrom: '2024-01-01', submittedTo: '2024-03-01' }],
        [all, { dueThisWeek: '1', reason: 'refused' }],
        [all, { institution: 'demo-0001' }],
        [dept, { institution: 'demo-0001', submittedFrom: '2025-01-01' }],
      ];
      for (const [scope, query] of QUERIES) {
        const { sql, args } = queueQuery(scope, QueueQuerySchema.parse(query), today, null);
        const rows = (await c.execute({ sql: `EXPLAIN QUERY PLAN ${sql}`, args })).rows.map((r) => ({ id: Number(r.id), parent: Number(r.parent), detail: String(r.detail) }));
        const text = rows.map((r) => r.detail).join('\n');
        expect(text, JSON.stringify(query)).not.toContain('ANY(');
        expectNoBigSort(rows);
      }
    } finally {
      c.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the queue follows the case', () => {
  it('a date past the deadline turns a case overdue, in the list and in the counts', async () => {
    const open = truth.filter((r) => r.due !== null && r.due >= today).sort((a, b) => a.due!.localeCompare(b.due!))[0]!;
    const before = await (await as.coord!.get('/api/admin/complaints?overdue=1&limit=100')).json();
    expect(before.items.map((i: { code: string }) => i.code)).not.toContain(open.code);
    // Days later the shared session has idled out, and signing the same account in again would sweep
    // it (api/staff/sessions.ts) for the tests that run after this one: a coordinator of its own.
    const secret = base32Secret(Buffer.alloc(20, 7));
    const password = 'Coord-queue-2026';
    await deps.db.write(async (tx) =>
      tx.insert(t.staff).values({
        username: 'coord.queue',
        displayName: '双减办（队列测试）',
        departmentCode: 'edu',
        role: 'coordinator',
        passwordHash: await hashPassword(password),
        totpSecretEnc: deps.pii.encrypt(secret),
        totpEnrolledAt: deps.clock.now(),
      }),
    );
    deps.clock.set(beijingMidnight(addCalendarDays(open.due!, 1)));
    const coord = await logInWith(app, deps, { username: 'coord.queue', password, totpSecret: secret });
    const after = await (await coord.get('/api/admin/complaints?overdue=1&limit=100')).json();
    expect(after.items.map((i: { code: string }) => i.code)).toContain(open.code);
    expect(after.counts.overdue).toBeGreaterThan(before.counts.overdue);
  });
});
