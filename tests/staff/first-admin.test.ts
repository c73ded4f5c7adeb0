/**
 * Going live with accounts: `npm run admin:create` makes the first administrator of a production
 * database (one-time password, TOTP enrolment and a password change at first sign-in); every
 * account given a temporary password — by that command, by a department head on /admin/team/,
 * by the sysadmin's reset — can do nothing but change it until it does, in the API and on the
 * admin pages alike. Demo accounts are exempt (their passwords are public by design).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { AdminCreateSchema, createAdministrator } from '../../api/staff/admin-create.ts';
import { totpAt } from '../../api/staff/totp.ts';
import { handleAccount } from '../../api/staff/account-page.ts';
import { handleLogin } from '../../api/staff/login-page.ts';
import { handleQueue } from '../../api/cases/queue-page.ts';
import { handleStaff } from '../../api/staff/accounts-page.ts';
import type { PageResult } from '../../api/staff/admin-page-http.ts';
import { agent, cookieFrom, logInAs, postSignIn, seedStaff, type StaffAgent } from '../helpers/admin-session.ts';
import { ROOT } from '../helpers/server-process.ts';
import { createSeededDeps, createTestDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  deps = await createSeededDeps(1);
  app = testApp(deps);
  await seedStaff(deps);
});
afterAll(async () => deps?.cleanup());

/** First sign-in with a temporary password: enrol TOTP, come back signed in. */
async function firstSignIn(username: string, password: string): Promise<{ agent: StaffAgent; secret: string; body: { staff: { mustChangePassword: boolean } } }> {
  deps.clock.advance(30_000);
  const e = (await (await postSignIn(app, { username, password })).json()) as { status: string; enrolmentToken: string; secret: string };
  expect(e.status).toBe('enrolment_required');
  const res = await app.request('/api/admin/session/enrol', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ enrolmentToken: e.enrolmentToken, totp: totpAt(e.secret, deps.clock.now()) }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { csrfToken: string; staff: { mustChangePassword: boolean } };
  return { agent: agent(app, cookieFrom(res)!, body.csrfToken), secret: e.secret, body };
}

const page = (path: string, cookie: string): [Request, URL] => {
  const url = new URL(path, 'http://127.0.0.1:4321');
  return [new Request(url, { headers: { cookie } }), url];
};
const location = (r: PageResult<unknown>) => (r.kind === 'response' ? r.response.headers.get('location') : null);

describe('temporary passwords are changed before anything else', () => {
  it('a handler a head creates: only /me, the password change and sign-out work until it is changed', async () => {
    const head = await logInAs(app, deps, 'edu.head');
    const created = (await (await head.post('/api/admin/team', { username: 'edu.newcomer', displayName: '新同事' })).json()) as { temporaryPassword: string };
    const { agent: s, secret, body } = await firstSignIn('edu.newcomer', created.temporaryPassword);
    expect(body.staff.mustChangePassword).toBe(true);

    for (const path of ['/api/admin/complaints', '/api/admin/registry/institutions', '/api/admin/notices']) {
      const res = await s.get(path);
      expect([path, res.status]).toEqual([path, 403]);
      expect((await res.json()).error).toEqual({ code: 'password_change_required', message: '请先修改初始密码，然后才能使用其他功能。' });
    }
    expect((await s.get('/api/admin/me')).status).toBe(200);

    // The admin pages send it to the password change instead of the queue.
    expect(location(await handleQueue(deps, ...page('/admin/', s.cookie), 'zh-CN'))).toBe('/admin/account/?must=1');
    const account = await handleAccount(deps, ...page('/admin/account/?must=1', s.cookie), null, 'zh-CN');
    expect(account.kind === 'page' && account.state.profile.mustChangePassword).toBe(true);

    deps.clock.advance(30_000);
    const changed = await s.post('/api/admin/password', { currentPassword: created.temporaryPassword, totp: totpAt(secret, deps.clock.now()), newPassword: 'Mein-eigenes-Passwort-1' });
    expect(changed.status).toBe(200);
    expect((await s.get('/api/admin/complaints')).status).toBe(200);
    expect(((await (await s.get('/api/admin/me')).json()) as { staff: { mustChangePassword: boolean } }).staff.mustChangePassword).toBe(false);
    expect(location(await handleQueue(deps, ...page('/admin/', s.cookie), 'zh-CN'))).toBeNull();
  });

  it('a password the sysadmin resets is temporary too, and the sign-in page goes straight to the change', async () => {
    const sys = await logInAs(app, deps, 'sysadmin');
    const id = (await deps.db.read.select({ id: t.staff.id }).from(t.staff).where(eq(t.staff.username, 'culture.handler')))[0]!.id;
    expect((await sys.post(`/api/admin/staff/${id}/reset-password`)).status).toBe(202);
    // It takes effect once the head confirms, and the head receives the password (staff-separation.test.ts).
    const head = await logInAs(app, deps, 'culture.head');
    const [req] = ((await (await head.get('/api/admin/staff-requests')).json()) as { requests: { id: number }[] }).requests;
    const { temporaryPassword } = (await (await head.post(`/api/admin/staff-requests/${req!.id}/confirm`)).json()) as { temporaryPassword: string };

    deps.clock.advance(30_000);
    const [getReq, getUrl] = page('/admin/login/?next=/admin/', '');
    const form = await handleLogin(deps, getReq, getUrl, null, 'zh-CN');
    if (form.kind !== 'page') throw new Error('expected the sign-in form');
    const loginCookie = form.cookies![0]!.split(';')[0]!;
    const a = (await import('../helpers/admin-session.ts')).account('culture.handler');
    const url = new URL('/admin/login/?next=/admin/', 'http://127.0.0.1:4321');
    const post = new Request(url, {
      method: 'POST',
      headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: form.state.formToken, action: 'signin', username: 'culture.handler', password: temporaryPassword, totp: totpAt(a.totpSecret, deps.clock.now()) }).toString(),
    });
    const r = await handleLogin(deps, post, url, null, 'zh-CN');
    expect(location(r)).toBe('/admin/account/?must=1');
    const cookie = r.kind === 'response' ? r.response.headers.getSetCookie().find((c) => c.startsWith('peixun_admin='))!.split(';')[0]! : '';
    expect(location(await handleStaff(deps, ...page('/admin/staff/', cookie), null, 'zh-CN'))).toBe('/admin/account/?must=1');
    expect(location(await handleQueue(deps, ...page('/en/admin/', cookie), 'en'))).toBe('/en/admin/account/?must=1');
  });

  it('demo accounts are exempt: their passwords are public by design and the seed marks none', async () => {
    const rows = await deps.db.read.select({ username: t.staff.username, must: t.staff.mustChangePassword }).from(t.staff).where(eq(t.staff.isDemo, true));
    expect(rows.length).toBe(10);
    // culture.handler's password was reset above; every other demo account signs in as seeded.
    expect(rows.filter((r) => r.must).map((r) => r.username)).toEqual(['culture.handler']);
    expect((await (await logInAs(app, deps, 'edu.handler')).get('/api/admin/complaints')).status).toBe(200);
  });
});

describe('the first administrator (npm run admin:create)', () => {
  it('creates a sysadmin with a one-time password, no TOTP yet, and the password change forced', async () => {
    const r = await createAdministrator(deps, AdminCreateSchema.parse({ username: 'it.admin', department: 'edu', role: 'sysadmin' }));
    expect(r.temporaryPassword).toMatch(/^[A-Za-z2-9]{16}$/);
    const [row] = await deps.db.read.select().from(t.staff).where(eq(t.staff.username, 'it.admin'));
    expect(row).toMatchObject({ role: 'sysadmin', departmentCode: 'edu', active: true, totpSecretEnc: null, mustChangePassword: true, isDemo: false });
    const { agent: s, body } = await firstSignIn('it.admin', r.temporaryPassword);
    expect(body.staff.mustChangePassword).toBe(true);
    expect((await s.get('/api/admin/staff')).status).toBe(403);
    const audit = await deps.db.read.select().from(t.auditLog).where(eq(t.auditLog.objectId, String(row!.id)));
    expect(audit[0]).toMatchObject({ action: 'staff.created', actorKind: 'system' });
    expect(JSON.stringify(audit)).not.toContain(r.temporaryPassword);
  });

  it('input is checked: role sysadmin or coordinator only, a known department or a name to create it', () => {
    expect(AdminCreateSchema.safeParse({ username: 'x.admin', department: 'edu', role: 'handler' }).success).toBe(false);
    expect(AdminCreateSchema.safeParse({ username: 'X', department: 'edu', role: 'sysadmin' }).success).toBe(false);
  });

  it('the command itself, on a fresh production database: prints the password once; refuses demo data', async () => {
    const fresh = await createTestDeps();
    await fresh.db.close();
    const key = Buffer.alloc(32, 7).toString('base64');
    const run = (args: string[], db: string) =>
      spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'api', 'staff', 'admin-create-cli.ts'), ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: { PATH: process.env.PATH, APP_MODE: 'production', DATA_KEY: key, PUBLIC_BASE_URL: 'https://peixun.example.gov.cn', DATABASE_URL: `file:${db}`, DATA_DIR: fresh.dir, LOG_LEVEL: 'silent' },
      });
    const freshDb = join(fresh.dir, 'test.db');
    const noDept = run(['--username', 'chief', '--department', 'office', '--role', 'coordinator'], freshDb);
    expect(noDept.status).toBe(1);
    expect(noDept.stderr).toContain('the database has no departments yet');
    const ok = run(['--username', 'chief', '--department', 'office', '--department-name', '双减办', '--role', 'coordinator'], freshDb);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/One-time password \(shown only now\): [A-Za-z2-9]{16}\n/);
    const bad = run(['--username', 'chief2', '--department', 'office', '--role', 'boss'], freshDb);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('role: sysadmin or coordinator');

    // The demo database of this file (seeded staff and registry): refused, nothing created.
    const demo = run(['--username', 'chief', '--department', 'edu', '--role', 'sysadmin'], join(deps.dir, 'test.db'));
    expect(demo.status).toBe(1);
    expect(demo.stderr).toContain('APP_MODE=production refuses to start: this database holds demo data');
    expect((await deps.db.read.select().from(t.staff).where(eq(t.staff.username, 'chief'))).length).toBe(0);
  });
});
