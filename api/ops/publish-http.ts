/**
 * Publishing and backups over HTTP.
 *   GET  /publish        sysadmin, coordinator   live build, the running build, history
 *   POST /publish        sysadmin, coordinator   start a build (202), or the running one (200)
 *   GET  /publish/:id    sysadmin, coordinator   one build with its log (the page polls it)
 *   POST /backup         sysadmin                a consistent copy of the database, as a download
 * Who publishes: docs/domain.md gives the coordination office "publish data and trigger site rebuilds"
 * and the system administrator "configuration"; a rebuild changes no data, so both may. Handlers
 * and department heads: 403.
 */
import { Hono } from 'hono';
import type { StaffRole } from '../../db/schema.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../lib/errors.ts';
import { buildDetail, buildHistory, runningBuild, STALE_AFTER_MS, startPublish } from './build-runs.ts';
import { currentBuildDir, readBuildInfo } from './site-dirs.ts';
import { backupResponse, mayBackUp, takeBackup } from './backup.ts';
import { sessionOf, type AdminContext, type AdminEnv } from '../staff/admin-api-http.ts';
import { mayAdminister } from './http.ts';

export const mayPublish = mayAdminister;

export async function publishOverview(deps: Pick<Deps, 'db' | 'env' | 'clock'>) {
  const liveDir = currentBuildDir(deps.env.SITE_DIR);
  const info = liveDir ? readBuildInfo(liveDir) : null;
  const running = await runningBuild(deps.db);
  const lastSign = running ? (running.heartbeatAt ?? running.startedAt).getTime() : 0;
  return {
    live: info ? { id: info.id, builtAt: info.builtAt, dataVersion: info.dataVersion } : null,
    runningId: running?.id ?? null,
    /** The running build's process has stopped sending heartbeats: publishing again takes over. */
    runningStale: !!running && deps.clock.now().getTime() - lastSign >= STALE_AFTER_MS,
    builds: await buildHistory(deps.db, liveDir),
  };
}

function caller(c: AdminContext, may: (role: StaffRole) => boolean) {
  const s = sessionOf(c).staff;
  if (!may(s.role)) throw new ApiError(403, 'forbidden', 'forbidden');
  return { staffId: s.id, role: s.role, ip: c.var.clientIp };
}

export function publishRoutes() {
  const r = new Hono<AdminEnv>();
  r.get('/publish', async (c) => {
    caller(c, mayPublish);
    return c.json(await publishOverview(c.var.deps));
  });
  r.post('/publish', async (c) => {
    const by = caller(c, mayPublish);
    const claim = await startPublish(c.var.deps, by, c.var.deps.siteBuild ?? {});
    const build = await buildDetail(c.var.deps.db, claim.build.id, currentBuildDir(c.var.deps.env.SITE_DIR));
    return c.json({ started: claim.claimed, build }, claim.claimed ? 202 : 200);
  });
  r.get('/publish/:id', async (c) => {
    caller(c, mayPublish);
    const raw = c.req.param('id');
    if (!/^\d{1,9}$/.test(raw)) throw new ApiError(404, 'not_found', 'not_found');
    const build = await buildDetail(c.var.deps.db, Number(raw), currentBuildDir(c.var.deps.env.SITE_DIR));
    if (!build) throw new ApiError(404, 'not_found', 'not_found');
    return c.json(build);
  });
  r.post('/backup', async (c) => {
    const actor = caller(c, mayBackUp);
    return backupResponse(await takeBackup(c.var.deps, actor));
  });
  return r;
}
