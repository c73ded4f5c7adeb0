/**
 * The registry through the real admin API: institution validation, create / edit / license status
 * history, both imports' dry-run reports (a real XLSX written with write-excel-file, a broken CSV
 * with several row problems, GB18030 text), apply-after-dry-run, idempotent re-import, and hostile
 * uploads (zip bomb, lying zip headers, old .xls, oversize, too many rows, formula cells).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import readXlsx from 'read-excel-file/node';
import writeXlsxFile from 'write-excel-file/node';
import * as t from '../../db/schema.ts';
import { makeCreditCode } from '../../api/registry/credit-code.ts';
import { verifyAuditChain } from '../../api/audit/log.ts';
import { logInAs, seedStaff, type StaffAgent } from '../helpers/admin-session.ts';
import { createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';
import { buildZip } from '../helpers/zip.ts';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
let edu: StaffAgent;
let head: StaffAgent;
let culture: StaffAgent;
let market: StaffAgent;
let sysadmin: StaffAgent;

// A database of its own for every test: the tests create and edit institutions, change license
// status and apply imports, so each starts from the 20 demo institutions and creates what it needs.
beforeEach(async () => {
  deps = await createSeededDeps(20);
  app = testApp(deps);
  await seedStaff(deps);
  edu = await logInAs(app, deps, 'edu.handler');
  head = await logInAs(app, deps, 'edu.head');
  culture = await logInAs(app, deps, 'culture.handler');
  market = await logInAs(app, deps, 'market.handler');
  sysadmin = await logInAs(app, deps, 'sysadmin');
});
afterEach(async () => deps?.cleanup());

const code = (n: number, type = '52') => makeCreditCode(type, '370305', String(50_000_000 + n).slice(-8));
const license = (n: number, typeDigit = 3) => `教民370305${typeDigit}${String(90_000_000 + n).slice(-8)}号`;

function body(n: number, over: Record<string, string> = {}): Record<string, string> {
  return {
    name: `测试美术培训学校${n}`,
    creditCode: code(n),
    licenseNo: license(n),
    legalForm: 'non_enterprise',
    category: 'culture_arts',
    town: 'xindian',
    zone: '3',
    address: '淄博市临淄区辛店街道桓公路1号',
    licenseIssuedOn: '2024-03-01',
    licenseValidUntil: '2029-02-28',
    fireSafetyPassed: '是',
    fireSafetyDate: '2024-02-20',
    custodyBank: '齐商银行临淄支行',
    custodyAccountNo: '370300001111222233',
    usesModelContract: '是',
    trainingItems: '少儿美术、书法',
    staffCount: '12',
    teacherCount: '8',
    phone: '0533-7123456',
    ...over,
  };
}

async function upload(a: StaffAgent, path: string, bytes: Uint8Array, name: string, lang = 'zh-CN') {
  const form = new FormData();
  form.set('file', new File([new Uint8Array(bytes)], name));
  return app.request(path, { method: 'POST', headers: { cookie: a.cookie, 'x-csrf-token': a.csrf, 'accept-language': lang }, body: form });
}
const put = (a: StaffAgent, path: string, b: unknown) => app.request(path, { method: 'PUT', headers: { cookie: a.cookie, 'x-csrf-token': a.csrf, 'content-type': 'application/json' }, body: JSON.stringify(b) });
const count = async (table: typeof t.institutions | typeof t.inspections | typeof t.auditLog) => (await deps.db.read.select().from(table)).length;

const INST_HEADER = ['机构名称*', '统一社会信用代码*', '办学许可证编号*', '法人类型*', '培训类别*', '所在镇（街道）*', '督导责任区*', '地址*', '发证日期*', '有效期至*', '消防验收（备案）*', '消防通过日期', '监管专户开户银行', '监管专户账号', '使用示范合同文本*', '培训项目*', '从业人员数*', '教师人数*', '联系电话'];
const instRow = (n: number, over: Record<string, string> = {}) => {
  const b = body(n, { legalForm: '民办非企业单位', category: '文化艺术类', town: '辛店街道', ...over });
  return [b.name, b.creditCode, b.licenseNo, b.legalForm, b.category, b.town, b.zone, b.address, b.licenseIssuedOn, b.licenseValidUntil, b.fireSafetyPassed, b.fireSafetyDate, b.custodyBank, b.custodyAccountNo, b.usesModelContract, b.trainingItems, b.staffCount, b.teacherCount, b.phone].map(String);
};
/** Institution 1 (culture_arts), created by the edu desk through the API as the create test checks. */
async function createInstitution(): Promise<string> {
  const res = await edu.post('/api/admin/registry/institutions', body(1));
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}
const csv = (rows: string[][]) => Buffer.from(rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\r\n'), 'utf8');

describe('institutions: create, validate, edit, license status', () => {
  it('field errors name each field, in zh-CN and in English', async () => {
    const bad = body(1, { creditCode: code(1).slice(0, 17) + (code(1).endsWith('0') ? '1' : '0'), licenseNo: '教民123号', custodyAccountNo: '', teacherCount: '40', town: 'nowhere' });
    const res = await edu.post('/api/admin/registry/institutions', bad);
    expect(res.status).toBe(422);
    const issues = Object.fromEntries(((await res.json()) as { error: { issues: { path: string; message: string }[] } }).error.issues.map((i) => [i.path, i.message]));
    expect(issues).toMatchObject({ creditCode: expect.stringContaining('校验位'), licenseNo: expect.stringContaining('教民'), town: expect.stringContaining('镇') });
    const en = await edu.post('/api/admin/registry/institutions', bad, { 'accept-language': 'en' });
    const enIssues = ((await en.json()) as { error: { issues: { path: string; message: string }[] } }).error.issues;
    expect(enIssues.find((i) => i.path === 'creditCode')!.message).toMatch(/check character/);
    // The object-level rules run once the fields themselves are valid.
    const pair = await edu.post('/api/admin/registry/institutions', body(1, { custodyAccountNo: '', teacherCount: '40' }));
    const p = ((await pair.json()) as { error: { issues: { path: string; message: string }[] } }).error.issues.map((i) => i.path).sort();
    expect(p).toEqual(['custodyAccountNo', 'teacherCount']);
    expect(await count(t.institutions)).toBe(20);
  });

  it('creates: supervisors from the category (双主管), first history row, an audit row, a new data version', async () => {
    const auditsBefore = await count(t.auditLog);
    const res = await edu.post('/api/admin/registry/institutions', body(1));
    expect(res.status).toBe(201);
    const d = (await res.json()) as { id: string; supervisors: { code: string; role: string }[]; history: { status: string; effectiveOn: string }[]; licenseStatus: string; trainingItems: string[] };
    expect(d.supervisors.map((s) => [s.code, s.role])).toEqual([['culture', 'primary'], ['edu', 'co']]);
    expect(d.history).toEqual([expect.objectContaining({ status: 'valid', effectiveOn: '2024-03-01' })]);
    expect(d.trainingItems).toEqual(['少儿美术', '书法']);
    expect(await count(t.auditLog)).toBe(auditsBefore + 1);
    const dup = await edu.post('/api/admin/registry/institutions', body(2, { creditCode: code(1) }));
    expect(dup.status).toBe(422);
    expect(JSON.stringify(await dup.json())).toContain('已有机构使用该统一社会信用代码');
  });

  it('edits: a category change rewrites the supervisors; the audit row lists old → new', async () => {
    const id = await createInstitution();
    const res = await put(edu, `/api/admin/registry/institutions/${id}`, body(1, { category: 'science_tech', trainingItems: '编程' }));
    expect(res.status).toBe(200);
    const d = (await res.json()) as { supervisors: { code: string }[] };
    expect(d.supervisors.map((s) => s.code)).toEqual(['science', 'edu']);
    const [a] = await deps.db.read.select().from(t.auditLog).where(and(eq(t.auditLog.objectId, id), eq(t.auditLog.action, 'institution.update')));
    expect(a!.detail).toEqual({ changes: { category: { from: 'culture_arts', to: 'science_tech' }, trainingItems: { from: ['少儿美术', '书法'], to: ['编程'] } } });
    expect((await put(edu, '/api/admin/registry/institutions/i-unknown', body(1))).status).toBe(404);
  });

  it('license status: only the edu department head or the coordination office; kept as history', async () => {
    const id = await createInstitution();
    const change = { status: 'suspended', effectiveOn: '2026-11-20', reasonZh: '存在消防安全隐患，临时查封' };
    expect((await edu.post(`/api/admin/registry/institutions/${id}/status`, change)).status).toBe(403);
    const future = await head.post(`/api/admin/registry/institutions/${id}/status`, { ...change, effectiveOn: '2026-12-30' });
    expect(future.status).toBe(422);
    const ok = await head.post(`/api/admin/registry/institutions/${id}/status`, change);
    expect(ok.status).toBe(200);
    const d = (await ok.json()) as { licenseStatus: string; history: { status: string; reasonZh: string }[] };
    expect(d.licenseStatus).toBe('suspended');
    expect(d.history[0]).toMatchObject({ status: 'suspended', reasonZh: '存在消防安全隐患，临时查封' });
    const same = await head.post(`/api/admin/registry/institutions/${id}/status`, change);
    expect(same.status).toBe(422);
    expect(JSON.stringify(await same.json())).toContain('已经是这个状态');
  });

  it('reading: everyone but the sysadmin; writing: edu desk and the coordination office', async () => {
    await createInstitution();
    expect((await market.get('/api/admin/registry/institutions?q=测试')).status).toBe(200);
    expect((await sysadmin.get('/api/admin/registry/institutions')).status).toBe(403);
    expect((await culture.post('/api/admin/registry/institutions', body(3))).status).toBe(403);
    const list = (await (await edu.get(`/api/admin/registry/institutions?q=${encodeURIComponent(code(1))}`)).json()) as { total: number };
    expect(list.total).toBe(1);
  });
});

describe('institution import: dry run, then apply exactly the previewed file', () => {
  it('a real XLSX: the report says what would be created and updated, and nothing is written', async () => {
    const [existing] = await deps.db.read.select().from(t.institutions).where(eq(t.institutions.id, 'demo-0001'));
    const update = instRow(0, { name: existing!.name, creditCode: existing!.creditCode, licenseNo: existing!.licenseNo, staffCount: '99', teacherCount: '9' });
    const xlsx = await writeXlsxFile([INST_HEADER, instRow(11), instRow(12), update].map((r) => r.map((v) => ({ value: v, type: String })))).toBuffer();
    const before = await count(t.institutions);
    const res = await upload(edu, '/api/admin/registry/imports/institutions', xlsx, '机构.xlsx');
    expect(res.status).toBe(200);
    const r = (await res.json()) as { format: string; counts: Record<string, number>; rows: { row: number; action: string }[]; applicable: boolean; sha256: string };
    expect(r.format).toBe('xlsx');
    expect(r.counts).toMatchObject({ create: 2, update: 1, error: 0 });
    expect(r.rows.map((x) => [x.row, x.action])).toEqual([[2, 'create'], [3, 'create'], [4, 'update']]);
    expect(r.applicable).toBe(true);
    expect(await count(t.institutions)).toBe(before);

    const auditsBefore = await count(t.auditLog);
    const applied = await edu.post(`/api/admin/registry/imports/institutions/${r.sha256}/apply`);
    expect(applied.status).toBe(200);
    expect(await count(t.institutions)).toBe(before + 2);
    const [after] = await deps.db.read.select().from(t.institutions).where(eq(t.institutions.id, 'demo-0001'));
    expect(after!.staffCount).toBe(99);
    expect(await count(t.auditLog)).toBe(auditsBefore + 4); // 2 created, 1 updated, the import itself
    expect((await verifyAuditChain(deps.db)).ok).toBe(true);
    // Applied once: the same preview cannot be applied again.
    expect((await edu.post(`/api/admin/registry/imports/institutions/${r.sha256}/apply`)).status).toBe(404);
  });

  it('a broken CSV: every row problem with its row number, column and message; nothing kept to apply', async () => {
    const file = csv([
      INST_HEADER,
      instRow(21),
      instRow(22, { creditCode: 'ABC', licenseNo: '123' }),
      instRow(23, { category: '游戏类', licenseIssuedOn: '2024-02-30' }),
      instRow(24, { creditCode: code(21) }),
      instRow(25, { name: '=HYPERLINK("http://evil")' }),
      instRow(26, { fireSafetyDate: '' }),
    ]);
    const res = await upload(edu, '/api/admin/registry/imports/institutions', file, 'bad.csv');
    const r = (await res.json()) as { counts: Record<string, number>; rows: { row: number; action: string; issues: { row: number; column: string; message: string }[] }[]; applicable: boolean; sha256: string };
    expect(r.counts).toMatchObject({ create: 1, error: 5 });
    const problems = r.rows.flatMap((x) => x.issues.map((i) => `${i.row}|${i.column}|${i.message}`));
    expect(problems).toEqual([
      '3|统一社会信用代码*|统一社会信用代码应为18位',
      expect.stringMatching(/^3\|办学许可证编号\*\|办学许可证编号格式/),
      expect.stringMatching(/^4\|培训类别\*\|培训类别应为/),
      expect.stringMatching(/^4\|发证日期\*\|/),
      '5|统一社会信用代码*|与文件中前面的行重复',
      expect.stringMatching(/^6\|机构名称\*\|内容不能以 = \+ @ 开头/),
      expect.stringMatching(/^7\|消防通过日期\|消防验收（备案）已通过时/),
    ]);
    expect(r.applicable).toBe(false);
    expect((await edu.post(`/api/admin/registry/imports/institutions/${r.sha256}/apply`)).status).toBe(404);
    const en = (await (await upload(edu, '/api/admin/registry/imports/institutions', file, 'bad.csv', 'en')).json()) as { rows: { issues: { message: string }[] }[] };
    expect(en.rows[1]!.issues[0]!.message).toBe('The unified social credit code has 18 characters');
  });

  it('missing and unknown columns are reported against the header row', async () => {
    const r = (await (await upload(edu, '/api/admin/registry/imports/institutions', csv([['机构名称', '颜色'], ['某某学校', '红']]), 'x.csv')).json()) as { fileIssues: { row: number; column: string; message: string }[] };
    expect(r.fileIssues).toContainEqual({ row: 1, column: '颜色', message: '不认识的列名，请使用下载的模板' });
    expect(r.fileIssues).toContainEqual({ row: 1, column: '统一社会信用代码', message: '缺少必需的列，请使用下载的模板' });
  });

  it('a CSV saved by Excel on a Chinese Windows (GB18030) reads the same', async () => {
    const text = [INST_HEADER, instRow(31)].map((r) => r.join(',')).join('\r\n');
    const { execFileSync } = await import('node:child_process');
    const bytes = execFileSync('iconv', ['-f', 'UTF-8', '-t', 'GB18030'], { input: text });
    const r = (await (await upload(edu, '/api/admin/registry/imports/institutions', bytes, 'gbk.csv')).json()) as { counts: Record<string, number>; rows: { label: string }[] };
    expect(r.counts.create).toBe(1);
    expect(r.rows[0]!.label).toBe('测试美术培训学校31');
  });

  it('the register changing between preview and apply: 409, nothing written', async () => {
    const file = csv([INST_HEADER, instRow(41), instRow(42)]);
    const r = (await (await upload(edu, '/api/admin/registry/imports/institutions', file, 'a.csv')).json()) as { sha256: string; applicable: boolean };
    expect(r.applicable).toBe(true);
    expect((await edu.post('/api/admin/registry/institutions', body(41))).status).toBe(201);
    const before = await count(t.institutions);
    const res = await edu.post(`/api/admin/registry/imports/institutions/${r.sha256}/apply`);
    expect(res.status).toBe(409);
    expect(await count(t.institutions)).toBe(before);
  });

  it('another person cannot apply my preview', async () => {
    const r = (await (await upload(edu, '/api/admin/registry/imports/institutions', csv([INST_HEADER, instRow(51)]), 'b.csv')).json()) as { sha256: string };
    expect((await head.post(`/api/admin/registry/imports/institutions/${r.sha256}/apply`)).status).toBe(404);
    expect((await market.post(`/api/admin/registry/imports/institutions/${r.sha256}/apply`)).status).toBe(403);
  });
});

describe('hostile uploads', () => {
  const send = async (bytes: Uint8Array, name = 'x.xlsx') => {
    const res = await upload(edu, '/api/admin/registry/imports/institutions', bytes, name);
    return { status: res.status, body: (await res.json()) as { error?: { message: string } } };
  };
  it('a zip bomb (a few KB that unpack to 64 MB) is refused before the spreadsheet library reads it', async () => {
    const bomb = buildZip([{ name: '[Content_Types].xml', data: Buffer.from('<Types/>') }, { name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(64 * 1024 * 1024, 0x20) }]);
    expect(bomb.length).toBeLessThan(200_000);
    const r = await send(bomb);
    expect(r.status).toBe(422);
    expect(r.body.error!.message).toContain('解压后过大');
  });
  it('a zip whose headers understate the unpacked size is refused as damaged', async () => {
    const liar = buildZip([{ name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(1024 * 1024, 0x20), declaredSize: 100 }]);
    expect((await send(liar)).body.error!.message).toContain('已损坏');
  });
  it('an old .xls, a PDF, an empty file, more than 2 MB, more than 5000 rows', async () => {
    expect((await send(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), 'a.xls')).body.error!.message).toContain('XLS');
    expect((await send(Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(100)]), 'a.pdf')).status).toBe(422);
    expect((await send(Buffer.alloc(0), 'a.csv')).status).toBe(422);
    expect((await send(Buffer.alloc(2 * 1024 * 1024 + 10, 0x41), 'big.csv')).status).toBe(413);
    const many = Buffer.from([INST_HEADER.join(','), ...Array.from({ length: 5001 }, () => 'a')].join('\n'));
    expect((await send(many, 'many.csv')).body.error!.message).toContain('5000');
  });
});

const INSP_HEADER = ['年度', '统一社会信用代码', '机构名称', '检查结果', '发现问题', '整改情况', '整改完成日期', '公布日期', '备注'];

describe('inspection import: one year per file, re-import replaces that year for the rows in the file', () => {
  let rows: { id: string; creditCode: string; name: string; category: string }[];
  beforeEach(async () => {
    rows = await deps.db.read.select({ id: t.institutions.id, creditCode: t.institutions.creditCode, name: t.institutions.name, category: t.institutions.category }).from(t.institutions).orderBy(t.institutions.id);
  });
  const yearRows = async (id: string) => deps.db.read.select().from(t.inspections).where(and(eq(t.inspections.institutionId, id), eq(t.inspections.year, 2025)));

  it('dry run, apply, and an identical re-import changes nothing', async () => {
    const [a, b] = rows;
    const file = csv([INSP_HEADER, ['2025', a!.creditCode, a!.name, '合格', '', '', '', '2026-01-15', ''], ['2025', b!.creditCode, '', '不合格', '消防隐患、预收费超限', '整改中', '', '2026-01-15', '限期整改']]);
    const r = (await (await upload(edu, '/api/admin/registry/imports/inspections', file, '2025.csv')).json()) as { year: number; counts: Record<string, number>; sha256: string };
    expect(r).toMatchObject({ year: 2025, counts: { create: 2, error: 0 } });
    expect(await yearRows(a!.id)).toHaveLength(0);
    expect((await edu.post(`/api/admin/registry/imports/inspections/${r.sha256}/apply`)).status).toBe(200);
    const [ins] = await yearRows(b!.id);
    expect(ins!.result).toBe('fail');
    const findings = await deps.db.read.select().from(t.inspectionFindings).where(eq(t.inspectionFindings.inspectionId, ins!.id));
    expect(findings.map((f) => [f.code, f.rectification, f.note]).sort()).toEqual([['fire_hazard', 'in_progress', '限期整改'], ['prepaid_over_limit', 'in_progress', '限期整改']]);

    const again = (await (await upload(edu, '/api/admin/registry/imports/inspections', file, '2025.csv')).json()) as { counts: Record<string, number>; applicable: boolean };
    expect(again.counts).toMatchObject({ unchanged: 2, create: 0, replace: 0 });
    expect(again.applicable).toBe(false);

    // A correction file with one row replaces that row only.
    const fix = csv([INSP_HEADER, ['2025', b!.creditCode, '', '基本合格', '台账不全', '已整改', '2026-02-01', '2026-01-15', '']]);
    const f = (await (await upload(edu, '/api/admin/registry/imports/inspections', fix, 'fix.csv')).json()) as { counts: Record<string, number>; sha256: string };
    expect(f.counts).toMatchObject({ replace: 1 });
    expect((await edu.post(`/api/admin/registry/imports/inspections/${f.sha256}/apply`)).status).toBe(200);
    expect((await yearRows(b!.id))[0]!.result).toBe('pass_with_remarks');
    expect(await yearRows(a!.id)).toHaveLength(1);
    expect((await deps.db.read.select().from(t.inspections).where(eq(t.inspections.year, 2025))).length).toBe(2);
  });

  it('row problems: mixed years, unknown code, findings on a pass, missing rectification date', async () => {
    const [a, b, c] = rows;
    const file = csv([
      INSP_HEADER,
      ['2025', a!.creditCode, '', '合格', '', '', '', '2026-01-15', ''],
      ['2024', b!.creditCode, '', '合格', '', '', '', '2026-01-15', ''],
      ['2025', code(999), '', '合格', '', '', '', '2026-01-15', ''],
      ['2025', c!.creditCode, '别的名字', '合格', '消防隐患', '已整改', '', '2026-01-15', ''],
    ]);
    const r = (await (await upload(edu, '/api/admin/registry/imports/inspections', file, 'bad.csv')).json()) as { rows: { row: number; issues: { column: string; message: string }[] }[] };
    const problems = r.rows.flatMap((x) => x.issues.map((i) => `${x.row}|${i.column}|${i.message.slice(0, 8)}`));
    expect(problems).toEqual(['3|年度|一个文件只能包含', '4|统一社会信用代码|登记中没有该统一', expect.stringMatching(/^5\|发现问题\|/), expect.stringMatching(/^5\|整改完成日期\|/)]);
  });

  it('a co-supervising bureau imports only institutions it supervises; market none', async () => {
    const mine = rows.find((r) => r.category === 'culture_arts')!;
    const other = rows.find((r) => r.category === 'subject' || r.category === 'sports')!;
    const file = csv([INSP_HEADER, ['2025', mine.creditCode, '', '合格', '', '', '', '2026-01-15', ''], ['2025', other.creditCode, '', '合格', '', '', '', '2026-01-15', '']]);
    const r = (await (await upload(culture, '/api/admin/registry/imports/inspections', file, 'c.csv')).json()) as { rows: { row: number; issues: { message: string }[] }[] };
    expect(r.rows[0]!.issues).toEqual([]);
    expect(r.rows[1]!.issues[0]!.message).toBe('该机构不归您的部门主管，不能导入其检查结果');
    expect((await upload(market, '/api/admin/registry/imports/inspections', file, 'c.csv')).status).toBe(403);
  });
});

describe('templates', () => {
  it('CSV: UTF-8 with BOM and the Chinese headers; XLSX: the same headers plus an instructions sheet', async () => {
    const institutionsBefore = await count(t.institutions);
    const inspectionsBefore = await count(t.inspections);
    const res = await edu.get('/api/admin/registry/templates/institutions.csv');
    expect(res.headers.get('content-disposition')).toContain("filename*=UTF-8''");
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(bytes.toString('utf8').slice(1).split('\r\n')[0]).toBe(INST_HEADER.map((h) => `"${h}"`).join(','));
    const x = await edu.get('/api/admin/registry/templates/inspections.xlsx');
    const sheets = await readXlsx(Buffer.from(await x.arrayBuffer()));
    expect(sheets.map((s) => s.sheet)).toEqual(['年检结果', '填写说明']);
    expect(sheets[0]!.data[0]).toEqual(['年度*', '统一社会信用代码*', '机构名称', '检查结果*', '发现问题', '整改情况', '整改完成日期', '公布日期*', '备注']);
    // An empty template re-uploaded to its own import is "no data rows", not a crash (nor a
    // complaint about its headers): each template is read back by the import it belongs to.
    const noRows = async (path: string, file: Uint8Array, name: string) => {
      const r = await upload(edu, path, file, name);
      expect(r.status).toBe(422);
      return ((await r.json()) as { error: { message: string } }).error.message;
    };
    expect(await noRows('/api/admin/registry/imports/institutions', bytes, 'institutions.csv')).toBe('文件中没有数据行');
    const xlsx = Buffer.from(await (await edu.get('/api/admin/registry/templates/inspections.xlsx')).arrayBuffer());
    expect(await noRows('/api/admin/registry/imports/inspections', xlsx, 'inspections.xlsx')).toBe('文件中没有数据行');
    expect(await count(t.institutions)).toBe(institutionsBefore);
    expect(await count(t.inspections)).toBe(inspectionsBefore);
  });
});
