/**
 * One staff action on one case, as both the admin API (POST /api/admin/complaints/<code>/transitions)
 * and the admin case page run it, with the same answers in the same order:
 *   404 not_found        unknown code, or a case outside the caller's reach (indistinguishable)
 *   422                  the input does not fit the action's schema
 *   403 action_forbidden the caller sees the case but their department or role may not do this
 *   409                  the workflow refuses it now (state, preconditions) or the version is stale
 * (The role check — sysadmin never reaches a case — comes first, inside findCaseFor.)
 */
import { applyAction, type Action } from './workflow.ts';
import type { Deps } from '../deps.ts';
import { ApiError, parseWith, type ErrorIssue } from '../lib/errors.ts';
import { msg, type Lang } from '../lib/messages.ts';
import { isModeration, mayAct, mayModerate, type Caller } from './access.ts';
import { actorOf, findCaseFor } from './case-view.ts';
import { TransitionSchema, type TransitionInput } from './schema.ts';

export function toAction(input: TransitionInput): Action {
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
    case 'mark_spam':
      return { type: 'mark_spam', note: input.note };
    case 'mark_duplicate':
      return { type: 'mark_duplicate', originalCode: input.originalCode, note: input.note };
    case 'ban_mobile':
      return { type: 'ban_mobile', reason: input.reason };
    case 'redact':
      return { type: 'redact', text: input.text };
  }
}

export type TransitionResult =
  | { ok: true; code: string; action: TransitionInput['action']; status: string; version: number }
  | { ok: false; issues: ErrorIssue[] };

/**
 * Parses and applies one action; field problems are returned, every other refusal is thrown.
 * The body is read only after the case is found, so an unreachable case answers 404 whatever
 * was sent.
 */
export async function runTransition(
  deps: Deps,
  caller: Caller,
  rawCode: string,
  readBody: () => Promise<Record<string, unknown>>,
  meta: { ip: string | null; lang: Lang },
): Promise<TransitionResult> {
  const { row, handlers } = await findCaseFor(deps, caller, rawCode);
  const parsed = parseWith(TransitionSchema, await readBody(), meta.lang);
  if (!parsed.ok) return { ok: false, issues: parsed.issues };
  const input = parsed.data;
  const permitted = isModeration(input.action) ? mayModerate(caller, handlers, input.action) : mayAct(caller, handlers, input.action);
  if (!permitted) throw new ApiError(403, 'action_forbidden', 'action_forbidden');
  if (input.action === 'mark_duplicate') {
    // The original must be a case the caller can see: an unknown code and one out of reach answer alike.
    const original = await findCaseFor(deps, caller, input.originalCode).catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    });
    if (!original) return { ok: false, issues: [{ path: 'originalCode', message: msg('duplicate_original_invalid', meta.lang) }] };
  }
  const result = await applyAction(deps, row.id, toAction(input), actorOf(caller), { expectedVersion: input.expectedVersion, ip: meta.ip });
  return { ok: true, code: row.trackingCode, action: input.action, status: result.status, version: result.version };
}
