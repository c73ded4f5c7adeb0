/**
 * The coordination office and the system administrator at work, in Chromium against the real
 * product: three refund complaints against one institution in a week form a cluster that the
 * coordinator finds in the admin, with a draft risk notice that names the institution but no
 * parent; the coordinator marks it handled, works the overdue list, and moves a case to another
 * lead department (转办) with a reason — the acceptance deadline does not restart and the parent's
 * tracking page shows the new lead. The sysadmin changes a setting (a bad value comes back with
 * the field's message and what was typed), creates a staff account (its temporary password shown
 * once), is refused a bad intake e-mail address, and finds each change in the audit log. Every one
 * of these pages passes axe-core, fits a 390 px phone and runs under the CSP without violations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { browserAvailability, launchBrowser, SCREENSHOT_DIR } from '../helpers/browser.ts';
import { startProduct, type RunningProduct } from '../helpers/server-process.ts';
import { axeViolations, DESKTOP, fileComplaint, horizontalOverflow, openAction, PHONE, signIn, type Filed } from '../helpers/staff-browser.ts';

const availability = browserAvailability();
const CLUSTER_INSTITUTION = 'demo-0077';
const MOBILES = ['13966660101', '13966660202', '13966660303'];
const PARENT = '钱测试';

/** Collects CSP reports and page errors of a page; the tests assert the list stays empty. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  return problems;
}

describe.skipIf(!availability.run)('coordination office and system administration in Chromium', () => {
  let product: RunningProduct;
  let browser: Browser;
  let baseUrl: string;
  let institutionName: string;
  let filed: Filed[];

  beforeAll(async () => {
    product = await startProduct();
    baseUrl = product.baseUrl;
    browser = await launchBrowser();
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    // The institution's name as the public page shows it.
    const html = await (await fetch(`${baseUrl}/institutions/${CLUSTER_INSTITUTION}/`)).text();
    institutionName = /<h1[^>]*>([^<]+)<\/h1>/.exec(html)![1]!.trim();
    // Three parents complain about the same institution within a week: a cluster (default 3 in 7 days).
    filed = [];
    for (const mobile of MOBILES) {
      filed.push(await fileComplaint(baseUrl, mobile, [], { institutionId: CLUSTER_INSTITUTION, reason: 'delayed', parentName: PARENT }));
    }
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await product?.cleanup();
  });

  describe('the coordination office', () => {
    let context: BrowserContext;
    let page: Page;
    let problems: string[];

    beforeAll(async () => {
      context = await browser.newContext({ viewport: PHONE });
      page = await context.newPage();
      problems = watch(page);
      await signIn(page, baseUrl, 'coord');
    }, 120_000);
    afterAll(async () => {
      await context?.close();
    });

    it('finds the new cluster with a draft risk notice that names the institution and no parent, and marks it handled', async () => {
      // From the navigation, as the coordinator would.
      await Promise.all([page.waitForURL(`${baseUrl}/admin/clusters/`), page.click('nav a[href="/admin/clusters/"]')]);
      const section = page.locator('[data-cluster]').filter({ has: page.locator('h2', { hasText: institutionName }) });
      await expect(section.count()).resolves.toBe(1);
      // Each fact by its label (site/components/admin/ClustersPage.astro): the three complaints filed above.
      const labels = await section.locator('.facts dt').allInnerTexts();
      const values = await section.locator('.facts dd').allInnerTexts();
      expect(values).toHaveLength(labels.length);
      const facts = Object.fromEntries(labels.map((label, i) => [label.trim(), values[i]!.trim()]));
      expect(facts['投诉件数']).toBe('3');
      expect(facts['触发原因']).toBe('短期内多起投诉');
      // The draft is folded away until the coordinator opens it.
      await expect(section.locator('[data-cluster-draft]').isVisible()).resolves.toBe(false);
      await section.locator('details summary').click();
      await expect(section.locator('[data-cluster-draft]').isVisible()).resolves.toBe(true);
      const draft = await section.locator('[data-cluster-draft]').inputValue();
      expect(draft).toContain(institutionName);
      for (const mobile of MOBILES) {
        expect(draft).not.toContain(mobile);
        expect(draft).not.toContain(mobile.slice(-4));
      }
      expect(draft).not.toContain(PARENT);
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'admin-clusters.png'), fullPage: true });

      await Promise.all([page.waitForURL(/\/admin\/clusters\/\?handled=/), section.locator('[data-cluster-handle] button').click()]);
      await expect(page.locator('[data-cluster-handled]').isVisible()).resolves.toBe(true);
      await expect(
        page.locator('[data-cluster]').filter({ has: page.locator('h2', { hasText: institutionName }) }).count(),
      ).resolves.toBe(0);
      expect(problems).toEqual([]);
    });

    it('lists overdue cases by department and opens one', async () => {
      await Promise.all([page.waitForURL(`${baseUrl}/admin/escalations/`), page.click('nav a[href="/admin/escalations/"]')]);
      // The demo district has back-dated cases past their deadlines.
      const groups = page.locator('[data-escalation-dept]');
      expect(await groups.count()).toBeGreaterThan(0);
      const first = groups.first().locator('tbody tr').first();
      const overdue = await first.locator('td').last().innerText();
      expect(overdue).toMatch(/\d/);
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'admin-escalations.png'), fullPage: false });
      const link = first.locator('a');
      const code = (await link.innerText()).trim();
      await Promise.all([page.waitForURL(`${baseUrl}/admin/cases/${code}/`), link.click()]);
      await expect(page.locator('[data-case-status]').count()).resolves.toBe(1);
      expect(problems).toEqual([]);
    });

    it('moves a case to another lead department with a reason; the deadline does not restart and the parent sees the new lead', async () => {
      const complaint = filed[0]!;
      await page.goto(`${baseUrl}/admin/cases/${complaint.trackingCode}/`);
      const before = await page.locator('[data-lead]').getAttribute('data-lead');
      expect(before).toBe(complaint.lead.code);
      // Not yet accepted: the date shown as due is the acceptance deadline.
      const dueBefore = await page.locator('[data-due]').innerText();
      expect(dueBefore).toContain(complaint.acceptBy);

      await openAction(page, 'change_lead');
      const target = (await page.locator('#change_lead-department option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).find((v) => v && v !== before)!;
      expect(target).toBeTruthy();
      await page.selectOption('#change_lead-department', target);
      // Without a reason: the field's message, nothing changed.
      await page.locator('[data-action="change_lead"] button[type=submit]').click();
      await expect(page.locator('#change_lead-reason-err').innerText()).resolves.not.toBe('');
      await expect(page.locator('[data-lead]').getAttribute('data-lead')).resolves.toBe(before);

      await page.fill('#change_lead-reason', '该机构培训内容为科技类，按双主管分工应由科技部门牵头。');
      await page.selectOption('#change_lead-department', target);
      await Promise.all([page.waitForURL(/\?done=change_lead$/), page.locator('[data-action="change_lead"] button[type=submit]').click()]);
      await expect(page.locator('[data-lead]').getAttribute('data-lead')).resolves.toBe(target);
      await expect(page.locator('[data-due]').innerText()).resolves.toBe(dueBefore);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'admin-change-lead.png'), fullPage: true });

      // The parent's view: the new lead, the same date by which it must be accepted.
      const res = await fetch(`${baseUrl}/api/complaints/${complaint.trackingCode}?last4=${MOBILES[0]!.slice(-4)}`);
      const tracked = (await res.json()) as { lead: { code: string }; deadlines: { acceptBy: string } };
      expect(tracked.lead.code).toBe(target);
      expect(tracked.deadlines.acceptBy).toBe(complaint.acceptBy);
      expect(problems).toEqual([]);
    });
  });

  describe('the system administrator', () => {
    let context: BrowserContext;
    let page: Page;
    let problems: string[];

    beforeAll(async () => {
      context = await browser.newContext({ viewport: DESKTOP });
      page = await context.newPage();
      problems = watch(page);
      await signIn(page, baseUrl, 'sysadmin');
    }, 120_000);
    afterAll(async () => {
      await context?.close();
    });

    it('changes a setting: a bad value comes back with its message and what was typed; a good one is saved', async () => {
      await Promise.all([page.waitForURL(`${baseUrl}/admin/settings/`), page.click('nav a[href="/admin/settings/"]')]);
      await page.fill('#clusterThreshold', '1');
      await page.click('[data-settings-form] button[type=submit]');
      await expect(page.locator('#clusterThreshold-err').innerText()).resolves.not.toBe('');
      await expect(page.locator('#clusterThreshold').inputValue()).resolves.toBe('1');
      await expect(page.locator('#clusterThreshold').getAttribute('aria-invalid')).resolves.toBe('true');
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'admin-settings-error.png'), fullPage: true });

      await page.fill('#clusterThreshold', '4');
      await Promise.all([page.waitForURL(/\/admin\/settings\/\?saved=1$/), page.click('[data-settings-form] button[type=submit]')]);
      await expect(page.locator('[data-settings-message]').isVisible()).resolves.toBe(true);
      await expect(page.locator('#clusterThreshold').inputValue()).resolves.toBe('4');
      expect(problems).toEqual([]);
    });

    it('creates a handler account that awaits its confirmer, without showing the sysadmin a password', async () => {
      await page.goto(`${baseUrl}/admin/staff/`);
      await page.fill('#username', 'Bad Name!');
      await page.fill('#displayName', '新同事（演示）');
      await page.click('[data-staff-form] button[type=submit]');
      await expect(page.locator('[data-staff-message]').getAttribute('role')).resolves.toBe('alert');
      await expect(page.locator('#username').getAttribute('aria-invalid')).resolves.toBe('true');

      await page.fill('#username', 'science.new');
      await page.selectOption('#departmentCode', 'science');
      await page.selectOption('#role', 'handler');
      await page.click('[data-staff-form] button[type=submit]');
      const message = await page.locator('[data-staff-message]').innerText();
      expect(message).toContain('science.new');
      // The password goes to the confirmer (the head or the coordination office), never here.
      expect(message).toContain('只显示给确认人');
      expect(message).not.toMatch(/\b[A-Za-z2-9]{16}\b/);
      await expect(page.locator('[data-staff-table]').innerText()).resolves.toContain('science.new');
      // Shown once: a reload shows the account, not the message.
      await page.goto(`${baseUrl}/admin/staff/`);
      await expect(page.locator('[data-staff-message]').count()).resolves.toBe(0);
      expect(problems).toEqual([]);
    });

    it('refuses a bad intake e-mail address for a department', async () => {
      await page.goto(`${baseUrl}/admin/departments/`);
      await page.fill('#email_market', 'not-an-address');
      await page.click('[data-departments-form] button[type=submit]');
      await expect(page.locator('#email_market-err').innerText()).resolves.not.toBe('');
      await expect(page.locator('#email_market').inputValue()).resolves.toBe('not-an-address');
      expect(problems).toEqual([]);
    });

    it('finds each change in the hash-chained audit log', async () => {
      await page.goto(`${baseUrl}/admin/audit/`);
      await expect(page.locator('[data-chain]').getAttribute('data-chain')).resolves.toBe('ok');
      await page.fill('#f-action', 'settings.update');
      await Promise.all([page.waitForURL(/action=settings\.update/), page.click('[data-audit-filters] button[type=submit]')]);
      const rows = await page.locator('[data-audit-table] tbody tr').allInnerTexts();
      expect(rows.length).toBe(1);
      expect(rows[0]).toContain('clusterThreshold');
      await page.goto(`${baseUrl}/admin/audit/?action=staff.created`);
      await expect(page.locator('[data-audit-table] tbody tr').count()).resolves.toBeGreaterThan(0);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'admin-audit.png'), fullPage: false });
      expect(problems).toEqual([]);
    });
  });

  describe('accessibility and phone layout of the office pages', () => {
    const pages: [string, string][] = [
      ['coord', '/admin/clusters/'],
      ['coord', '/admin/escalations/'],
      ['coord', '/en/admin/escalations/'],
      ['sysadmin', '/admin/settings/'],
      ['sysadmin', '/admin/holidays/'],
      ['sysadmin', '/admin/departments/'],
      ['sysadmin', '/admin/staff/'],
      ['sysadmin', '/admin/audit/'],
      ['sysadmin', '/en/admin/staff/'],
    ];
    const contexts = new Map<string, BrowserContext>();

    beforeAll(async () => {
      for (const who of ['coord', 'sysadmin']) {
        // bypassCSP only so axe-core can be injected; the pages' own scripts run as served.
        const c = await browser.newContext({ bypassCSP: true, viewport: PHONE });
        await signIn(await c.newPage(), baseUrl, who);
        contexts.set(who, c);
      }
    }, 180_000);
    afterAll(async () => {
      for (const c of contexts.values()) await c.close();
    });

    it.each(pages)('%s: %s has no accessibility violations and fits a phone', async (who, path) => {
      const p = await contexts.get(who)!.newPage();
      const res = await p.goto(`${baseUrl}${path}`);
      expect(res?.status()).toBe(200);
      expect(await axeViolations(p)).toEqual([]);
      expect(await horizontalOverflow(p)).toBeLessThanOrEqual(0);
      await p.close();
    });
  });
});
