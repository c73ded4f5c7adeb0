/**
 * The admin pages' server side (site/lib/admin/*), called as Astro calls it — a Request in, a
 * page state or a Response out — over a fresh database: sign-in with the form token, TOTP
 * enrolment, the generic failure message, the session cookie the API also sets, CSRF refusal on
 * every state-changing form, the queue (scopes, filters, keyset links both ways, sysadmin),
 * case actions through the same transition service as the API, the evidence pack, password
 * change and sign-out. The browser walk-through is tests/e2e/admin.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { submitComplaint } from '../../api/intake/service.ts';
import { ComplaintInputSchema } from '../../api/intake/schema.ts';
import { hashPassword } from '../../api/staff/passwords.ts';
import { totpAt } from '../../api/staff/totp.ts';
import { handleLogin } from '../../api/staff/login-page.ts';
import { handleAccount, handleLogout } from '../../api/staff/account-page.ts';
import { handleQueue } from '../../api/cases/queue-page.ts';
import { handleCase, handlePack } from '../../api/cases/case-page.ts';
import type { PageResult } from '../../api/staff/admin-page-http.ts';
import { account, logInAs, seedStaff } from '../helpers/admin-session.ts';
import { complaintBody, createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

const BASE = 'http://127.0.0.1:4321';
let deps: TestDeps;
let seq = 0;

function request(path: string, opts: { form?: Record<string, string>; cookie?: string } = {}): [Request, URL] {
  const url = new URL(path, BASE);
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.form) headers['content-type'] = 'application/x-www-form-urlencoded';
  const init: RequestInit = opts.form ? { method: 'POST', headers, body: new URLSearchParams(opts.form).toString() } : { headers };
  return [new Request(url, init), url];
}

/** name=value pairs of a result's Set-Cookie headers. */
function setCookies(r: PageResult<unknown>): string[] {
  if (r.kind === 'response') return r.response.headers.getSetCookie();
  return r.cookies ?? [];
}
const pair = (header: string) => header.split(';')[0]!;

async function fileCase(institutionId = 'demo-0001'): Promise<string> {
  const mobile = `139${String(++seq).padStart(8, '0')}`;
  const data = ComplaintInputSchema.parse(complaintBody({ institutionId, mobile }));
  return (await submitComplaint(deps, data, { ip: null })).result.trackingCode;
}

/** Signs in through the page (form token cookie + form), returns the session cookie pair. */
async function signInPage(username: string): Promise<string> {
  return pair(await signInPageCookie(username));
}

/** Signs in through the page, returns the whole session Set-Cookie header of its real response. */
async function signInPageCookie(username: string): Promise<string> {
  deps.clock.advance(30_000);
  const a = account(username);
  const [getReq, getUrl] = request('/admin/login/');
  const page = await handleLogin(deps, getReq, getUrl, null, 'zh-CN');
  if (page.kind !== 'page') throw new Error('expected the sign-in form');
  const loginCookie = pair(setCookies(page)[0]!);
  const [req, url] = request('/admin/login/', {
    cookie: loginCookie,
    form: { _csrf: page.state.formToken, action: 'signin', username: a.username, password: a.password, totp: totpAt(a.totpSecret, deps.clock.now()) },
  });
  const r = await handleLogin(deps, req, url, null, 'zh-CN');
  if (r.kind !== 'response') throw new Error(`sign-in as ${username} failed: ${JSON.stringify(r.kind === 'page' ? r.state.message : r.state)}`);
  expect(r.response.status).toBe(303);
  const session = setCookies(r).find((c) => c.startsWith('peixun_admin='));
  if (!session) throw new Error(`sign-in as ${username} set no session cookie`);
  return session;
}

async function csrfOf(cookie: string): Promise<string> {
  const [req, url] = request('/admin/account/', { cookie });
  const r = await handleAccount(deps, req, url, null, 'zh-CN');
  if (r.kind !== 'page') throw new Error('no account page');
  return r.state.user!.csrf;
}

const versionOf = async (code: string) => (await deps.db.read.select({ v: t.complaints.version }).from(t.complaints).where(eq(t.complaints.trackingCode, code)))[0]!.v;

// A database of its own for every test: the tests move cases through the workflow, enrol and
// change passwords and sign out everywhere, so each starts from the seeded demo data and files
// the cases it needs itself.
beforeEach(async () => {
  deps = await createSeededDeps(40);
  await seedStaff(deps);
});
afterEach(async () => {
  await deps?.cleanup();
});

describe('sign-in page', () => {
  it('signs in with password + TOTP and sets exactly the API’s session cookie', async () => {
    const header = await signInPageCookie('edu.handler');
    const cookie = pair(header);
    const token = cookie.split('=')[1]!;
    const [req, url] = request('/admin/', { cookie });
    const queue = await handleQueue(deps, req, url, 'zh-CN');
    expect(queue.kind).toBe('page');
    // The header the page's response really sends: scripts cannot read it, other sites cannot send it.
    expect(header).toBe(`peixun_admin=${token}; Path=/; HttpOnly; SameSite=Strict`);
    // Same attributes as POST /api/admin/session sets.
    const api = await testApp(deps).request('/api/admin/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'market.handler', password: account('market.handler').password, totp: totpAt(account('market.handler').totpSecret, deps.clock.now()) }),
    });
    expect(api.status).toBe(200);
    expect(api.headers.get('set-cookie')!.replace(/=[^;]*/, '=TOKEN')).toBe(header.replace(/=[^;]*/, '=TOKEN'));
  });

  it('refuses a sign-in post without the form token cookie (login CSRF)', async () => {
    const a = account('market.handler');
    const [req, url] = request('/admin/login/', { form: { _csrf: 'x'.repeat(32), action: 'signin', username: a.username, password: a.password, totp: totpAt(a.totpSecret, deps.clock.now()) } });
    const r = await handleLogin(deps, req, url, null, 'zh-CN');
    expect(r.kind).toBe('page');
    expect(r.kind === 'page' && r.status).toBe(403);
    expect(setCookies(r).some((c) => c.startsWith('peixun_admin='))).toBe(false);
  });

  it('answers every failure with the same generic message', async () => {
    const [getReq, getUrl] = request('/admin/login/');
    const page = await handleLogin(deps, getReq, getUrl, null, 'zh-CN');
    if (page.kind !== 'page') throw new Error();
    const cookie = pair(setCookies(page)[0]!);
    const attempt = async (username: string, password: string) => {
      const [req, url] = request('/admin/login/', { cookie, form: { _csrf: page.state.formToken, action: 'signin', username, password, totp: '123456' } });
      const r = await handleLogin(deps, req, url, null, 'zh-CN');
      if (r.kind !== 'page') throw new Error();
      return { status: r.status, text: r.state.message?.text };
    };
    const unknown = await attempt('nobody', 'whatever-password');
    const wrong = await attempt('science.handler', 'wrong-password');
    const badCode = await attempt('science.handler', account('science.handler').password);
    expect(unknown.status).toBe(401);
    expect(wrong).toEqual(unknown);
    expect(badCode).toEqual(unknown);
    expect(unknown.text).toContain('不正确');
  });

  it('enrols an account without TOTP: QR code + key, a wrong code shows them again, the right one signs in', async () => {
    const passwordHash = await hashPassword('New-handler-pass-1');
    await deps.db.write((tx) => tx.insert(t.staff).values({ username: 'new.handler', displayName: '新承办人', departmentCode: 'edu', role: 'handler', passwordHash, createdAt: deps.clock.now() }));

    const [getReq, getUrl] = request('/admin/login/?next=/admin/account/');
    const page = await handleLogin(deps, getReq, getUrl, null, 'zh-CN');
    if (page.kind !== 'page') throw new Error();
    const cookie = pair(setCookies(page)[0]!);
    const [req, url] = request('/admin/login/', { cookie, form: { _csrf: page.state.formToken, action: 'signin', username: 'new.handler', password: 'New-handler-pass-1', totp: '', next: '/admin/account/' } });
    const step = await handleLogin(deps, req, url, null, 'zh-CN');
    if (step.kind !== 'page' || !step.state.enrol) throw new Error('expected the enrolment step');
    expect(step.state.step).toBe('enrol');
    expect(step.state.enrol.qrSvg).toMatch(/^<svg[^>]*viewBox/);
    expect(step.state.enrol.qrSvg).not.toMatch(/style=/);
    const { secret, token, expiresAt } = step.state.enrol;
    const cookie2 = pair(setCookies(step)[0]!);

    const enrolForm = (code: string, formToken: string) => ({ _csrf: formToken, action: 'enrol', enrolmentToken: token, secret, username: 'new.handler', expiresAt, totp: code, next: '/admin/account/' });
    const [badReq, badUrl] = request('/admin/login/', { cookie: cookie2, form: enrolForm('000000', step.state.formToken) });
    const again = await handleLogin(deps, badReq, badUrl, null, 'zh-CN');
    if (again.kind !== 'page') throw new Error();
    expect(again.status).toBe(401);
    expect(again.state.step).toBe('enrol');
    expect(again.state.enrol?.qrSvg).toMatch(/^<svg/);

    deps.clock.advance(30_000);
    const [okReq, okUrl] = request('/admin/login/', { cookie: pair(setCookies(again)[0]!), form: enrolForm(totpAt(secret, deps.clock.now()), again.state.formToken) });
    const done = await handleLogin(deps, okReq, okUrl, null, 'zh-CN');
    expect(done.kind).toBe('response');
    if (done.kind !== 'response') throw new Error();
    expect(done.response.headers.get('location')).toBe('/admin/account/');
    expect(setCookies(done).some((c) => c.startsWith('peixun_admin='))).toBe(true);
    const [row] = await deps.db.read.select({ enrolled: t.staff.totpEnrolledAt }).from(t.staff).where(eq(t.staff.username, 'new.handler'));
    expect(row!.enrolled).not.toBeNull();
  });

  it('sends a signed-out visitor of any admin page to the sign-in page, and only back to admin pages', async () => {
    const [req, url] = request('/admin/cases/TS-AAAA-BBBB/');
    const r = await handleCase(deps, req, url, 'TS-AAAA-BBBB', null, 'zh-CN');
    expect(r.kind === 'response' && r.response.headers.get('location')).toBe('/admin/login/?next=%2Fadmin%2Fcases%2FTS-AAAA-BBBB%2F');
    expect(r.kind === 'response' && r.response.headers.get('cache-control')).toBe('no-store');
    const [evil, evilUrl] = request('/admin/login/?next=//evil.example/');
    const page = await handleLogin(deps, evil, evilUrl, null, 'en');
    expect(page.kind === 'page' && page.state.next).toBeNull();
  });
});

describe('queue page', () => {
  let handler: string;
  let coordinator: string;
  let sysadmin: string;
  let codes: string[] = [];

  // 53 submitted demo-0001 cases (science's), in each test's own database: two pages of the queue.
  beforeEach(async () => {
    codes = [];
    for (let i = 0; i < 53; i++) codes.push(await fileCase('demo-0001'));
    handler = await signInPage(`${(await leadOf(codes[0]!))}.handler`);
    coordinator = await signInPage('coord');
    sysadmin = await signInPage('sysadmin');
  });

  it('shows the department’s cases, nearest deadline first, with next / previous links that walk the pages', async () => {
    const [req, url] = request('/admin/', { cookie: handler });
    const first = await handleQueue(deps, req, url, 'zh-CN');
    if (first.kind !== 'page' || !first.state.page) throw new Error();
    expect(first.state.page.items.length).toBe(50);
    const due = first.state.page.items.map((i) => i.dueOn ?? '9999');
    expect([...due].sort()).toEqual(due);
    expect(first.state.links.prev).toBeNull();
    expect(first.state.links.next).toMatch(/cursor=/);

    const [req2, url2] = request(first.state.links.next!, { cookie: handler });
    const second = await handleQueue(deps, req2, url2, 'zh-CN');
    if (second.kind !== 'page' || !second.state.page) throw new Error();
    const seen = new Set(first.state.page.items.map((i) => i.code));
    expect(second.state.page.items.length).toBeGreaterThan(0);
    expect(second.state.page.items.every((i) => !seen.has(i.code))).toBe(true);
    // The two pages together hold every one of the department's cases.
    const both = new Set([...seen, ...second.state.page.items.map((i) => i.code)]);
    expect(codes.filter((c) => !both.has(c))).toEqual([]);
    expect(second.state.links.next).toBeNull();
    expect(second.state.links.prev).toBe('/admin/');

    const [req3, url3] = request(second.state.links.prev!, { cookie: handler });
    const back = await handleQueue(deps, req3, url3, 'zh-CN');
    if (back.kind !== 'page' || !back.state.page) throw new Error();
    expect(back.state.page.items.map((i) => i.code)).toEqual(first.state.page.items.map((i) => i.code));
  });

  it('filters by state, institution name and dates; refuses bad input with field messages', async () => {
    const [req, url] = request('/admin/?state=submitted&inst=demo-0001&submittedFrom=2026-11-01', { cookie: handler });
    const r = await handleQueue(deps, req, url, 'zh-CN');
    if (r.kind !== 'page' || !r.state.page) throw new Error();
    expect(r.state.institution?.id).toBe('demo-0001');
    // The 53 submitted demo-0001 cases fill the first page; nothing else slips in.
    expect(r.state.page.items.length).toBe(50);
    expect(r.state.page.items.every((i) => i.status === 'submitted' && i.institution.id === 'demo-0001')).toBe(true);

    const [bad, badUrl] = request('/admin/?state=nonsense&submittedFrom=2026-13-40', { cookie: handler });
    const refused = await handleQueue(deps, bad, badUrl, 'zh-CN');
    if (refused.kind !== 'page') throw new Error();
    expect(refused.state.page).toBeNull();
    expect(Object.keys(refused.state.fieldErrors).sort()).toEqual(['state', 'submittedFrom']);
  });

  it('lets only the coordination office pick a department', async () => {
    const [req, url] = request('/admin/?department=market', { cookie: coordinator });
    const r = await handleQueue(deps, req, url, 'zh-CN');
    expect(r.kind === 'page' && r.state.scope).toEqual({ kind: 'department', dept: 'market' });

    // demo-0001 (science_tech) is led by science, so the handler is science's; a demo-0005
    // (culture_arts) case is culture's, co-handled by edu and market: none of science's business.
    expect(await leadOf(codes[0]!)).toBe('science');
    const elsewhere = await fileCase('demo-0005');
    expect(await leadOf(elsewhere)).toBe('culture');
    const [ownReq, ownUrl] = request('/admin/', { cookie: handler });
    const own = await handleQueue(deps, ownReq, ownUrl, 'zh-CN');
    if (own.kind !== 'page' || !own.state.page) throw new Error();
    expect(own.state.page.items.length).toBe(50);

    for (const dept of ['market', 'culture']) {
      const [req2, url2] = request(`/admin/?department=${dept}`, { cookie: handler });
      const r2 = await handleQueue(deps, req2, url2, 'zh-CN');
      if (r2.kind !== 'page' || !r2.state.page) throw new Error();
      expect(r2.state.scope).toEqual({ kind: 'department', dept: 'science' });
      expect(r2.state.page.items.map((i) => i.code)).toEqual(own.state.page.items.map((i) => i.code));
      expect(r2.state.page.items.every((i) => i.leadDept === 'science' && i.role === 'lead')).toBe(true);
      expect(r2.state.page.items.map((i) => i.code)).not.toContain(elsewhere);

      // Narrowed to the other department's institution: nothing, not its case.
      const [req3, url3] = request(`/admin/?department=${dept}&inst=demo-0005`, { cookie: handler });
      const r3 = await handleQueue(deps, req3, url3, 'zh-CN');
      if (r3.kind !== 'page' || !r3.state.page) throw new Error();
      expect(r3.state.scope).toEqual({ kind: 'department', dept: 'science' });
      expect(r3.state.page.items).toEqual([]);
    }
    // The office does see it there.
    const [req4, url4] = request('/admin/?department=culture&inst=demo-0005', { cookie: coordinator });
    const r4 = await handleQueue(deps, req4, url4, 'zh-CN');
    if (r4.kind !== 'page' || !r4.state.page) throw new Error();
    expect(r4.state.page.items.map((i) => i.code)).toEqual([elsewhere]);
  });

  it('gives the sysadmin a page without any complaint data', async () => {
    const [req, url] = request('/admin/', { cookie: sysadmin });
    const r = await handleQueue(deps, req, url, 'zh-CN');
    if (r.kind !== 'page') throw new Error();
    expect(r.state.kind).toBe('sysadmin');
    expect(r.state.page).toBeNull();
    const [creq, curl] = request(`/admin/cases/${codes[0]}/`, { cookie: sysadmin });
    const c = await handleCase(deps, creq, curl, codes[0]!, null, 'zh-CN');
    expect(c.kind).toBe('message');
    expect(c.kind === 'message' && c.status).toBe(403);
    expect(JSON.stringify(c)).not.toContain(codes[0]!.slice(3));
  });
});

async function leadOf(code: string): Promise<string> {
  return (await deps.db.read.select({ lead: t.complaints.leadDept }).from(t.complaints).where(eq(t.complaints.trackingCode, code)))[0]!.lead;
}

describe('case page', () => {
  let code: string;
  let lead: string;
  let cookie: string;
  let csrf: string;

  // A new submitted demo-0003 case for every test, and its lead department's head signed in.
  beforeEach(async () => {
    code = await fileCase('demo-0003');
    lead = await leadOf(code);
    cookie = await signInPage(`${lead}.head`);
    csrf = await csrfOf(cookie);
  });

  const post = async (form: Record<string, string>) => {
    const [req, url] = request(`/admin/cases/${code}/`, { cookie, form });
    return handleCase(deps, req, url, code, '10.0.0.1', 'zh-CN');
  };

  it('shows the whole case with personal data to the lead department, and audits the view', async () => {
    const before = await deps.db.read.select().from(t.auditLog).where(eq(t.auditLog.action, 'complaint.view_personal_data'));
    const [req, url] = request(`/admin/cases/${code}/`, { cookie });
    const r = await handleCase(deps, req, url, code, '10.0.0.1', 'zh-CN');
    if (r.kind !== 'page') throw new Error();
    expect(r.state.view.parent.masked).toBe(false);
    expect(r.state.view.parent.mobile).toMatch(/^139\d{8}$/);
    expect(r.state.view.allowedActions).toEqual(expect.arrayContaining(['accept', 'reject', 'add_cohandler', 'assign']));
    expect(r.state.assignees.length).toBeGreaterThan(0);
    const after = await deps.db.read.select().from(t.auditLog).where(eq(t.auditLog.action, 'complaint.view_personal_data'));
    expect(after.length).toBe(before.length + 1);
  });

  it('refuses a form without the session’s CSRF token and changes nothing', async () => {
    const v = await versionOf(code);
    const without = await post({ action: 'accept', expectedVersion: String(v) });
    expect(without.kind === 'message' && without.status).toBe(403);
    const wrong = await post({ _csrf: 'A'.repeat(43), action: 'accept', expectedVersion: String(v) });
    expect(wrong.kind === 'message' && wrong.status).toBe(403);
    expect(await versionOf(code)).toBe(v);
  });

  it('re-renders a refused form with field messages and what was typed', async () => {
    const r = await post({ _csrf: csrf, action: 'reject', expectedVersion: String(await versionOf(code)), reason: 'duplicate', note: '短' });
    if (r.kind !== 'page') throw new Error();
    expect(r.status).toBe(422);
    expect(r.state.error?.action).toBe('reject');
    expect(Object.keys(r.state.error!.fields)).toEqual(['note']);
    expect(r.state.error!.values.note).toBe('短');
  });

  /** accept → co-handler → step → resolve through the case page's forms, each redirecting back. */
  const runWorkflow = async () => {
    const act = async (form: Record<string, string>) => {
      const r = await post({ _csrf: csrf, expectedVersion: String(await versionOf(code)), ...form });
      if (r.kind !== 'response') throw new Error(`${form.action} refused: ${JSON.stringify(r.kind === 'page' ? r.state.error : r.state)}`);
      expect(r.response.status).toBe(303);
      expect(r.response.headers.get('location')).toBe(`/admin/cases/${code}/?done=${form.action}`);
    };
    await act({ action: 'accept', note: '已受理，将联系机构核实。' });
    await act({ action: 'add_cohandler', department: 'town_xindian', note: '' });
    await act({ action: 'note', staffNote: '电话联系机构负责人，约定周五调解。', publicNote: '已联系机构，正在调解。' });
    await act({ action: 'resolve', outcome: 'partial_refund', amountRefunded: '1800.50', note: '经调解，机构同意退还剩余课时费用。' });
  };

  it('runs accept → co-handler → step → resolve through the workflow, redirecting back each time', async () => {
    await runWorkflow();
    const [row] = await deps.db.read.select().from(t.complaints).where(eq(t.complaints.trackingCode, code));
    expect(row!.status).toBe('resolved');
    expect(row!.amountRefundedFen).toBe(180050);
    const co = await deps.db.read.select().from(t.complaintCoHandlers).where(and(eq(t.complaintCoHandlers.complaintId, row!.id), eq(t.complaintCoHandlers.departmentCode, 'town_xindian')));
    expect(co.length).toBe(1);
  });

  it('answers a stale form with the workflow’s message instead of saving', async () => {
    const r = await post({ _csrf: csrf, action: 'close', expectedVersion: '1' });
    if (r.kind !== 'page') throw new Error();
    expect(r.status).toBe(409);
    expect(r.state.error?.message).toContain('刷新');
  });

  it('answers 404 to another department’s handler, and for unknown codes', async () => {
    const other = ['edu', 'culture', 'science', 'market'].find((d) => d !== lead && d !== 'market' && d !== 'edu') ?? 'science';
    const stranger = await signInPage(`${other}.handler`);
    const [req, url] = request(`/admin/cases/${code}/`, { cookie: stranger });
    const r = await handleCase(deps, req, url, code, null, 'zh-CN');
    expect(r.kind === 'message' && r.status).toBe(404);
    const [req2, url2] = request('/admin/cases/TS-0000-0000/', { cookie });
    const r2 = await handleCase(deps, req2, url2, 'TS-0000-0000', null, 'zh-CN');
    expect(r2.kind === 'message' && r2.status).toBe(404);
    // An attempt to act on it is the same 404, even with a valid token.
    const strangerCsrf = await csrfOf(stranger);
    const [req3, url3] = request(`/admin/cases/${code}/`, { cookie: stranger, form: { _csrf: strangerCsrf, action: 'note', staffNote: 'x', expectedVersion: '1' } });
    const r3 = await handleCase(deps, req3, url3, code, null, 'zh-CN');
    expect(r3.kind === 'message' && r3.status).toBe(404);
  });

  it('prints the evidence pack, audited as a view of personal data', async () => {
    await runWorkflow();
    const before = (await deps.db.read.select().from(t.auditLog).where(eq(t.auditLog.action, 'complaint.view_personal_data'))).length;
    const [req, url] = request(`/admin/cases/${code}/pack/`, { cookie });
    const r = await handlePack(deps, req, url, code, null, 'en');
    if (r.kind !== 'page') throw new Error();
    expect(r.state.view.timeline.map((e) => e.kind)).toEqual(['submitted', 'accept', 'add_cohandler', 'note', 'resolve']);
    expect((await deps.db.read.select().from(t.auditLog).where(eq(t.auditLog.action, 'complaint.view_personal_data'))).length).toBe(before + 1);
  });
});

describe('account and sign-out', () => {
  it('checks the repeated password, then needs the current password and a fresh code', async () => {
    const cookie = await signInPage('market.head');
    const csrf = await csrfOf(cookie);
    const a = account('market.head');
    const post = async (form: Record<string, string>) => {
      const [req, url] = request('/admin/account/', { cookie, form });
      return handleAccount(deps, req, url, null, 'zh-CN');
    };
    const mismatch = await post({ _csrf: csrf, currentPassword: a.password, totp: '123456', newPassword: 'Another-long-pass-1', confirmPassword: 'Another-long-pass-2' });
    expect(mismatch.kind === 'page' && mismatch.state.fieldErrors.confirmPassword).toBeTruthy();
    const noCsrf = await post({ currentPassword: a.password, totp: '123456', newPassword: 'Another-long-pass-1', confirmPassword: 'Another-long-pass-1' });
    expect(noCsrf.kind === 'message' && noCsrf.status).toBe(403);
    const wrong = await post({ _csrf: csrf, currentPassword: 'not-it', totp: '123456', newPassword: 'Another-long-pass-1', confirmPassword: 'Another-long-pass-1' });
    expect(wrong.kind === 'page' && wrong.status).toBe(403);
    deps.clock.advance(30_000);
    const ok = await post({ _csrf: csrf, currentPassword: a.password, totp: totpAt(a.totpSecret, deps.clock.now()), newPassword: 'Another-long-pass-1', confirmPassword: 'Another-long-pass-1' });
    expect(ok.kind === 'response' && ok.response.headers.get('location')).toMatch(/^\/admin\/account\/\?changed=\d+$/);
  });

  it('signs out (with the token only) and everywhere', async () => {
    const one = await signInPage('culture.handler');
    const two = await signInPage('culture.handler');
    const csrf = await csrfOf(one);
    const [bad] = request('/admin/logout/', { cookie: one, form: {} });
    const refused = await handleLogout(deps, bad, null, 'zh-CN');
    expect(refused.kind === 'message' && refused.status).toBe(403);

    const [req] = request('/admin/logout/', { cookie: one, form: { _csrf: csrf, scope: 'everywhere' } });
    const r = await handleLogout(deps, req, null, 'en');
    expect(r.kind === 'response' && r.response.headers.get('location')).toBe('/en/admin/login/?m=everywhere');
    expect(setCookies(r)[0]).toMatch(/^peixun_admin=; Max-Age=0/);
    for (const c of [one, two]) {
      const [q, u] = request('/admin/', { cookie: c });
      const page = await handleQueue(deps, q, u, 'zh-CN');
      expect(page.kind).toBe('response');
    }
  });
});

describe('shared with the admin API', () => {
  it('answers an impossible date in the queue filters with 422, not a crash (API and page)', async () => {
    const app = testApp(deps);
    const agent = await logInAs(app, deps, 'coord');
    const res = await agent.get('/api/admin/complaints?submittedFrom=2026-13-40');
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { issues: { path: string }[] } };
    expect(body.error.issues.map((i) => i.path)).toEqual(['submittedFrom']);
  });
});
