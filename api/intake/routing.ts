/**
 * 首接负责制 — who leads a refund complaint, by rule (docs/domain.md):
 * 1. Licensed institution: the category's department leads (culture for 文化艺术类, science for
 *    科技类, else edu); the other supervising department and market co-handle.
 * 2. Not in the registry (possible unlicensed training): edu leads; market and the town or street
 *    where it operates co-handle.
 * 3. Reason 停业/失联, or a cluster: the coordination office is alerted at once.
 * The rule's name is stored with the case, so every routing decision can be explained later.
 * Pure: no I/O, so the table of cases is tested exhaustively.
 */
import type { Category } from '../../db/schema.ts';
import { categoryDepartment, supervisorsFor } from '../registry/supervisors.ts';

export interface RoutingInput {
  institution: { category: Category } | null;
  /** Town department code for unregistered operators (e.g. town_xindian). */
  townDepartment: string | null;
  reason: string;
  /** Whether this complaint opens a new cluster (members joining an open one do not alert again). */
  clusterHit: boolean;
}

export interface RoutingDecision {
  lead: string;
  coHandlers: string[];
  /** e.g. 'licensed:culture_arts', 'unregistered' */
  rule: string;
  alertCoordination: boolean;
  alertReasons: ('closed_reason' | 'cluster')[];
}

export const COORDINATION_DEPARTMENT = 'edu';
export const MARKET_DEPARTMENT = 'market';

export function routeComplaint(input: RoutingInput): RoutingDecision {
  const alertReasons: RoutingDecision['alertReasons'] = [];
  if (input.reason === 'closed') alertReasons.push('closed_reason');
  if (input.clusterHit) alertReasons.push('cluster');

  if (input.institution) {
    const lead = categoryDepartment(input.institution.category);
    const others = supervisorsFor(input.institution.category)
      .map((s) => s.departmentCode)
      .filter((d) => d !== lead);
    return {
      lead,
      coHandlers: [...new Set([...others, MARKET_DEPARTMENT])],
      rule: `licensed:${input.institution.category}`,
      alertCoordination: alertReasons.length > 0,
      alertReasons,
    };
  }
  return {
    lead: 'edu',
    coHandlers: [MARKET_DEPARTMENT, ...(input.townDepartment ? [input.townDepartment] : [])],
    rule: 'unregistered',
    alertCoordination: alertReasons.length > 0,
    alertReasons,
  };
}
