/**
 * /admin/clusters/ as Astro calls it (api/cases/clusters-page.ts): the coordinator sees the open
 * clusters with their draft notices and marks one handled through the form (CSRF required);
 * other roles get the 403 message page; no session goes to sign-in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { submitComplaint } from '../../api/intake/service.ts';
import { ComplaintInputSchema } from '../../api/intake/schema.ts';
import { handleClusters } from '../../api/cases/clusters-page.ts';
import { logInAs, seedStaff, type StaffAgent } from '../helpers/admin-session.ts';
import { complaintBody, createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

const BASE = 'http://127.0.0.1:4321';
let deps: TestDeps;
const as: Record<string, StaffAgent> = {};
let clusterId: number;

function request(path: string, opts: { form?: Record<string, string>; cookie?: string } = {}): [Request, URL] {
  const url = new URL(path, BASE);
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.form) headers['content-type'] = 'application/x-www-form-urlencoded';
  return [new Request(url, opts.form ? { method: 'POST', headers, body: new URLSearchParams(opts.form).toString() } : { headers }), url];
}

beforeAll(async () => {
  deps = await createSeededDeps(10);
  const app = testApp(deps);
  await seedStaff(deps);
  for (const u of ['coord', 'edu.head', 'sysadmin']) as[u] = await logInAs(app, deps, u);
  const data = ComplaintInputSchema.parse(complaintBody({ institutionId: 'demo-0003', reason: 'closed', parentName: '司马独特', mobile: '13911112222' }));
  const code = (await submitComplaint(deps, data, { ip: null })).result.trackingCode;
  const [row] = await deps.db.read.select({ clusterId: t.complaints.clusterId }).from(t.complaints).where(eq(t.complaints.trackingCode, code));
  clusterId = row!.clusterId!;
});

afterAll(async () => deps.cleanup());

describe('/admin/clusters/', () => {
  it('no session: to sign-in', async () => {
    const r = await handleClusters(deps, ...request('/admin/clusters/'), null, 'zh-CN');
    expect(r.kind).toBe('response');
    if (r.kind === 'response') expect(r.response.headers.get('location')).toMatch(/^\/admin\/login\//);
  });

  it('other roles: 403 message', async () => {
    for (const u of ['edu.head', 'sysadmin']) {
      const r = await handleClusters(deps, ...request('/admin/clusters/', { cookie: as[u]!.cookie }), null, 'zh-CN');
      expect(r.kind, u).toBe('message');
      if (r.kind === 'message') expect(r.status).toBe(403);
    }
  });

  it('the coordinator sees the cluster and its draft, without personal data', async () => {
    const r = await handleClusters(deps, ...request('/en/admin/clusters/', { cookie: as.coord!.cookie }), null, 'en');
    if (r.kind !== 'page') throw new Error(r.kind);
    const c = r.state.clusters.find((x) => x.id === clusterId)!;
    expect(c.trigger).toBe('closed_reason');
    expect(c.draft).toContain('institutions: ["demo-0003"]');
    expect(c.draft).not.toContain('司马独特');
    expect(c.draft).not.toContain('13911112222');
  });

  it('mark handled: refused without CSRF, then done, audited, gone from the list', async () => {
    const bad = await handleClusters(deps, ...request('/admin/clusters/', { cookie: as.coord!.cookie, form: { clusterId: String(clusterId) } }), null, 'zh-CN');
    expect(bad.kind).toBe('message');
    if (bad.kind === 'message') expect(bad.status).toBe(403);
    const ok = await handleClusters(deps, ...request('/admin/clusters/', { cookie: as.coord!.cookie, form: { _csrf: as.coord!.csrf, clusterId: String(clusterId) } }), '10.0.0.9', 'zh-CN');
    if (ok.kind !== 'response') throw new Error(ok.kind);
    expect(ok.response.status).toBe(303);
    expect(ok.response.headers.get('location')).toBe(`/admin/clusters/?handled=${clusterId}`);
    const audit = await deps.db.read.select().from(t.auditLog).where(and(eq(t.auditLog.action, 'cluster.handle'), eq(t.auditLog.objectId, String(clusterId))));
    expect(audit.map((x) => x.ip)).toEqual(['10.0.0.9']);
    const after = await handleClusters(deps, ...request(`/admin/clusters/?handled=${clusterId}`, { cookie: as.coord!.cookie }), null, 'zh-CN');
    if (after.kind !== 'page') throw new Error(after.kind);
    expect(after.state.handled).toBe(clusterId);
    expect(after.state.clusters.some((x) => x.id === clusterId)).toBe(false);
    const again = await handleClusters(deps, ...request('/admin/clusters/', { cookie: as.coord!.cookie, form: { _csrf: as.coord!.csrf, clusterId: String(clusterId) } }), null, 'zh-CN');
    expect(again.kind === 'message' && again.status).toBe(409);
  });
});
