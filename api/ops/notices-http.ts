/**
 * The caller's notices over HTTP (api/ops/notices.ts holds the rules):
 *   GET  /notices                the caller's open notices
 *   POST /notices/:id/acknowledge
 */
import { Hono } from 'hono';
import { idParam, sessionOf, type AdminEnv } from '../staff/admin-api-http.ts';
import { acknowledgeNotice, openNotices } from './notices.ts';

export function noticeRoutes() {
  const r = new Hono<AdminEnv>();
  r.get('/', async (c) => {
    const s = sessionOf(c).staff;
    return c.json({ notices: await openNotices(c.var.deps.db, { staffId: s.id, role: s.role }) });
  });
  r.post('/:id/acknowledge', async (c) => {
    const s = sessionOf(c).staff;
    await acknowledgeNotice(c.var.deps.db, idParam(c.req.param('id')), { staffId: s.id, role: s.role, ip: c.var.clientIp }, c.var.deps.clock.now());
    return c.json({ ok: true });
  });
  return r;
}
