/**
 * As a parent would: the product starts from nothing (migrate, demo seed, site build), the home
 * page is Chinese, labelled as demo data, carries the security headers, and works on a phone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { browserAvailability, launchBrowser, SCREENSHOT_DIR } from '../helpers/browser.ts';
import { startProduct, type RunningProduct } from '../helpers/server-process.ts';

const availability = browserAvailability();

describe.skipIf(!availability.run)('home page in Chromium', () => {
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

  it('answers /healthz with the database reachable', async () => {
    const res = await fetch(`${product.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', database: 'reachable' });
  });

  it('serves the Chinese home page with demo data, labelled, on a phone screen', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const res = await page.goto(`${product.baseUrl}/`);
    expect(res?.status()).toBe(200);
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await expect(page.locator('h1').innerText()).resolves.toContain('校外培训');
    await expect(page.locator('[data-demo-banner]').innerText()).resolves.toContain('演示数据');
    expect(Number(await page.locator('[data-stat="licensed"]').innerText())).toBeGreaterThan(50);
    const headers = res!.headers();
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['strict-transport-security']).toContain('max-age=');
    expect(headers['referrer-policy']).toBe('same-origin');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'home-phone.png'), fullPage: true });
    expect(errors, errors.join("\n")).toEqual([]); // no CSP violations or script errors
    await page.close();
  });

  it('switches to large text and remembers it on the next page', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`${product.baseUrl}/`);
    await page.click('[data-text-toggle]');
    expect(await page.getAttribute('html', 'data-text')).toBe('large');
    await page.goto(`${product.baseUrl}/en/`);
    expect(await page.getAttribute('html', 'data-text')).toBe('large');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.close();
  });

  it('answers unknown pages with the Chinese 404 page', async () => {
    const res = await fetch(`${product.baseUrl}/no-such-page/`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('页面不存在');
  });
});
