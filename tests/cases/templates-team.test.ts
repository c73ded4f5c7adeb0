/**
 * Response templates kept by department heads (own department only; another department's
 * template answers like an unknown id), and department heads managing their own department's
 * handlers (same first-sign-in flow as the sysadmin's accounts; never other departments, never
 * heads or other roles, never themselves).
 */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as t from '../../db/schema.ts';
import { TEMPLATE_BODY_MAX } from '../../api/cases/templates.ts';
import { codeNow, logInAs, postSignIn, seedStaff, type StaffAgent } from '../helpers/admin-session.ts';
import { createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
const as: Record<string, StaffAgent> = {};

// A database of its own for every test: the tests below create and delete templates, deactivate
// accounts, reset passwords and TOTP, and count audit rows, so sharing one would make each depend
// on the ones that ran before it.
beforeEach(async () => {
  deps = await createSeededDeps(5);
  app = testApp(deps);
  await seedStaff(deps);
  for (const u of ['edu.head', 'edu.handler', 'culture.head', 'culture.handler', 'coord', 'sysadmin']) as[u] = await logInAs(app, deps, u);
});

afterEach(async () => {
  await deps?.cleanup();
});

const idOf = async (username: string) => (await deps.db.read.select({ id: t.staff.id }).from(t.staff).where(eq(t.staff.username, username)))[0]!.id;
const auditCount = async (action: string) => (await deps.db.read.select().from(t.auditLog)).filter((a) => a.action === action).length;
const put = (a: StaffAgent, path: string, body: unknown) =>
  app.request(path, { method: 'PUT', headers: { cookie: a.cookie, 'x-csrf-token': a.csrf, 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** An edu template, created by the edu head through the API. */
async function eduTemplate(): Promise<number> {
  const res = await as['edu.head']!.post('/api/admin/templates', { forStatus: 'submitted', title: '受理告知', body: '您的投诉已受理，我们将在15个工作日内办理完毕。' });
  expect(res.status).toBe(201);
  return (await res.json()).id;
}

describe('response templates', () => {
  it('a head creates one for their own department; its staff see it; the audit row has no text', async () => {
    const res = await as['edu.head']!.post('/api/admin/templates', { forStatus: 'submitted', title: '受理告知', body: '您的投诉已受理，我们将在15个工作日内办理完毕。' });
    expect(res.status).toBe(201);
    const eduTpl = (await res.json()).id;
    const list = await (await as['edu.handler']!.get('/api/admin/templates')).json();
    expect(list).toMatchObject({ department: 'edu', mayEdit: false, templates: [{ id: eduTpl, forStatus: 'submitted', title: '受理告知' }] });
    expect((await (await as['edu.handler']!.get('/api/admin/templates?status=accepted')).json()).templates).toEqual([]);
    expect((await (await as['culture.handler']!.get('/api/admin/templates')).json()).templates).toEqual([]);
    const [audit] = (await deps.db.read.select().from(t.auditLog)).filter((a) => a.action === 'template.created');
    expect(audit).toMatchObject({ objectType: 'response_template', objectId: String(eduTpl), actorRole: 'dept_head' });
    expect(JSON.stringify(audit)).not.toContain('受理');
  });

  it("another department's template answers 404 to edit and delete, exactly like an unknown id", async () => {
    const eduTpl = await eduTemplate();
    const other = await put(as['culture.head']!, `/api/admin/templates/${eduTpl}`, { forStatus: 'submitted', title: '改', body: '改成别的内容了' });
    expect(other.status).toBe(404);
    const unknown = await put(as['culture.head']!, '/api/admin/templates/999999', { forStatus: 'submitted', title: '改', body: '改成别的内容了' });
    expect(await other.clone().json()).toEqual(await unknown.json());
    // A malformed body does not reveal that the id exists either.
    expect((await put(as['culture.head']!, `/api/admin/templates/${eduTpl}`, { title: '' })).status).toBe(404);
    expect((await as['culture.head']!.del(`/api/admin/templates/${eduTpl}`)).status).toBe(404);
    expect((await deps.db.read.select().from(t.responseTemplates).where(eq(t.responseTemplates.id, eduTpl))).length).toBe(1);
  });

  it('handlers, the coordinator and the sysadmin may not keep templates (403); sysadmin cannot even read them', async () => {
    const eduTpl = await eduTemplate();
    for (const u of ['edu.handler', 'coord', 'sysadmin']) {
      expect((await as[u]!.post('/api/admin/templates', { forStatus: 'submitted', title: 'x', body: '一段足够长的文字' })).status).toBe(403);
      expect((await as[u]!.del(`/api/admin/templates/${eduTpl}`)).status).toBe(403);
    }
    expect((await as.sysadmin!.get('/api/admin/templates')).status).toBe(403);
  });

  it('field errors: 422 with paths, in zh-CN and en; length limits', async () => {
    const res = await as['edu.head']!.post('/api/admin/templates', { forStatus: 'closed', title: '', body: 'x'.repeat(TEMPLATE_BODY_MAX + 1) });
    expect(res.status).toBe(422);
    const issues = (await res.json()).error.issues;
    expect(issues.map((i: { path: string }) => i.path).sort()).toEqual(['body', 'forStatus', 'title']);
    expect(issues.find((i: { path: string }) => i.path === 'body').message).toBe('内容太长');
    const en = await as['edu.head']!.post('/api/admin/templates', { forStatus: 'accepted', title: 'ok', body: 'hi' }, { 'accept-language': 'en' });
    expect((await en.json()).error.issues).toEqual([{ path: 'body', message: 'Too short' }]);
    expect((await as['edu.head']!.post('/api/admin/templates', { forStatus: 'accepted', title: 'ok', body: '足够长的文字内容', extra: 1 })).status).toBe(422);
  });

  it('edit and delete own: audited', async () => {
    const eduTpl = await eduTemplate();
    const res = await put(as['edu.head']!, `/api/admin/templates/${eduTpl}`, { forStatus: 'accepted', title: '办理中告知', body: '我们已联系机构，正在调解。' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: eduTpl, forStatus: 'accepted', title: '办理中告知' });
    expect(await auditCount('template.updated')).toBe(1);
    expect((await as['edu.head']!.del(`/api/admin/templates/${eduTpl}`)).status).toBe(200);
    expect(await auditCount('template.deleted')).toBe(1);
    expect((await as['edu.head']!.del(`/api/admin/templates/${eduTpl}`)).status).toBe(404);
  });
});

describe('a department head manages their own handlers', () => {
  it('lists the own department only', async () => {
    const body = await (await as['edu.head']!.get('/api/admin/team')).json();
    expect(body.department).toBe('edu');
    expect(body.staff.every((s: { departmentCode: string }) => s.departmentCode === 'edu')).toBe(true);
    expect(body.staff.find((s: { username: string }) => s.username === 'edu.handler')).toMatchObject({ role: 'handler', manageable: true });
    expect(body.staff.find((s: { username: string }) => s.username === 'edu.head')).toMatchObject({ manageable: false });
    expect(JSON.stringify(body)).not.toMatch(/passwordHash|totpSecret/);
  });

  it('creates a handler of the own department (role and department are not theirs to choose), first sign-in enrols TOTP', async () => {
    const refused = await as['edu.head']!.post('/api/admin/team', { username: 'edu.li', displayName: '李明', role: 'dept_head' });
    expect(refused.status).toBe(422);
    expect((await refused.json()).error.issues).toEqual([{ path: 'role', message: '不认识的字段' }]);
    const res = await as['edu.head']!.post('/api/admin/team', { username: 'edu.li', displayName: '李明' });
    expect(res.status).toBe(201);
    const { temporaryPassword } = await res.json();
    const [row] = await deps.db.read.select().from(t.staff).where(eq(t.staff.username, 'edu.li'));
    expect(row).toMatchObject({ role: 'handler', departmentCode: 'edu', totpSecretEnc: null, active: true });
    const signIn = await postSignIn(app, { username: 'edu.li', password: temporaryPassword });
    expect(signIn.status).toBe(200);
    expect(await signIn.json()).toMatchObject({ status: 'enrolment_required' });
  });

  it("another department's handler, a head, a coordinator or oneself: 404, nothing changes", async () => {
    for (const u of ['culture.handler', 'culture.head', 'edu.head', 'coord', 'sysadmin']) {
      const id = await idOf(u);
      for (const op of ['deactivate', 'reactivate', 'reset-totp', 'reset-password']) {
        const res = await as['edu.head']!.post(`/api/admin/team/${id}/${op}`);
        expect(res.status, `${op} ${u}`).toBe(404);
      }
    }
    const [head] = await deps.db.read.select().from(t.staff).where(eq(t.staff.username, 'edu.head'));
    expect(head!.active).toBe(true);
    expect(await auditCount('staff.password_reset')).toBe(0);
  });

  it('deactivate ends sessions, reactivate lets them in again, reset password shows a new one once, reset TOTP forces enrolment', async () => {
    const id = await idOf('edu.handler');
    expect((await as['edu.head']!.post(`/api/admin/team/${id}/deactivate`)).status).toBe(200);
    expect((await as['edu.handler']!.get('/api/admin/templates')).status).toBe(401);
    expect((await as['edu.head']!.post(`/api/admin/team/${id}/reactivate`)).status).toBe(200);
    as['edu.handler'] = await logInAs(app, deps, 'edu.handler');
    const reset = await as['edu.head']!.post(`/api/admin/team/${id}/reset-password`);
    expect(reset.status).toBe(200);
    const { temporaryPassword } = await reset.json();
    expect(temporaryPassword).toMatch(/^[A-Za-z2-9]{16}$/);
    expect((await as['edu.handler']!.get('/api/admin/templates')).status).toBe(401);
    deps.clock.advance(30_000);
    const a = (await import('../helpers/admin-session.ts')).account('edu.handler');
    const ok = await postSignIn(app, { username: 'edu.handler', password: temporaryPassword, totp: codeNow(deps, a) });
    expect(ok.status).toBe(200);
    expect((await as['edu.head']!.post(`/api/admin/team/${id}/reset-totp`)).status).toBe(200);
    const [row] = await deps.db.read.select().from(t.staff).where(eq(t.staff.id, id));
    expect(row!.totpSecretEnc).toBeNull();
    const audits = (await deps.db.read.select().from(t.auditLog)).filter((x) => x.objectType === 'staff' && x.objectId === String(id) && /deactivated|reactivated|_reset$/.test(x.action));
    expect(audits.map((x) => x.action)).toEqual(['staff.deactivated', 'staff.reactivated', 'staff.password_reset', 'staff.totp_reset']);
    expect(JSON.stringify(audits)).not.toContain(temporaryPassword);
  });

  it('handlers, the coordinator and the sysadmin may not use the team routes (403)', async () => {
    for (const u of ['edu.handler', 'coord', 'sysadmin']) {
      const a = u === 'edu.handler' ? await logInAs(app, deps, 'culture.handler') : as[u]!;
      expect((await a.get('/api/admin/team')).status).toBe(403);
      expect((await a.post('/api/admin/team', { username: 'x.y.z', displayName: 'x' })).status).toBe(403);
    }
  });
});
