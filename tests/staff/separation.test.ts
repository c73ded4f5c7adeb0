/**
 * Separation of duties: the system administrator alone cannot open access to complaints. An
 * account for a handler, head or coordinator that it creates or re-enables stays inactive until
 * its confirmer (that department's head, or a coordinator; another coordinator for a coordinator)
 * confirms it — through the API or the /admin/notices/ page — audited both ways; only the
 * confirmer ever sees such a new account's temporary password. So does its password or TOTP reset
 * of such an account, whose new password only the confirmer sees. Every backup
 * download is announced to the coordinators (audit row + a notice in their admin header).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { findSession } from '../../api/staff/sessions.ts';
import { handleNotices } from '../../api/ops/notices-page.ts';
import { adminUser } from '../../api/staff/admin-user.ts';
import { account, codeNow, logInAs, postSignIn, seedStaff, type StaffAgent } from '../helpers/admin-session.ts';
import { createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
let sys: StaffAgent;
let coord: StaffAgent;
let cultureHead: StaffAgent;
let eduHead: StaffAgent;

// A database of its own for every test: the tests create, deactivate and reset accounts, and
// confirm or refuse requests, so each must start from the demo staff as seeded.
beforeEach(async () => {
  deps = await createSeededDeps(2);
  app = testApp(deps);
  await seedStaff(deps);
  sys = await logInAs(app, deps, 'sysadmin');
  coord = await logInAs(app, deps, 'coord');
  cultureHead = await logInAs(app, deps, 'culture.head');
  eduHead = await logInAs(app, deps, 'edu.head');
});
afterEach(async () => deps?.cleanup());

type Req = { id: number; username: string; kind: string };
const requestsOf = async (a: StaffAgent): Promise<Req[]> => ((await (await a.get('/api/admin/staff-requests')).json()) as { requests: Req[] }).requests;
const staffRow = async (username: string) => (await deps.db.read.select().from(t.staff).where(eq(t.staff.username, username)))[0]!;
const lastAudit = async (action: string) => (await deps.db.read.select().from(t.auditLog).where(eq(t.auditLog.action, action))).at(-1);

/** A first sign-in with the temporary password: enrolment starts only for an active account. */
async function canStartSignIn(username: string, password: string): Promise<boolean> {
  deps.clock.advance(60_000);
  const res = await postSignIn(app, { username, password });
  return res.status === 200;
}

describe('accounts the sysadmin creates wait for their confirmer', () => {
  it('a handler: inactive and unable to sign in until its head confirms; other heads and the sysadmin cannot', async () => {
    const res = await sys.post('/api/admin/staff', { username: 'culture.new', displayName: '新承办人', departmentCode: 'culture', role: 'handler' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: number; pendingConfirmation: boolean; temporaryPassword?: string };
    expect(body).toEqual({ id: body.id, username: 'culture.new', pendingConfirmation: true });
    expect((await staffRow('culture.new')).active).toBe(false);
    const listed = ((await (await sys.get('/api/admin/staff')).json()) as { staff: { username: string; pendingRequest: string | null }[] }).staff;
    expect(listed.find((s) => s.username === 'culture.new')?.pendingRequest).toBe('create');

    // Not theirs to decide: another department's head, the requester, a handler.
    const [req] = (await requestsOf(cultureHead)).filter((r) => r.username === 'culture.new');
    expect(req).toMatchObject({ kind: 'create' });
    expect((await requestsOf(eduHead)).map((r) => r.username)).not.toContain('culture.new');
    expect((await eduHead.post(`/api/admin/staff-requests/${req!.id}/confirm`)).status).toBe(404);
    expect((await sys.post(`/api/admin/staff-requests/${req!.id}/confirm`)).status).toBe(404);
    const handler = await logInAs(app, deps, 'culture.handler');
    expect((await handler.post(`/api/admin/staff-requests/${req!.id}/confirm`)).status).toBe(404);
    expect((await staffRow('culture.new')).active).toBe(false);

    const confirmed = await cultureHead.post(`/api/admin/staff-requests/${req!.id}/confirm`);
    expect(confirmed.status).toBe(200);
    const { temporaryPassword, kind } = (await confirmed.json()) as { temporaryPassword: string; kind: string };
    expect(kind).toBe('create');
    expect(temporaryPassword).toMatch(/^[A-Za-z2-9]{16}$/);
    expect(await staffRow('culture.new')).toMatchObject({ active: true, mustChangePassword: true, totpSecretEnc: null });
    expect(await canStartSignIn('culture.new', temporaryPassword)).toBe(true);
    expect(await lastAudit('staff.request_confirmed')).toMatchObject({
      actorStaffId: (await staffRow('culture.head')).id,
      objectId: String((await staffRow('culture.new')).id),
      detail: { kind: 'create', temporaryPasswordTo: 'confirmer' },
    });
    // Decided once.
    expect((await cultureHead.post(`/api/admin/staff-requests/${req!.id}/refuse`)).status).toBe(404);
  });

  it('refused: the account stays inactive; a coordinator may decide for any department', async () => {
    const a = (await (await sys.post('/api/admin/staff', { username: 'science.new', displayName: '科技新人', departmentCode: 'science', role: 'dept_head' })).json()) as { id: number };
    await sys.post('/api/admin/staff', { username: 'science.two', displayName: '科技二', departmentCode: 'science', role: 'handler' });
    const reqs = await requestsOf(coord);
    const ra = reqs.find((r) => r.username === 'science.new')!;
    const rb = reqs.find((r) => r.username === 'science.two')!;
    const refused = await coord.post(`/api/admin/staff-requests/${ra.id}/refuse`);
    expect(refused.status).toBe(200);
    expect(((await refused.json()) as { temporaryPassword: string | null }).temporaryPassword).toBeNull();
    expect((await staffRow('science.new')).active).toBe(false);
    expect(await lastAudit('staff.request_refused')).toMatchObject({ objectId: String(a.id), actorRole: 'coordinator' });
    const confirmed = await coord.post(`/api/admin/staff-requests/${rb.id}/confirm`);
    expect(confirmed.status).toBe(200);
    expect(await canStartSignIn('science.two', ((await confirmed.json()) as { temporaryPassword: string }).temporaryPassword)).toBe(true);
  });

  it('a coordinator account needs another coordinator; a sysadmin account needs nobody (it reads no cases)', async () => {
    const c = (await (await sys.post('/api/admin/staff', { username: 'coord.two', displayName: '双减办二', departmentCode: 'edu', role: 'coordinator' })).json()) as { pendingConfirmation: boolean };
    expect(c.pendingConfirmation).toBe(true);
    expect((await requestsOf(cultureHead)).map((r) => r.username)).not.toContain('coord.two');
    expect((await requestsOf(coord)).map((r) => r.username)).toContain('coord.two');
    const created = await sys.post('/api/admin/staff', { username: 'sys.two', displayName: '管理员二', departmentCode: 'edu', role: 'sysadmin' });
    expect(created.status).toBe(201);
    const s = (await created.json()) as { pendingConfirmation: boolean; temporaryPassword: string };
    expect(s.pendingConfirmation).toBe(false);
    expect((await staffRow('sys.two')).active).toBe(true);
    // The administrator hands another administrator's password over itself.
    expect(await canStartSignIn('sys.two', s.temporaryPassword)).toBe(true);
  });

  it('re-enabling a deactivated handler waits for the head as well; the head re-enables own handlers at once', async () => {
    const id = (await staffRow('market.handler')).id;
    expect((await sys.post(`/api/admin/staff/${id}/deactivate`)).status).toBe(200);
    const res = await sys.post(`/api/admin/staff/${id}/reactivate`);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ ok: true, pendingConfirmation: true });
    expect((await staffRow('market.handler')).active).toBe(false);
    expect(await lastAudit('staff.reactivation_requested')).toMatchObject({ objectId: String(id) });
    deps.clock.advance(60_000);
    const a = account('market.handler');
    expect((await postSignIn(app, { username: a.username, password: a.password, totp: codeNow(deps, a) })).status).toBe(401);

    const marketHead = await logInAs(app, deps, 'market.head');
    const req = (await requestsOf(marketHead)).find((r) => r.username === 'market.handler')!;
    expect(req.kind).toBe('reactivate');
    expect((await marketHead.post(`/api/admin/staff-requests/${req.id}/confirm`)).status).toBe(200);
    deps.clock.advance(60_000);
    expect((await postSignIn(app, { username: a.username, password: a.password, totp: codeNow(deps, a) })).status).toBe(200);

    // The head's own change needs nobody else: they are the confirmer (and it settles a request
    // the sysadmin left waiting).
    expect((await marketHead.post(`/api/admin/team/${id}/deactivate`)).status).toBe(200);
    expect((await sys.post(`/api/admin/staff/${id}/reactivate`)).status).toBe(202);
    expect((await marketHead.post(`/api/admin/team/${id}/reactivate`)).status).toBe(200);
    expect((await staffRow('market.handler')).active).toBe(true);
    expect((await requestsOf(marketHead)).map((r) => r.username)).not.toContain('market.handler');
  });

  it('the confirmer sees the request on /admin/notices/ (and a count in every page header) and decides there', async () => {
    await sys.post('/api/admin/staff', { username: 'culture.page', displayName: '页面确认', departmentCode: 'culture', role: 'handler' });
    const session = (await findSession(deps.db, cultureHead.cookie.split('=')[1]!, deps.clock.now()))!;
    expect((await adminUser(deps, session)).alerts).toBeGreaterThanOrEqual(1);
    const url = new URL('/admin/notices/', 'http://127.0.0.1:4321');
    const view = await handleNotices(deps, new Request(url, { headers: { cookie: cultureHead.cookie } }), url, null, 'zh-CN');
    if (view.kind !== 'page') throw new Error('expected the notices page');
    const req = view.state.requests.find((r) => r.username === 'culture.page')!;
    expect(req).toMatchObject({ kind: 'create', role: 'handler', requestedByName: '系统管理员（演示）' });

    const post = (form: Record<string, string>) =>
      handleNotices(deps, new Request(url, { method: 'POST', headers: { cookie: cultureHead.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() }), url, null, 'zh-CN');
    const noToken = await post({ action: 'confirm', id: String(req.id) });
    expect(noToken.kind === 'message' && noToken.status).toBe(403);
    expect((await staffRow('culture.page')).active).toBe(false);
    const done = await post({ _csrf: cultureHead.csrf, action: 'confirm', id: String(req.id) });
    // The page itself, not a redirect: the new account's password is shown once, never in a URL.
    if (done.kind !== 'page') throw new Error('a confirmed new account answers with the page');
    const temp = /([A-Za-z2-9]{16})$/.exec(done.state.message!.text)?.[1];
    expect(done.state.message!.text).toMatch(/^已确认，账号 culture\.page 现在可以登录。临时密码/);
    expect((await staffRow('culture.page')).active).toBe(true);
    expect(await canStartSignIn('culture.page', temp!)).toBe(true);
  });

  it('the sysadmin alone never learns a working password of a handler it creates (API and page); the confirmer does', async () => {
    const base = 'http://127.0.0.1:4321';
    /** Every string that could be a temporary password in what the sysadmin was told. */
    const candidates = (text: string) => text.match(/\b[A-Za-z2-9]{16}\b/g) ?? [];
    const sysadminSees: string[] = [];

    // Through the API …
    const api = await sys.post('/api/admin/staff', { username: 'market.api', displayName: '接口新人', departmentCode: 'market', role: 'handler' });
    const apiText = await api.text();
    expect(api.status).toBe(202);
    expect(apiText).not.toContain('temporaryPassword');
    sysadminSees.push(...candidates(apiText));
    // … and through the /admin/staff/ page, in both languages.
    const { handleStaff } = await import('../../api/staff/accounts-page.ts');
    const { strings } = await import('../../site/i18n/index.ts');
    for (const [lang, path, username] of [['zh-CN', '/admin/staff/', 'market.page'], ['en', '/en/admin/staff/', 'market.page2']] as const) {
      const url = new URL(path, base);
      const body = new URLSearchParams({ _csrf: sys.csrf, action: 'create', username, displayName: '页面新人', departmentCode: 'market', role: 'handler' }).toString();
      const page = await handleStaff(deps, new Request(url, { method: 'POST', headers: { cookie: sys.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body }), url, null, lang);
      if (page.kind !== 'page') throw new Error('expected the staff page');
      expect(page.status).toBe(201);
      // It says the account awaits confirmation and that the confirmer hands the password over.
      expect(page.state.message).toEqual({ kind: 'ok', text: strings(lang).admin.system.staff.createdPending(username) });
      sysadminSees.push(...candidates(page.state.message!.text));
    }
    expect(strings('zh-CN').admin.system.staff.createdPending('x')).toContain('只显示给确认人');

    // The head confirms each one and receives a password that works; none the sysadmin saw does,
    // and the sysadmin cannot read the head's anywhere.
    const marketHead = await logInAs(app, deps, 'market.head');
    for (const username of ['market.api', 'market.page', 'market.page2']) {
      const req = (await requestsOf(marketHead)).find((r) => r.username === username)!;
      const confirmed = await marketHead.post(`/api/admin/staff-requests/${req.id}/confirm`);
      const { temporaryPassword } = (await confirmed.json()) as { temporaryPassword: string };
      for (const guess of sysadminSees) expect(await canStartSignIn(username, guess)).toBe(false);
      expect(await canStartSignIn(username, temporaryPassword)).toBe(true);
      const sysadminView = `${await (await sys.get('/api/admin/staff')).text()}${await (await sys.get('/api/admin/audit?limit=200')).text()}`;
      expect(sysadminView).not.toContain(temporaryPassword);
    }
    expect(sysadminSees).toEqual([]);
  });
});

describe('password and TOTP resets by the sysadmin wait for the confirmer, who alone receives the password', () => {
  /** A sign-in with the given password and the account's own authenticator (a fresh time step). */
  const signIn = async (username: string, password: string) => {
    deps.clock.advance(60_000);
    return postSignIn(app, { username, password, totp: codeNow(deps, account(username)) });
  };
  const staffList = async () => ((await (await sys.get('/api/admin/staff')).json()) as { staff: { username: string; active: boolean; pendingRequest: string | null }[] }).staff;
  /** Everything the sysadmin can read about accounts and what happened to them. */
  const sysadminView = async () => `${await (await sys.get('/api/admin/staff')).text()}${await (await sys.get('/api/admin/audit?limit=200')).text()}`;

  it('a password reset: no password for the sysadmin, the clerk keeps working; the head confirms and gets it', async () => {
    const id = (await staffRow('edu.handler')).id;
    const before = await staffRow('edu.handler');
    const clerk = await logInAs(app, deps, 'edu.handler');

    const res = await sys.post(`/api/admin/staff/${id}/reset-password`);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ ok: true, pendingConfirmation: true });
    // Nothing changed yet: the same hash, the clerk's session and sign-in still work.
    expect(await staffRow('edu.handler')).toMatchObject({ passwordHash: before.passwordHash, mustChangePassword: false, active: true });
    expect((await clerk.get('/api/admin/me')).status).toBe(200);
    expect((await signIn('edu.handler', account('edu.handler').password)).status).toBe(200);
    expect((await staffList()).find((s) => s.username === 'edu.handler')).toMatchObject({ active: true, pendingRequest: 'reset_password' });
    expect(await lastAudit('staff.password_reset_requested')).toMatchObject({ objectId: String(id), actorRole: 'sysadmin' });
    // The other half of a takeover waits behind it; a second identical ask is the same request.
    const totp = await sys.post(`/api/admin/staff/${id}/reset-totp`);
    expect(totp.status).toBe(409);
    expect(((await totp.json()) as { error: { code: string } }).error.code).toBe('staff_request_pending');
    expect(await staffRow('edu.handler')).toMatchObject({ totpSecretEnc: before.totpSecretEnc });
    expect((await sys.post(`/api/admin/staff/${id}/reset-password`)).status).toBe(202);

    const [req, ...more] = (await requestsOf(eduHead)).filter((r) => r.username === 'edu.handler');
    expect(req).toMatchObject({ kind: 'reset_password' });
    expect(more).toEqual([]);
    expect((await sys.post(`/api/admin/staff-requests/${req!.id}/confirm`)).status).toBe(404);
    expect((await cultureHead.post(`/api/admin/staff-requests/${req!.id}/confirm`)).status).toBe(404);

    const confirmed = await eduHead.post(`/api/admin/staff-requests/${req!.id}/confirm`);
    expect(confirmed.status).toBe(200);
    const { temporaryPassword, kind } = (await confirmed.json()) as { temporaryPassword: string; kind: string };
    expect(kind).toBe('reset_password');
    expect(temporaryPassword).toMatch(/^[A-Za-z2-9]{16}$/);
    expect(await lastAudit('staff.request_confirmed')).toMatchObject({ actorStaffId: (await staffRow('edu.head')).id, objectId: String(id), detail: { kind: 'reset_password' } });
    // Now in force: the clerk's sessions ended, the old password is refused, the new one (with
    // the clerk's own authenticator) signs in and must be changed first.
    expect((await clerk.get('/api/admin/me')).status).toBe(401);
    expect((await signIn('edu.handler', account('edu.handler').password)).status).toBe(401);
    const fresh = await signIn('edu.handler', temporaryPassword);
    expect(fresh.status).toBe(200);
    expect((await staffRow('edu.handler')).mustChangePassword).toBe(true);
    // Nowhere the sysadmin can look.
    expect(await sysadminView()).not.toContain(temporaryPassword);
  });

  it('a TOTP reset: refused, nothing changes; confirmed by a coordinator, the next sign-in enrols anew', async () => {
    const id = (await staffRow('science.handler')).id;
    const before = await staffRow('science.handler');
    expect((await sys.post(`/api/admin/staff/${id}/reset-totp`)).status).toBe(202);
    expect(await lastAudit('staff.totp_reset_requested')).toMatchObject({ objectId: String(id) });
    const req = (await requestsOf(coord)).find((r) => r.username === 'science.handler')!;
    expect(req.kind).toBe('reset_totp');
    expect((await coord.post(`/api/admin/staff-requests/${req.id}/refuse`)).status).toBe(200);
    expect(await lastAudit('staff.request_refused')).toMatchObject({ objectId: String(id), detail: { kind: 'reset_totp' } });
    expect(await staffRow('science.handler')).toMatchObject({ totpSecretEnc: before.totpSecretEnc, passwordHash: before.passwordHash, active: true });
    expect((await signIn('science.handler', account('science.handler').password)).status).toBe(200);

    expect((await sys.post(`/api/admin/staff/${id}/reset-totp`)).status).toBe(202);
    const again = (await requestsOf(coord)).find((r) => r.username === 'science.handler')!;
    expect((await coord.post(`/api/admin/staff-requests/${again.id}/confirm`)).status).toBe(200);
    expect(await staffRow('science.handler')).toMatchObject({ totpSecretEnc: null, passwordHash: before.passwordHash });
    deps.clock.advance(60_000);
    const next = await postSignIn(app, { username: 'science.handler', password: account('science.handler').password });
    expect(((await next.json()) as { status: string }).status).toBe('enrolment_required');
  });

  it('an inactive account too (a later reactivation must not open a password the sysadmin set); a sysadmin account needs nobody', async () => {
    const id = (await staffRow('science.head')).id;
    expect((await sys.post(`/api/admin/staff/${id}/deactivate`)).status).toBe(200);
    expect((await sys.post(`/api/admin/staff/${id}/reset-password`)).status).toBe(202);
    expect((await sys.post(`/api/admin/staff/${id}/reactivate`)).status).toBe(409);
    expect((await staffRow('science.head')).active).toBe(false);

    // Another sysadmin account, of this test's own.
    expect((await sys.post('/api/admin/staff', { username: 'sys.two', displayName: '管理员二', departmentCode: 'edu', role: 'sysadmin' })).status).toBe(201);
    const other = (await staffRow('sys.two')).id;
    const direct = await sys.post(`/api/admin/staff/${other}/reset-password`);
    expect(direct.status).toBe(200);
    expect(((await direct.json()) as { temporaryPassword: string }).temporaryPassword).toMatch(/^[A-Za-z2-9]{16}$/);
  });

  it('a head resetting their own handler needs nobody, and settles the same reset the sysadmin asked for', async () => {
    const id = (await staffRow('culture.handler')).id;
    expect((await sys.post(`/api/admin/staff/${id}/reset-password`)).status).toBe(202);
    const res = await cultureHead.post(`/api/admin/team/${id}/reset-password`);
    expect(res.status).toBe(200);
    const { temporaryPassword } = (await res.json()) as { temporaryPassword: string };
    expect((await signIn('culture.handler', temporaryPassword)).status).toBe(200);
    expect((await requestsOf(cultureHead)).map((r) => r.username)).not.toContain('culture.handler');
    expect((await staffList()).find((s) => s.username === 'culture.handler')?.pendingRequest).toBeNull();
  });

  it('on the pages: /admin/staff/ says it awaits confirmation and shows no password; /admin/notices/ names the kind and shows the password to the confirmer once', async () => {
    const id = (await staffRow('edu.handler')).id;
    const base = 'http://127.0.0.1:4321';
    const form = (who: StaffAgent, path: string, fields: Record<string, string>): [Request, URL] => {
      const url = new URL(path, base);
      return [new Request(url, { method: 'POST', headers: { cookie: who.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: who.csrf, ...fields }).toString() }), url];
    };
    const { accountStatus, handleStaff } = await import('../../api/staff/accounts-page.ts');
    const { strings } = await import('../../site/i18n/index.ts');
    const asked = await handleStaff(deps, ...form(sys, '/admin/staff/', { action: 'reset_password', id: String(id) }), null, 'zh-CN');
    expect(asked.kind === 'response' && asked.response.headers.get('location')).toBe('/admin/staff/?done=reset_password');
    const listUrl = new URL('/admin/staff/?done=reset_password', base);
    const listed = await handleStaff(deps, new Request(listUrl, { headers: { cookie: sys.cookie } }), listUrl, null, 'zh-CN');
    if (listed.kind !== 'page') throw new Error('expected the staff page');
    expect(listed.state.message?.text).toBe(strings('zh-CN').admin.system.staff.resetPasswordRequested);
    const row = listed.state.staff.find((s) => s.username === 'edu.handler')!;
    expect(row).toMatchObject({ active: true, pendingRequest: 'reset_password' });
    // The status cell (staff and team pages): still active, the reset named beside it.
    expect(accountStatus('zh-CN', row)).toMatch(/^在用 · 待确认：重置密码 · 已绑定动态口令/);
    expect(accountStatus('en', row)).toMatch(/^active · awaiting confirmation: Password reset · TOTP enrolled/);

    // The confirmer's page lists it with its kind, named in both languages.
    for (const lang of ['zh-CN', 'en'] as const) for (const k of t.STAFF_REQUEST_KINDS) expect(strings(lang).admin.notices.kinds[k]).toMatch(/\S/);
    expect(strings('zh-CN').admin.notices.kinds.reset_password).toBe('重置密码');
    const url = new URL('/en/admin/notices/', base);
    const view = await handleNotices(deps, new Request(url, { headers: { cookie: eduHead.cookie } }), url, null, 'en');
    if (view.kind !== 'page') throw new Error('expected the notices page');
    const req = view.state.requests.find((r) => r.username === 'edu.handler')!;
    expect(req.kind).toBe('reset_password');

    const done = await handleNotices(deps, ...form(eduHead, '/en/admin/notices/', { action: 'confirm', id: String(req.id) }), null, 'en');
    if (done.kind !== 'page') throw new Error('a confirmed password reset answers with the page (the password is never in a URL)');
    const temp = /([A-Za-z2-9]{16})$/.exec(done.state.message!.text)?.[1];
    expect(done.state.message!.text).toMatch(/^Confirmed: edu\.handler's password was reset/);
    expect((await signIn('edu.handler', temp!)).status).toBe(200);
    expect(await sysadminView()).not.toContain(temp);

    // Refused on the page: the account stays as it was.
    expect((await sys.post(`/api/admin/staff/${id}/reset-totp`)).status).toBe(202);
    const totpReq = (await requestsOf(eduHead)).find((r) => r.username === 'edu.handler')!;
    const refused = await handleNotices(deps, ...form(eduHead, '/admin/notices/', { action: 'refuse', id: String(totpReq.id) }), null, 'zh-CN');
    expect(refused.kind === 'response' && refused.response.headers.get('location')).toBe('/admin/notices/?done=reset_refused&u=edu.handler');
    expect((await staffRow('edu.handler')).totpSecretEnc).not.toBeNull();
  });
});

describe('backup downloads are announced to the coordinators', () => {
  it('an audit row and a notice for the coordinators, shown in their admin until one acknowledges it', async () => {
    const res = await sys.post('/api/admin/backup');
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const audit = await lastAudit('system.backup_downloaded');
    expect(audit).toMatchObject({ actorRole: 'sysadmin' });

    const notices = ((await (await coord.get('/api/admin/notices')).json()) as { notices: { id: number; kind: string; detail: Record<string, unknown> }[] }).notices;
    const n = notices.find((x) => x.kind === 'backup_downloaded')!;
    expect(n.detail).toMatchObject({ fileName: audit!.objectId, byUsername: 'sysadmin', byName: '系统管理员（演示）' });
    // Not for heads, handlers or the sysadmin.
    for (const a of [cultureHead, sys]) expect(((await (await a.get('/api/admin/notices')).json()) as { notices: { kind: string }[] }).notices.map((x) => x.kind)).not.toContain('backup_downloaded');

    // Shown on the coordinator's admin pages: a header count and the notice itself.
    const session = (await findSession(deps.db, coord.cookie.split('=')[1]!, deps.clock.now()))!;
    expect((await adminUser(deps, session)).alerts).toBeGreaterThanOrEqual(1);
    const url = new URL('/en/admin/notices/', 'http://127.0.0.1:4321');
    const view = await handleNotices(deps, new Request(url, { headers: { cookie: coord.cookie } }), url, null, 'en');
    expect(view.kind === 'page' && view.state.notices.map((x) => x.kind)).toContain('backup_downloaded');

    expect((await coord.post(`/api/admin/notices/${n.id}/acknowledge`)).status).toBe(200);
    expect(((await (await coord.get('/api/admin/notices')).json()) as { notices: { id: number }[] }).notices.map((x) => x.id)).not.toContain(n.id);
    expect(await lastAudit('notice.acknowledged')).toMatchObject({ objectId: String(n.id), actorRole: 'coordinator', detail: { kind: 'backup_downloaded' } });
    // One acknowledgement clears it for the whole office (it was addressed to the role).
    const [row] = await deps.db.read.select().from(t.adminNotices).where(eq(t.adminNotices.id, n.id));
    expect(row).toMatchObject({ recipientRole: 'coordinator', recipientStaffId: null, acknowledgedBy: (await staffRow('coord')).id });
  });
});
