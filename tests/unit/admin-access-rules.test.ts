/**
 * api/admin/access.ts as a table: every role × relation (lead / co-handler / none) × action,
 * written out from docs/domain.md's staff roles. The HTTP matrix (tests/api/admin-access.test.ts)
 * covers the same through the routes; this one names each rule on its own line.
 */
import { describe, expect, it } from 'vitest';
import { mayAct, maySeeCase, maySeePersonalData, mayUseComplaints, relationOf, STAFF_ACTIONS, type Caller, type StaffActionType } from '../../api/admin/access.ts';
import type { StaffRole } from '../../db/schema.ts';

const CASE = { leadDept: 'culture', coHandlers: ['edu', 'market'] };
const caller = (role: StaffRole, dept: string): Caller => ({ staffId: 1, role, dept });
const DEPT_FOR = { lead: 'culture', co: 'edu', none: 'science' } as const;

const LEAD_WORK: StaffActionType[] = ['accept', 'reject', 'note', 'add_cohandler', 'request_extension', 'resolve', 'close'];
const EXPECTED: Record<StaffRole, Record<keyof typeof DEPT_FOR, StaffActionType[]>> = {
  handler: { lead: LEAD_WORK, co: ['note'], none: [] },
  dept_head: { lead: [...LEAD_WORK, 'assign', 'decide_extension'], co: ['note'], none: [] },
  // The coordination office: any case; change of lead; not the department head's decisions.
  coordinator: {
    lead: [...LEAD_WORK, 'change_lead'],
    co: ['accept', 'reject', 'note', 'add_cohandler', 'resolve', 'close', 'change_lead'],
    none: ['accept', 'reject', 'note', 'add_cohandler', 'resolve', 'close', 'change_lead'],
  },
  sysadmin: { lead: [], co: [], none: [] },
};

describe('who may do what', () => {
  for (const role of Object.keys(EXPECTED) as StaffRole[]) {
    for (const rel of ['lead', 'co', 'none'] as const) {
      it(`${role}, ${rel}: ${EXPECTED[role][rel].join(', ') || 'nothing'}`, () => {
        const c = caller(role, DEPT_FOR[rel]);
        const allowed = STAFF_ACTIONS.filter((a) => mayAct(c, CASE, a));
        expect([...allowed].sort()).toEqual([...EXPECTED[role][rel]].sort());
      });
    }
  }
});

describe('who may see what', () => {
  it('relation follows the department', () => {
    expect(relationOf(caller('handler', 'culture'), CASE)).toBe('lead');
    expect(relationOf(caller('handler', 'market'), CASE)).toBe('co');
    expect(relationOf(caller('handler', 'police'), CASE)).toBe('none');
  });

  it('handlers and heads see their departments’ cases, unmasked; nothing else', () => {
    for (const role of ['handler', 'dept_head'] as const) {
      expect(maySeeCase(caller(role, 'culture'), CASE)).toBe(true);
      expect(maySeeCase(caller(role, 'edu'), CASE)).toBe(true);
      expect(maySeeCase(caller(role, 'science'), CASE)).toBe(false);
      expect(maySeePersonalData(caller(role, 'edu'), CASE)).toBe(true);
      expect(maySeePersonalData(caller(role, 'science'), CASE)).toBe(false);
    }
  });

  it('the coordinator sees every case; personal data only where its department handles the case', () => {
    expect(maySeeCase(caller('coordinator', 'science'), CASE)).toBe(true);
    expect(maySeePersonalData(caller('coordinator', 'science'), CASE)).toBe(false);
    expect(maySeePersonalData(caller('coordinator', 'edu'), CASE)).toBe(true);
  });

  it('the sysadmin sees no complaint at all, even of its own department', () => {
    expect(mayUseComplaints('sysadmin')).toBe(false);
    expect(maySeeCase(caller('sysadmin', 'culture'), CASE)).toBe(false);
    expect(maySeePersonalData(caller('sysadmin', 'culture'), CASE)).toBe(false);
  });
});
