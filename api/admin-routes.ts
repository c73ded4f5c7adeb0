/**
 * /api/admin: every staff endpoint behind one default-deny gate (guard.ts: session, CSRF, Origin).
 * Answers are never cached and never indexed.
 */
import { Hono } from 'hono';
import { bodyLimit } from './http/body.ts';
import { errorBody } from './lib/errors.ts';
import { msg } from './lib/messages.ts';
import { clustersRoutes, escalationsRoutes } from './cases/clusters-http.ts';
import { complaintsRoutes } from './cases/http.ts';
import { adminGuard } from './staff/guard.ts';
import type { AdminEnv } from './staff/admin-api-http.ts';
import { noticeRoutes } from './ops/notices-http.ts';
import { sessionRoutes } from './staff/session-http.ts';
import { staffRequestRoutes } from './staff/requests.ts';
import { staffRoutes } from './staff/accounts.ts';
import { systemRoutes } from './ops/http.ts';
import { publishRoutes } from './ops/publish-http.ts';
import { teamRoutes } from './staff/team.ts';
import { templatesRoutes } from './cases/templates.ts';
import { IMPORT_BODY_LIMIT, isImportUpload, registryRoutes } from './registry/http.ts';

/** Admin inputs are small forms; only the registry's import uploads carry a file (2 MB). */
export const ADMIN_BODY_LIMIT = 64 * 1024;

export function adminRoutes(basePath = '/api/admin') {
  const r = new Hono<AdminEnv>();
  r.use('*', async function noStore(c, next) {
    await next();
    c.header('Cache-Control', 'no-store');
    c.header('X-Robots-Tag', 'noindex, nofollow');
  });
  // Counted as the bytes arrive (api/http/body.ts) but only read when a handler or the guard asks:
  // the guard's session and X-CSRF-Token checks come before any body byte is read.
  r.use(
    '*',
    bodyLimit<AdminEnv>(
      (c) => (isImportUpload(c.req.method, c.req.path) ? IMPORT_BODY_LIMIT : ADMIN_BODY_LIMIT),
      (c) => c.json(errorBody('payload_too_large', msg(isImportUpload(c.req.method, c.req.path) ? 'import_file_too_large' : 'payload_too_large', c.var.lang)), 413),
    ),
  );
  r.use('*', adminGuard(basePath));
  r.route('/', sessionRoutes());
  r.route('/complaints', complaintsRoutes());
  r.route('/', systemRoutes());
  r.route('/staff', staffRoutes());
  r.route('/staff-requests', staffRequestRoutes());
  r.route('/notices', noticeRoutes());
  r.route('/clusters', clustersRoutes());
  r.route('/escalations', escalationsRoutes());
  r.route('/', publishRoutes());
  r.route('/team', teamRoutes());
  r.route('/templates', templatesRoutes());
  r.route('/registry', registryRoutes());
  return r;
}
