/**
 * The staff queue: a department's cases (those it leads plus those it co-handles), or every case
 * for the coordination office, nearest deadline first, with keyset pagination on (due_on, id) so
 * page 20 000 costs what page 1 costs, at a million complaints.
 *
 * How it stays fast (bench/admin.ts measures it):
 * - complaints.due_on is a generated column, copied onto complaint_co_handlers by triggers, and
 *   both tables have (department, [status,] due_on, id) indexes: a department's led cases and its
 *   co-handled cases are each one ordered index range. The page is the first N of their merge.
 * - Selective filters drive from their own index instead: one institution (its complaints) or a
 *   short submission range (that month's complaints), then sort the few rows left.
 * - Counts per state come from queue_counts (kept by triggers), never from counting rows.
 * Each strategy names its index (INDEXED BY) so the plan cannot drift to a full scan; the tests
 * check the plans with EXPLAIN QUERY PLAN.
 */
import type { InArgs } from '@libsql/client';
import { COMPLAINT_STATUSES, NO_DEADLINE, type ComplaintStatus } from '../../db/schema.ts';
import { addCalendarDays, beijingDate, beijingMidnight } from '../calendar/working-days.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../lib/errors.ts';
import type { QueueQuery } from './schema.ts';

export type QueueScope = { kind: 'all' } | { kind: 'department'; dept: string };

/** A submission range at most this long is answered from the submission-date index. */
const SHORT_RANGE_DAYS = 31;

interface Cursor {
  dueOn: string;
  id: number;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.dueOn, c.id])).toString('base64url');
}

export function decodeCursor(s: string): Cursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v[0]) && Number.isSafeInteger(v[1]) && v[1] > 0) {
      return { dueOn: v[0], id: v[1] as number };
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

type Strategy = 'scope' | 'institution' | 'submitted';

function strategyFor(q: QueueQuery): Strategy {
  if (q.institution) return 'institution';
  if (q.submittedFrom && q.submittedTo && Date.parse(q.submittedTo) - Date.parse(q.submittedFrom) <= SHORT_RANGE_DAYS * 86_400_000) return 'submitted';
  return 'scope';
}

/** WHERE terms for complaint columns (alias c), plus their arguments. */
function complaintFilters(q: QueueQuery, today: string, alias: string, opts: { stateAndDue: boolean }) {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (opts.stateAndDue) {
    if (q.state) where.push(`${alias}.status = ?`), args.push(q.state);
    if (q.overdue) where.push(`${alias}.due_on < ?`), args.push(today);
    if (q.dueThisWeek) where.push(`${alias}.due_on BETWEEN ? AND ?`), args.push(today, weekEnd(today));
  }
  if (q.reason) where.push('c.reason = ?'), args.push(q.reason);
  if (q.institution) where.push('c.institution_key = ?'), args.push(q.institution);
  if (q.submittedFrom) where.push('c.submitted_at >= ?'), args.push(beijingMidnight(q.submittedFrom).getTime());
  if (q.submittedTo) where.push('c.submitted_at < ?'), args.push(beijingMidnight(addCalendarDays(q.submittedTo, 1)).getTime());
  return { where, args };
}

const keyset = (alias: string, idCol: string, cursor: Cursor | null) =>
  cursor ? { where: [`(${alias}.due_on, ${alias}.${idCol}) > (?, ?)`], args: [cursor.dueOn, cursor.id] } : { where: [], args: [] };

const whereSql = (terms: string[]) => (terms.length ? `WHERE ${terms.join(' AND ')}` : '');

export interface QueuePlan {
  sql: string;
  args: InArgs;
}

/** The id query for one page (limit + 1 rows, to know whether another page follows). */
export function queueQuery(scope: QueueScope, q: QueueQuery, today: string, cursor: Cursor | null): QueuePlan {
  const n = q.limit + 1;
  const strategy = strategyFor(q);

  if (strategy !== 'scope') {
    // Few rows match: take them from the selective index, keep the caller's, sort them.
    const index = strategy === 'institution' ? 'complaints_institution_idx' : 'complaints_submitted_idx';
    const f = complaintFilters(q, today, 'c', { stateAndDue: true });
    const k = keyset('c', 'id', cursor);
    const where = [...f.where, ...k.where];
    const args: (string | number)[] = [...f.args, ...k.args];
    let role = `NULL`;
    const roleArgs: string[] = [];
    if (scope.kind === 'department') {
      where.push('(c.lead_dept = ? OR EXISTS (SELECT 1 FROM complaint_co_handlers h WHERE h.complaint_id = c.id AND h.department_code = ?))');
      args.push(scope.dept, scope.dept);
      role = `CASE WHEN c.lead_dept = ? THEN 'lead' ELSE 'co' END`;
      roleArgs.push(scope.dept);
    }
    return {
      sql: `SELECT c.id AS id, c.due_on AS due_on, ${role} AS role FROM complaints c INDEXED BY ${index} ${whereSql(where)} ORDER BY c.due_on, c.id LIMIT ?`,
      args: [...roleArgs, ...args, n],
    };
  }

  if (scope.kind === 'all') {
    const index = q.state ? 'complaints_status_due_idx' : 'complaints_due_idx';
    const f = complaintFilters(q, today, 'c', { stateAndDue: true });
    const k = keyset('c', 'id', cursor);
    return {
      sql: `SELECT c.id AS id, c.due_on AS due_on, NULL AS role FROM complaints c INDEXED BY ${index} ${whereSql([...f.where, ...k.where])} ORDER BY c.due_on, c.id LIMIT ?`,
      args: [...f.args, ...k.args, n],
    };
  }

  // One department: the first n of its led cases and the first n of its co-handled cases, merged.
  const leadIndex = q.state ? 'complaints_lead_status_due_idx' : 'complaints_lead_due_idx';
  const lf = complaintFilters(q, today, 'c', { stateAndDue: true });
  const lk = keyset('c', 'id', cursor);
  const lead = {
    sql: `SELECT c.id AS id, c.due_on AS due_on, 'lead' AS role FROM complaints c INDEXED BY ${leadIndex} ${whereSql(['c.lead_dept = ?', ...lf.where, ...lk.where])} ORDER BY c.due_on, c.id LIMIT ?`,
    args: [scope.dept, ...lf.args, ...lk.args, n],
  };

  const coIndex = q.state ? 'complaint_co_handlers_status_due_idx' : 'complaint_co_handlers_due_idx';
  // State and deadline filters read the co-handler row's copies (in the index); the others need
  // the complaint row, joined with the co-handler index as the outer loop (CROSS JOIN keeps the order).
  const hf = complaintFilters(q, today, 'h', { stateAndDue: true });
  const needsComplaint = !!(q.reason || q.submittedFrom || q.submittedTo);
  const hk = keyset('h', 'complaint_id', cursor);
  const co = {
    sql: `SELECT h.complaint_id AS id, h.due_on AS due_on, 'co' AS role FROM complaint_co_handlers h INDEXED BY ${coIndex}${needsComplaint ? ' CROSS JOIN complaints c ON c.id = h.complaint_id' : ''} ${whereSql(['h.department_code = ?', ...hf.where, ...hk.where])} ORDER BY h.due_on, h.complaint_id LIMIT ?`,
    args: [scope.dept, ...hf.args, ...hk.args, n],
  };

  return {
    sql: `SELECT id, due_on, role FROM (SELECT * FROM (${lead.sql}) UNION ALL SELECT * FROM (${co.sql})) ORDER BY due_on, id LIMIT ?`,
    args: [...lead.args, ...co.args, n],
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
      const r = await c.execute({ sql: `SELECT count(*) AS n FROM complaints INDEXED BY complaints_due_idx WHERE ${lower}due_on ${op} ?`, args: a });
      return Number(r.rows[0]!.n);
    }
    const r = await c.execute({
      sql: `SELECT (SELECT count(*) FROM complaints INDEXED BY complaints_lead_due_idx WHERE lead_dept = ? AND ${lower}due_on ${op} ?)
                 + (SELECT count(*) FROM complaint_co_handlers INDEXED BY complaint_co_handlers_due_idx WHERE department_code = ? AND ${lower}due_on ${op} ?) AS n`,
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
    nextCursor: more && last ? encodeCursor({ dueOn: last.due_on as string, id: Number(last.id) }) : null,
    counts: totals,
    asOf: today,
  };
}
