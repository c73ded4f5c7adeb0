/**
 * Coordination office: clusters. Only the coordinator lists clusters, reads a draft notice and
 * marks one handled (every other role, sysadmin included, 403); the draft is Markdown with the
 * notices' front matter, names the registered institution and carries no complainant's name,
 * number or narrative; marking handled needs the CSRF token, is audited, and drops the cluster
 * from the open list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { submitComplaint } from '../../api/intake/service.ts';
import { ComplaintInputSchema } from '../../api/intake/schema.ts';
import { clusterNoticeDraft } from '../../api/cases/cluster-notice.ts';
import { logInAs, seedStaff, type StaffAgent } from '../helpers/admin-session.ts';
import { complaintBody, createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

const NAME = '欧阳翠花';
const MOBILE = '13987654321';
const NARRATIVE = '老板卷款跑路联系不上独特叙述XYZ';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
const as: Record<string, StaffAgent> = {};
/** The shared cluster (read-only: the handle test opens and handles a cluster of its own). */
let clusterId: number;
let instName: string;

async function file(overrides: Record<string, unknown>) {
  const data = ComplaintInputSchema.parse(complaintBody(overrides));
  return (await submitComplaint(deps, data, { ip: null })).result.trackingCode;
}

beforeAll(async () => {
  deps = await createSeededDeps(10);
  app = testApp(deps);
  await seedStaff(deps);
  for (const u of ['coord', 'edu.handler', 'edu.head', 'culture.head', 'market.handler', 'sysadmin']) as[u] = await logInAs(app, deps, u);
  const [inst] = await deps.db.read.select({ id: t.institutions.id, name: t.institutions.name }).from(t.institutions).where(eq(t.institutions.id, 'demo-0002'));
  instName = inst!.name;
  // 停业/失联 opens a cluster at once; a distinctive parent is inside it.
  // An earlier complaint in the window joins the cluster the 停业/失联 one opens.
  await file({ institutionId: 'demo-0002', mobile: '13900000002' });
  const code = await file({ institutionId: 'demo-0002', reason: 'closed', parentName: NAME, mobile: MOBILE, description: NARRATIVE });
  const [row] = await deps.db.read.select({ clusterId: t.complaints.clusterId }).from(t.complaints).where(eq(t.complaints.trackingCode, code));
  clusterId = row!.clusterId!;
  expect(clusterId).toBeTypeOf('number');
});

afterAll(async () => deps.cleanup());

/** Opens a cluster of its own at another institution (停业/失联 opens one at once) and returns its id. */
async function ownCluster(institutionId: string, mobile: string): Promise<number> {
  const code = await file({ institutionId, reason: 'closed', mobile });
  const [row] = await deps.db.read.select({ clusterId: t.complaints.clusterId }).from(t.complaints).where(eq(t.complaints.trackingCode, code));
  expect(row!.clusterId).toBeTypeOf('number');
  expect(row!.clusterId).not.toBe(clusterId);
  return row!.clusterId!;
}

describe('clusters', () => {
  it('only the coordinator may list, read drafts and handle; everyone else 403', async () => {
    for (const u of ['edu.handler', 'edu.head', 'culture.head', 'market.handler', 'sysadmin']) {
      expect((await as[u]!.get('/api/admin/clusters')).status, u).toBe(403);
      expect((await as[u]!.get(`/api/admin/clusters/${clusterId}/notice-draft`)).status, u).toBe(403);
      expect((await as[u]!.post(`/api/admin/clusters/${clusterId}/handle`)).status, u).toBe(403);
    }
    expect((await app.request('/api/admin/clusters')).status).toBe(401);
  });

  it('lists open clusters with institution, trigger, opened date, count and states', async () => {
    const res = await as.coord!.get('/api/admin/clusters');
    expect(res.status).toBe(200);
    const { clusters } = (await res.json()) as { clusters: Array<Record<string, unknown>> };
    const c = clusters.find((x) => x.id === clusterId)!;
    expect(c).toMatchObject({ institutionId: 'demo-0002', institutionName: instName, trigger: 'closed_reason', status: 'open', openedOn: '2026-11-27', complaintCount: 2, states: { submitted: 2 } });
  });

  it('the notice draft has the front matter, names the institution and holds no personal data', async () => {
    const res = await as.coord!.get(`/api/admin/clusters/${clusterId}/notice-draft`);
    expect(res.status).toBe(200);
    const { markdown, fileName } = (await res.json()) as { markdown: string; fileName: string };
    expect(fileName).toMatch(/^2026-11-27-cluster-\d+\.md$/);
    expect(markdown.startsWith('---\ntitle: ')).toBe(true);
    for (const line of ['kind: consumer', 'severity: warning', 'departments: [edu, market]', 'institutions: ["demo-0002"]', 'date: 2026-11-27']) expect(markdown).toContain(line);
    expect(markdown).toMatch(/titleEn: ".+"/);
    expect(markdown).toContain(instName);
    expect(markdown).toContain('2件');
    for (const pii of [NAME, MOBILE, MOBILE.slice(-4), NARRATIVE, '王小明', '13900000002', '多次沟通无果']) expect(markdown).not.toContain(pii);
    const summary = /summary: (".*")/.exec(markdown)![1]!;
    expect(JSON.parse(summary).length).toBeLessThanOrEqual(120);
  });

  it('an unregistered operator is not named from what a parent typed', () => {
    const md = clusterNoticeDraft({ today: '2026-11-27', institution: null, trigger: 'count', complaintCount: 3, firstOn: '2026-11-20', lastOn: '2026-11-26' });
    expect(md).toContain('institutions: []');
    expect(md).toContain('2026年11月20日至2026年11月26日');
  });

  it('unknown or malformed ids answer 404', async () => {
    expect((await as.coord!.get('/api/admin/clusters/99999/notice-draft')).status).toBe(404);
    expect((await as.coord!.get('/api/admin/clusters/abc/notice-draft')).status).toBe(404);
  });

  it('handle needs the CSRF token, is audited, and removes the cluster from the open list', async () => {
    // Handling is one-way: the shared cluster stays open for the tests that list and draft it.
    const clusterId = await ownCluster('demo-0003', '13900000003');
    const noCsrf = await app.request(`/api/admin/clusters/${clusterId}/handle`, { method: 'POST', headers: { cookie: as.coord!.cookie } });
    expect(noCsrf.status).toBe(403);
    const res = await as.coord!.post(`/api/admin/clusters/${clusterId}/handle`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { cluster: { status: string } }).cluster.status).toBe('handled');
    const audit = await deps.db.read.select().from(t.auditLog).where(and(eq(t.auditLog.action, 'cluster.handle'), eq(t.auditLog.objectId, String(clusterId))));
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actorRole).toBe('coordinator');
    const list = (await (await as.coord!.get('/api/admin/clusters')).json()) as { clusters: Array<{ id: number }> };
    expect(list.clusters.some((c) => c.id === clusterId)).toBe(false);
    expect((await as.coord!.post(`/api/admin/clusters/${clusterId}/handle`)).status).toBe(409);
  });
});
