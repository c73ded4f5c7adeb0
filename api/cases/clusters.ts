/**
 * Clusters (群体性退费风险) for the coordination office: the open clusters intake created, each
 * with its institution, trigger, opening date, size and the states of its cases; marking one
 * handled (audited); and the draft risk notice (cluster-notice.ts). Coordinator only: every other
 * role, sysadmin included, gets 403 before anything is read.
 */
import { and, asc, eq, inArray, max, min, sql } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { appendAudit } from '../audit/log.ts';
import { beijingDate } from '../calendar/working-days.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../lib/errors.ts';
import type { Caller } from './access.ts';
import { forbiddenRole } from './case-view.ts';
import { clusterNoticeDraft } from './cluster-notice.ts';

export const mayHandleClusters = (caller: Caller) => caller.role === 'coordinator';

const requireCoordinator = (caller: Caller) => {
  if (!mayHandleClusters(caller)) throw forbiddenRole();
};
const clusterNotFound = () => new ApiError(404, 'not_found', 'not_found');

export interface ClusterSummary {
  id: number;
  institutionId: string | null;
  /** Registry name; null for an operator outside the registry (a parent's typed name is not shown). */
  institutionName: string | null;
  trigger: 'count' | 'closed_reason';
  status: 'open' | 'handled';
  openedOn: string;
  complaintCount: number;
  firstOn: string | null;
  lastOn: string | null;
  /** Number of the cluster's cases per state. */
  states: Record<string, number>;
}

type ClusterRow = { id: number; institutionId: string | null; trigger: 'count' | 'closed_reason'; status: 'open' | 'handled'; openedAt: Date; institutionName: string | null };

async function summarise(deps: Deps, rows: ClusterRow[]): Promise<ClusterSummary[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const stats = await deps.db.read
    .select({
      clusterId: t.complaints.clusterId,
      status: t.complaints.status,
      n: sql<number>`count(*)`,
      first: min(t.complaints.submittedAt),
      last: max(t.complaints.submittedAt),
    })
    .from(t.complaints)
    .where(and(inArray(t.complaints.clusterId, ids), eq(t.complaints.isSpam, false)))
    .groupBy(t.complaints.clusterId, t.complaints.status);
  return rows.map((r) => {
    const mine = stats.filter((s) => s.clusterId === r.id);
    const states: Record<string, number> = {};
    let count = 0;
    let first: Date | null = null;
    let last: Date | null = null;
    for (const s of mine) {
      states[s.status] = Number(s.n);
      count += Number(s.n);
      if (s.first && (!first || s.first < first)) first = s.first;
      if (s.last && (!last || s.last > last)) last = s.last;
    }
    return {
      id: r.id,
      institutionId: r.institutionId,
      institutionName: r.institutionName,
      trigger: r.trigger,
      status: r.status,
      openedOn: beijingDate(r.openedAt),
      complaintCount: count,
      firstOn: first ? beijingDate(first) : null,
      lastOn: last ? beijingDate(last) : null,
      states,
    };
  });
}

const clusterColumns = {
  id: t.clusters.id,
  institutionId: t.clusters.institutionId,
  trigger: t.clusters.trigger,
  status: t.clusters.status,
  openedAt: t.clusters.openedAt,
  institutionName: t.institutions.name,
};

/** Open clusters, oldest first (the longest-waiting risk on top). */
export async function listOpenClusters(deps: Deps, caller: Caller): Promise<ClusterSummary[]> {
  requireCoordinator(caller);
  const rows = await deps.db.read
    .select(clusterColumns)
    .from(t.clusters)
    .leftJoin(t.institutions, eq(t.institutions.id, t.clusters.institutionId))
    .where(eq(t.clusters.status, 'open'))
    .orderBy(asc(t.clusters.openedAt), asc(t.clusters.id));
  return summarise(deps, rows);
}

function parseId(raw: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(raw)) throw clusterNotFound();
  return Number(raw);
}

export async function findCluster(deps: Deps, caller: Caller, rawId: string): Promise<ClusterSummary> {
  requireCoordinator(caller);
  const id = parseId(rawId);
  const rows = await deps.db.read
    .select(clusterColumns)
    .from(t.clusters)
    .leftJoin(t.institutions, eq(t.institutions.id, t.clusters.institutionId))
    .where(eq(t.clusters.id, id));
  if (rows.length === 0) throw clusterNotFound();
  return (await summarise(deps, rows))[0]!;
}

/** The draft risk notice for one cluster: registry data and counts only. */
export async function clusterNotice(deps: Deps, caller: Caller, rawId: string): Promise<{ id: number; markdown: string; fileName: string }> {
  const cluster = await findCluster(deps, caller, rawId);
  const [inst] = cluster.institutionId
    ? await deps.db.read
        .select({ id: t.institutions.id, name: t.institutions.name, licenseNo: t.institutions.licenseNo, address: t.institutions.address })
        .from(t.institutions)
        .where(eq(t.institutions.id, cluster.institutionId))
    : [];
  const today = beijingDate(deps.clock.now());
  const markdown = clusterNoticeDraft({
    today,
    institution: inst ?? null,
    trigger: cluster.trigger,
    complaintCount: cluster.complaintCount,
    firstOn: cluster.firstOn ?? cluster.openedOn,
    lastOn: cluster.lastOn ?? cluster.openedOn,
  });
  return { id: cluster.id, markdown, fileName: `${today}-cluster-${cluster.id}.md` };
}

/** Marks an open cluster handled; audited in the same transaction. 409 if it already is. */
export async function handleCluster(deps: Deps, caller: Caller, rawId: string, meta: { ip: string | null }): Promise<ClusterSummary> {
  requireCoordinator(caller);
  const id = parseId(rawId);
  const now = deps.clock.now();
  await deps.db.write(async (tx) => {
    const [row] = await tx.select({ status: t.clusters.status }).from(t.clusters).where(eq(t.clusters.id, id));
    if (!row) throw clusterNotFound();
    if (row.status !== 'open') throw new ApiError(409, 'invalid_transition', 'invalid_transition');
    await tx.update(t.clusters).set({ status: 'handled', handledAt: now }).where(eq(t.clusters.id, id));
    await appendAudit(tx, {
      at: now,
      actorKind: 'staff',
      actorStaffId: caller.staffId,
      actorRole: caller.role,
      action: 'cluster.handle',
      objectType: 'cluster',
      objectId: String(id),
      ip: meta.ip,
      detail: { from: 'open', to: 'handled' },
    });
  });
  return findCluster(deps, caller, rawId);
}
