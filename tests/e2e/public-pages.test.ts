/**
 * The public pages as a parent meets them: accessible (axe-core finds no violations), no script
 * errors under the CSP, readable without JavaScript, and free of any complainant's data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { browserAvailability, launchBrowser, SCREENSHOT_DIR } from '../helpers/browser.ts';
import { startProduct, type RunningProduct } from '../helpers/server-process.ts';

const availability = browserAvailability();
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const PAGES = [
  '/',
  '/institutions/',
  '/institutions/?town=xindian&result=pass',
  '/institutions/demo-0042/',
  '/institutions/town/xindian/1/',
  '/inspections/',
  '/inspections/2024/',
  '/notices/',
  '/notices/2024-violation-notice-winter-rectification/',
  '/guides/refund-complaint-process/',
  '/data/',
  '/complaints/new/',
  '/complaints/track/',
  '/en/',
  '/en/institutions/demo-0042/',
];

describe.skipIf(!availability.run)('public pages', () => {
  let product: RunningProduct;
  let browser: Browser;

  beforeAll(async () => {
    product = await startProduct();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await product?.cleanup();
  });

  it.each(PAGES)('%s has no accessibility violations and no script errors', async (path) => {
    // bypassCSP only so the test can inject axe-core; the page's own scripts run as served.
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const res = await page.goto(`${product.baseUrl}${path}`, { waitUntil: 'networkidle' });
    expect(res?.status()).toBe(200);
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      const r = await (window as unknown as { axe: { run: (o: object) => Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe.run({ resultTypes: ['violations'] });
      return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
    });
    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('finds an institution by a 2-character fragment, opens it, then its poster', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${product.baseUrl}/`);
    await page.fill('#q', '华鼎');
    await page.click('button[type=submit]');
    await page.waitForURL(/\/institutions\/\?q=/);
    const first = page.locator('.search-results a').first();
    await first.waitFor();
    const name = (await first.innerText()).trim();
    expect(name).toContain('华鼎');
    await expect(page.locator('#institution-search-status').innerText()).resolves.toMatch(/\d/);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'search.png'), fullPage: true });
    await first.click();
    await expect(page.locator('h1').innerText()).resolves.toBe(name);
    await page.click('text=打印“扫码查验”海报');
    await expect(page.locator('.name').innerText()).resolves.toBe(name);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('narrows the search with filters, alone or with a query, and keeps them in the address', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${product.baseUrl}/institutions/`);
    const status = page.locator('#institution-search-status');
    const lines = () => page.locator('.search-results li').allInnerTexts();
    /** Waits until the list is shown, non-empty and every line passes `ok`; returns the lines. */
    const settle = async (ok: (line: string) => boolean) => {
      await expect
        .poll(async () => {
          const ls = await lines();
          return /^找到 \d+ 家机构$/.test(await status.innerText()) && ls.length > 0 && ls.every(ok);
        })
        .toBe(true);
      return lines();
    };
    const inXindian = (l: string) => l.includes('辛店街道');
    const passed = (l: string) => /年度年检：合格$/m.test(l);

    // The no-JS list of towns says how many institutions 辛店街道 has: the filter alone lists them all.
    const chip = await page.locator('.chips a', { hasText: '辛店街道' }).innerText();
    const inTown = Number(/\((\d+)\)/.exec(chip)![1]);
    await page.getByLabel('镇（街道）', { exact: true }).selectOption('xindian');
    await expect.poll(() => status.innerText()).toBe(`找到 ${inTown} 家机构`);
    await settle(inXindian);
    expect(new URL(page.url()).searchParams.get('town')).toBe('xindian');

    await page.getByLabel('最近年检结果').selectOption('pass');
    await settle((l) => inXindian(l) && passed(l));
    expect(new URL(page.url()).searchParams.get('result')).toBe('pass');

    // A 2-character fragment of a listed name, with the filters still on.
    const fragment = [...(await page.locator('.search-results a').first().innerText()).trim()].slice(0, 2).join('');
    await page.fill('#institution-search-q', fragment);
    const withQuery = await settle((l) => l.includes(fragment) && inXindian(l) && passed(l));
    expect(new URL(page.url()).searchParams.get('q')).toBe(fragment);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'search-filters.png'), fullPage: true });

    // A reload (or a shared link) shows the same list with the same choices.
    await page.reload();
    await expect.poll(() => lines()).toEqual(withQuery);
    await expect(page.locator('#institution-search-q').inputValue()).resolves.toBe(fragment);
    await expect(page.getByLabel('镇（街道）', { exact: true }).inputValue()).resolves.toBe('xindian');
    await expect(page.getByLabel('最近年检结果').inputValue()).resolves.toBe('pass');
    await page.click('text=清除筛选');
    await expect.poll(() => [...new URL(page.url()).searchParams.keys()]).toEqual(['q']);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lets a parent reach any institution and its poster without JavaScript', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${product.baseUrl}/institutions/`);
    await page.click('text=辛店街道');
    const first = page.locator('table.list a').first();
    const name = (await first.innerText()).trim();
    await first.click();
    await expect(page.locator('h1').innerText()).resolves.toBe(name);
    await page.click('text=打印“扫码查验”海报');
    await expect(page.locator('.qr svg').count()).resolves.toBe(1);
    await expect(page.locator('.name').innerText()).resolves.toBe(name);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'poster.png') });
    await context.close();
  });

  it('shows the live license status on an institution page', async () => {
    const page = await browser.newPage();
    await page.goto(`${product.baseUrl}/institutions/demo-0042/`);
    await page.waitForSelector('[data-status-badge][data-live="true"]');
    await expect(page.locator('[data-status-badge]').innerText()).resolves.toBe('暂停办学');
    await page.close();
  });

  it('publishes open data with the documented fields and no complainant data', async () => {
    const json = (await (await fetch(`${product.baseUrl}/data/institutions.json`)).json()) as Record<string, unknown>[];
    expect(json.length).toBe(120);
    for (const key of ['id', 'name', 'creditCode', 'licenseNo', 'category', 'supervisors', 'town', 'licenseStatus', 'licenseValidUntil', 'latestInspection']) {
      expect(json[0]).toHaveProperty(key);
    }
    const csv = Buffer.from(await (await fetch(`${product.baseUrl}/data/inspections.csv`)).arrayBuffer());
    // A UTF-8 byte-order mark first, so Excel reads the Chinese text correctly.
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(csv.subarray(3).toString('utf8').startsWith('institutionId,')).toBe(true);
    // Demo complainants are 演示 parents with 1380000xxxx numbers: none may appear anywhere public.
    for (const path of ['/data/institutions.json', '/data/inspections.csv', '/notices/feed.xml', '/sitemap.xml', '/institutions/demo-0007/']) {
      const body = await (await fetch(`${product.baseUrl}${path}`)).text();
      expect(body).not.toMatch(/1380000\d{4}/);
      expect(body).not.toMatch(/[王李张刘陈杨赵孙]演示/);
    }
  });

  it('every URL in the sitemap answers 200 in its language (one page file serves /x/ and /en/x/)', async () => {
    const locs = async (url: string) => [...(await (await fetch(url)).text()).matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => new URL(m[1]!).pathname);
    const urls = (await Promise.all((await locs(`${product.baseUrl}/sitemap.xml`)).map((p) => locs(`${product.baseUrl}${p}`)))).flat();
    expect(urls.length).toBeGreaterThan(2 * 120); // both languages of every institution, at least
    expect(urls.filter((u) => u.startsWith('/en/')).length).toBeGreaterThan(120);
    const wrong: string[] = [];
    for (const path of urls) {
      const res = await fetch(`${product.baseUrl}${path}`);
      const lang = /<html lang="([^"]+)"/.exec(await res.text())?.[1];
      const expected = path.startsWith('/en/') ? 'en' : 'zh-CN';
      if (res.status !== 200 || lang !== expected) wrong.push(`${path}: ${res.status} ${lang}`);
    }
    expect(wrong).toEqual([]);
  });

  it('serves pages gzipped to browsers that accept it', async () => {
    const res = await fetch(`${product.baseUrl}/institutions/demo-0001/`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers.get('content-encoding')).toBe('gzip');
  });
});
