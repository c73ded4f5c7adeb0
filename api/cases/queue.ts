/**
 * The staff queue: a department's cases (those it leads plus those it co-handles), or every case
 * for the coordination office, nearest deadline first, with keyset pagination on
 * (due_on, submitted_at, id) so page 20 000 costs what page 1 costs, at a million complaints.
 *
 * How it stays fast (bench/admin.ts measures it):
 * - complaints.due_on is a generated column, copied (with status and submitted_at) onto
 *   complaint_co_handlers by triggers; both tables have (department, [status,] due_on,
 *   submitted_at, id) indexes, so a department's led cases and its co-handled cases are each an
 *   ordered index range. The page is the first N of their merge.
 * - Each range is split in two segments: open cases (a real due date) and finished ones (due_on
 *   is the NO_DEADLINE sentinel). Within the finished segment the index is in submission order,
 *   so a submission-date filter seeks instead of scanning hundreds of thousands of old cases;
 *   in the open segment (a small share of all cases) it is checked inside the index.
 * - One institution's complaints come from an index of that institution's cases in queue order.
 * - Terms that must only ever filter inside an index, never pick how it is searched, carry a
 *   unary + (SQLite's way to say "not for index lookup"): with ANALYZE statistics of a large
 *   database the planner otherwise chose a skip-scan plus a sort over every open case (100 ms).
 * - Counts per state come from queue_counts (kept by triggers), never from counting rows.
 * Every subquery names its index (INDEXED BY) so the plan cannot drift to a full scan; the tests
 * check the plans with EXPLAIN QUERY PLAN.
 */
import type { InArgs } from '@libsql/client';
import { COMPLAINT_STATUSES, NO_DEADLINE, type ComplaintStatus } from '../../db/schema.ts';
import { addCalendarDays, beijingDate, beijingMidnight } from '../calendar/working-days.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../lib/errors.ts';
import type { QueueQuery } from './schema.ts';

export type QueueScope = { kind: 'all' } | { kind: 'department'; dept: string };

/** States with a deadline running; the others have due_on = NO_DEADLINE. */
const OPEN_STATES: ReadonlySet<ComplaintStatus> = new Set(['submitted', 'accepted', 'in_progress']);

export interface Cursor {
  dueOn: string;
  submittedAt: number;
  id: number;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.dueOn, c.submittedAt, c.id])).toString('base64url');
}

export function decodeCursor(s: string): Cursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v[0]) && Number.isSafeInteger(v[1]) && v[1] >= 0 && Number.isSafeInteger(v[2]) && v[2] > 0) {
      return { dueOn: v[0], submittedAt: v[1] as number, id: v[2] as number };
    }
  } catch {
    // fall through
  }
  throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'cursor', key: 'cursor_invalid' }]);
}

/** Monday-to-Sunday week of a Beijing date: the Sunday. */
export function weekEnd(today: string): string {
  const dow = new Date(`${today}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addCalendarDays(today, dow === 0 ? 0 : 7 - dow);
}

type Segment = 'open' | 'done';

/** Which segments can hold matching rows after the cursor. */
function segmentsFor(q: QueueQuery, cursor: Cursor | null): Segment[] {
  let segs: Segment[] = ['open', 'done'];
  if (q.state) segs = OPEN_STATES.has(q.state) ? ['open'] : ['done'];
  if (q.overdue || q.dueThisWeek) segs = segs.filter((s) => s === 'open');
  if (cursor?.dueOn === NO_DEADLINE) segs = segs.filter((s) => s === 'done');
  return segs;
}

interface Terms {
  where: string[];
  args: (string | number)[];
}

/**
 * WHERE terms for one subquery. `a` is the alias whose status / due_on / submitted_at are in the
 * index (c, or h for co-handler copies); reason and institution are read from the complaint (c).
 *
 * Of two lower bounds on the same index order (the cursor, and "due from today" or "submitted
 * from"), only the tighter one is written: SQLite seeks with one of them and filters with the
 * other, and filtering from the wrong one would walk every row before the cursor.
 */
function filterTerms(q: QueueQuery, today: string, a: string, segment: Segment | null, cursor: Cursor | null, idCol: string): Terms {
  const where: string[] = [];
  const args: (string | number)[] = [];
  const add = (term: string, ...v: (string | number)[]) => {
    where.push(term);
    args.push(...v);
  };
  const from = q.submittedFrom ? beijingMidnight(q.submittedFrom).getTime() : null;
  const to = q.submittedTo ? beijingMidnight(addCalendarDays(q.submittedTo, 1)).getTime() : null;
  if (q.state) add(segment === null ? `+${a}.status = ?` : `${a}.status = ?`, q.state);
  if (q.reason) add('c.reason = ?', q.reason);
  if (q.institution) add('c.institution_key = ?', q.institution);

  if (segment === 'done') {
    // One due_on value: the index runs in (submitted_at, id) order here.
    add(`${a}.due_on = ?`, NO_DEADLINE);
    if (cursor && (from === null || cursor.submittedAt >= from)) add(`(${a}.submitted_at, ${a}.${idCol}) > (?, ?)`, cursor.submittedAt, cursor.id);
    else if (from !== null) add(`${a}.submitted_at >= ?`, from);
    if (to !== null) add(`${a}.submitted_at < ?`, to);
    return { where, args };
  }

  // Open cases (or, for the institution strategy, any case): ordered by due_on first.
  if (segment === 'open') add(`${a}.due_on < ?`, q.overdue ? today : NO_DEADLINE);
  else if (q.overdue) add(`${a}.due_on < ?`, today);
  if (q.dueThisWeek) add(`${a}.due_on <= ?`, weekEnd(today));
  if (cursor && !(q.dueThisWeek && cursor.dueOn < today)) add(`(${a}.due_on, ${a}.submitted_at, ${a}.${idCol}) > (?, ?, ?)`, cursor.dueOn, cursor.submittedAt, cursor.id);
  else if (q.dueThisWeek) add(`${a}.due_on >= ?`, today);
  // Checked inside the index (open cases are a small share of all cases).
  if (from !== null) add(`+${a}.submitted_at >= ?`, from);
  if (to !== null) add(`+${a}.submitted_at < ?`, to);
  return { where, args };
}

const whereSql = (terms: string[]) => (terms.length ? `WHERE ${terms.join(' AND ')}` : '');
const ORDER_C = 'ORDER BY c.due_on, c.submitted_at, c.id';

export interface QueuePlan {
  sql: string;
  args: InArgs;
}

/** The id query for one page (limit + 1 rows, to know whether another page follows). */
export function queueQuery(scope: QueueScope, q: QueueQuery, today: string, cursor: Cursor | null): QueuePlan {
  const n = q.limit + 1;
  const cols = (a: string, idCol: string, role: string) => `${a}.${idCol} AS id, ${a}.due_on AS due_on, ${a}.submitted_at AS submitted_at, ${role} AS role`;

  if (q.institution) {
    // The institution's cases in queue order; the department check reads lead_dept from the index
    // and looks up co-handling by primary key.
    const f = filterTerms(q, today, 'c', null, cursor, 'id');
    const where = [...f.where];
    const args: (string | number)[] = [...f.args];
    let role = 'NULL';
    const roleArgs: string[] = [];
    if (scope.kind === 'department') {
      where.push('(c.lead_dept = ? OR EXISTS (SELECT 1 FROM complaint_co_handlers h WHERE h.complaint_id = c.id AND h.department_code = ?))');
      args.push(scope.dept, scope.dept);
      role = "CASE WHEN c.lead_dept = ? THEN 'lead' ELSE 'co' END";
      roleArgs.push(scope.dept);
    }
    return { sql: `SELECT ${cols('c', 'id', role)} FROM complaints c INDEXED BY complaints_institution_queue_idx ${whereSql(where)} ${ORDER_C} LIMIT ?`, args: [...roleArgs, ...args, n] };
  }

  const parts: QueuePlan[] = [];
  for (const segment of segmentsFor(q, cursor)) {
    // The cursor only bounds the segment it points into (an open-segment cursor lies before
    // every finished case, so the finished segment starts from its beginning).
    const cur = cursor && (segment === 'done') === (cursor.dueOn === NO_DEADLINE) ? cursor : null;
    if (scope.kind === 'all') {
      const f = filterTerms(q, today, 'c', segment, cur, 'id');
      const index = q.state ? 'complaints_status_due_sub_idx' : 'complaints_due_sub_idx';
      parts.push({ sql: `SELECT ${cols('c', 'id', 'NULL')} FROM complaints c INDEXED BY ${index} ${whereSql(f.where)} ${ORDER_C} LIMIT ?`, args: [...f.args, n] });
      continue;
    }
    const lf = filterTerms(q, today, 'c', segment, cur, 'id');
    const leadIndex = q.state ? 'complaints_lead_status_due_sub_idx' : 'complaints_lead_due_sub_idx';
    parts.push({
      sql: `SELECT ${cols('c', 'id', "'lead'")} FROM complaints c INDEXED BY ${leadIndex} ${whereSql(['c.lead_dept = ?', ...lf.where])} ${ORDER_C} LIMIT ?`,
      args: [scope.dept, ...lf.args, n],
    });
    // Co-handled: state, deadline and date filters read the row's copies (in the index); a reason
    // filter needs the complaint, joined with the co-handler index as the outer loop (CROSS JOIN
    // keeps that order).
    const hf = filterTerms(q, today, 'h', segment, cur, 'complaint_id');
    const coIndex = q.state ? 'complaint_co_handlers_status_due_sub_idx' : 'complaint_co_handlers_due_sub_idx';
    const join = q.reason ? ' CROSS JOIN complaints c ON c.id = h.complaint_id' : '';
    parts.push({
      sql: `SELECT ${cols('h', 'complaint_id', "'co'")} FROM complaint_co_handlers h INDEXED BY ${coIndex}${join} ${whereSql(['h.department_code = ?', ...hf.where])} ORDER BY h.due_on, h.submitted_at, h.complaint_id LIMIT ?`,
      args: [scope.dept, ...hf.args, n],
    });
  }
  if (parts.length === 0) return { sql: 'SELECT NULL AS id, NULL AS due_on, NULL AS submitted_at, NULL AS role WHERE 0', args: [] };
  if (parts.length === 1) return parts[0]!;
  return {
    sql: `SELECT id, due_on, submitted_at, role FROM (${parts.map((p) => `SELECT * FROM (${p.sql})`).join(' UNION ALL ')}) ORDER BY due_on, submitted_at, id LIMIT ?`,
    args: [...parts.flatMap((p) => p.args as (string | number)[]), n],
  };
}

export interface QueueItem {
  code: string;
  status: ComplaintStatus;
  /** The caller's department's part in the case; null in the all-cases view (coordination office). */
  role: 'lead' | 'co' | null;
  institution: { id: string | null; name: string | null; registered: boolean };
  reason: string;
  leadDept: string;
  submittedAt: string;
  deadlines: { acceptBy: string; resolveBy: string | null; extensionStatus: string | null; extendedUntil: string | null };
  /** The date the next step is due (Beijing); null when nothing is due. */
  dueOn: string | null;
  overdue: boolean;
  amountRequested: number;
  assigneeId: number | null;
  clusterId: number | null;
  version: number;
}

export interface QueuePage {
  items: QueueItem[];
  nextCursor: string | null;
  counts: Record<ComplaintStatus, number> & { total: number; overdue: number; dueThisWeek: number };
  asOf: string;
}

async function counts(deps: Deps, scope: QueueScope, today: string): Promise<QueuePage['counts']> {
  const key = scope.kind === 'all' ? '*' : scope.dept;
  const c = deps.db.readClient;
  const byState = await c.execute({ sql: 'SELECT status, n FROM queue_counts WHERE scope = ?', args: [key] });
  const out = Object.fromEntries(COMPLAINT_STATUSES.map((s) => [s, 0])) as Record<ComplaintStatus, number>;
  for (const r of byState.rows) out[r.status as ComplaintStatus] = Number(r.n);
  const total = Object.values(out).reduce((a, b) => a + b, 0);
  // Deadline counts are short index ranges: only open cases have a real due_on.
  const range = async (lo: string | null, hi: string, hiInclusive: boolean) => {
    const op = hiInclusive ? '<=' : '<';
    const lower = lo ? 'due_on >= ? AND ' : '';
    const a = lo ? [lo, hi] : [hi];
    if (scope.kind === 'all') {
      const r = await c.execute({ sql: `SELECT count(*) AS n FROM complaints INDEXED BY complaints_due_sub_idx WHERE ${lower}due_on ${op} ?`, args: a });
      return Number(r.rows[0]!.n);
    }
    const r = await c.execute({
      sql: `SELECT (SELECT count(*) FROM complaints INDEXED BY complaints_lead_due_sub_idx WHERE lead_dept = ? AND ${lower}due_on ${op} ?)
                 + (SELECT count(*) FROM complaint_co_handlers INDEXED BY complaint_co_handlers_due_sub_idx WHERE department_code = ? AND ${lower}due_on ${op} ?) AS n`,
      args: [scope.dept, ...a, scope.dept, ...a],
    });
    return Number(r.rows[0]!.n);
  };
  const [overdue, dueThisWeek] = await Promise.all([range(null, today, false), range(today, weekEnd(today), true)]);
  return { ...out, total, overdue, dueThisWeek };
}

export async function loadQueue(deps: Deps, scope: QueueScope, q: QueueQuery): Promise<QueuePage> {
  const today = beijingDate(deps.clock.now());
  const cursor = q.cursor ? decodeCursor(q.cursor) : null;
  const plan = queueQuery(scope, q, today, cursor);
  const [page, totals] = await Promise.all([deps.db.readClient.execute(plan), counts(deps, scope, today)]);

  const ids = page.rows.slice(0, q.limit).map((r) => ({ id: Number(r.id), role: (r.role as 'lead' | 'co' | null) ?? null }));
  const more = page.rows.length > q.limit;
  let items: QueueItem[] = [];
  if (ids.length) {
    const rows = await deps.db.readClient.execute({
      sql: `SELECT c.id, c.tracking_code, c.status, c.institution_id, c.institution_name, i.name AS registered_name, c.reason, c.lead_dept,
                   c.submitted_at, c.accept_by, c.resolve_by, c.extension_status, c.extended_until, c.due_on,
                   c.amount_requested_fen, c.assignee_id, c.cluster_id, c.version
              FROM complaints c LEFT JOIN institutions i ON i.id = c.institution_id
             WHERE c.id IN (${ids.map(() => '?').join(',')})`,
      args: ids.map((x) => x.id),
    });
    const byId = new Map(rows.rows.map((r) => [Number(r.id), r]));
    items = ids.flatMap(({ id, role }) => {
      const r = byId.get(id);
      if (!r) return [];
      const dueOn = r.due_on === NO_DEADLINE ? null : (r.due_on as string);
      return [
        {
          code: r.tracking_code as string,
          status: r.status as ComplaintStatus,
          role,
          institution: { id: (r.institution_id as string | null) ?? null, name: ((r.registered_name ?? r.institution_name) as string | null) ?? null, registered: r.institution_id !== null },
          reason: r.reason as string,
          leadDept: r.lead_dept as string,
          submittedAt: new Date(Number(r.submitted_at)).toISOString(),
          deadlines: {
            acceptBy: r.accept_by as string,
            resolveBy: (r.resolve_by as string | null) ?? null,
            extensionStatus: (r.extension_status as string | null) ?? null,
            extendedUntil: (r.extended_until as string | null) ?? null,
          },
          dueOn,
          overdue: dueOn !== null && dueOn < today,
          amountRequested: Number(r.amount_requested_fen) / 100,
          assigneeId: r.assignee_id === null ? null : Number(r.assignee_id),
          clusterId: r.cluster_id === null ? null : Number(r.cluster_id),
          version: Number(r.version),
        },
      ];
    });
  }
  const last = page.rows[q.limit - 1];
  return {
    items,
    nextCursor: more && last ? encodeCursor({ dueOn: last.due_on as string, submittedAt: Number(last.submitted_at), id: Number(last.id) }) : null,
    counts: totals,
    asOf: today,
  };
}
