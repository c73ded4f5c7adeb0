/**
 * Coordination office: clusters (群体性退费风险). Coordinator only (others 403).
 *   GET  /clusters                   open clusters with institution, trigger, date, size, states
 *   GET  /clusters/:id/notice-draft  { markdown, fileName } for staff to copy into content/notices
 *   POST /clusters/:id/handle        marks the cluster handled (audited; CSRF via the guard)
 * Overdue escalations (escalations.ts), also coordinator only:
 *   GET  /escalations                overdue cases grouped by lead department, days overdue
 */
import { Hono } from 'hono';
import type { Caller } from './access.ts';
import { clusterNotice, handleCluster, listOpenClusters } from './clusters.ts';
import { loadEscalations } from './escalations.ts';
import { sessionOf, type AdminContext, type AdminEnv } from '../staff/admin-api-http.ts';

const callerOf = (c: AdminContext): Caller => {
  const s = sessionOf(c).staff;
  return { staffId: s.id, role: s.role, dept: s.departmentCode };
};

export function clustersRoutes() {
  const r = new Hono<AdminEnv>();
  r.get('/', async (c) => c.json({ clusters: await listOpenClusters(c.var.deps, callerOf(c)) }));
  r.get('/:id/notice-draft', async (c) => c.json(await clusterNotice(c.var.deps, callerOf(c), c.req.param('id'))));
  r.post('/:id/handle', async (c) => c.json({ cluster: await handleCluster(c.var.deps, callerOf(c), c.req.param('id'), { ip: c.var.clientIp }) }));
  return r;
}

/** GET /escalations: overdue cases grouped by lead department (coordinator only; others 403). */
export function escalationsRoutes() {
  const r = new Hono<AdminEnv>();
  r.get('/', async (c) => c.json(await loadEscalations(c.var.deps, callerOf(c))));
  return r;
}
