/**
 * The publish, backup, templates and team pages' server side (site/lib/admin/*.ts), called as
 * Astro calls them: who may open them, CSRF refusal, publish-now redirecting to the started build
 * or to the running one, the self-refresh while a build runs, the backup download, template forms
 * (errors keep what was typed; another department's template is not found), a head's staff forms,
 * and the case page offering the department's templates for the case's state.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as t from '../../db/schema.ts';
import { submitComplaint } from '../../api/intake/service.ts';
import { ComplaintInputSchema } from '../../api/intake/schema.ts';
import { seedDemoTemplates } from '../../api/demo/templates.ts';
import { handleBackup } from '../../api/ops/backup-page.ts';
import { handleCase } from '../../api/cases/case-page.ts';
import { handlePublish, PUBLISH_REFRESH_SECONDS } from '../../api/ops/publish-page.ts';
import { handleStaff } from '../../api/staff/accounts-page.ts';
import { handleTeam } from '../../api/staff/team-page.ts';
import { handleTemplates } from '../../api/cases/templates-page.ts';
import { logInAs, seedStaff, type StaffAgent } from '../helpers/admin-session.ts';
import { complaintBody, createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

const BASE = 'http://127.0.0.1:4321';
const SCRIPT = fileURLToPath(new URL('../fixtures/fake-site-build.mjs', import.meta.url));
let deps: TestDeps;
const as: Record<string, StaffAgent> = {};

function request(path: string, opts: { form?: Record<string, string>; who?: StaffAgent; csrf?: boolean } = {}): [Request, URL] {
  const url = new URL(path, BASE);
  const headers: Record<string, string> = {};
  if (opts.who) headers.cookie = opts.who.cookie;
  if (opts.form) headers['content-type'] = 'application/x-www-form-urlencoded';
  const form = opts.form && opts.who && opts.csrf !== false ? { _csrf: opts.who.csrf, ...opts.form } : opts.form;
  const init: RequestInit = form ? { method: 'POST', headers, body: new URLSearchParams(form).toString() } : { headers };
  return [new Request(url, init), url];
}

// A database of its own for every test: the tests start and take over builds, add, deactivate and
// reset accounts and edit templates, so each starts from the seeded demo data and creates what it
// needs itself.
beforeEach(async () => {
  deps = await createSeededDeps(5);
  await seedStaff(deps);
  await seedDemoTemplates(deps.db, deps.clock.now());
  const app = testApp(deps);
  for (const u of ['coord', 'sysadmin', 'edu.head', 'edu.handler', 'culture.head', 'culture.handler']) as[u] = await logInAs(app, deps, u);
});
afterEach(async () => deps?.cleanup());

/** A culture handler, added by the culture head on the team page as the /admin/team/ test checks. */
async function addCultureHandler(username: string): Promise<number> {
  const created = await handleTeam(deps, ...request('/admin/team/', { who: as['culture.head'], form: { action: 'create', username, displayName: '王芳' } }), null, 'zh-CN');
  expect(created.kind === 'page' && created.status).toBe(201);
  const [row] = await deps.db.read.select({ id: t.staff.id }).from(t.staff).where(eq(t.staff.username, username));
  return row!.id;
}

type Handler = (deps: TestDeps, req: Request, url: URL, ip: string | null, lang: 'zh-CN' | 'en') => Promise<{ kind: string; status?: number }>;

describe('who may open which page', () => {
  const PAGES: [string, Handler, string[]][] = [
    ['/admin/publish/', handlePublish as Handler, ['coord', 'sysadmin']],
    ['/admin/backup/', handleBackup as Handler, ['sysadmin']],
    ['/admin/templates/', handleTemplates as Handler, ['edu.head', 'culture.head']],
    ['/admin/team/', handleTeam as Handler, ['edu.head', 'culture.head']],
  ];
  for (const [path, handle, allowed] of PAGES) {
    it(path, async () => {
      for (const u of Object.keys(as)) {
        const r = await handle(deps, ...request(path, { who: as[u] }), null, 'zh-CN');
        if (allowed.includes(u)) expect(r.kind, `${path} ${u}`).toBe('page');
        else expect([r.kind, r.status], `${path} ${u}`).toEqual(['message', 403]);
      }
      const anon = await handle(deps, ...request(path), null, 'en');
      expect(anon.kind === 'response' && (anon as unknown as { response: Response }).response.status).toBe(303);
      // A form without the session's CSRF token changes nothing.
      const refused = await handle(deps, ...request(path, { who: as[allowed[0]!], form: { action: 'create' }, csrf: false }), null, 'zh-CN');
      expect([refused.kind, refused.status]).toEqual(['message', 403]);
    });
  }
});

describe('/admin/publish/', () => {
  it('publish now redirects to the started build; a second click to the running one; the page refreshes itself while it runs', async () => {
    const release = join(deps.dir, 'release-page');
    deps.siteBuild = { argv: (dir) => [SCRIPT, dir, 'hold', release] };
    try {
      const first = await handlePublish(deps, ...request('/admin/publish/', { who: as.coord, form: {} }), null, 'zh-CN');
      expect(first.kind).toBe('response');
      const loc = first.kind === 'response' ? first.response.headers.get('location')! : '';
      const id = Number(/build=(\d+)&m=started/.exec(loc)![1]);
      const second = await handlePublish(deps, ...request('/admin/publish/', { who: as.sysadmin, form: {} }), null, 'en');
      expect(second.kind === 'response' && second.response.headers.get('location')).toBe(`/en/admin/publish/?build=${id}&m=running`);
      const page = await handlePublish(deps, ...request(`/admin/publish/?build=${id}&m=running`, { who: as.sysadmin }), null, 'en');
      expect(page.kind === 'page' && page.state).toMatchObject({ refresh: PUBLISH_REFRESH_SECONDS, shown: { id, status: 'running' }, overview: { runningId: id }, message: { text: `Publish #${id} is already running; please wait for it. Its progress is below.` } });
      writeFileSync(release, '');
      for (let i = 0; i < 100 && (await deps.db.read.select().from(t.siteBuilds).where(eq(t.siteBuilds.id, id)))[0]!.status === 'running'; i++) await new Promise((r) => setTimeout(r, 100));
      const after = await handlePublish(deps, ...request('/admin/publish/', { who: as.coord }), null, 'zh-CN');
      expect(after.kind === 'page' && after.state).toMatchObject({ refresh: null, shown: { id, status: 'succeeded', live: true }, overview: { runningId: null, builds: [{ id, requestedBy: { username: 'coord' } }] } });
    } finally {
      delete deps.siteBuild;
    }
  });

  it('a build whose process died: no endless refresh, the button is back and takes over', async () => {
    const [row] = await deps.db.write((tx) => tx.insert(t.siteBuilds).values({ status: 'running', startedAt: deps.clock.now(), heartbeatAt: deps.clock.now(), dataVersion: 0 }).returning());
    const fresh = await handlePublish(deps, ...request('/admin/publish/', { who: as.coord }), null, 'zh-CN');
    expect(fresh.kind === 'page' && fresh.state.overview).toMatchObject({ runningId: row!.id, runningStale: false });
    deps.clock.advance(3 * 60_000);
    as.coord = await logInAs(testApp(deps), deps, 'coord');
    const stale = await handlePublish(deps, ...request('/admin/publish/', { who: as.coord }), null, 'zh-CN');
    expect(stale.kind === 'page' && [stale.state.refresh, stale.state.overview.runningStale]).toEqual([null, true]);
    deps.siteBuild = { argv: (dir) => [SCRIPT, dir, 'ok'] };
    try {
      const again = await handlePublish(deps, ...request('/admin/publish/', { who: as.coord, form: {} }), null, 'zh-CN');
      expect(again.kind === 'response' && again.response.headers.get('location')).toMatch(/m=started$/);
      expect((await deps.db.read.select().from(t.siteBuilds).where(eq(t.siteBuilds.id, row!.id)))[0]!.status).toBe('failed');
      for (let i = 0; i < 100 && (await deps.db.read.select().from(t.siteBuilds).where(eq(t.siteBuilds.status, 'running'))).length; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      delete deps.siteBuild;
    }
  });

  it('an unknown build number is a 404 page, not an error', async () => {
    const r = await handlePublish(deps, ...request('/admin/publish/?build=99999', { who: as.coord }), null, 'zh-CN');
    expect(r.kind === 'page' && [r.status, r.state.shown]).toEqual([404, null]);
  });
});

describe('/admin/backup/', () => {
  it('the POST answers with the download itself', async () => {
    const r = await handleBackup(deps, ...request('/admin/backup/', { who: as.sysadmin, form: {} }), null, 'zh-CN');
    expect(r.kind).toBe('response');
    const res = r.kind === 'response' ? r.response : new Response();
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="peixun-backup-\d{4}-\d{2}-\d{2}-\d{6}\.db"$/);
    expect(Buffer.from(await res.arrayBuffer()).subarray(0, 15).toString()).toBe('SQLite format 3');
  });
});

describe('/admin/templates/', () => {
  it('create with errors keeps what was typed (422); valid create redirects; the list is the own department only', async () => {
    const bad = await handleTemplates(deps, ...request('/admin/templates/', { who: as['edu.head'], form: { action: 'create', forStatus: 'accepted', title: '新模板', body: '短' } }), null, 'zh-CN');
    expect(bad.kind === 'page' && [bad.status, bad.state.editing]).toEqual([422, { id: 'new', form: { forStatus: 'accepted', title: '新模板', body: '短' }, fieldErrors: { body: '内容太短' } }]);
    const ok = await handleTemplates(deps, ...request('/admin/templates/', { who: as['edu.head'], form: { action: 'create', forStatus: 'accepted', title: '新模板', body: '这是一条新的常用回复。' } }), null, 'zh-CN');
    expect(ok.kind === 'response' && ok.response.headers.get('location')).toBe('/admin/templates/?done=saved');
    const list = await handleTemplates(deps, ...request('/admin/templates/', { who: as['edu.head'] }), null, 'zh-CN');
    const titles = list.kind === 'page' ? list.state.templates.map((x) => x.title) : [];
    expect(titles).toContain('新模板');
    expect(titles).toContain('核查办学许可');
    expect(titles).not.toContain('文化艺术类机构约谈');
  });

  it("deleting another department's template: not found, nothing deleted", async () => {
    const [culture] = await deps.db.read.select().from(t.responseTemplates).where(eq(t.responseTemplates.departmentCode, 'culture'));
    const r = await handleTemplates(deps, ...request('/admin/templates/', { who: as['edu.head'], form: { action: 'delete', id: String(culture!.id) } }), null, 'en');
    expect(r.kind === 'page' && [r.status, r.state.message]).toEqual([404, { kind: 'error', text: 'Not found.' }]);
    expect((await deps.db.read.select().from(t.responseTemplates).where(eq(t.responseTemplates.id, culture!.id))).length).toBe(1);
  });
});

describe('/admin/team/', () => {
  it('a head adds a handler (password shown once in the answer) and resets a password; other departments are not found', async () => {
    const created = await handleTeam(deps, ...request('/admin/team/', { who: as['culture.head'], form: { action: 'create', username: 'culture.wang', displayName: '王芳' } }), null, 'zh-CN');
    expect(created.kind === 'page' && created.status).toBe(201);
    expect(created.kind === 'page' && created.state.message?.text).toMatch(/^账号 culture\.wang 已建立。临时密码/);
    const [row] = await deps.db.read.select().from(t.staff).where(eq(t.staff.username, 'culture.wang'));
    expect(row).toMatchObject({ departmentCode: 'culture', role: 'handler' });
    const reset = await handleTeam(deps, ...request('/admin/team/', { who: as['culture.head'], form: { action: 'reset_password', id: String(row!.id) } }), null, 'zh-CN');
    expect(reset.kind === 'page' && reset.state.message?.text).toMatch(/^culture\.wang 的密码已重置/);
    const other = await handleTeam(deps, ...request('/admin/team/', { who: as['edu.head'], form: { action: 'deactivate', id: String(row!.id) } }), null, 'zh-CN');
    expect(other.kind === 'page' && other.status).toBe(404);
    expect((await deps.db.read.select().from(t.staff).where(eq(t.staff.id, row!.id)))[0]!.active).toBe(true);
  });
});

describe('/admin/staff/ (sysadmin): reactivate and reset password too', () => {
  it('re-enabling a deactivated handler asks its head (tests/staff/separation.test.ts); so does a password reset, which shows no password here', async () => {
    const id = await addCultureHandler('culture.wang');
    const off = await handleStaff(deps, ...request('/admin/staff/', { who: as.sysadmin, form: { action: 'deactivate', id: String(id) } }), null, 'zh-CN');
    expect(off.kind).toBe('response');
    const on = await handleStaff(deps, ...request('/admin/staff/', { who: as.sysadmin, form: { action: 'reactivate', id: String(id) } }), null, 'zh-CN');
    expect(on.kind === 'response' && on.response.headers.get('location')).toBe('/admin/staff/?done=requested');
    expect((await deps.db.read.select().from(t.staff).where(eq(t.staff.id, id)))[0]!.active).toBe(false);
    // One request at a time: the reactivation waits, so the reset is refused with a clear message.
    const busy = await handleStaff(deps, ...request('/admin/staff/', { who: as.sysadmin, form: { action: 'reset_password', id: String(id) } }), null, 'en');
    expect(busy.kind === 'page' && busy.status).toBe(409);
    expect(busy.kind === 'page' && busy.state.message?.text).toBe('A request for this account is already waiting for confirmation; ask again once it has been confirmed or refused.');
    const [active] = await deps.db.read.select().from(t.staff).where(eq(t.staff.username, 'edu.handler'));
    const reset = await handleStaff(deps, ...request('/admin/staff/', { who: as.sysadmin, form: { action: 'reset_password', id: String(active!.id) } }), null, 'en');
    expect(reset.kind === 'response' && reset.response.headers.get('location')).toBe('/en/admin/staff/?done=reset_password');
    expect((await deps.db.read.select().from(t.staff).where(eq(t.staff.id, active!.id)))[0]!.passwordHash).toBe(active!.passwordHash);
  });
});

describe('the case page offers the department’s templates for the state', () => {
  it('a submitted culture case: culture staff get culture’s "submitted" templates; co-handling edu gets edu’s', async () => {
    const [inst] = await deps.db.read.select({ id: t.institutions.id }).from(t.institutions).where(eq(t.institutions.category, 'culture_arts'));
    const { result } = await submitComplaint(deps, ComplaintInputSchema.parse(complaintBody({ institutionId: inst!.id })), { ip: null });
    const path = `/admin/cases/${result.trackingCode}/`;
    // The department's own "submitted" rows (both bureaus keep templates of the same titles).
    const submittedIds = async (dept: string) =>
      (await deps.db.read.select({ id: t.responseTemplates.id }).from(t.responseTemplates).where(and(eq(t.responseTemplates.departmentCode, dept), eq(t.responseTemplates.forStatus, 'submitted'))))
        .map((r) => r.id)
        .sort((a, b) => a - b);
    const cultureIds = await submittedIds('culture');
    const eduIds = await submittedIds('edu');
    expect(cultureIds).toHaveLength(2);
    expect(eduIds).toHaveLength(2);

    const lead = await handleCase(deps, ...request(path, { who: as['culture.handler'] }), result.trackingCode, null, 'zh-CN');
    if (lead.kind !== 'page') throw new Error(`expected the case page, got ${lead.kind}`);
    expect(lead.state.templates.map((x) => x.title).sort()).toEqual(['不予受理（重复投诉）', '受理告知']);
    expect(lead.state.templates.map((x) => x.id).sort((a, b) => a - b)).toEqual(cultureIds);
    const co = await handleCase(deps, ...request(path, { who: as['edu.handler'] }), result.trackingCode, null, 'zh-CN');
    if (co.kind !== 'page') throw new Error(`expected the case page, got ${co.kind}`);
    expect(co.state.templates.map((x) => [x.forStatus, x.title]).sort()).toEqual([
      ['submitted', '不予受理（重复投诉）'],
      ['submitted', '受理告知'],
    ]);
    expect(co.state.templates.map((x) => x.id).sort((a, b) => a - b)).toEqual(eduIds);
  });
});
