/**
 * Staff sessions for API tests: seed the demo accounts, sign in through the real endpoint (with a
 * real TOTP code from the account's secret) and send requests as that person — cookie and CSRF
 * token included, the way the admin pages do.
 */
import type { createApp } from '../../api/app.ts';
import { demoAccounts, seedDemoStaff, type DemoAccount } from '../../api/demo/staff.ts';
import { totpAt } from '../../api/staff/totp.ts';
import type { TestDeps } from './test-deps.ts';

type App = ReturnType<typeof createApp>;

export async function seedStaff(deps: TestDeps): Promise<Record<string, DemoAccount>> {
  const accounts = await seedDemoStaff(deps.db, deps.pii, deps.clock.now());
  return Object.fromEntries(accounts.map((a) => [a.username, a]));
}

export const account = (username: string) => demoAccounts().find((a) => a.username === username)!;

/** The code the account's authenticator shows at the test clock's current time. */
export const codeNow = (deps: TestDeps, a: Pick<DemoAccount, 'totpSecret'>) => totpAt(a.totpSecret, deps.clock.now());

/** name=value of the Set-Cookie header, or null. */
export function cookieFrom(res: Response): string | null {
  const raw = res.headers.get('set-cookie');
  return raw ? raw.split(';')[0]! : null;
}

export interface StaffAgent {
  cookie: string;
  csrf: string;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  del(path: string, headers?: Record<string, string>): Promise<Response>;
}

export function agent(app: App, cookie: string, csrf: string): StaffAgent {
  const h = (extra: Record<string, string> = {}) => ({ cookie, 'x-csrf-token': csrf, ...extra });
  return {
    cookie,
    csrf,
    get: async (path, headers) => app.request(path, { headers: h(headers) }),
    post: async (path, body = {}, headers) => app.request(path, { method: 'POST', headers: h({ 'content-type': 'application/json', ...headers }), body: JSON.stringify(body) }),
    del: async (path, headers) => app.request(path, { method: 'DELETE', headers: h(headers) }),
  };
}

export async function postSignIn(app: App, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return app.request('/api/admin/session', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/**
 * Signs in as a demo account. Moves the clock 30 s first: a TOTP code is accepted once, so two
 * sign-ins of one account need codes from different time steps.
 */
export async function logInAs(app: App, deps: TestDeps, username: string): Promise<StaffAgent> {
  return logInWith(app, deps, account(username));
}

/** Signs in with any enrolled account's credentials (e.g. one a test inserted itself). */
export async function logInWith(app: App, deps: TestDeps, a: Pick<DemoAccount, 'username' | 'password' | 'totpSecret'>): Promise<StaffAgent> {
  deps.clock.advance(30_000);
  const res = await postSignIn(app, { username: a.username, password: a.password, totp: codeNow(deps, a) });
  if (res.status !== 200) throw new Error(`sign-in as ${a.username} failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { csrfToken: string };
  return agent(app, cookieFrom(res)!, body.csrfToken);
}
