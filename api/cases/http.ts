/**
 * HTTP for staff work on complaints. Rules live in queue.ts, case-view.ts, access.ts,
 * transitions.ts and the workflow; the answers a caller can get, in the order they are checked:
 *   403 forbidden        the role has no access to complaints (sysadmin), whatever the code
 *   404 not_found        unknown code, or a case outside the caller's reach (indistinguishable)
 *   403 action_forbidden the caller sees the case but their department or role may not do this
 *   409                  the workflow refuses it now (state, preconditions) or the version is stale
 *
 *   GET  /complaints                     the caller's queue (filters, counts, keyset cursor)
 *   GET  /complaints/:code               the full case
 *   GET  /complaints/:code/attachments/:id   one evidence file, as a download
 *   POST /complaints/:code/transitions   { action, expectedVersion, ...fields }
 */
import { Hono } from 'hono';
import { parseWith, validationError } from '../lib/errors.ts';
import { mayUseComplaints, type Caller } from './access.ts';
import { openAttachment } from './attachments.ts';
import { caseView, forbiddenRole } from './case-view.ts';
import { readBody, sessionOf, type AdminContext, type AdminEnv } from '../staff/admin-api-http.ts';
import { loadQueue, type QueueScope } from './queue.ts';
import { QueueQuerySchema } from './schema.ts';
import { runTransition } from './transitions.ts';

const callerOf = (c: AdminContext): Caller => {
  const s = sessionOf(c).staff;
  return { staffId: s.id, role: s.role, dept: s.departmentCode };
};

export function complaintsRoutes() {
  const r = new Hono<AdminEnv>();

  r.get('/', async (c) => {
    const { deps, lang } = c.var;
    const caller = callerOf(c);
    if (!mayUseComplaints(caller.role)) throw forbiddenRole();
    const parsed = parseWith(QueueQuerySchema, c.req.query(), lang);
    if (!parsed.ok) return c.json(validationError(parsed.issues, lang), 422);
    const q = parsed.data;
    // Departments see their own queue; only the coordination office may look at another's.
    if (q.department && caller.role !== 'coordinator') throw forbiddenRole();
    const scope: QueueScope =
      caller.role === 'coordinator' ? (q.department ? { kind: 'department', dept: q.department } : { kind: 'all' }) : { kind: 'department', dept: caller.dept };
    return c.json(await loadQueue(deps, scope, q));
  });

  r.get('/:code', async (c) => {
    const { deps } = c.var;
    return c.json(await caseView(deps, callerOf(c), c.req.param('code'), { ip: c.var.clientIp }));
  });

  r.get('/:code/attachments/:id', async (c) => {
    const file = await openAttachment(c.var.deps, callerOf(c), c.req.param('code'), c.req.param('id'), { ip: c.var.clientIp });
    return c.body(new Uint8Array(file.content), 200, {
      'Content-Type': file.mime,
      'Content-Disposition': file.disposition,
      'Content-Length': String(file.content.length),
      'X-Content-Type-Options': 'nosniff',
      // Opened by mistake in a tab anyway (PDF viewers), it still runs nothing in our origin.
      'Content-Security-Policy': "sandbox; default-src 'none'",
    });
  });

  r.post('/:code/transitions', async (c) => {
    const { deps, lang } = c.var;
    const result = await runTransition(deps, callerOf(c), c.req.param('code'), () => readBody(c), { ip: c.var.clientIp, lang });
    if (!result.ok) return c.json(validationError(result.issues, lang), 422);
    return c.json({ code: result.code, action: result.action, status: result.status, version: result.version });
  });

  return r;
}
