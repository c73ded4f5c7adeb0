/**
 * Staff accounts managed by the system administrator through the API: only sysadmin; a new
 * handler account waits for its head, who receives its temporary password once (never the
 * sysadmin), and must enrol TOTP on first sign-in; deactivation ends its
 * sessions and blocks sign-in; a TOTP reset forces a new enrolment; every change is audited
 * without the password.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { desc, eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { totpAt } from '../../api/staff/totp.ts';
import { logInAs, logInWith, postSignIn, seedStaff, type StaffAgent } from '../helpers/admin-session.ts';
import { createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
let sys: StaffAgent;
let coord: StaffAgent;
let head: StaffAgent;

const lastAudit = async () => (await deps.db.read.select().from(t.auditLog).orderBy(desc(t.auditLog.id)).limit(1))[0]!;

async function enrol(username: string, password: string): Promise<{ secret: string; agent: StaffAgent }> {
  deps.clock.advance(30_000);
  const res = await postSignIn(app, { username, password });
  expect(res.status).toBe(200);
  const e = (await res.json()) as { status: string; enrolmentToken: string; secret: string };
  expect(e.status).toBe('enrolment_required');
  const ok = await app.request('/api/admin/session/enrol', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ enrolmentToken: e.enrolmentToken, totp: totpAt(e.secret, deps.clock.now()) }),
  });
  expect(ok.status).toBe(200);
  return { secret: e.secret, agent: await logInWith(app, deps, { username, password, totpSecret: e.secret }) };
}

// A database of its own for every test: the tests create, reset and deactivate accounts, so each
// starts from the demo staff as seeded and creates the account it works on itself.
beforeEach(async () => {
  deps = await createSeededDeps(2);
  app = testApp(deps);
  await seedStaff(deps);
  sys = await logInAs(app, deps, 'sysadmin');
  coord = await logInAs(app, deps, 'coord');
  head = await logInAs(app, deps, 'edu.head');
});
afterEach(async () => deps?.cleanup());

const NEW = { username: 'market.newcomer', displayName: '新同事', departmentCode: 'market', role: 'handler' };

/**
 * The new market handler, created by the sysadmin, confirmed by its head and enrolled, through
 * the same routes the "creates an account" test checks step by step.
 */
async function createNewcomer(): Promise<{ id: number; temp: string }> {
  const res = await sys.post('/api/admin/staff', NEW);
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: number };
  const marketHead = await logInAs(app, deps, 'market.head');
  const [req] = ((await (await marketHead.get('/api/admin/staff-requests')).json()) as { requests: { id: number; username: string }[] }).requests;
  expect(req).toMatchObject({ username: NEW.username });
  const confirmed = await marketHead.post(`/api/admin/staff-requests/${req!.id}/confirm`);
  expect(confirmed.status).toBe(200);
  const temp = ((await confirmed.json()) as { temporaryPassword: string }).temporaryPassword;
  await enrol(NEW.username, temp);
  return { id, temp };
}

describe('staff accounts', () => {
  it('only the system administrator may list or create accounts', async () => {
    for (const a of [coord, head]) {
      expect((await a.get('/api/admin/staff')).status).toBe(403);
      expect((await a.post('/api/admin/staff', NEW)).status).toBe(403);
    }
    const list = await sys.get('/api/admin/staff');
    expect(list.status).toBe(200);
    const text = await list.text();
    expect(text).toContain('"username":"edu.head"');
    expect(text).not.toMatch(/passwordHash|totpSecret|argon2/);
  });

  it('creates an account whose temporary password only its confirmer receives; the first sign-in enrols TOTP', async () => {
    const bad = await sys.post('/api/admin/staff', { ...NEW, username: 'X', role: 'boss' });
    expect(bad.status).toBe(422);
    const paths = ((await bad.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['username', 'role']));

    // A handler account from the sysadmin waits for its department head, who receives its
    // password (staff-separation.test.ts).
    const res = await sys.post('/api/admin/staff', NEW);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: number };
    expect(body).toEqual({ id: body.id, username: NEW.username, pendingConfirmation: true });
    expect(await lastAudit()).toMatchObject({ action: 'staff.created', objectType: 'staff', objectId: String(body.id), actorRole: 'sysadmin' });
    expect((await sys.post('/api/admin/staff', NEW)).status).toBe(409);

    const marketHead = await logInAs(app, deps, 'market.head');
    const [req] = ((await (await marketHead.get('/api/admin/staff-requests')).json()) as { requests: { id: number; username: string }[] }).requests;
    expect(req).toMatchObject({ username: NEW.username });
    const confirmed = await marketHead.post(`/api/admin/staff-requests/${req!.id}/confirm`);
    expect(confirmed.status).toBe(200);
    const temp = ((await confirmed.json()) as { temporaryPassword: string }).temporaryPassword;
    expect(temp).toMatch(/^[A-Za-z2-9]{16}$/);
    const audit = await deps.db.read.select().from(t.auditLog);
    expect(JSON.stringify(audit)).not.toContain(temp);

    const { agent } = await enrol(NEW.username, temp);
    expect((await agent.get('/api/admin/me')).status).toBe(200);
  });

  it('resets TOTP once the head confirms (staff-separation.test.ts): sessions end and the next sign-in enrols again', async () => {
    const { id: newId, temp } = await createNewcomer();
    const before = await logInWith(app, deps, { username: NEW.username, password: temp, totpSecret: (await enrolSecretOf()) });
    expect((await before.get('/api/admin/me')).status).toBe(200);
    expect((await sys.post(`/api/admin/staff/${newId}/reset-totp`)).status).toBe(202);
    expect((await lastAudit()).action).toBe('staff.totp_reset_requested');
    expect((await before.get('/api/admin/me')).status).toBe(200);
    const marketHead = await logInAs(app, deps, 'market.head');
    const [req] = ((await (await marketHead.get('/api/admin/staff-requests')).json()) as { requests: { id: number }[] }).requests;
    expect((await marketHead.post(`/api/admin/staff-requests/${req!.id}/confirm`)).status).toBe(200);
    expect((await before.get('/api/admin/me')).status).toBe(401);
    expect((await lastAudit()).action).toBe('staff.request_confirmed');
    await enrol(NEW.username, temp);
  });

  it('deactivates: sessions end and sign-in fails; not oneself', async () => {
    const { id: newId, temp } = await createNewcomer();
    const [row] = await deps.db.read.select({ id: t.staff.id }).from(t.staff).where(eq(t.staff.username, 'sysadmin'));
    expect((await sys.post(`/api/admin/staff/${row!.id}/deactivate`)).status).toBe(409);
    expect((await sys.post('/api/admin/staff/999999/deactivate')).status).toBe(404);
    expect((await coord.post(`/api/admin/staff/${newId}/deactivate`)).status).toBe(403);

    expect((await sys.post(`/api/admin/staff/${newId}/deactivate`)).status).toBe(200);
    expect((await lastAudit()).action).toBe('staff.deactivated');
    const [s] = await deps.db.read.select().from(t.staff).where(eq(t.staff.id, newId));
    expect(s!.active).toBe(false);
    const open = (await deps.db.read.select().from(t.sessions).where(eq(t.sessions.staffId, newId))).filter((x) => !x.revokedAt);
    expect(open).toEqual([]);
    // Right password and the code its authenticator shows now: only the deactivation refuses it.
    deps.clock.advance(30_000);
    const res = await postSignIn(app, { username: NEW.username, password: temp, totp: totpAt(await enrolSecretOf(), deps.clock.now()) });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    const refused = await lastAudit();
    expect(refused.action).toBe('staff.signin_failed');
    expect(refused.detail).toMatchObject({ reason: 'inactive' });
  });
});

/** The current TOTP secret of the new account, decrypted the way sign-in does. */
async function enrolSecretOf(): Promise<string> {
  const [s] = await deps.db.read.select().from(t.staff).where(eq(t.staff.username, NEW.username));
  return deps.pii.decrypt(s!.totpSecretEnc!);
}
