/**
 * Who may see and do what with a complaint (docs/domain.md, staff roles). Pure functions over the
 * caller and the case's handling departments, so the whole matrix is testable without HTTP.
 *
 *   handler      cases its department leads or co-handles; leads: the lead department's actions;
 *                co-handles: notes only
 *   dept_head    the same, plus (lead department) decide extensions and assign within it
 *   coordinator  every case; change of lead (转办); accept / reject / resolve / notes / co-handlers
 *                / close on any case; not the department head's decisions
 *   sysadmin     no complaint contents at all
 *
 * Personal data (parent's name, mobile) is unmasked only for staff of a handling department (lead
 * or co-handler); anyone else who may see the case sees it masked. A case outside one's reach is
 * answered exactly like an unknown tracking code (404), so codes cannot be probed.
 */
import type { StaffRole } from '../../db/schema.ts';
import type { Action, MODERATION_ACTIONS } from './workflow.ts';

export interface Caller {
  staffId: number;
  role: StaffRole;
  dept: string;
}

export interface CaseHandlers {
  leadDept: string;
  coHandlers: readonly string[];
}

export type Relation = 'lead' | 'co' | 'none';

export function relationOf(caller: Caller, c: CaseHandlers): Relation {
  if (caller.dept === c.leadDept) return 'lead';
  return c.coHandlers.includes(caller.dept) ? 'co' : 'none';
}

/** Whether the role may use the complaint routes at all (queue, case, transitions). */
export const mayUseComplaints = (role: StaffRole) => role !== 'sysadmin';

export function maySeeCase(caller: Caller, c: CaseHandlers): boolean {
  if (!mayUseComplaints(caller.role)) return false;
  return caller.role === 'coordinator' || relationOf(caller, c) !== 'none';
}

export function maySeePersonalData(caller: Caller, c: CaseHandlers): boolean {
  return maySeeCase(caller, c) && relationOf(caller, c) !== 'none';
}

/** Every action staff can take through the transitions route, in the order the UI lists them. */
export const STAFF_ACTIONS = [
  'accept',
  'reject',
  'note',
  'add_cohandler',
  'assign',
  'request_extension',
  'decide_extension',
  'resolve',
  'close',
  'change_lead',
] as const satisfies readonly Action['type'][];
export type StaffActionType = (typeof STAFF_ACTIONS)[number];

/** The lead department's own work (首接负责制: it stays accountable until the case is closed). */
const LEAD_ACTIONS = new Set<StaffActionType>(['accept', 'reject', 'note', 'add_cohandler', 'request_extension', 'resolve', 'close']);
const HEAD_ACTIONS = new Set<StaffActionType>(['decide_extension', 'assign']);
const COORDINATOR_ACTIONS = new Set<StaffActionType>(['accept', 'reject', 'note', 'add_cohandler', 'resolve', 'close', 'change_lead']);

/** Whether role and department allow the action on this case (the workflow decides "now"). */
export function mayAct(caller: Caller, c: CaseHandlers, action: StaffActionType): boolean {
  if (!maySeeCase(caller, c)) return false;
  const relation = relationOf(caller, c);
  if (caller.role === 'coordinator' && COORDINATOR_ACTIONS.has(action)) return true;
  if (relation === 'lead') {
    if (LEAD_ACTIONS.has(action)) return true;
    return caller.role === 'dept_head' && HEAD_ACTIONS.has(action);
  }
  if (relation === 'co') return action === 'note';
  return false;
}

export type ModerationActionType = (typeof MODERATION_ACTIONS)[number];
const MODERATION_SET = new Set<string>(['mark_spam', 'mark_duplicate', 'ban_mobile', 'redact'] satisfies ModerationActionType[]);
export const isModeration = (action: string): action is ModerationActionType => MODERATION_SET.has(action);

/**
 * Moderation: spam and redaction by a handling department (lead or co-handler) or the
 * coordination office; duplicate (a kind of 不予受理) by the lead department or the office; the
 * ban list by the office or a handling department's head.
 */
export function mayModerate(caller: Caller, c: CaseHandlers, action: ModerationActionType): boolean {
  if (!maySeeCase(caller, c)) return false;
  const relation = relationOf(caller, c);
  if (caller.role === 'coordinator') return true;
  switch (action) {
    case 'mark_spam':
    case 'redact':
      return relation !== 'none';
    case 'mark_duplicate':
      return relation === 'lead';
    case 'ban_mobile':
      return relation !== 'none' && caller.role === 'dept_head';
  }
}
