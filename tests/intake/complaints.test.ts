/**
 * Refund complaint intake and tracking through the HTTP API (POST /api/complaints,
 * GET /api/complaints/:code?last4=): what a parent submits, where the case lands, what is
 * stored, and what the parent can see afterwards.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { and, asc, eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import type { Category } from '../../db/schema.ts';
import { verifyAuditChain } from '../../api/audit/log.ts';
import { complaintBody, createSeededDeps, postJson, testApp, type TestDeps } from '../helpers/test-deps.ts';
import { officialScheduleUpTo } from '../helpers/calendar.ts';

const FRIDAY = '2026-11-27T02:00:00Z'; // Friday 10:00 Beijing
const DAY = 86_400_000;
const CODE_RE = /^TS-[0-9A-HJ-NP-Z]{4}-[0-9A-HJ-NP-Z]{4}$/;

const EXPECTED_ROUTING: Record<Category, { lead: string; co: string[] }> = {
  subject: { lead: 'edu', co: ['market'] },
  sports: { lead: 'edu', co: ['market'] },
  culture_arts: { lead: 'culture', co: ['edu', 'market'] },
  science_tech: { lead: 'science', co: ['edu', 'market'] },
};

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
let institutions: { id: string; name: string; category: Category }[] = [];
const used = new Set<string>();

/** An institution no other test has complained about (so clusters do not form by accident). */
function freshInstitution(category?: Category) {
  const inst = institutions.find((i) => !used.has(i.id) && (!category || i.category === category));
  if (!inst) throw new Error(`no unused institution of category ${category ?? 'any'} in the seeded registry`);
  used.add(inst.id);
  return inst;
}

let mobileSeq = 1000;
/** A fresh valid mobile number (the per-mobile limit is 5 a day). */
const nextMobile = () => `139${String(mobileSeq++).padStart(8, '0')}`;

const post = (body: unknown, headers: Record<string, string> = {}) => postJson(app, '/api/complaints', body, headers);

async function submitOk(overrides: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const res = await post(complaintBody({ mobile: nextMobile(), ...overrides }), headers);
  if (res.status !== 201) throw new Error(`expected 201, got ${res.status}: ${await res.text()}`);
  return (await res.json()) as {
    trackingCode: string;
    status: string;
    lead: { code: string; name: string };
    coHandlers: { code: string; name: string }[];
    acceptBy: string;
    calendarWarning?: { unknownYears: number[] };
  };
}

async function rowByCode(code: string) {
  const [row] = await deps.db.read.select().from(t.complaints).where(eq(t.complaints.trackingCode, code));
  if (!row) throw new Error(`no complaint ${code}`);
  return row;
}

async function countRows(table: string, where = '1=1', args: (string | number)[] = []): Promise<number> {
  const r = await deps.db.readClient.execute({ sql: `SELECT count(*) AS n FROM ${table} WHERE ${where}`, args });
  return Number(r.rows[0]!.n);
}

interface ErrorShape {
  code: string;
  message: string;
  issues?: { path: string; message: string }[];
}

/** Every 4xx answers { error: { code, message, issues? } } and nothing else. */
async function expectError(res: Response, status: number, code?: string): Promise<ErrorShape> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  const body = (await res.json()) as { error: ErrorShape };
  expect(Object.keys(body)).toEqual(['error']);
  const e = body.error;
  expect(typeof e.code).toBe('string');
  expect(typeof e.message).toBe('string');
  expect(e.message.length).toBeGreaterThan(0);
  for (const k of Object.keys(e)) expect(['code', 'message', 'issues']).toContain(k);
  if (e.issues !== undefined) {
    expect(Array.isArray(e.issues)).toBe(true);
    expect(e.issues.length).toBeGreaterThan(0);
    for (const i of e.issues) {
      expect(Object.keys(i).sort()).toEqual(['message', 'path']);
      expect(typeof i.path).toBe('string');
      expect(typeof i.message).toBe('string');
    }
  }
  if (code) expect(e.code).toBe(code);
  return e;
}

function issueAt(e: ErrorShape, path: string) {
  const issue = e.issues?.find((i) => i.path === path);
  expect(issue, `issue at ${path} in ${JSON.stringify(e.issues)}`).toBeDefined();
  return issue!;
}


// The official schedule knows the years up to 2026 only: the tests below are about 2027, a year
// with no official schedule, whatever the calendar package has learnt since.
officialScheduleUpTo(2026);
beforeAll(async () => {
  deps = await createSeededDeps(40, { now: FRIDAY });
  app = testApp(deps);
  institutions = await deps.db.read
    .select({ id: t.institutions.id, name: t.institutions.name, category: t.institutions.category })
    .from(t.institutions)
    .orderBy(asc(t.institutions.id));
});

afterAll(async () => {
  await deps?.cleanup();
});

beforeEach(() => {
  deps.clock.set(FRIDAY);
});

describe('intake: a registered institution', () => {
  for (const category of ['subject', 'sports', 'culture_arts', 'science_tech'] as const) {
    it(`${category}: 201, routed to ${EXPECTED_ROUTING[category].lead}, acceptBy Friday + 2 working days`, async () => {
      const inst = freshInstitution(category);
      const res = await post(complaintBody({ institutionId: inst.id, mobile: nextMobile() }));
      expect(res.status).toBe(201);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = await res.json();
      expect(body.trackingCode).toMatch(CODE_RE);
      expect(body.status).toBe('submitted');
      expect(body.lead.code).toBe(EXPECTED_ROUTING[category].lead);
      expect(body.lead.name).toMatch(/^区.+(局|管理局)$/);
      expect(body.coHandlers.map((c: { code: string }) => c.code).sort()).toEqual([...EXPECTED_ROUTING[category].co].sort());
      expect(body.acceptBy).toBe('2026-12-01'); // Fri 2026-11-27 → Mon (1) → Tue (2)
      expect(body.calendarWarning).toBeUndefined();

      const row = await rowByCode(body.trackingCode);
      expect(row.institutionId).toBe(inst.id);
      expect(row.leadDept).toBe(EXPECTED_ROUTING[category].lead);
      expect(row.routingRule).toBe(`licensed:${category}`);
      const co = await deps.db.read.select().from(t.complaintCoHandlers).where(eq(t.complaintCoHandlers.complaintId, row.id));
      expect(co.map((c) => c.departmentCode).sort()).toEqual([...EXPECTED_ROUTING[category].co].sort());
    });
  }

  it('culture & arts names its lead 区文化和旅游局', async () => {
    const inst = freshInstitution('culture_arts');
    const body = await submitOk({ institutionId: inst.id });
    expect(body.lead).toEqual({ code: 'culture', name: '区文化和旅游局' });
  });

  it('stores name and mobile only encrypted, with one event, the outbox rows and one audit row', async () => {
    const inst = freshInstitution('science_tech');
    const name = '欧阳明';
    const mobile = '13712340001';
    const body = await submitOk({ institutionId: inst.id, parentName: name, mobile: '+86 137 1234 0001', amountPaid: '3600.50', amountRequested: '12.5' });
    const row = await rowByCode(body.trackingCode);

    // personal data: encrypted at rest, decryptable by the handling department
    expect(row.parentNameEnc).toBeTruthy();
    expect(row.mobileEnc).toBeTruthy();
    expect(row.parentNameEnc).not.toContain(name);
    expect(row.mobileEnc).not.toContain(mobile);
    expect(row.mobileEnc).not.toContain('1234');
    expect(deps.pii.decrypt(row.parentNameEnc!)).toBe(name);
    expect(deps.pii.decrypt(row.mobileEnc!)).toBe(mobile); // normalised
    expect(row.mobileHash).toBe(deps.pii.mobileHash(mobile));
    const rawRow = await deps.db.readClient.execute({ sql: 'SELECT * FROM complaints WHERE id = ?', args: [row.id] });
    const rawText = JSON.stringify(rawRow.rows[0]);
    expect(rawText).not.toContain(name);
    expect(rawText).not.toContain(mobile);

    // money in fen
    expect(row.amountPaidFen).toBe(360050);
    expect(row.amountRequestedFen).toBe(1250);
    expect(row.status).toBe('submitted');
    expect(row.acceptBy).toBe('2026-12-01');
    expect(row.submittedAt.toISOString()).toBe('2026-11-27T02:00:00.000Z');

    // exactly one timeline event
    const events = await deps.db.read.select().from(t.complaintEvents).where(eq(t.complaintEvents.complaintId, row.id));
    expect(events).toHaveLength(1);
    expect(events[0]!.kind).toBe('submitted');
    expect(events[0]!.toStatus).toBe('submitted');
    expect(events[0]!.data).toMatchObject({ rule: 'licensed:science_tech', lead: 'science', acceptBy: '2026-12-01' });

    // outbox: mail to the lead, mail to co-handlers with a mailbox, SMS acknowledgement to the parent
    const outbox = await deps.db.read.select().from(t.outbox);
    const mine = outbox.filter((o) => (o.payload as { complaintId?: number }).complaintId === row.id || (o.topic === 'parent_ack' && o.recipient === String(row.id)));
    const lead = mine.filter((o) => o.topic === 'case_new_lead');
    expect(lead).toHaveLength(1);
    expect(lead[0]).toMatchObject({ channel: 'email', recipient: 'science', status: 'pending' });
    const ack = mine.filter((o) => o.topic === 'parent_ack');
    expect(ack).toHaveLength(1);
    expect(ack[0]).toMatchObject({ channel: 'sms', recipient: String(row.id), status: 'pending' });
    expect(ack[0]!.payload).toMatchObject({ trackingCode: body.trackingCode, acceptBy: '2026-12-01' });
    expect(mine.filter((o) => o.topic === 'case_new_cohandler').map((o) => o.recipient).sort()).toEqual(['edu', 'market']);
    expect(mine.filter((o) => o.topic === 'coordination_alert')).toHaveLength(0);
    const outboxText = JSON.stringify(mine.map((o) => o.payload));
    expect(outboxText).not.toContain(name);
    expect(outboxText).not.toContain(mobile);

    // audit: one row for this complaint, no personal data, chain intact
    const audit = await deps.db.read
      .select()
      .from(t.auditLog)
      .where(and(eq(t.auditLog.objectType, 'complaint'), eq(t.auditLog.objectId, String(row.id))));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'complaint.submit', actorKind: 'public' });
    expect(JSON.stringify(audit[0])).not.toContain(name);
    expect(JSON.stringify(audit[0])).not.toContain(mobile);
    const chain = await verifyAuditChain(deps.db);
    expect(chain).toEqual({ ok: true, checked: await countRows('audit_log'), brokenAt: null });
  });

  it('accepts application/json with a charset (as WeChat sends it)', async () => {
    const inst = freshInstitution();
    const res = await postJson(app, '/api/complaints', complaintBody({ institutionId: inst.id, mobile: nextMobile() }), {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(res.status).toBe(201);
  });

  it('uses the Beijing date: 00:30 Friday in Beijing (16:30 UTC Thursday) → acceptBy Tuesday', async () => {
    deps.clock.set('2026-11-26T16:30:00Z');
    const inst = freshInstitution();
    const body = await submitOk({ institutionId: inst.id });
    expect(body.acceptBy).toBe('2026-12-01');
  });

  it('a payment made "today" in Beijing is not in the future, even while UTC is still yesterday', async () => {
    deps.clock.set('2026-11-27T16:30:00Z'); // Saturday 00:30 Beijing
    const inst = freshInstitution();
    const body = await submitOk({ institutionId: inst.id, paidOn: '2026-11-28' });
    expect(body.acceptBy).toBe('2026-12-01'); // Sat → Mon (1) → Tue (2)
  });

  it('a deadline in a year without a holiday schedule carries a warning; an entered schedule moves it', async () => {
    deps.clock.set('2026-12-30T02:00:00Z'); // Wednesday
    const a = await submitOk({ institutionId: freshInstitution().id });
    expect(a.acceptBy).toBe('2027-01-01');
    expect(a.calendarWarning).toEqual({ unknownYears: [2027] });
    const rowA = await rowByCode(a.trackingCode);
    const [ev] = await deps.db.read.select().from(t.complaintEvents).where(eq(t.complaintEvents.complaintId, rowA.id));
    expect(ev!.data).toMatchObject({ unknownCalendarYears: [2027] });

    await deps.db.write((tx) => tx.insert(t.holidayOverrides).values({ date: '2027-01-01', isWorkday: false, name: '元旦' }));
    try {
      const b = await submitOk({ institutionId: freshInstitution().id });
      expect(b.acceptBy).toBe('2027-01-04');
      expect(b.calendarWarning).toBeUndefined();
    } finally {
      await deps.db.write((tx) => tx.delete(t.holidayOverrides).where(eq(t.holidayOverrides.date, '2027-01-01')));
    }
  });
});

describe('intake: an operator not in the registry', () => {
  it('edu leads; market and the town co-handle; the rule is stored', async () => {
    const body = await submitOk({
      institutionId: undefined,
      institutionName: '某某小饭桌托管辅导班',
      institutionAddress: '辛店街道某小区3号楼底商',
      town: 'xindian',
    });
    expect(body.trackingCode).toMatch(CODE_RE);
    expect(body.lead.code).toBe('edu');
    expect(body.coHandlers.map((c) => c.code).sort()).toEqual(['market', 'town_xindian']);
    const row = await rowByCode(body.trackingCode);
    expect(row).toMatchObject({
      institutionId: null,
      institutionName: '某某小饭桌托管辅导班',
      institutionAddress: '辛店街道某小区3号楼底商',
      townCode: 'xindian',
      leadDept: 'edu',
      routingRule: 'unregistered',
    });
    const co = await deps.db.read.select().from(t.complaintCoHandlers).where(eq(t.complaintCoHandlers.complaintId, row.id));
    expect(co.map((c) => c.departmentCode).sort()).toEqual(['market', 'town_xindian']);
  });

  it('an empty institutionId counts as "not in the list"', async () => {
    const body = await submitOk({ institutionId: '', institutionName: '无名美术工作室', institutionAddress: '齐都镇某村', town: 'qidu' });
    expect(body.coHandlers.map((c) => c.code).sort()).toEqual(['market', 'town_qidu']);
  });

  it('name, address and town are required without an institutionId', async () => {
    const res = await post(complaintBody({ institutionId: undefined, mobile: nextMobile() }));
    const e = await expectError(res, 422, 'validation_failed');
    issueAt(e, 'institutionName');
    issueAt(e, 'institutionAddress');
    issueAt(e, 'town');
  });

  it('an unknown town → 422 at town', async () => {
    const res = await post(complaintBody({ institutionId: undefined, institutionName: '某培训班', institutionAddress: '某路1号', town: 'nowhere', mobile: nextMobile() }));
    const e = await expectError(res, 422, 'validation_failed');
    expect(issueAt(e, 'town').message).toBe('请选择所在镇（街道）');
  });
});

describe('validation (422 with field paths)', () => {
  let before: number;
  beforeAll(async () => {
    before = await countRows('complaints');
  });
  afterAll(async () => {
    // none of the refused submissions left a row behind
    expect(await countRows('complaints')).toBe(before);
  });

  const bad = (overrides: Record<string, unknown>, headers: Record<string, string> = {}) =>
    post(complaintBody({ institutionId: institutions[0]!.id, mobile: nextMobile(), ...overrides }), headers);

  it('answers in zh-CN by default', async () => {
    const e = await expectError(await bad({ mobile: '12345' }), 422, 'validation_failed');
    expect(e.message).toBe('提交的内容有误，请按提示修改。');
    expect(issueAt(e, 'mobile').message).toBe('请输入11位手机号码');
  });

  it('answers in English with Accept-Language: en', async () => {
    const e = await expectError(await bad({ mobile: '12345' }, { 'accept-language': 'en-US,en;q=0.9' }), 422, 'validation_failed');
    expect(e.message).toBe('Some fields need attention.');
    expect(issueAt(e, 'mobile').message).toBe('Enter an 11-digit mainland mobile number');
  });

  it('a Chinese browser that also lists English still gets Chinese', async () => {
    const e = await expectError(await bad({ mobile: '12345' }, { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' }), 422);
    expect(issueAt(e, 'mobile').message).toBe('请输入11位手机号码');
  });

  it('reports every bad field at once', async () => {
    const e = await expectError(await bad({ course: '', contract: 'verbal', reason: 'because', mobile: 'abc' }), 422);
    for (const p of ['course', 'contract', 'reason', 'mobile']) issueAt(e, p);
  });

  it('a missing field is "required"', async () => {
    const body = complaintBody({ institutionId: institutions[0]!.id, mobile: nextMobile() });
    delete body.course;
    const e = await expectError(await post(body), 422);
    expect(issueAt(e, 'course').message).toBe('此项必填');
  });

  it('rejects unknown fields', async () => {
    const e = await expectError(await bad({ status: 'resolved', isAdmin: true }), 422, 'validation_failed');
    const issue = e.issues!.find((i) => i.path.includes('isAdmin'));
    expect(issue).toBeDefined();
    expect(issue!.path).toContain('status');
    expect(issue!.message).toBe('不认识的字段');
  });

  it('an unknown institutionId → 422 at institutionId', async () => {
    const e = await expectError(await bad({ institutionId: 'demo-9999' }), 422, 'validation_failed');
    expect(issueAt(e, 'institutionId').message).toBe('未找到该机构，请重新选择或选择“不在列表中”');
  });

  it('a malformed institutionId → 422 at institutionId', async () => {
    const e = await expectError(await bad({ institutionId: "demo-0001' OR 1=1" }), 422);
    issueAt(e, 'institutionId');
  });

  it.each([false, 'false', '', undefined])('consentProcessing %j → 422 at consentProcessing', async (consent) => {
    const e = await expectError(await bad({ consentProcessing: consent }), 422);
    expect(issueAt(e, 'consentProcessing').message).toBe('需要您同意处理个人信息，才能受理投诉');
  });

  it('amountRequested above amountPaid → 422 at amountRequested', async () => {
    const e = await expectError(await bad({ amountPaid: '1000', amountRequested: '1000.01' }), 422);
    expect(issueAt(e, 'amountRequested').message).toBe('申请退还金额不能超过已缴金额');
  });

  it.each(['12.345', 12.345, '1,000', '-5', 'abc', '1e3'])('amount %j → 422 at amountPaid', async (amount) => {
    const e = await expectError(await bad({ amountPaid: amount, amountRequested: 1 }), 422);
    issueAt(e, 'amountPaid');
  });

  it('a zero amount is refused', async () => {
    const e = await expectError(await bad({ amountRequested: 0 }), 422);
    expect(issueAt(e, 'amountRequested').message).toBe('金额应大于0且不超过100万元');
  });

  it('classesUsed above classesTotal → 422 at classesUsed', async () => {
    const e = await expectError(await bad({ classesTotal: 10, classesUsed: 11 }), 422);
    issueAt(e, 'classesUsed');
  });

  it('paidOn in the future (Beijing today is 2026-11-27) → 422 at paidOn', async () => {
    const e = await expectError(await bad({ paidOn: '2026-11-28' }), 422, 'validation_failed');
    expect(issueAt(e, 'paidOn').message).toBe('缴费日期不能晚于今天');
    const en = await expectError(await bad({ paidOn: '2027-01-01' }, { 'accept-language': 'en' }), 422);
    expect(issueAt(en, 'paidOn').message).toBe('The payment date cannot be in the future');
  });

  it.each(['2026-02-30', '2026/09/01', '20260901', 'yesterday'])('paidOn %j → 422 at paidOn', async (paidOn) => {
    const e = await expectError(await bad({ paidOn }), 422);
    issueAt(e, 'paidOn');
  });

  it('control characters in text are refused', async () => {
    const e = await expectError(await bad({ parentName: '王\u202Eming' }), 422);
    issueAt(e, 'parentName');
  });

  it('a lone UTF-16 surrogate (not a character; UTF-8 cannot store it) is refused', async () => {
    const res = await app.request('/api/complaints', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(complaintBody({ institutionId: institutions[0]!.id, mobile: nextMobile() })).replace('"少儿美术秋季班"', '"少儿\\ud800美术"'),
    });
    expect(issueAt(await expectError(res, 422), 'course').message).toBe('包含无法识别的字符');
  });

  it('a JSON array or null is a 422, not a crash', async () => {
    await expectError(await post([]), 422, 'validation_failed');
    await expectError(await post(null), 422, 'validation_failed');
  });

  it('a malformed Idempotency-Key → 422', async () => {
    const e = await expectError(await bad({}, { 'idempotency-key': 'short' }), 422);
    issueAt(e, 'Idempotency-Key');
  });
});

describe('transport errors', () => {
  it('bad JSON → 400 with the error shape', async () => {
    const res = await app.request('/api/complaints', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"institutionId":' });
    await expectError(res, 400, 'bad_json');
  });

  it('a wrong content type → 415', async () => {
    const json = JSON.stringify(complaintBody({ mobile: nextMobile() }));
    await expectError(await app.request('/api/complaints', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: json }), 415, 'unsupported_media');
    await expectError(
      await app.request('/api/complaints', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'course=x' }),
      415,
      'unsupported_media',
    );
  });

  it('a body over 64 KB → 413 and nothing stored', async () => {
    const before = await countRows('complaints');
    const huge = complaintBody({ institutionId: institutions[0]!.id, mobile: nextMobile(), description: '退'.repeat(30_000) }); // ~90 KB of UTF-8
    const res = await post(huge);
    const e = await expectError(res, 413, 'payload_too_large');
    expect(e.message).toBe('提交的内容过大。');
    expect(await countRows('complaints')).toBe(before);
  });

  it('an unknown API path → 404 with the error shape', async () => {
    await expectError(await app.request('/api/nothing-here'), 404, 'not_found');
  });
});

describe('Idempotency-Key (a parent double-taps or the network retries)', () => {
  it('same key + same body → both 201 with the same tracking code, one row', async () => {
    const before = await countRows('complaints');
    const body = complaintBody({ institutionId: freshInstitution().id, mobile: nextMobile() });
    const headers = { 'idempotency-key': 'retry-key-0001' };
    const r1 = await post(body, headers);
    const r2 = await post(body, headers);
    expect(r1.status).toBe(201);
    expect(r2.status).toBe(201);
    const b1 = await r1.json();
    const b2 = await r2.json();
    expect(b2.trackingCode).toBe(b1.trackingCode);
    expect(b2).toEqual(b1);
    expect(r2.headers.get('idempotent-replayed')).toBe('true');
    expect(await countRows('complaints')).toBe(before + 1);
    expect(await countRows('complaint_events', 'complaint_id = (SELECT id FROM complaints WHERE tracking_code = ?)', [b1.trackingCode])).toBe(1);
    expect(await countRows('outbox', "topic = 'parent_ack' AND recipient = (SELECT CAST(id AS TEXT) FROM complaints WHERE tracking_code = ?)", [b1.trackingCode])).toBe(1);
  });

  it('the same key with a different body → 422 idempotency_conflict, nothing stored', async () => {
    const headers = { 'idempotency-key': 'retry-key-0002' };
    const inst = freshInstitution();
    const mobile = nextMobile();
    expect((await post(complaintBody({ institutionId: inst.id, mobile }), headers)).status).toBe(201);
    const before = await countRows('complaints');
    const res = await post(complaintBody({ institutionId: inst.id, mobile, amountRequested: 100 }), headers);
    const e = await expectError(res, 422, 'idempotency_conflict');
    expect(e.message).toBe('同一个请求编号被用于不同的内容。');
    expect(await countRows('complaints')).toBe(before);
  });
});

describe('tracking (code + last four digits of the mobile)', () => {
  const name = '赵家长';
  const mobile = '13800005678';
  let code: string;
  let unknown404: string;

  beforeAll(async () => {
    deps.clock.set(FRIDAY);
    const body = await submitOk({ institutionId: freshInstitution('culture_arts').id, parentName: name, mobile });
    code = body.trackingCode;
    const res = await app.request('/api/complaints/TS-2222-2222?last4=5678');
    expect(res.status).toBe(404);
    unknown404 = await res.text();
  });

  it('200 with status, lead, deadline and timeline — and no personal data', async () => {
    const res = await app.request(`/api/complaints/${code}?last4=5678`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    const view = JSON.parse(text);
    expect(view.trackingCode).toBe(code);
    expect(view.status).toBe('submitted');
    expect(view.lead).toMatchObject({ code: 'culture', nameZh: '区文化和旅游局' });
    expect(view.coHandlers.map((c: { code: string }) => c.code).sort()).toEqual(['edu', 'market']);
    expect(view.deadlines.acceptBy).toBe('2026-12-01');
    expect(view.timeline).toHaveLength(1);
    expect(view.timeline[0]).toMatchObject({ kind: 'submitted', toStatus: 'submitted' });
    expect(text).not.toContain(name);
    expect(text).not.toContain(mobile);
    const row = await rowByCode(code);
    expect(text).not.toContain(row.mobileEnc!);
    expect(text).not.toContain(row.mobileHash!);
  });

  it('accepts the code typed in lowercase with spaces around it', async () => {
    const res = await app.request(`/api/complaints/${encodeURIComponent(` ${code.toLowerCase()} `)}?last4=5678`);
    expect(res.status).toBe(200);
  });

  it('a wrong last4 → 404, byte-identical to an unknown code', async () => {
    const res = await app.request(`/api/complaints/${code}?last4=5679`);
    expect(res.status).toBe(404);
    const text = await res.text();
    expect(text).toBe(unknown404);
    await expectError(new Response(text, { status: 404, headers: { 'content-type': 'application/json' } }), 404, 'not_found');
  });

  it('a malformed code also answers like an unknown one', async () => {
    const res = await app.request('/api/complaints/TS-12?last4=5678');
    expect(res.status).toBe(404);
    expect(await res.text()).toBe(unknown404);
  });

  it.each(['567', '56789', 'abcd', ''])('a malformed last4 %j → 422 at last4', async (last4) => {
    const res = await app.request(`/api/complaints/${code}?last4=${encodeURIComponent(last4)}`);
    const e = await expectError(res, 422, 'validation_failed');
    expect(issueAt(e, 'last4').message).toBe('请输入手机号后四位数字');
  });
});

describe('clusters (群体性退费风险)', () => {
  it('3 complaints against one institution within 7 days share a cluster and alert the coordination office', async () => {
    const inst = freshInstitution();
    const a = await submitOk({ institutionId: inst.id });
    deps.clock.set(new Date(Date.parse(FRIDAY) + 1 * DAY));
    const b = await submitOk({ institutionId: inst.id });
    expect((await rowByCode(a.trackingCode)).clusterId).toBeNull();
    expect((await rowByCode(b.trackingCode)).clusterId).toBeNull();

    deps.clock.set(new Date(Date.parse(FRIDAY) + 6 * DAY));
    const c = await submitOk({ institutionId: inst.id });
    const rows = await Promise.all([a, b, c].map((x) => rowByCode(x.trackingCode)));
    const clusterId = rows[2]!.clusterId;
    expect(clusterId).not.toBeNull();
    expect(rows.map((r) => r.clusterId)).toEqual([clusterId, clusterId, clusterId]);

    const [cluster] = await deps.db.read.select().from(t.clusters).where(eq(t.clusters.id, clusterId!));
    expect(cluster).toMatchObject({ institutionId: inst.id, trigger: 'count', status: 'open' });

    const alerts = (await deps.db.read.select().from(t.outbox).where(eq(t.outbox.topic, 'coordination_alert'))).filter(
      (o) => (o.payload as { clusterId?: number }).clusterId === clusterId,
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ channel: 'email', recipient: 'edu', status: 'pending' });
    expect((alerts[0]!.payload as { alertReasons: string[] }).alertReasons).toContain('cluster');
    expect((alerts[0]!.payload as { complaintId: number }).complaintId).toBe(rows[2]!.id);
  });

  it('later members of an open cluster join it without alerting the office again', async () => {
    const inst = freshInstitution();
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) codes.push((await submitOk({ institutionId: inst.id })).trackingCode);
    const rows = await Promise.all(codes.map(rowByCode));
    const clusterId = rows[2]!.clusterId;
    expect(clusterId).not.toBeNull();
    expect(rows.map((r) => r.clusterId)).toEqual(Array(5).fill(clusterId));
    expect(await countRows('clusters', 'institution_key = ?', [inst.id])).toBe(1);
    const alerts = (await deps.db.read.select().from(t.outbox).where(eq(t.outbox.topic, 'coordination_alert'))).filter(
      (o) => (o.payload as { clusterId?: number }).clusterId === clusterId,
    );
    // one alert, from the complaint that opened the cluster (the 3rd), none from the 4th and 5th
    expect(alerts.map((a) => (a.payload as { complaintId: number }).complaintId)).toEqual([rows[2]!.id]);
  });

  it("a 停业/失联 complaint joining an open cluster still alerts, for its own reason", async () => {
    const inst = freshInstitution();
    for (let i = 0; i < 3; i++) await submitOk({ institutionId: inst.id });
    const closed = await submitOk({ institutionId: inst.id, reason: 'closed' });
    const row = await rowByCode(closed.trackingCode);
    expect(row.clusterId).not.toBeNull();
    const alerts = (await deps.db.read.select().from(t.outbox).where(eq(t.outbox.topic, 'coordination_alert'))).filter(
      (o) => (o.payload as { complaintId?: number }).complaintId === row.id,
    );
    expect(alerts).toHaveLength(1);
    expect((alerts[0]!.payload as { alertReasons: string[] }).alertReasons).toEqual(['closed_reason']);
    expect((alerts[0]!.payload as { clusterId: number }).clusterId).toBe(row.clusterId);
  });

  it('complaints staff marked as spam do not count toward the threshold', async () => {
    const inst = freshInstitution();
    const a = await submitOk({ institutionId: inst.id });
    const b = await submitOk({ institutionId: inst.id });
    await deps.db.write((tx) => tx.update(t.complaints).set({ isSpam: true }).where(eq(t.complaints.trackingCode, b.trackingCode)));
    // 3rd complaint, but only 2 count: no cluster, no alert
    const c = await submitOk({ institutionId: inst.id });
    expect((await rowByCode(c.trackingCode)).clusterId).toBeNull();
    expect(await countRows('clusters', 'institution_key = ?', [inst.id])).toBe(0);
    // the 4th makes 3 genuine ones: the cluster forms without the spam complaint
    const d = await submitOk({ institutionId: inst.id });
    const clusterId = (await rowByCode(d.trackingCode)).clusterId;
    expect(clusterId).not.toBeNull();
    expect((await rowByCode(a.trackingCode)).clusterId).toBe(clusterId);
    expect((await rowByCode(c.trackingCode)).clusterId).toBe(clusterId);
    expect((await rowByCode(b.trackingCode)).clusterId).toBeNull();
  });

  it('complaints spread over more than 7 days do not form a cluster', async () => {
    const inst = freshInstitution();
    const a = await submitOk({ institutionId: inst.id });
    deps.clock.set(new Date(Date.parse(FRIDAY) + 1 * DAY));
    const b = await submitOk({ institutionId: inst.id });
    deps.clock.set(new Date(Date.parse(FRIDAY) + 8 * DAY));
    const c = await submitOk({ institutionId: inst.id });
    for (const x of [a, b, c]) expect((await rowByCode(x.trackingCode)).clusterId).toBeNull();
    expect(await countRows('clusters', 'institution_key = ?', [inst.id])).toBe(0);
  });

  it("reason 'closed' (停业/失联) alone alerts the coordination office", async () => {
    const inst = freshInstitution();
    const a = await submitOk({ institutionId: inst.id, reason: 'closed' });
    const row = await rowByCode(a.trackingCode);
    expect(row.clusterId).not.toBeNull();
    const [cluster] = await deps.db.read.select().from(t.clusters).where(eq(t.clusters.id, row.clusterId!));
    expect(cluster!.trigger).toBe('closed_reason');
    const alerts = (await deps.db.read.select().from(t.outbox).where(eq(t.outbox.topic, 'coordination_alert'))).filter(
      (o) => (o.payload as { complaintId?: number }).complaintId === row.id,
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.recipient).toBe('edu');
    expect((alerts[0]!.payload as { alertReasons: string[] }).alertReasons).toContain('closed_reason');
    // the lead is still the category's department (首接负责制), the office is only alerted
    expect(a.lead.code).toBe(EXPECTED_ROUTING[inst.category].lead);
  });

  it('an unregistered operator typed slightly differently by each parent still clusters', async () => {
    const typed = ['金色摇篮培训中心（临淄）', '金色摇篮 培训中心 (临淄)', '金色摇篮培训中心·临淄'];
    const codes: string[] = [];
    for (const name of typed) {
      const r = await submitOk({ institutionId: undefined, institutionName: name, institutionAddress: '稷下街道某路8号', town: 'jixia' });
      codes.push(r.trackingCode);
    }
    const rows = await Promise.all(codes.map(rowByCode));
    expect(rows[0]!.clusterId).not.toBeNull();
    expect(new Set(rows.map((r) => r.clusterId)).size).toBe(1);
  });
});

describe('abuse protection', () => {
  it('the 6th complaint from one mobile in a day → 429 with Retry-After, no 6th row', async () => {
    const mobile = '13655550001';
    const hash = deps.pii.mobileHash(mobile);
    for (let i = 0; i < 5; i++) {
      const res = await post(complaintBody({ institutionId: freshInstitution().id, mobile }));
      expect(res.status, `complaint ${i + 1}`).toBe(201);
    }
    const res = await post(complaintBody({ institutionId: freshInstitution().id, mobile: '+86 136 5555 0001' }));
    const e = await expectError(res, 429, 'rate_limited');
    expect(e.message).toBe('提交过于频繁，请稍后再试。');
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(24 * 3600);
    expect(await countRows('complaints', 'mobile_hash = ?', [hash])).toBe(5);

    // another parent is not affected
    expect((await post(complaintBody({ institutionId: freshInstitution().id, mobile: nextMobile() }))).status).toBe(201);
    // the same parent can file again once the window has passed
    deps.clock.set(new Date(Date.parse(FRIDAY) + retryAfter * 1000));
    expect((await post(complaintBody({ institutionId: freshInstitution().id, mobile }))).status).toBe(201);
    expect(await countRows('complaints', 'mobile_hash = ?', [hash])).toBe(6);
  });

  it('a banned mobile → 403 banned, no row, whatever the number formatting', async () => {
    const mobile = '13566660002';
    const hash = deps.pii.mobileHash(mobile);
    await deps.db.write((tx) => tx.insert(t.bannedMobiles).values({ mobileHash: hash, reason: '恶意重复投诉', addedAt: deps.clock.now() }));
    const before = await countRows('complaints');
    for (const form of [mobile, '+86 135 6666 0002', '135-6666-0002']) {
      const e = await expectError(await post(complaintBody({ institutionId: institutions[1]!.id, mobile: form })), 403, 'banned');
      expect(e.message).toContain('12345');
    }
    const en = await expectError(await post(complaintBody({ institutionId: institutions[1]!.id, mobile }), { 'accept-language': 'en' }), 403, 'banned');
    expect(en.message).toContain('hotline');
    expect(await countRows('complaints')).toBe(before);
    expect(await countRows('complaints', 'mobile_hash = ?', [hash])).toBe(0);
  });
});

describe('audit chain after all of the above', () => {
  it('still verifies', async () => {
    const chain = await verifyAuditChain(deps.db);
    expect(chain.ok).toBe(true);
    expect(chain.brokenAt).toBeNull();
    expect(chain.checked).toBe(await countRows('complaints'));
  });
});
