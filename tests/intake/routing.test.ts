/**
 * 首接负责制: which department leads a refund complaint, who co-handles it, and when the
 * coordination office is alerted. A parent's case must land with the department that can act.
 */
import { describe, expect, it } from 'vitest';
import { CATEGORIES, type Category } from '../../db/schema.ts';
import { COORDINATION_DEPARTMENT, MARKET_DEPARTMENT, routeComplaint } from '../../api/intake/routing.ts';

const TABLE: Record<Category, { lead: string; co: string[] }> = {
  subject: { lead: 'edu', co: ['market'] },
  sports: { lead: 'edu', co: ['market'] },
  culture_arts: { lead: 'culture', co: ['edu', 'market'] },
  science_tech: { lead: 'science', co: ['edu', 'market'] },
};

describe('licensed institutions: lead by category, co-handlers = other supervisor + market', () => {
  it('the table covers every category', () => {
    expect(Object.keys(TABLE).sort()).toEqual([...CATEGORIES].sort());
  });

  for (const category of CATEGORIES) {
    it(`${category} → lead ${TABLE[category].lead}, co ${TABLE[category].co.join('+')}`, () => {
      const r = routeComplaint({ institution: { category }, townDepartment: null, reason: 'refused', clusterHit: false });
      expect(r.lead).toBe(TABLE[category].lead);
      expect([...r.coHandlers].sort()).toEqual([...TABLE[category].co].sort());
      expect(r.coHandlers).not.toContain(r.lead);
      expect(new Set(r.coHandlers).size).toBe(r.coHandlers.length);
      expect(r.rule).toBe(`licensed:${category}`);
      expect(r.alertCoordination).toBe(false);
      expect(r.alertReasons).toEqual([]);
    });
  }

  it('a town department passed in by mistake is ignored for licensed institutions', () => {
    const r = routeComplaint({ institution: { category: 'sports' }, townDepartment: 'town_xindian', reason: 'refused', clusterHit: false });
    expect(r.coHandlers).toEqual(['market']);
  });
});

describe('operators not in the registry (possible unlicensed training)', () => {
  it('edu leads; market and the town or street co-handle', () => {
    const r = routeComplaint({ institution: null, townDepartment: 'town_qidu', reason: 'refused', clusterHit: false });
    expect(r.lead).toBe('edu');
    expect(r.coHandlers).toEqual(['market', 'town_qidu']);
    expect(r.rule).toBe('unregistered');
    expect(r.alertCoordination).toBe(false);
  });

  it('without a town, market still co-handles', () => {
    const r = routeComplaint({ institution: null, townDepartment: null, reason: 'delayed', clusterHit: false });
    expect(r.lead).toBe('edu');
    expect(r.coHandlers).toEqual(['market']);
  });
});

describe('coordination office alerts', () => {
  it('the coordination office is the education bureau; market is the refund partner', () => {
    expect(COORDINATION_DEPARTMENT).toBe('edu');
    expect(MARKET_DEPARTMENT).toBe('market');
  });

  it.each([...CATEGORIES.map((c) => ({ category: c } as { category: Category } | null)), null])(
    'reason closed (停业/失联) alerts at once with closed_reason (institution %j)',
    (institution) => {
      const r = routeComplaint({ institution, townDepartment: institution ? null : 'town_jixia', reason: 'closed', clusterHit: false });
      expect(r.alertCoordination).toBe(true);
      expect(r.alertReasons).toEqual(['closed_reason']);
    },
  );

  it('a cluster hit alerts with cluster', () => {
    const r = routeComplaint({ institution: { category: 'culture_arts' }, townDepartment: null, reason: 'refused', clusterHit: true });
    expect(r.alertCoordination).toBe(true);
    expect(r.alertReasons).toEqual(['cluster']);
  });

  it('both reasons together are both recorded', () => {
    const r = routeComplaint({ institution: null, townDepartment: 'town_qidu', reason: 'closed', clusterHit: true });
    expect(r.alertCoordination).toBe(true);
    expect([...r.alertReasons].sort()).toEqual(['closed_reason', 'cluster']);
  });

  it.each(['refused', 'delayed', 'misleading', 'teacher', 'safety', 'other'])('reason %s alone does not alert', (reason) => {
    const r = routeComplaint({ institution: { category: 'subject' }, townDepartment: null, reason, clusterHit: false });
    expect(r.alertCoordination).toBe(false);
    expect(r.alertReasons).toEqual([]);
  });

  it('alerts never change who leads (首接负责制: the lead stays accountable)', () => {
    for (const category of CATEGORIES) {
      const plain = routeComplaint({ institution: { category }, townDepartment: null, reason: 'refused', clusterHit: false });
      const alerted = routeComplaint({ institution: { category }, townDepartment: null, reason: 'closed', clusterHit: true });
      expect(alerted.lead).toBe(plain.lead);
      expect(alerted.coHandlers).toEqual(plain.coHandlers);
      expect(alerted.rule).toBe(plain.rule);
    }
  });
});
