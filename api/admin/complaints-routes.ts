/**
 * HTTP for staff work on complaints. Rules live in queue.ts, case-view.ts, access.ts and the
 * workflow; this file parses input and checks, in this order, the answers a caller can get:
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
import { applyAction, type Action } from '../complaints/workflow.ts';
import { ApiError, parseWith, validationError } from '../lib/errors.ts';
import { mayAct, mayUseComplaints, type Caller } from './access.ts';
import { openAttachment } from './attachments.ts';
import { actorOf, caseView, findCaseFor, forbiddenRole } from './case-view.ts';
import { readBody, sessionOf, type AdminContext, type AdminEnv } from './http.ts';
import { loadQueue, type QueueScope } from './queue.ts';
import { QueueQuerySchema, TransitionSchema, type TransitionInput } from './schema.ts';

const callerOf = (c: AdminContext): Caller => {
  const s = sessionOf(c).staff;
  return { staffId: s.id, role: s.role, dept: s.departmentCode };
};

function toAction(input: TransitionInput): Action {
  switch (input.action) {
    case 'accept':
      return { type: 'accept', note: input.note };
    case 'reject':
      return { type: 'reject', reason: input.reason, note: input.note };
    case 'note':
      return { type: 'note', staffNote: input.staffNote, publicNote: input.publicNote };
    case 'add_cohandler':
      return { type: 'add_cohandler', department: input.department, note: input.note };
    case 'assign':
      return { type: 'assign', staffId: input.staffId, note: input.note };
    case 'request_extension':
      return { type: 'request_extension', note: input.note };
    case 'decide_extension':
      return { type: 'decide_extension', approve: input.approve, note: input.note };
    case 'resolve':
      return { type: 'resolve', outcome: input.outcome, amountRefundedFen: input.amountRefunded, note: input.note };
    case 'close':
      return { type: 'close', note: input.note };
    case 'change_lead':
      return { type: 'change_lead', department: input.department, reason: input.reason };
  }
}

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
    const caller = callerOf(c);
    const { row, handlers } = await findCaseFor(deps, caller, c.req.param('code'));
    const parsed = parseWith(TransitionSchema, await readBody(c), lang);
    if (!parsed.ok) return c.json(validationError(parsed.issues, lang), 422);
    const input = parsed.data;
    if (!mayAct(caller, handlers, input.action)) throw new ApiError(403, 'action_forbidden', 'action_forbidden');
    const result = await applyAction(deps, row.id, toAction(input), actorOf(caller), { expectedVersion: input.expectedVersion, ip: c.var.clientIp });
    return c.json({ code: row.trackingCode, action: input.action, status: result.status, version: result.version });
  });

  return r;
}
