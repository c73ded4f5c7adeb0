/**
 * api/cases/access.ts as a table: every role × relation (lead / co-handler / none) × action,
 * written out from docs/domain.md's staff roles. The HTTP matrix (tests/cases/access.test.ts)
 * covers the same through the routes; this one names each rule on its own line.
 */
import { describe, expect, it } from 'vitest';
import { mayAct, mayModerate, maySeeCase, maySeePersonalData, mayUseComplaints, relationOf, STAFF_ACTIONS, type Caller, type ModerationActionType, type StaffActionType } from '../../api/cases/access.ts';
import { MODERATION_ACTIONS } from '../../api/cases/workflow.ts';
import { STAFF_ROLES, type StaffRole } from '../../db/schema.ts';

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

/**
 * Moderation (mayModerate), every role × the caller's department's part in the case, each answer
 * written out: spam and redaction by a handling department or the office; duplicate by the lead
 * department or the office; the ban list by the office or a handling department's head; the
 * sysadmin never, not even in the handling department.
 */
const YES = true;
const NO = false;
const MODERATION_TABLE: [StaffRole, keyof typeof DEPT_FOR, { mark_spam: boolean; mark_duplicate: boolean; ban_mobile: boolean; redact: boolean }][] = [
  ['handler', 'lead', { mark_spam: YES, mark_duplicate: YES, ban_mobile: NO, redact: YES }],
  ['handler', 'co', { mark_spam: YES, mark_duplicate: NO, ban_mobile: NO, redact: YES }],
  ['handler', 'none', { mark_spam: NO, mark_duplicate: NO, ban_mobile: NO, redact: NO }],
  ['dept_head', 'lead', { mark_spam: YES, mark_duplicate: YES, ban_mobile: YES, redact: YES }],
  ['dept_head', 'co', { mark_spam: YES, mark_duplicate: NO, ban_mobile: YES, redact: YES }],
  ['dept_head', 'none', { mark_spam: NO, mark_duplicate: NO, ban_mobile: NO, redact: NO }],
  ['coordinator', 'lead', { mark_spam: YES, mark_duplicate: YES, ban_mobile: YES, redact: YES }],
  ['coordinator', 'co', { mark_spam: YES, mark_duplicate: YES, ban_mobile: YES, redact: YES }],
  ['coordinator', 'none', { mark_spam: YES, mark_duplicate: YES, ban_mobile: YES, redact: YES }],
  ['sysadmin', 'lead', { mark_spam: NO, mark_duplicate: NO, ban_mobile: NO, redact: NO }],
  ['sysadmin', 'co', { mark_spam: NO, mark_duplicate: NO, ban_mobile: NO, redact: NO }],
  ['sysadmin', 'none', { mark_spam: NO, mark_duplicate: NO, ban_mobile: NO, redact: NO }],
];

describe('who may moderate', () => {
  it('the table names every role, every part in the case and every moderation action', () => {
    expect(MODERATION_TABLE.map(([role, rel]) => `${role}/${rel}`).sort()).toEqual(STAFF_ROLES.flatMap((r) => (['lead', 'co', 'none'] as const).map((rel) => `${r}/${rel}`)).sort());
    for (const [, , answers] of MODERATION_TABLE) expect(Object.keys(answers).sort()).toEqual([...MODERATION_ACTIONS].sort());
  });

  for (const [role, rel, answers] of MODERATION_TABLE) {
    const may = (Object.keys(answers) as ModerationActionType[]).filter((a) => answers[a]);
    it(`${role}, ${rel}: ${may.join(', ') || 'nothing'}`, () => {
      const c = caller(role, DEPT_FOR[rel]);
      for (const action of MODERATION_ACTIONS) expect({ action, allowed: mayModerate(c, CASE, action) }).toEqual({ action, allowed: answers[action] });
    });
  }

  it('a sysadmin of the handling department must not mark spam', () => {
    expect(mayModerate(caller('sysadmin', 'culture'), CASE, 'mark_spam')).toBe(false);
    expect(mayModerate(caller('sysadmin', 'edu'), CASE, 'mark_spam')).toBe(false);
  });
});
