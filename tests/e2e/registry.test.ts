/**
 * The registry import as a clerk of the licensing department uses it, in Chromium against the
 * real product: sign in with TOTP, download the CSV template, upload a CSV with mistakes and see
 * every row's problems (nothing written), upload the corrected file, confirm, and find the new
 * institution in the register with the note that the public site changes after the next publish.
 * Also: on a 390 px phone the registry pages (list, entry with its forms, import report) fit the
 * width and pass axe-core.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { demoAccounts } from '../../api/demo/staff.ts';
import { makeCreditCode } from '../../api/registry/credit-code.ts';
import { browserAvailability, launchBrowser } from '../helpers/browser.ts';
import { startProduct, type RunningProduct } from '../helpers/server-process.ts';
import { axeViolations, freshCode, horizontalOverflow, PHONE } from '../helpers/staff-browser.ts';

const availability = browserAvailability();
const account = demoAccounts().find((a) => a.username === 'edu.handler')!;

async function signIn(page: Page, baseUrl: string) {
  await page.goto(`${baseUrl}/admin/registry/import/`);
  await page.waitForURL(/\/admin\/login\/\?next=/);
  await page.fill('[name=username]', account.username);
  await page.fill('[name=password]', account.password);
  await page.fill('[name=totp]', await freshCode(account.username));
  await Promise.all([page.waitForURL(`${baseUrl}/admin/registry/import/`), page.click('[data-login-form] button[type=submit]')]);
}

const HEADER = '机构名称*,统一社会信用代码*,办学许可证编号*,法人类型*,培训类别*,所在镇（街道）*,督导责任区*,地址*,发证日期*,有效期至*,消防验收（备案）*,消防通过日期,监管专户开户银行,监管专户账号,使用示范合同文本*,培训项目*,从业人员数*,教师人数*,联系电话';
const code = makeCreditCode('52', '370305', '88776655');
const row = (over: { code?: string; license?: string; teachers?: string } = {}) =>
  `浏览器导入编程学校,${over.code ?? code},${over.license ?? '教民370305499990001号'},民办非企业单位,科技类,雪宫街道,7,淄博市临淄区雪宫街道某路9号,2025-06-01,2030-05-31,是,2025-05-20,齐商银行临淄支行,370300009999888877,是,Scratch 编程、机器人搭建,10,${over.teachers ?? '6'},`;

describe.skipIf(!availability.run)('registry import in the browser', () => {
  let product: RunningProduct;
  let browser: Browser;
  beforeAll(async () => {
    product = await startProduct();
    browser = await launchBrowser();
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await product?.cleanup();
  });

  it('uploads a broken CSV, sees the problems, uploads the fixed one and applies it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, product.baseUrl);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-template=csv]')]);
    const template = await download.createReadStream().then(async (s) => {
      const chunks: Buffer[] = [];
      for await (const c of s) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    });
    expect(template).toContain('"统一社会信用代码*"');

    const broken = [HEADER, row({ code: code.slice(0, 17) + (code.endsWith('1') ? '2' : '1'), teachers: '60' })].join('\n');
    await page.setInputFiles('#file', { name: '机构.csv', mimeType: 'text/csv', buffer: Buffer.from(broken) });
    await Promise.all([page.waitForLoadState('load'), page.click('[data-import-upload] button[type=submit]')]);
    const problems = await page.locator('[data-row-problems] tbody tr').allInnerTexts();
    expect(problems.join('\n')).toContain('校验位不正确');
    expect(problems.join('\n')).toContain('教师人数不能多于从业人员总数');
    await expect(page.locator('[data-import-apply]').count()).resolves.toBe(0);
    await expect(page.locator('[data-import-blocked]').innerText()).resolves.toContain('没有写入任何内容');

    await page.setInputFiles('#file', { name: '机构.csv', mimeType: 'text/csv', buffer: Buffer.from([HEADER, row()].join('\n')) });
    await Promise.all([page.waitForLoadState('load'), page.click('[data-import-upload] button[type=submit]')]);
    await expect(page.locator('[data-count=create] strong').innerText()).resolves.toBe('1');
    await Promise.all([page.waitForURL(/applied=1/), page.click('[data-import-apply] button[type=submit]')]);
    await expect(page.locator('[data-import-message]').innerText()).resolves.toContain('已导入');
    await expect(page.locator('[data-publish-note] a').getAttribute('href')).resolves.toBe('/admin/publish/');

    await page.goto(`${product.baseUrl}/admin/registry/?q=${encodeURIComponent('浏览器导入')}`);
    await page.click('[data-registry-table] a');
    await expect(page.locator('h1').innerText()).resolves.toBe('浏览器导入编程学校');
    await expect(page.locator('[data-license-status]').getAttribute('data-license-status')).resolves.toBe('valid');
    const supervisors = await page.locator('.admin-facts-compact dd').nth(1).innerText();
    expect(supervisors).toContain('科学技术局');
    expect(supervisors).toContain('教育和体育局');
    await page.close();
  }, 120_000);

  it('the registry pages fit a phone and pass axe-core', async () => {
    // axe-core is injected as a script: this context bypasses the CSP for it.
    const context = await browser.newContext({ viewport: PHONE, bypassCSP: true });
    const page = await context.newPage();
    await signIn(page, product.baseUrl);
    const broken = [HEADER, row({ license: '教民1号' })].join('\n');
    await page.setInputFiles('#file', { name: 'x.csv', mimeType: 'text/csv', buffer: Buffer.from(broken) });
    await Promise.all([page.waitForLoadState('load'), page.click('[data-import-upload] button[type=submit]')]);
    await expect(page.locator('[data-row-problems]').count()).resolves.toBe(1);
    for (const path of [null, '/admin/registry/', '/admin/registry/demo-0001/', '/en/admin/registry/new/', '/admin/registry/inspections/']) {
      if (path) await page.goto(`${product.baseUrl}${path}`);
      expect(await axeViolations(page), path ?? 'import report').toEqual([]);
      expect(await horizontalOverflow(page), path ?? 'import report').toBeLessThanOrEqual(0);
    }
    await context.close();
  }, 120_000);
});
