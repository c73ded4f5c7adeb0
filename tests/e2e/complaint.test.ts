/**
 * As a parent would: open an institution page, follow "file a refund complaint", fill the form
 * step by step with a photo as evidence, get a tracking code, and track the case. Then the same
 * without JavaScript: the plain form still files a complaint and shows the confirmation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { browserAvailability, launchBrowser, SCREENSHOT_DIR } from '../helpers/browser.ts';
import { startProduct, type RunningProduct } from '../helpers/server-process.ts';

const availability = browserAvailability();

async function fillCommon(page: Page) {
  await page.fill('[name=course]', '少儿美术秋季班');
  await page.check('[name=contract][value=model]');
  await page.fill('[name=paidOn]', '2026-09-01');
  await page.fill('[name=amountPaid]', '6800');
  await page.fill('[name=classesTotal]', '96');
  await page.fill('[name=classesUsed]', '20');
  await page.fill('[name=amountRequested]', '5383.33');
  await page.selectOption('[name=paidVia]', 'other_account');
}

describe.skipIf(!availability.run)('refund complaint in Chromium', () => {
  let product: RunningProduct;
  let browser: Browser;
  let photo: string;

  beforeAll(async () => {
    product = await startProduct({ env: { INTAKE_POW: 'on' } });
    browser = await launchBrowser();
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    photo = join(product.dataDir, 'receipt.jpg');
    writeFileSync(photo, await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c33' } }).jpeg().withExif({ IFD0: { Make: 'TestPhone' } }).toBuffer());
  });
  afterAll(async () => {
    await browser?.close();
    await product?.cleanup();
  });

  it('files a complaint from an institution page with a photo, then tracks it', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${product.baseUrl}/institutions/demo-0002/`);
    const name = (await page.locator('h1').innerText()).trim();
    await page.click('text=对该机构提交退费投诉');
    await page.waitForURL(/\/complaints\/new\/?\?institution=demo-0002/);
    await expect(page.locator('[data-picked]').innerText()).resolves.toContain(name);

    // Step 1 → 2 → 3 → 4 with the Next buttons (JavaScript steps).
    await page.locator('fieldset[data-step="0"] >> text=下一步').click();
    await fillCommon(page);
    expect(await page.locator('[data-prepaid-over]').isVisible()).toBe(true);
    await page.locator('fieldset[data-step="1"] >> text=下一步').click();
    await page.check('[name=reason][value=refused]');
    await page.fill('[name=description]', '机构以各种理由拒绝退还剩余课时费用，多次协商无果。');
    await page.setInputFiles('[name=evidence]', photo);
    await page.locator('fieldset[data-step="2"] >> text=下一步').click();
    await page.fill('[name=parentName]', '李家长');
    await page.fill('[name=mobile]', '13912340001');
    await page.check('[name=consentProcessing]');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'complaint-step4.png'), fullPage: true });
    await Promise.all([page.waitForSelector('[data-complaint-done]', { timeout: 60_000 }), page.click('[data-submit]')]);

    const code = (await page.locator('[data-tracking-code]').innerText()).trim();
    expect(code).toMatch(/^TS-[0-9A-HJ-NP-Z]{4}-[0-9A-HJ-NP-Z]{4}$/);
    await expect(page.locator('[data-accept-by]').innerText()).resolves.toMatch(/\d{4}-\d{2}-\d{2}/);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'complaint-done.png'), fullPage: true });

    await page.goto(`${product.baseUrl}/complaints/track/`);
    await page.fill('[name=code]', code);
    await page.fill('[name=last4]', '0001');
    await page.click('button[type=submit]');
    await expect(page.locator('[data-track-result]').innerText()).resolves.toContain('已提交');
    await expect(page.locator('[data-event="submitted"]').count()).resolves.toBe(1);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'track.png'), fullPage: true });

    // The wrong last four digits reveal nothing.
    await page.fill('[name=code]', code);
    await page.fill('[name=last4]', '9999');
    await page.click('button[type=submit]');
    await expect(page.locator('[role=alert]').innerText()).resolves.toContain('未找到');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('still works without JavaScript: server-side picker, plain POST, confirmation page', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${product.baseUrl}/en/complaints/new/`);
    await page.fill('[name=find]', '华鼎');
    await page.click('button[value=find]');
    await page.locator('[name=institutionId]').first().check();
    await fillCommon(page);
    await page.check('[name=reason][value=delayed]');
    await page.fill('[name=description]', 'The institution keeps delaying the refund it promised.');
    await page.fill('[name=parentName]', 'Wang');
    await page.fill('[name=mobile]', '13912340002');
    // Submitting without consent brings the form back filled in, with the field's message.
    await page.click('[data-submit]');
    await expect(page.locator('[data-error-summary]').innerText()).resolves.toContain('consent');
    expect(await page.inputValue('[name=description]')).toContain('delaying');
    await page.check('[name=consentProcessing]');
    await page.click('[data-submit]');
    await expect(page.locator('[data-tracking-code]').innerText()).resolves.toMatch(/^TS-/);
    await context.close();
  });
});
