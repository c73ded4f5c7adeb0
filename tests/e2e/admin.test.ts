/**
 * The staff admin as staff use it, in Chromium against the real product: a parent files a
 * complaint through the public API; the lead department's handler signs in with a TOTP code,
 * finds the case in the queue, accepts it, adds a co-handler, records a mediation step and
 * resolves it; the parent's tracking page then shows every step. Also: another department's
 * handler gets 404 on the case, a form post without the CSRF token is refused, the sysadmin
 * sees no complaint contents, admin pages are never cached or indexed, the pages pass axe-core
 * and run under the CSP without violations, and they fit a 390 px phone and a 1280 px desktop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createDb } from '../../db/client.ts';
import { staff } from '../../db/schema.ts';
import { hashPassword } from '../../api/staff/passwords.ts';
import { totpAt } from '../../api/staff/totp.ts';
import { browserAvailability, launchBrowser, SCREENSHOT_DIR } from '../helpers/browser.ts';
import { apiSession, axeViolations, DESKTOP, fileComplaint, horizontalOverflow, openAction, PHONE, signIn } from '../helpers/staff-browser.ts';
import { startProduct, type RunningProduct } from '../helpers/server-process.ts';

const availability = browserAvailability();
const MOBILE = '13955550123';

describe.skipIf(!availability.run)('staff admin in Chromium', () => {
  let product: RunningProduct;
  let browser: Browser;
  let baseUrl: string;
  let dataDir: string;
  let code: string;
  let lead: string;
  let coHandlers: string[];

  beforeAll(async () => {
    product = await startProduct();
    baseUrl = product.baseUrl;
    dataDir = product.dataDir;
    browser = await launchBrowser();
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    // A parent files a complaint through the public API (INTAKE_POW is off in tests).
    const receipt = await sharp({ create: { width: 80, height: 60, channels: 3, background: '#36c' } }).png().toBuffer();
    const filed = await fileComplaint(baseUrl, MOBILE, [{ name: '收据.png', bytes: receipt }]);
    code = filed.trackingCode;
    lead = filed.lead.code;
    coHandlers = filed.coHandlers.map((c) => c.code);
    expect(['edu', 'culture', 'science']).toContain(lead);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await product?.cleanup();
  });

  it('lets the lead handler sign in with TOTP, find the new case, accept, add a co-handler, record a step and resolve', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      // The one deliberately refused form below answers 422, which Chromium logs as a failed load.
      if (m.type() === 'error' && !/status of 422/.test(m.text())) errors.push(m.text());
    });

    await signIn(page, baseUrl, `${lead}.handler`);
    await expect(page.locator('h1').innerText()).resolves.toBe('投诉队列');
    // The new case, among the department's submitted ones.
    await page.goto(`${baseUrl}/admin/?state=submitted`);
    const row = page.locator(`[data-row="${code}"]`);
    await expect(row.count()).resolves.toBe(1);
    await expect(row.innerText()).resolves.toContain('已提交');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'admin-queue-desktop.png'), fullPage: true });

    await Promise.all([page.waitForURL(`${baseUrl}/admin/cases/${code}/`), row.locator('a.admin-code').click()]);
    // Everything the parent sent, personal data unmasked for the lead department.
    await expect(page.locator('[data-parent]').getAttribute('data-masked')).resolves.toBe('false');
    await expect(page.locator('[data-parent]').innerText()).resolves.toContain(MOBILE);
    await expect(page.locator('[data-description]').innerText()).resolves.toContain('搬家');
    // The evidence file downloads through the admin API with the session cookie (audited there).
    const link = page.locator('[data-attachments] a[data-attachment]');
    // Named by the case, never by the parent's file name (shown beside it as text only).
    await expect(link.innerText()).resolves.toBe(`${code}-1.png`);
    await expect(page.locator('[data-attachments] [data-original-name]').innerText()).resolves.toBe('收据.png');
    const download = await page.request.get(`${baseUrl}${await link.getAttribute('href')}`);
    expect(download.status()).toBe(200);
    expect(download.headers()['content-disposition']).toBe(`attachment; filename="${code}-1.png"`);
    const fileSha = createHash('sha256').update(await download.body()).digest('hex');
    // Forms only for what the workflow and the handler's role allow now.
    await expect(page.locator('[data-actions]').getAttribute('data-actions')).resolves.toBe('accept reject note add_cohandler');

    // Accept (the first form is open).
    await page.fill('#accept-note', '您的投诉已受理，我们将在15个工作日内办结。');
    await Promise.all([page.waitForURL(/\?done=accept$/), page.locator('[data-action="accept"] button[type=submit]').click()]);
    await expect(page.locator('[data-case-status]').getAttribute('data-case-status')).resolves.toBe('accepted');

    // Add a co-handler: a town (street) office, not on the case yet.
    await openAction(page, 'add_cohandler');
    const added = (await page.locator('#add_cohandler-department optgroup:last-of-type option').first().getAttribute('value'))!;
    expect(added).toMatch(/^town_/);
    expect(coHandlers).not.toContain(added);
    await page.selectOption('#add_cohandler-department', added);
    await Promise.all([page.waitForURL(/\?done=add_cohandler$/), page.locator('[data-action="add_cohandler"] button[type=submit]').click()]);

    // A mediation step with a note for the parent.
    await openAction(page, 'note');
    await page.fill('#note-staffNote', '电话联系机构负责人，约定周五到局里调解，机构带合同和上课记录。');
    await page.fill('#note-publicNote', '已联系机构，约定本周五进行调解。');
    await Promise.all([page.waitForURL(/\?done=note$/), page.locator('[data-action="note"] button[type=submit]').click()]);
    await expect(page.locator('[data-case-status]').getAttribute('data-case-status')).resolves.toBe('in_progress');

    // A refused resolve first: too much refunded comes back with the field's message, nothing saved.
    await openAction(page, 'resolve');
    await page.selectOption('#resolve-outcome', 'partial_refund');
    await page.fill('#resolve-amountRefunded', '99999');
    await page.fill('#resolve-note', '经调解，机构同意按剩余课时退还费用。');
    await page.locator('[data-action="resolve"] button[type=submit]').click();
    await expect(page.locator('[data-case-error]').innerText()).resolves.toContain('不能超过已缴金额');
    await expect(page.locator('#resolve-note').inputValue()).resolves.toContain('剩余课时');
    await page.fill('#resolve-amountRefunded', '3800');
    await Promise.all([page.waitForURL(/\?done=resolve$/), page.locator('[data-action="resolve"] button[type=submit]').click()]);
    await expect(page.locator('[data-case-status]').getAttribute('data-case-status')).resolves.toBe('resolved');
    await expect(page.locator('[data-outcome]').innerText()).resolves.toContain('3800.00');
    const kinds = await page.locator('[data-timeline] > li').evaluateAll((els) => els.map((e) => e.getAttribute('data-event')));
    expect(kinds).toEqual(['submitted', 'accept', 'add_cohandler', 'note', 'resolve']);
    await expect(page.locator('[data-timeline]').innerText()).resolves.toContain('内部记录');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'admin-case-desktop.png'), fullPage: true });

    // The evidence pack: facts, statement, timeline, file list.
    await page.goto(`${baseUrl}/admin/cases/${code}/pack/`);
    await expect(page.locator('[data-pack]').innerText()).resolves.toContain(code);
    await expect(page.locator('[data-pack]').innerText()).resolves.toContain('搬家');
    // Its file list carries the SHA-256 of exactly the bytes staff download.
    await expect(page.locator('[data-pack-files] [data-sha256]').innerText()).resolves.toBe(fileSha);
    // Printed on A4 (794 px is A4's width at 96 dpi): the print styles drop the navigation.
    await page.setViewportSize({ width: 794, height: 1123 });
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.pack-tools').isVisible()).toBe(false);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'admin-pack-print.png'), fullPage: true });
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    await page.emulateMedia({ media: 'screen' });

    expect(errors).toEqual([]);
    await context.close();

    // The parent's tracking page shows each step.
    const parent = await browser.newPage({ viewport: PHONE });
    await parent.goto(`${baseUrl}/complaints/track/`);
    await parent.fill('[name=code]', code);
    await parent.fill('[name=last4]', MOBILE.slice(-4));
    await parent.click('button[type=submit]');
    const events = await parent.locator('[data-track-result] [data-event]').evaluateAll((els) => els.map((e) => e.getAttribute('data-event')));
    expect(events).toEqual(['submitted', 'accept', 'add_cohandler', 'note', 'resolve']);
    const text = await parent.locator('[data-track-result]').innerText();
    expect(text).toContain('已办结');
    expect(text).toContain('已联系机构，约定本周五进行调解。');
    // Internal notes never reach the parent.
    expect(text).not.toContain('带合同和上课记录');
    await parent.close();
  }, 240_000);

  it('enrols the authenticator of a new account on its first sign-in (QR code and key)', async () => {
    // A new account, as the sysadmin would create it: password set, no TOTP yet.
    const username = `new.market.${Date.now() % 100000}`;
    const password = 'First-sign-in-2026';
    const db = await createDb(`file:${join(dataDir, 'app.db')}`);
    const passwordHash = await hashPassword(password);
    await db.write((tx) => tx.insert(staff).values({ username, displayName: '新同事（演示）', departmentCode: 'market', role: 'handler', passwordHash, createdAt: new Date() }));
    await db.close();

    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    await page.goto(`${baseUrl}/admin/login/`);
    await page.fill('[name=username]', username);
    await page.fill('[name=password]', password);
    await page.click('[data-login-form] button[type=submit]');
    await page.waitForSelector('[data-enrol-form]');
    await expect(page.locator('.admin-qr svg').count()).resolves.toBe(1);
    const secret = (await page.locator('[data-totp-secret]').innerText()).trim();
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'admin-enrol.png'), fullPage: true });
    // A wrong code keeps the step (and the same key) on screen.
    await page.fill('[name=totp]', '000000');
    await page.click('[data-enrol-form] button[type=submit]');
    await expect(page.locator('[data-login-message]').innerText()).resolves.toContain('不正确');
    await expect(page.locator('[data-totp-secret]').innerText()).resolves.toBe(secret);
    // One failure makes the next attempt wait a second (api/staff/throttle.ts), as a person would.
    await page.waitForTimeout(1_100);
    await page.fill('[name=totp]', totpAt(secret, new Date()));
    await Promise.all([page.waitForURL(`${baseUrl}/admin/`), page.click('[data-enrol-form] button[type=submit]')]);
    await expect(page.locator('[data-queue-scope]').innerText()).resolves.toContain('市场监督管理局');
    await context.close();
  });

  it('answers 404 to a handler of a department with nothing to do with the case', async () => {
    const other = ['edu', 'culture', 'science'].find((d) => d !== lead && !coHandlers.includes(d))!;
    const { cookie } = await apiSession(baseUrl, `${other}.handler`);
    const res = await fetch(`${baseUrl}/admin/cases/${code}/`, { headers: { cookie } });
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).not.toContain(MOBILE);
    expect(html).not.toContain('搬家');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a state-changing post without the session’s CSRF token', async () => {
    const second = await fileComplaint(baseUrl, '13955550456');
    const { cookie, csrf } = await apiSession(baseUrl, `${second.lead.code}.head`);
    const post = (fields: Record<string, string>) =>
      fetch(`${baseUrl}/admin/cases/${second.trackingCode}/`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, origin: baseUrl, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
    const page = await (await fetch(`${baseUrl}/admin/cases/${second.trackingCode}/`, { headers: { cookie } })).text();
    const version = /name="expectedVersion" value="(\d+)"/.exec(page)?.[1];
    expect(version).toBeTruthy();
    const refused = await post({ action: 'note', staffNote: '没有令牌的提交', expectedVersion: version! });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('页面已过期');
    // With the token the same post, at the same version (nothing changed), goes through.
    const ok = await post({ _csrf: csrf, action: 'note', staffNote: '科室负责人查看了办理情况。', expectedVersion: version! });
    expect(ok.status).toBe(303);
    // Cross-site posts are refused before any page code runs (api/server.ts).
    const cross = await fetch(`${baseUrl}/admin/cases/${second.trackingCode}/`, {
      method: 'POST',
      headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, action: 'note', staffNote: 'x', expectedVersion: version! }).toString(),
    });
    expect(cross.status).toBe(403);
  });

  it('shows the sysadmin no complaint contents', async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    await signIn(page, baseUrl, 'sysadmin');
    await expect(page.locator('[data-sysadmin-home]').count()).resolves.toBe(1);
    const html = await page.content();
    expect(html).not.toMatch(/TS-[0-9A-Z]{4}-[0-9A-Z]{4}/);
    expect(await page.locator('[data-queue], [data-counts]').count()).toBe(0);
    const res = await page.goto(`${baseUrl}/admin/cases/${code}/`);
    expect(res?.status()).toBe(403);
    expect(await page.content()).not.toContain(MOBILE);
    await context.close();
  });

  it('sends no-store and noindex on every admin page, and keeps them out of the sitemap', async () => {
    for (const path of ['/admin/login/', '/en/admin/login/', '/admin/', `/admin/cases/${code}/`]) {
      const res = await fetch(`${baseUrl}${path}`, { redirect: 'manual' });
      expect(res.headers.get('cache-control'), path).toBe('no-store');
      expect(res.headers.get('x-robots-tag'), path).toContain('noindex');
    }
    const sitemap = await (await fetch(`${baseUrl}/sitemap.xml`)).text();
    const chunks = [...sitemap.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]!);
    for (const loc of chunks) {
      const body = await (await fetch(loc.replace(/^https?:\/\/[^/]+/, baseUrl))).text();
      expect(body).not.toContain('/admin');
    }
  });

  describe('layout, accessibility and CSP', () => {
    let context: BrowserContext;
    let page: Page;
    let open: string;
    const cspErrors: string[] = [];

    beforeAll(async () => {
      // A normal context (CSP enforced): any inline style or script would be reported.
      context = await browser.newContext({ viewport: PHONE });
      page = await context.newPage();
      page.on('console', (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
      });
      await signIn(page, baseUrl, 'coord');
      // A case still waiting for acceptance, so its page carries the action forms.
      open = (await fileComplaint(baseUrl, '13955550789')).trackingCode;
    }, 120_000);
    afterAll(async () => {
      await context?.close();
    });

    it('fits a 390 px phone and a 1280 px desktop, without CSP violations', async () => {
      for (const [name, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
        await page.setViewportSize(viewport);
        await page.goto(`${baseUrl}/admin/`);
        expect(await horizontalOverflow(page), `queue ${name}`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: join(SCREENSHOT_DIR, name === 'phone' ? 'admin-queue.png' : 'admin-queue-coord-desktop.png'), fullPage: name === 'phone' ? false : true });
        await page.goto(`${baseUrl}/admin/cases/${code}/`);
        expect(await horizontalOverflow(page), `case ${name}`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: join(SCREENSHOT_DIR, name === 'phone' ? 'admin-case.png' : 'admin-case-resolved-desktop.png'), fullPage: true });
        await page.goto(`${baseUrl}/admin/cases/${open}/`);
        expect(await horizontalOverflow(page), `open case ${name}`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: join(SCREENSHOT_DIR, name === 'phone' ? 'admin-case-open.png' : 'admin-case-open-desktop.png'), fullPage: true });
      }
      await page.goto(`${baseUrl}/en/admin/`);
      await expect(page.locator('h1').innerText()).resolves.toBe('Complaint queue');
      await page.setViewportSize(PHONE);
      await page.goto(`${baseUrl}/en/admin/cases/${open}/`);
      await expect(page.locator('[data-actions] summary').first().innerText()).resolves.toBe('Accept');
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'admin-case-en.png'), fullPage: true });
      await page.goto(`${baseUrl}/admin/account/`);
      expect(cspErrors).toEqual([]);
    });

    it.each(['/admin/', '/admin/?state=submitted&overdue=on', '/admin/cases/{code}/', '/admin/cases/{open}/', '/en/admin/', '/en/admin/cases/{open}/', '/admin/account/', '/admin/cases/{code}/pack/'])('%s has no accessibility violations', async (path) => {
      // bypassCSP only so axe-core can be injected; the pages' own scripts run as served.
      const axeContext = await browser.newContext({ bypassCSP: true, viewport: PHONE, storageState: await context.storageState() });
      const p = await axeContext.newPage();
      const res = await p.goto(`${baseUrl}${path.replace('{code}', code).replace('{open}', open)}`);
      expect(res?.status()).toBe(200);
      expect(await axeViolations(p)).toEqual([]);
      await axeContext.close();
    });

    it('has an accessible sign-in page', async () => {
      const anon = await browser.newContext({ bypassCSP: true, viewport: PHONE });
      const p = await anon.newPage();
      await p.goto(`${baseUrl}/admin/login/`);
      expect(await axeViolations(p)).toEqual([]);
      await p.screenshot({ path: join(SCREENSHOT_DIR, 'admin-login.png') });
      await anon.close();
    });
  });
});
