/**
 * Publishing and response templates as staff use them, in Chromium against the real product:
 * the coordinator signs in with TOTP, opens 发布网站 from the navigation, publishes; the page
 * follows the running build by itself (meta refresh, no script) until it succeeds, the new build
 * is live and a second click while it ran showed the running build. A handler inserts a response
 * template into the accept note of a new case. No CSP violations on either page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createDb } from '../../db/client.ts';
import { migrateDb } from '../../db/migrate.ts';
import { loadEnv } from '../../api/env.ts';
import { createLogger } from '../../api/logger.ts';
import { buildSite } from '../../api/ops/build.ts';
import { browserAvailability, launchBrowser } from '../helpers/browser.ts';
import { axeViolations, horizontalOverflow, PHONE, signIn } from '../helpers/staff-browser.ts';
import { ROOT, signalAll, siteBuildProcesses, startProduct, type RunningProduct } from '../helpers/server-process.ts';

const availability = browserAvailability();

function watchCsp(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

describe.skipIf(!availability.run)('publishing and templates in Chromium', () => {
  let product: RunningProduct;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    product = await startProduct();
    baseUrl = product.baseUrl;
    browser = await launchBrowser();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await product?.cleanup();
  });

  it('the coordinator publishes; the page follows the build to success; the new build is live', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchCsp(page);
    await signIn(page, baseUrl, 'coord');
    await Promise.all([page.waitForURL(`${baseUrl}/admin/publish/`), page.click('nav a[href="/admin/publish/"]')]);
    const liveBefore = realpathSync(join(product.siteDir, 'current'));
    await Promise.all([page.waitForURL(/\/admin\/publish\/\?build=\d+&m=started$/), page.click('[data-publish-form] button[type=submit]')]);
    const id = Number(/build=(\d+)/.exec(page.url())![1]);
    await expect(page.locator('[data-publish-message]').textContent()).resolves.toContain(`发布 #${id} 已开始`);
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(1);

    // A second click (here: another tab) while it runs shows the running build, starts nothing.
    // The build is held (SIGSTOP, far shorter than the stale limit in api/ops/build-runs.ts)
    // while the tab looks, so it is certainly still running: no race with a fast build.
    // The child may be spawned just after the redirect: look for it for a few seconds.
    let builders: number[] = [];
    for (const until = Date.now() + 15_000; builders.length === 0 && Date.now() < until; ) {
      builders = siteBuildProcesses(product.child.pid!);
      if (builders.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(builders.length, 'the astro build child should be running').toBeGreaterThan(0);
    signalAll(builders, 'SIGSTOP');
    try {
      const other = await context.newPage();
      await other.goto(`${baseUrl}/admin/publish/`);
      expect(await other.locator('[data-publish-form]').count()).toBe(0);
      expect(await other.locator('[data-publish-running]').getAttribute('data-publish-running')).toBe(String(id));
      await other.close();
    } finally {
      signalAll(builders, 'SIGCONT');
    }

    // The page reloads itself every few seconds until the build has ended.
    await page.waitForSelector(`[data-build="${id}"]:not([data-build-status="running"])`, { timeout: 300_000 });
    const log = await page.locator('[data-build-log]').textContent();
    expect(await page.locator(`[data-build="${id}"]`).getAttribute('data-build-status'), log ?? '').toBe('succeeded');
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
    expect(await page.locator(`[data-build-row="${id}"]`).textContent()).toContain('当前上线');
    expect(await page.locator(`[data-build-row="${id}"]`).textContent()).toContain('coord');
    expect(realpathSync(join(product.siteDir, 'current'))).not.toBe(liveBefore);
    expect(realpathSync(join(product.siteDir, 'current'))).toMatch(new RegExp(`-${id}$`));
    // The public site is served from the new build.
    expect((await fetch(`${baseUrl}/`)).status).toBe(200);
    expect(errors).toEqual([]);
    await context.close();
  }, 400_000);

  it("a handler inserts one of the department's templates into the accept note", async () => {
    const form = new FormData();
    const fields: Record<string, string> = {
      institutionId: 'demo-0005', course: '少儿舞蹈春季班', contract: 'model', paidOn: '2026-09-01', amountPaid: '4800', classesTotal: '48', classesUsed: '10',
      amountRequested: '3800', paidVia: 'other_account', reason: 'refused', description: '机构拒绝退还剩余课时费用，多次沟通无果。', parentName: '钱测试', mobile: '13955550777',
      consentProcessing: 'true', consentPublication: 'false',
    };
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    const res = await fetch(`${baseUrl}/api/complaints`, { method: 'POST', body: form });
    expect(res.status).toBe(201);
    const filed = (await res.json()) as { trackingCode: string; lead: { code: string } };
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchCsp(page);
    await signIn(page, baseUrl, `${filed.lead.code}.handler`);
    await page.goto(`${baseUrl}/admin/cases/${filed.trackingCode}/`);
    const offer = page.locator('[data-action="accept"] [data-template-offer="accept-note"]');
    await offer.locator('summary').click();
    const first = offer.locator('[data-template-item]').first();
    const text = (await first.locator('[data-template-text]').textContent())!;
    expect(text.length).toBeGreaterThan(5);
    await first.locator('button[data-template-insert]').click();
    expect(await page.inputValue('#accept-note')).toBe(text);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('a department head opens their staff and templates pages; the sysadmin downloads a backup', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const errors = watchCsp(page);
    await signIn(page, baseUrl, 'culture.head');
    await Promise.all([page.waitForURL(`${baseUrl}/admin/team/`), page.click('nav a[href="/admin/team/"]')]);
    expect(await page.locator('[data-team-member="culture.handler"]').textContent()).toContain('重置密码');
    expect(await page.locator('[data-team-member="culture.head"] button').count()).toBe(0);
    await page.fill('[data-team-form] [name=username]', 'culture.e2e');
    await page.fill('[data-team-form] [name=displayName]', '测试承办人');
    await page.click('[data-team-form] button[type=submit]');
    expect(await page.locator('[data-team-message]').textContent()).toMatch(/账号 culture\.e2e 已建立。临时密码（只显示这一次/);
    await Promise.all([page.waitForURL(`${baseUrl}/admin/templates/`), page.click('nav a[href="/admin/templates/"]')]);
    expect(await page.locator('[data-template]').count()).toBeGreaterThan(3);
    expect(await page.locator('body').textContent()).toContain('演示数据');
    await page.goto(`${baseUrl}/en/admin/templates/`);
    expect(await page.locator('h1').textContent()).toBe('Response templates');
    await context.close();

    const admin = await browser.newContext({ acceptDownloads: true });
    const p = await admin.newPage();
    const adminErrors = watchCsp(p);
    await signIn(p, baseUrl, 'sysadmin');
    await Promise.all([p.waitForURL(`${baseUrl}/admin/backup/`), p.click('nav a[href="/admin/backup/"]')]);
    expect(await p.locator('[data-backup-warning]').textContent()).toContain('DATA_KEY');
    const [download] = await Promise.all([
      p.waitForEvent('download'),
      p.click('[data-backup-form] button[type=submit]'),
    ]).catch(async (err) => {
      throw new Error(`no download: ${err}; page says: ${await p.locator('main').textContent()}; server: ${product.logs.slice(-5).join('\n')}`);
    });
    expect(download.suggestedFilename()).toMatch(/^peixun-backup-\d{4}-\d{2}-\d{2}-\d{6}\.db$/);
    expect(errors.concat(adminErrors)).toEqual([]);
    await admin.close();
  }, 180_000);

  it('the new pages have no accessibility violations and fit a phone', async () => {
    const pages: [string, string[]][] = [
      ['coord', ['/admin/publish/', '/en/admin/publish/']],
      ['sysadmin', ['/admin/backup/', '/en/admin/backup/']],
      ['science.head', ['/admin/team/', '/admin/templates/', '/en/admin/templates/']],
    ];
    for (const [who, paths] of pages) {
      // bypassCSP only so axe-core can be injected; the pages' own scripts run as served.
      const c = await browser.newContext({ bypassCSP: true, viewport: PHONE });
      await signIn(await c.newPage(), baseUrl, who);
      for (const path of paths) {
        const p = await c.newPage();
        const res = await p.goto(`${baseUrl}${path}`);
        expect(res?.status(), path).toBe(200);
        expect(await axeViolations(p), path).toEqual([]);
        expect(await horizontalOverflow(p), path).toBeLessThanOrEqual(0);
        await p.close();
      }
      await c.close();
    }
  }, 180_000);
});

describe('a real Astro build that fails', () => {
  it('(its database has no tables) exits non-zero, leaves the live symlink where it was and removes its folder', async () => {
    const dir = mkdtempSync(join(ROOT, 'dist', 'e2e-failbuild-'));
    try {
      const siteDir = join(dir, 'site');
      const live = join(siteDir, 'builds', '1000');
      mkdirSync(join(live, 'client'), { recursive: true });
      writeFileSync(join(live, 'client', 'index.html'), '<h1>live</h1>');
      symlinkSync(join('builds', '1000'), join(siteDir, 'current'));
      // The service reads the data version from a proper database; the Astro child is pointed at
      // an empty one, so its loaders fail the way a broken database would make them.
      const db = await createDb(join(dir, 'ok.db'));
      await migrateDb(db);
      const env = loadEnv({ DATABASE_URL: `file:${join(dir, 'empty.db')}`, DATA_DIR: dir, SITE_DIR: siteDir, LOG_LEVEL: 'silent' });
      const r = await buildSite(db, env, createLogger('silent'));
      await db.close();
      expect(r.ok, r.log.slice(-2000)).toBe(false);
      expect(r.log).toMatch(/no such table|SQLITE_ERROR/i);
      expect(realpathSync(join(siteDir, 'current'))).toBe(realpathSync(live));
      expect(readdirSync(join(siteDir, 'builds'))).toEqual(['1000']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
