/**
 * The registry pages' server side (api/registry/page.ts), called as Astro calls it: who may
 * open and post what, CSRF refusal, the institution form (errors keep what was typed), the license
 * status form, and the import flow through a real multipart upload: a broken CSV shows its row
 * problems, a fixed one is confirmed and written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { makeCreditCode } from '../../api/registry/credit-code.ts';
import { handleImport, handleInstitution, handleRegistryList } from '../../api/registry/page.ts';
import { logInAs, seedStaff, type StaffAgent } from '../helpers/admin-session.ts';
import { createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

const BASE = 'http://127.0.0.1:4321';
let deps: TestDeps;
let edu: StaffAgent;
let head: StaffAgent;
let market: StaffAgent;
let sys: StaffAgent;

function request(path: string, opts: { form?: Record<string, string>; cookie?: string; file?: { name: string; bytes: Buffer } } = {}): [Request, URL] {
  const url = new URL(path, BASE);
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.file) {
    const fd = new FormData();
    for (const [k, v] of Object.entries(opts.form ?? {})) fd.set(k, v);
    fd.set('file', new File([new Uint8Array(opts.file.bytes)], opts.file.name));
    return [new Request(url, { method: 'POST', headers, body: fd }), url];
  }
  if (opts.form) headers['content-type'] = 'application/x-www-form-urlencoded';
  const init: RequestInit = opts.form ? { method: 'POST', headers, body: new URLSearchParams(opts.form).toString() } : { headers };
  return [new Request(url, init), url];
}

beforeAll(async () => {
  deps = await createSeededDeps(5);
  await seedStaff(deps);
  const app = testApp(deps);
  edu = await logInAs(app, deps, 'edu.handler');
  head = await logInAs(app, deps, 'edu.head');
  market = await logInAs(app, deps, 'market.handler');
  sys = await logInAs(app, deps, 'sysadmin');
});
afterAll(async () => deps?.cleanup());

const code = (n: number) => makeCreditCode('52', '370305', String(60_000_000 + n));
const formFor = (n: number, over: Record<string, string> = {}) => ({
  name: `页面测试学校${n}`,
  creditCode: code(n),
  licenseNo: `教民3703053${String(80_000_000 + n)}号`,
  legalForm: 'company',
  category: 'sports',
  town: 'qidu',
  zone: '5',
  address: '淄博市临淄区齐都镇某路8号',
  licenseIssuedOn: '2025-01-10',
  licenseValidUntil: '2030-01-09',
  fireSafetyPassed: 'yes',
  fireSafetyDate: '2025-01-05',
  custodyBank: '',
  custodyAccountNo: '',
  usesModelContract: 'no',
  trainingItems: '少儿篮球',
  staffCount: '6',
  teacherCount: '4',
  phone: '',
  ...over,
});

describe('access', () => {
  it('everyone but the sysadmin reads; only the edu desk and the office open the forms; no session → sign-in', async () => {
    for (const who of [edu, market]) {
      const [req, url] = request('/admin/registry/', { cookie: who.cookie });
      expect((await handleRegistryList(deps, req, url, null, 'zh-CN')).kind).toBe('page');
    }
    const [r1, u1] = request('/admin/registry/', { cookie: sys.cookie });
    const s = await handleRegistryList(deps, r1, u1, null, 'zh-CN');
    expect(s.kind === 'message' && s.status).toBe(403);
    const [r2, u2] = request('/admin/registry/new/', { cookie: market.cookie });
    const m = await handleInstitution(deps, r2, u2, null, 'zh-CN', null);
    expect(m.kind === 'message' && m.status).toBe(403);
    const [r3, u3] = request('/admin/registry/import/', { cookie: market.cookie });
    expect((await handleImport(deps, r3, u3, null, 'zh-CN', 'institutions')).kind).toBe('message');
    const [r4, u4] = request('/admin/registry/');
    const n = await handleRegistryList(deps, r4, u4, null, 'zh-CN');
    expect(n.kind === 'response' && n.response.status).toBe(303);
    const [r5, u5] = request('/admin/registry/nope/', { cookie: edu.cookie });
    const nf = await handleInstitution(deps, r5, u5, null, 'zh-CN', 'nope');
    expect(nf.kind === 'message' && nf.status).toBe(404);
  });

  it('a POST without the session’s CSRF token is refused and writes nothing', async () => {
    // Counted before, not assumed: other tests in this file register institutions too.
    const before = (await deps.db.read.select().from(t.institutions)).length;
    const [req, url] = request('/admin/registry/new/', { cookie: edu.cookie, form: { ...formFor(3), _csrf: 'wrong' } });
    const r = await handleInstitution(deps, req, url, null, 'zh-CN', null);
    expect(r.kind === 'message' && r.status).toBe(403);
    expect((await deps.db.read.select().from(t.institutions)).length).toBe(before);
    expect(await deps.db.read.select().from(t.institutions).where(eq(t.institutions.creditCode, code(3)))).toEqual([]);
  });
});

describe('the institution form and the status form', () => {
  it('errors keep what was typed, next to each field; a good form registers and redirects', async () => {
    const [req, url] = request('/admin/registry/new/', { cookie: edu.cookie, form: { ...formFor(1, { licenseNo: '教民1号', fireSafetyDate: '' }), _csrf: edu.csrf } });
    const r = await handleInstitution(deps, req, url, null, 'en', null);
    expect(r.kind).toBe('page');
    if (r.kind !== 'page') return;
    expect(r.status).toBe(422);
    expect(r.state.values.licenseNo).toBe('教民1号');
    expect(Object.keys(r.state.fieldErrors).sort()).toEqual(['fireSafetyDate', 'licenseNo']);
    expect(r.state.fieldErrors.licenseNo).toMatch(/License numbers look like/);
    const [req2, url2] = request('/admin/registry/new/', { cookie: edu.cookie, form: { ...formFor(1), _csrf: edu.csrf } });
    const ok = await handleInstitution(deps, req2, url2, null, 'zh-CN', null);
    expect(ok.kind === 'response' && ok.response.status).toBe(303);
    const location = ok.kind === 'response' ? ok.response.headers.get('location')! : '';
    expect(location).toMatch(/^\/admin\/registry\/i-[0-9a-f]{16}\/\?m=created$/);
  });

  it('status change: the handler sees no form, the head changes it, history shows it', async () => {
    // An institution of its own, registered through the form.
    const [r0, u0] = request('/admin/registry/new/', { cookie: edu.cookie, form: { ...formFor(2), _csrf: edu.csrf } });
    const created = await handleInstitution(deps, r0, u0, null, 'zh-CN', null);
    expect(created.kind === 'response' && created.response.status).toBe(303);
    const [row] = await deps.db.read.select().from(t.institutions).where(eq(t.institutions.creditCode, code(2)));
    const id = row!.id;
    const [r1, u1] = request(`/admin/registry/${id}/`, { cookie: edu.cookie });
    const view = await handleInstitution(deps, r1, u1, null, 'zh-CN', id);
    expect(view.kind === 'page' && view.state.mayChangeStatus).toBe(false);
    const [r2, u2] = request(`/admin/registry/${id}/`, { cookie: edu.cookie, form: { _csrf: edu.csrf, action: 'status', status: 'suspended', effectiveOn: '2026-11-27', reasonZh: '存在安全隐患，暂停办学' } });
    const refused = await handleInstitution(deps, r2, u2, null, 'zh-CN', id);
    expect(refused.kind === 'message' && refused.status).toBe(403);
    const [r3, u3] = request(`/admin/registry/${id}/`, { cookie: head.cookie, form: { _csrf: head.csrf, action: 'status', status: 'suspended', effectiveOn: '2026-11-27', reasonZh: '短' } });
    const bad = await handleInstitution(deps, r3, u3, null, 'zh-CN', id);
    expect(bad.kind === 'page' && bad.state.statusErrors.reasonZh).toBeTruthy();
    const [r4, u4] = request(`/admin/registry/${id}/`, { cookie: head.cookie, form: { _csrf: head.csrf, action: 'status', status: 'suspended', effectiveOn: '2026-11-27', reasonZh: '存在安全隐患，暂停办学' } });
    const ok = await handleInstitution(deps, r4, u4, null, 'zh-CN', id);
    expect(ok.kind === 'response' && ok.response.headers.get('location')).toBe(`/admin/registry/${id}/?m=status`);
    const [r5, u5] = request(`/admin/registry/${id}/?m=status`, { cookie: head.cookie });
    const after = await handleInstitution(deps, r5, u5, null, 'zh-CN', id);
    expect(after.kind === 'page' && after.state.detail!.history.map((h) => h.status)).toEqual(['suspended', 'valid']);
  });
});

describe('import through the page', () => {
  const HEADER = '机构名称,统一社会信用代码,办学许可证编号,法人类型,培训类别,所在镇（街道）,督导责任区,地址,发证日期,有效期至,消防验收（备案）,消防通过日期,使用示范合同文本,培训项目,从业人员数,教师人数';
  const line = (n: number, over: Partial<Record<'code' | 'license' | 'staff', string>> = {}) => `页面导入学校${n},${over.code ?? code(100 + n)},${over.license ?? `教民3703052${String(70_000_000 + n)}号`},公司,体育类,齐都镇,5,淄博市临淄区齐都镇某路${n}号,2025/1/10,2030-01-09,是,2025-01-05,否,少儿篮球、足球,${over.staff ?? '6'},4`;

  it('a broken CSV shows each row’s problems; the fixed file is confirmed and written', async () => {
    const broken = Buffer.from([HEADER, line(1), line(2, { code: '123' }), line(3, { staff: 'x' })].join('\n'));
    const [r1, u1] = request('/admin/registry/import/', { cookie: edu.cookie, form: { _csrf: edu.csrf, action: 'check' }, file: { name: 'broken.csv', bytes: broken } });
    const rep = await handleImport(deps, r1, u1, null, 'zh-CN', 'institutions');
    expect(rep.kind).toBe('page');
    if (rep.kind !== 'page') return;
    expect(rep.state.report!.applicable).toBe(false);
    expect(rep.state.report!.rows.filter((x) => x.action === 'error').map((x) => [x.row, x.issues[0]!.column])).toEqual([[3, '统一社会信用代码'], [4, '从业人员数']]);

    const fixed = Buffer.from([HEADER, line(1), line(2), line(3)].join('\n'));
    const [r2, u2] = request('/admin/registry/import/', { cookie: edu.cookie, form: { _csrf: edu.csrf, action: 'check' }, file: { name: 'fixed.csv', bytes: fixed } });
    const rep2 = await handleImport(deps, r2, u2, null, 'zh-CN', 'institutions');
    expect(rep2.kind === 'page' && rep2.state.report!.counts.create).toBe(3);
    const sha = rep2.kind === 'page' ? rep2.state.report!.sha256 : '';
    const [r3, u3] = request('/admin/registry/import/', { cookie: edu.cookie, form: { _csrf: edu.csrf, action: 'apply', sha256: sha } });
    const done = await handleImport(deps, r3, u3, null, 'zh-CN', 'institutions');
    expect(done.kind === 'response' && done.response.headers.get('location')).toBe('/admin/registry/import/?applied=3');
    const rows = await deps.db.read.select().from(t.institutions).where(eq(t.institutions.townCode, 'qidu'));
    expect(rows.filter((r) => r.name.startsWith('页面导入学校')).map((r) => r.licenseIssuedOn)).toEqual(['2025-01-10', '2025-01-10', '2025-01-10']);
  });

  it('no file, or a file over the limit: a message at the file field, nothing stored', async () => {
    const [r1, u1] = request('/admin/registry/import/', { cookie: edu.cookie, form: { _csrf: edu.csrf, action: 'check' } });
    const none = await handleImport(deps, r1, u1, null, 'zh-CN', 'institutions');
    expect(none.kind === 'page' && none.state.fileError).toContain('请选择要导入的文件');
    const [r2, u2] = request('/admin/registry/import/', { cookie: edu.cookie, form: { _csrf: edu.csrf, action: 'check' }, file: { name: 'big.csv', bytes: Buffer.alloc(3 * 1024 * 1024, 0x41) } });
    const big = await handleImport(deps, r2, u2, null, 'zh-CN', 'institutions');
    expect(big.kind === 'page' && big.status).toBe(413);
  });
});
