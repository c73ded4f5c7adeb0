/**
 * Staff sign-in, sessions and CSRF through the real HTTP API: password + TOTP for every account,
 * one generic answer for every failure, TOTP replay, lockout and its end (injected clock), idle
 * and absolute session expiry, sign-out, sign-out everywhere, password change with
 * re-authentication, first-sign-in TOTP enrolment, CSRF and Origin refusal, the per-IP limit.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { verifyAuditChain } from '../../api/audit/log.ts';
import { hashPassword } from '../../api/staff/passwords.ts';
import { hashToken } from '../../api/staff/sessions.ts';
import { totpAt } from '../../api/staff/totp.ts';
import { account, agent, codeNow, cookieFrom, logInAs, postSignIn, seedStaff } from '../helpers/admin-session.ts';
import { createSeededDeps, createTestDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
const MIN = 60_000;

const auditActions = async (staffUsername?: string) => {
  const rows = await deps.db.read.select().from(t.auditLog).orderBy(t.auditLog.id);
  if (!staffUsername) return rows;
  const [s] = await deps.db.read.select({ id: t.staff.id }).from(t.staff).where(eq(t.staff.username, staffUsername));
  return rows.filter((r) => r.objectType === 'staff' && r.objectId === String(s!.id));
};
const staffRow = async (username: string) => (await deps.db.read.select().from(t.staff).where(eq(t.staff.username, username)))[0]!;

beforeAll(async () => {
  deps = await createSeededDeps(5);
  app = testApp(deps);
  await seedStaff(deps);
});

afterAll(async () => {
  await deps?.cleanup();
});

beforeEach(() => {
  deps.clock.advance(60 * MIN); // every test starts in fresh TOTP steps and rate-limit windows
});

describe('sign-in', () => {
  it('password + TOTP signs in: an HttpOnly, SameSite=Strict session cookie, the profile and a CSRF token', async () => {
    const a = account('edu.handler');
    const res = await postSignIn(app, { username: a.username, password: a.password, totp: codeNow(deps, a) });
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^peixun_admin=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain('Secure'); // PUBLIC_BASE_URL is http in tests
    expect(setCookie).not.toMatch(/Max-Age|Expires/i); // a browser-session cookie
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    const body = JSON.parse(text);
    expect(body).toMatchObject({ status: 'signed_in', staff: { username: 'edu.handler', role: 'handler', department: { code: 'edu' } } });
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(text).not.toMatch(/passwordHash|totpSecret|failedLogins|\$argon2|"v1\./);

    // Only the SHA-256 of the cookie token is stored.
    const token = setCookie.split(';')[0]!.split('=')[1]!;
    const sessions = await deps.db.read.select().from(t.sessions);
    expect(sessions.some((s) => s.idHash === token)).toBe(false);
    expect(sessions.some((s) => s.idHash === hashToken(token))).toBe(true);

    const me = await agent(app, cookieFrom(res)!, body.csrfToken).get('/api/admin/me');
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ staff: { username: 'edu.handler' }, csrfToken: body.csrfToken });
    expect((await auditActions('edu.handler')).at(-1)).toMatchObject({ action: 'staff.signin', actorKind: 'staff' });
  });

  it('accepts an HTML form post too (urlencoded)', async () => {
    const a = account('culture.head');
    const form = new URLSearchParams({ username: a.username, password: a.password, totp: codeNow(deps, a) });
    const res = await app.request('/api/admin/session', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    expect(res.status).toBe(200);
    expect(cookieFrom(res)).toMatch(/^peixun_admin=/);
  });

  it('wrong password, wrong code, missing code and unknown account all get the same generic 401', async () => {
    const a = account('science.handler');
    const attempts = [
      { username: a.username, password: 'wrong-password', totp: codeNow(deps, a) },
      { username: a.username, password: a.password, totp: '000000' },
      { username: a.username, password: a.password },
      { username: 'nobody.here', password: a.password, totp: codeNow(deps, a) },
    ];
    const answers = [];
    const waits = [];
    for (const body of attempts) {
      const res = await postSignIn(app, body);
      expect(res.status).toBe(401);
      expect(res.headers.get('set-cookie')).toBeNull();
      waits.push(res.headers.get('retry-after'));
      answers.push(await res.json());
      deps.clock.advance(10_000); // past the wait each failure sets (api/staff/throttle.ts)
    }
    // The wait doubles per failure of a name; an unknown name starts its own run at 1 s too.
    expect(waits).toEqual(['1', '2', '4', '1']);
    expect(new Set(answers.map((x) => JSON.stringify(x))).size).toBe(1);
    expect(answers[0]).toEqual({ error: { code: 'signin_failed', message: expect.stringContaining('用户名、密码或动态验证码不正确') } });
    const en = await postSignIn(app, attempts[0]!, { 'accept-language': 'en' });
    expect((await en.json()).error.message).toMatch(/username, password or authenticator code is incorrect/);
    // Audited without the password, the code or the typed username.
    const rows = await auditActions();
    const failures = rows.filter((r) => r.action === 'staff.signin_failed').slice(-5);
    expect(failures.map((r) => r.detail?.reason)).toEqual(['password', 'totp', 'totp_missing', 'unknown_account', 'password']);
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain('wrong-password');
    expect(dump).not.toContain('nobody.here');
    expect(dump).not.toContain(a.password);
    // The failures are counted on the account (four here); a success resets the counter.
    const throttleOf = async () => (await deps.db.read.select().from(t.signinThrottle).where(eq(t.signinThrottle.key, `staff:${(await staffRow(a.username)).id}`)))[0];
    expect((await throttleOf())?.failures).toBe(4);
    await logInAs(app, deps, a.username);
    expect(await throttleOf()).toBeUndefined();
  });

  it('a TOTP code works once: replaying it (same 30 s step) is refused', async () => {
    const a = account('market.handler');
    const code = codeNow(deps, a);
    const first = await postSignIn(app, { username: a.username, password: a.password, totp: code });
    expect(first.status).toBe(200);
    deps.clock.advance(5_000);
    const replay = await postSignIn(app, { username: a.username, password: a.password, totp: code });
    expect(replay.status).toBe(401);
    expect((await replay.json()).error.code).toBe('signin_failed');
    // The next step's code works.
    deps.clock.advance(30_000);
    expect((await postSignIn(app, { username: a.username, password: a.password, totp: codeNow(deps, a) })).status).toBe(200);
  });

  it('malformed input is a 422 with field paths; other content types 415', async () => {
    const res = await postSignIn(app, { password: 'x', totp: '12ab' });
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['totp', 'username']);
    expect(body.error.issues.find((i: { path: string }) => i.path === 'totp').message).toBe('请输入身份验证器App上显示的6位数字');
    const bad = await app.request('/api/admin/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' });
    expect(bad.status).toBe(400);
    const txt = await app.request('/api/admin/session', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
    expect(txt.status).toBe(415);
  });
});

describe('failed attempts slow the name down (the full rules: tests/staff/signin-throttle.test.ts)', () => {
  it('wrong TOTP codes count too: the right password and a wrong code still make the next attempt wait', async () => {
    const a = account('science.head');
    for (let i = 1; i <= 3; i++) {
      const res = await postSignIn(app, { username: a.username, password: a.password, totp: '123456' });
      expect(res.headers.get('retry-after')).toBe(String(2 ** (i - 1)));
      if (i < 3) deps.clock.advance(2 ** (i - 1) * 1000);
    }
    deps.clock.advance(1_000);
    const res = await postSignIn(app, { username: a.username, password: a.password, totp: codeNow(deps, a) });
    expect(res.status).toBe(401); // the wait of the third failure (4 s) is not over yet
    expect(res.headers.get('retry-after')).toBe('3');
    expect((await auditActions(a.username)).at(-1)!.action).toBe('staff.signin_refused_waiting');
  });
});

describe('session expiry (injected clock)', () => {
  it('30 minutes without a request ends the session; requests keep it alive', async () => {
    const s = await logInAs(app, deps, 'edu.head');
    deps.clock.advance(29 * MIN);
    expect((await s.get('/api/admin/me')).status).toBe(200);
    deps.clock.advance(29 * MIN);
    expect((await s.get('/api/admin/me')).status).toBe(200);
    deps.clock.advance(30 * MIN + 1_000);
    const res = await s.get('/api/admin/me');
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe('unauthorized');
  });

  it('12 hours after sign-in the session ends however active it was', async () => {
    const s = await logInAs(app, deps, 'market.head');
    const start = deps.clock.now().getTime();
    for (let h = 0; h < 12 * 60; h += 20) {
      deps.clock.set(new Date(start + h * MIN));
      expect((await s.get('/api/admin/me')).status, `after ${h} min`).toBe(200);
    }
    deps.clock.set(new Date(start + 12 * 60 * MIN - 1_000));
    expect((await s.get('/api/admin/me')).status).toBe(200);
    deps.clock.set(new Date(start + 12 * 60 * MIN));
    expect((await s.get('/api/admin/me')).status).toBe(401);
  });

  it('no cookie, a garbage cookie or an unknown token: 401', async () => {
    expect((await app.request('/api/admin/me')).status).toBe(401);
    expect((await app.request('/api/admin/me', { headers: { cookie: 'peixun_admin=garbage' } })).status).toBe(401);
    expect((await app.request('/api/admin/me', { headers: { cookie: `peixun_admin=${'A'.repeat(43)}` } })).status).toBe(401);
    expect((await app.request('/api/admin/complaints')).status).toBe(401);
  });
});

describe('sign-out', () => {
  it('DELETE /session ends this session only, clears the cookie and is audited', async () => {
    const one = await logInAs(app, deps, 'coord');
    const two = await logInAs(app, deps, 'coord');
    const res = await one.del('/api/admin/session');
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toMatch(/^peixun_admin=;.*Max-Age=0/);
    expect((await one.get('/api/admin/me')).status).toBe(401);
    expect((await two.get('/api/admin/me')).status).toBe(200);
    expect((await auditActions('coord')).at(-1)!.action).toBe('staff.signout');
  });

  it('revoke-all signs out every session of the account, not other accounts', async () => {
    const one = await logInAs(app, deps, 'sysadmin');
    const two = await logInAs(app, deps, 'sysadmin');
    const other = await logInAs(app, deps, 'edu.handler');
    const res = await two.post('/api/admin/sessions/revoke-all');
    expect(res.status).toBe(200);
    expect((await res.json()).revoked).toBeGreaterThanOrEqual(2);
    expect((await one.get('/api/admin/me')).status).toBe(401);
    expect((await two.get('/api/admin/me')).status).toBe(401);
    expect((await other.get('/api/admin/me')).status).toBe(200);
    expect((await auditActions('sysadmin')).at(-1)).toMatchObject({ action: 'staff.signout_everywhere' });
  });
});

describe('password change requires re-authentication', () => {
  it('refuses a wrong current password or code, enforces the policy, then changes and ends the other sessions', async () => {
    const a = account('science.handler');
    const other = await logInAs(app, deps, a.username);
    const s = await logInAs(app, deps, a.username);
    const newPassword = 'Neues-Passwort-2026!';

    const wrongPw = await s.post('/api/admin/password', { currentPassword: 'nope', totp: codeNow(deps, a), newPassword });
    expect(wrongPw.status).toBe(403);
    expect((await wrongPw.json()).error.code).toBe('reauth_failed');
    deps.clock.advance(30_000);
    const wrongCode = await s.post('/api/admin/password', { currentPassword: a.password, totp: '000000', newPassword });
    expect(wrongCode.status).toBe(403);

    const short = await s.post('/api/admin/password', { currentPassword: a.password, totp: codeNow(deps, a), newPassword: 'short' });
    expect(short.status).toBe(422);
    expect((await short.json()).error.issues).toEqual([{ path: 'newPassword', message: '新密码至少需要12个字符' }]);
    const withName = await s.post('/api/admin/password', { currentPassword: a.password, totp: codeNow(deps, a), newPassword: `x-${a.username}-2026` }, { 'accept-language': 'en' });
    expect(withName.status).toBe(422);
    expect((await withName.json()).error.issues).toEqual([{ path: 'newPassword', message: 'The new password must not contain the username' }]);

    deps.clock.advance(30_000);
    const ok = await s.post('/api/admin/password', { currentPassword: a.password, totp: codeNow(deps, a), newPassword });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'changed' });
    expect((await s.get('/api/admin/me')).status).toBe(200);
    expect((await other.get('/api/admin/me')).status).toBe(401);
    expect((await auditActions(a.username)).at(-1)).toMatchObject({ action: 'staff.password_changed', detail: { otherSessionsRevoked: 1 } });
    expect(JSON.stringify(await auditActions())).not.toContain(newPassword);

    deps.clock.advance(30_000);
    expect((await postSignIn(app, { username: a.username, password: a.password, totp: codeNow(deps, a) })).status).toBe(401);
    deps.clock.advance(30_000);
    expect((await postSignIn(app, { username: a.username, password: newPassword, totp: codeNow(deps, a) })).status).toBe(200);
  });

  it('failed re-authentications make the next wait too; the fifth in a row ends the session that tried', async () => {
    const a = account('market.head');
    const s = await logInAs(app, deps, a.username);
    let last: Response | null = null;
    for (let i = 0; i < 5; i++) {
      last = await s.post('/api/admin/password', { currentPassword: `guess-${i}`, totp: '000000', newPassword: 'Another-password-1' });
      expect(last.status).toBe(403);
      expect(last.headers.get('retry-after')).toBe(String(2 ** i));
      if (i < 4) expect((await s.get('/api/admin/me')).status).toBe(200);
      deps.clock.advance(2 ** i * 1000);
    }
    expect((await s.get('/api/admin/me')).status).toBe(401);
  });
});

describe('first sign-in: TOTP enrolment', () => {
  const password = 'Erstes-Passwort-2026';
  beforeAll(async () => {
    await deps.db.write(async (tx) =>
      tx.insert(t.staff).values({ username: 'new.handler', displayName: '新承办人', departmentCode: 'culture', role: 'handler', passwordHash: await hashPassword(password) }),
    );
  });

  it('password OK → enrolment step (no cookie, nothing usable); a code from the new secret enrols and signs in', async () => {
    const res = await postSignIn(app, { username: 'new.handler', password });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toBeNull();
    const e = await res.json();
    expect(e.status).toBe('enrolment_required');
    expect(e.otpauthUri).toMatch(/^otpauth:\/\/totp\/.*new\.handler\?.*secret=/);
    expect(e.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(e.enrolmentToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new URL(e.otpauthUri).searchParams.get('secret')).toBe(e.secret);

    // The enrolment token is not a session.
    expect((await app.request('/api/admin/me', { headers: { cookie: `peixun_admin=${e.enrolmentToken}` } })).status).toBe(401);
    expect((await deps.db.read.select().from(t.sessions).where(eq(t.sessions.staffId, (await staffRow('new.handler')).id))).length).toBe(0);
    expect((await staffRow('new.handler')).totpSecretEnc).toBeNull();

    const wrong = await app.request('/api/admin/session/enrol', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ enrolmentToken: e.enrolmentToken, totp: '000000' }) });
    expect(wrong.status).toBe(401);
    deps.clock.advance(2_000); // the wrong code's wait

    const ok = await app.request('/api/admin/session/enrol', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enrolmentToken: e.enrolmentToken, totp: totpAt(e.secret, deps.clock.now()) }),
    });
    expect(ok.status).toBe(200);
    expect(cookieFrom(ok)).toMatch(/^peixun_admin=/);
    const row = await staffRow('new.handler');
    expect(row.totpEnrolledAt).not.toBeNull();
    expect(row.totpSecretEnc).not.toContain(e.secret); // stored encrypted
    expect((await auditActions('new.handler')).map((r) => r.action)).toEqual(
      expect.arrayContaining(['staff.totp_enrolment_started', 'staff.totp_enrolled', 'staff.signin']),
    );

    // From now on the code is required, and the token is spent.
    deps.clock.advance(30_000);
    expect((await postSignIn(app, { username: 'new.handler', password })).status).toBe(401);
    deps.clock.advance(2_000);
    expect((await postSignIn(app, { username: 'new.handler', password, totp: totpAt(e.secret, deps.clock.now()) })).status).toBe(200);
    const again = await app.request('/api/admin/session/enrol', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ enrolmentToken: e.enrolmentToken, totp: totpAt(e.secret, deps.clock.now()) }) });
    expect(again.status).toBe(401);
    expect((await again.json()).error.code).toBe('enrolment_invalid');
  });

  it('an enrolment token expires after 10 minutes; a wrong password never starts one', async () => {
    await deps.db.write(async (tx) =>
      tx.insert(t.staff).values({ username: 'new.head', displayName: '新负责人', departmentCode: 'science', role: 'dept_head', passwordHash: await hashPassword(password) }),
    );
    const bad = await postSignIn(app, { username: 'new.head', password: 'wrong-password' });
    expect(bad.status).toBe(401);
    deps.clock.advance(2_000);
    const e = await (await postSignIn(app, { username: 'new.head', password })).json();
    deps.clock.advance(10 * MIN + 1_000);
    const late = await app.request('/api/admin/session/enrol', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ enrolmentToken: e.enrolmentToken, totp: totpAt(e.secret, deps.clock.now()) }) });
    expect(late.status).toBe(401);
    expect((await late.json()).error.code).toBe('enrolment_invalid');
    expect((await staffRow('new.head')).totpSecretEnc).toBeNull();
  });
});

describe('CSRF and Origin', () => {
  it('state-changing requests need the session CSRF token (header or form field)', async () => {
    const s = await logInAs(app, deps, 'culture.handler');
    const noToken = await app.request('/api/admin/sessions/revoke-all', { method: 'POST', headers: { cookie: s.cookie } });
    expect(noToken.status).toBe(403);
    expect((await noToken.json()).error).toEqual({ code: 'csrf', message: '页面已过期，请刷新后重试。' });
    const wrong = await app.request('/api/admin/sessions/revoke-all', { method: 'POST', headers: { cookie: s.cookie, 'x-csrf-token': 'A'.repeat(43) } });
    expect(wrong.status).toBe(403);
    // Another session's token does not fit this session.
    const other = await logInAs(app, deps, 'culture.head');
    const foreign = await app.request('/api/admin/session', { method: 'DELETE', headers: { cookie: s.cookie, 'x-csrf-token': other.csrf } });
    expect(foreign.status).toBe(403);
    expect((await s.get('/api/admin/me')).status).toBe(200);

    // The no-JS form way: _csrf field.
    const form = await app.request('/api/admin/sessions/revoke-all', {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: s.csrf }).toString(),
    });
    expect(form.status).toBe(200);
    expect((await s.get('/api/admin/me')).status).toBe(401);
  });

  it('a foreign Origin is refused even with the right token; our own origin is fine', async () => {
    const s = await logInAs(app, deps, 'edu.handler');
    const evil = await s.post('/api/admin/sessions/revoke-all', {}, { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect((await evil.json()).error.code).toBe('csrf');
    const nullOrigin = await s.post('/api/admin/sessions/revoke-all', {}, { origin: 'null' });
    expect(nullOrigin.status).toBe(403);
    const crossSite = await s.post('/api/admin/sessions/revoke-all', {}, { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect((await s.get('/api/admin/me')).status).toBe(200);
    const own = await s.post('/api/admin/sessions/revoke-all', {}, { origin: 'http://localhost:4321' });
    expect(own.status).toBe(200);
  });

  it('sign-in from a foreign Origin is refused (login CSRF)', async () => {
    const a = account('edu.handler');
    const res = await postSignIn(app, { username: a.username, password: a.password, totp: codeNow(deps, a) }, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
    const ok = await postSignIn(app, { username: a.username, password: a.password, totp: codeNow(deps, a) }, { origin: 'http://localhost:4321' });
    expect(ok.status).toBe(200);
  });

  it('GET requests need a session but no token', async () => {
    const s = await logInAs(app, deps, 'edu.handler');
    expect((await app.request('/api/admin/me', { headers: { cookie: s.cookie } })).status).toBe(200);
  });

  it('the audit chain stays intact through all of the above', async () => {
    expect(await verifyAuditChain(deps.db)).toMatchObject({ ok: true, brokenAt: null });
  });
});

describe('deployment details', () => {
  it('over https the cookie is Secure with the __Host- prefix', async () => {
    const d = await createSeededDeps(1, { env: { PUBLIC_BASE_URL: 'https://peixun.example.gov.cn' } });
    try {
      await seedStaff(d);
      const a = account('coord');
      const res = await postSignIn(testApp(d), { username: a.username, password: a.password, totp: codeNow(d, a) });
      expect(res.status).toBe(200);
      const c = res.headers.get('set-cookie')!;
      expect(c).toMatch(/^__Host-peixun_admin=/);
      expect(c).toContain('Secure');
      expect(c).toContain('Path=/');
      expect(c).not.toContain('Domain');
    } finally {
      await d.cleanup();
    }
  });

  it('sign-in attempts are rate-limited per client IP (429 + Retry-After), across accounts', async () => {
    const d = await createTestDeps({ env: { TRUST_PROXY: 'on' } });
    try {
      const a2 = testApp(d);
      const ip = { 'x-forwarded-for': '203.0.113.9' };
      for (let i = 0; i < 50; i++) expect((await postSignIn(a2, { username: `u${i}`, password: 'x' }, ip)).status).toBe(401);
      const limited = await postSignIn(a2, { username: 'u50', password: 'x' }, ip);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await postSignIn(a2, { username: 'u51', password: 'x' }, { 'x-forwarded-for': '203.0.113.10' })).status).toBe(401);
    } finally {
      await d.cleanup();
    }
  });
});
