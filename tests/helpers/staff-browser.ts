/**
 * What the browser tests of the staff admin share: signing in as a demo account with a fresh TOTP
 * code (in the browser or through the API), filing a complaint as a parent, axe-core and the
 * phone-width check. One place, so every admin e2e file signs in exactly the way staff do.
 */
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { demoAccounts } from '../../api/demo/staff.ts';
import { totpAt } from '../../api/staff/totp.ts';

export const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

export const accountOf = (username: string) => {
  const a = demoAccounts().find((x) => x.username === username);
  if (!a) throw new Error(`no demo account ${username}`);
  return a;
};

/** A TOTP code is accepted once per account and 30-second step: wait for a fresh step if needed. */
const lastStep = new Map<string, number>();
export async function freshCode(username: string, secret = accountOf(username).totpSecret): Promise<string> {
  let step = Math.floor(Date.now() / 30_000);
  while (lastStep.get(username) === step) {
    await new Promise((r) => setTimeout(r, 1_000));
    step = Math.floor(Date.now() / 30_000);
  }
  lastStep.set(username, step);
  return totpAt(secret, new Date());
}

/** Signs in through the sign-in page, starting from the queue (which sends a signed-out visitor there). */
export async function signIn(page: Page, baseUrl: string, username: string) {
  await page.goto(`${baseUrl}/admin/`);
  await page.waitForURL(/\/admin\/login\/\?next=/);
  await page.fill('[name=username]', username);
  await page.fill('[name=password]', accountOf(username).password);
  await page.fill('[name=totp]', await freshCode(username));
  await Promise.all([page.waitForURL(`${baseUrl}/admin/`), page.click('[data-login-form] button[type=submit]')]);
}

/** Signs in through the API (no browser) and returns the session cookie and CSRF token. */
export async function apiSession(baseUrl: string, username: string): Promise<{ cookie: string; csrf: string }> {
  const a = accountOf(username);
  const res = await fetch(`${baseUrl}/api/admin/session`, {
    method: 'POST',
    // No Origin header: a non-browser client (the API checks a browser's Origin against PUBLIC_BASE_URL).
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: a.password, totp: await freshCode(username) }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: res.headers.get('set-cookie')!.split(';')[0]!, csrf: body.csrfToken };
}

export interface Filed {
  trackingCode: string;
  lead: { code: string };
  coHandlers: { code: string }[];
  acceptBy: string;
}

/** Files a complaint through the public API (INTAKE_POW is off in tests), optionally with evidence files. */
export async function fileComplaint(
  baseUrl: string,
  mobile: string,
  files: { name: string; bytes: Uint8Array }[] = [],
  overrides: Record<string, string> = {},
): Promise<Filed> {
  const fields: Record<string, string> = {
    institutionId: 'demo-0005',
    course: '少儿舞蹈春季班',
    contract: 'model',
    paidOn: '2026-09-01',
    amountPaid: '4800',
    classesTotal: '48',
    classesUsed: '10',
    amountRequested: '3800',
    paidVia: 'other_account',
    reason: 'refused',
    description: '孩子上了10节课后因搬家无法继续，机构以“课程已开始”为由拒绝退还剩余费用。\n合同约定可按剩余课时退费。',
    parentName: '赵测试',
    mobile,
    consentProcessing: 'true',
    consentPublication: 'false',
    ...overrides,
  };
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const f of files) form.append('evidence', new File([f.bytes as Uint8Array<ArrayBuffer>], f.name, { type: 'image/png' }));
  const res = await fetch(`${baseUrl}/api/complaints`, { method: 'POST', body: form });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Filed;
}

/** axe-core's violations on the page (the context must bypass CSP so axe can be injected). */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (o: object) => Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe.run({ resultTypes: ['violations'] });
    return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  });
}

/** Nothing may be wider than the viewport (no sideways scrolling on a phone). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** Opens a case action's form (a <details>) unless it is open already. */
export async function openAction(page: Page, action: string) {
  const details = page.locator(`[data-action="${action}"]`);
  if ((await details.getAttribute('open')) === null) await details.locator(':scope > summary').click();
}
