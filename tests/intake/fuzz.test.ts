/**
 * Property-based test (fast-check) of POST /api/complaints: thousands of malformed and hostile
 * bodies — wrong types, huge strings, control characters, script tags, SQL, emoji, NaN/Infinity,
 * extra fields, nested objects and arrays, prototype keys — sent through app.request.
 *
 * Properties: every answer is a 4xx (never 2xx, never 5xx) in the one error shape, every 422
 * carries issues with field paths, and the database is exactly as it was (no row in complaints,
 * events, outbox, audit log, attachments, rate limits, ...).
 *
 * Each generated body carries at least one mutation that is invalid by construction, so a 201 is
 * a real finding, not bad luck; the hostile-but-legal strings (script tags, SQL, emoji) ride along
 * in the other fields to make sure they cannot trip anything on the way to the validator.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ComplaintInputSchema } from '../../api/intake/schema.ts';
import { complaintBody, createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';
import { expectErrorShape, multipartBody, rowCounts } from '../helpers/intake.ts';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
let before: Record<string, number>;
/** The answers of the running test (each test checks its own, whatever ran before it). */
const statuses = new Map<number, number>();

const SCHEMA_KEYS = new Set(Object.keys(ComplaintInputSchema.shape));
const ALLOWED_STATUSES = new Set([400, 413, 415, 422]);

beforeAll(async () => {
  deps = await createSeededDeps(5);
  app = testApp(deps);
  before = await rowCounts(deps);
});
afterAll(async () => {
  await deps?.cleanup();
});
beforeEach(() => {
  statuses.clear();
});

/** What every test ends with: the database exactly as it was, `runs` answers, none 2xx or 5xx. */
async function expectUntouched(runs: number) {
  expect(await rowCounts(deps)).toEqual(before);
  expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(runs);
  for (const s of statuses.keys()) expect(ALLOWED_STATUSES.has(s), `status ${s}`).toBe(true);
}

/** Sends one request and checks the properties every answer must have. */
async function send(init: RequestInit): Promise<number> {
  const res = await app.request('/api/complaints', { method: 'POST', ...init });
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  const text = await res.text();
  if (!ALLOWED_STATUSES.has(res.status)) throw new Error(`status ${res.status} for ${String(init.body).slice(0, 300)}: ${text.slice(0, 500)}`);
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  expectErrorShape(res.status, JSON.parse(text));
  return res.status;
}

// ------------------------------------------------------------------ building blocks

const CONTROL_CHARS = ['\u0000', '\u0001', '\u0007', '\u0008', '\u000B', '\u001B', '\u007F', '\u0085', '\u009F', '\u202E', '\u2066', '\u2069'];
const HOSTILE_TEXT = [
  '<script>alert(document.cookie)</script>',
  '<img src=x onerror=alert(1)>',
  "'; DROP TABLE complaints; --",
  "Robert'); DELETE FROM outbox WHERE ('1'='1",
  '1 OR 1=1 UNION SELECT mobile_enc FROM complaints',
  '😀👨‍👩‍👧‍👦🇨🇳 退费 ',
  '{{7*7}} ${7*7} #{7*7}',
  '../../../../etc/passwd',
  '%00%0d%0aSet-Cookie: x=1',
  'ＡＢＣ１２３　全角',
  'Z̷̢̛͓a̸̡͝l̶̛g̵o̴',
  '\\u0000 not a real escape',
];

/** A string that always contains a control or bidi character, away from the ends (trim keeps it). */
const withControl = fc.tuple(fc.string({ maxLength: 20 }), fc.constantFrom(...CONTROL_CHARS), fc.string({ maxLength: 20 })).map(([a, c, b]) => `x${a}${c}${b}x`);
/** Strings past a field's limit, in ASCII and in astral emoji (limits count characters, not UTF-16 units). */
const tooLong = (max: number) => fc.oneof(fc.constant('x'.repeat(max + 1)), fc.constant('😀'.repeat(max + 1)), fc.string({ minLength: max + 1, maxLength: max + 50, unit: 'grapheme-ascii' }).filter((s) => s.trim().length > max));
const notAString = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }));
const notANumberLike = fc.oneof(fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }));
const VALID_ENUMS: Record<string, string[]> = {
  contract: ['model', 'other', 'none'],
  paidVia: ['custody_account', 'other_account', 'cash', 'platform'],
  reason: ['closed', 'refused', 'delayed', 'misleading', 'teacher', 'safety', 'other'],
};

/** For each field, values that field must refuse whatever the rest of the body says. */
const INVALID: Record<string, fc.Arbitrary<unknown>> = {
  institutionId: fc.oneof(fc.constantFrom("demo-0001' OR '1'='1", 'demo 0001', '../demo-0001', 'x'.repeat(65), '<b>'), notAString.filter((v) => v !== null), fc.constant(null)),
  course: fc.oneof(notAString, withControl, tooLong(100), fc.constantFrom('', '   ', '\n\t')),
  description: fc.oneof(notAString, withControl, tooLong(2000), fc.constantFrom('short', '         ')),
  parentName: fc.oneof(notAString, withControl, tooLong(40), fc.constant('')),
  contract: fc.oneof(notAString, fc.string().filter((s) => !VALID_ENUMS.contract!.includes(s))),
  paidVia: fc.oneof(notAString, fc.string().filter((s) => !VALID_ENUMS.paidVia!.includes(s))),
  reason: fc.oneof(notAString, fc.string().filter((s) => !VALID_ENUMS.reason!.includes(s)), fc.constantFrom('CLOSED', ' closed')),
  paidOn: fc.oneof(notAString, fc.constantFrom('2026-02-30', '2026-13-01', '2026-00-10', '9999-12-31', '2027-01-01', '2014-12-31', 'yesterday', '2026-09-01T00:00:00Z', ' 2026-09-01x', '２０２６-09-01', '')),
  amountPaid: fc.oneof(notANumberLike, fc.constantFrom('NaN', 'Infinity', '-Infinity', '-1', '0', '0.00', '1e3', '12.345', '1,000', '￥100', '100元', '', '99999999', 1.234, -5, 0, 1_000_000.01)),
  amountRequested: fc.oneof(notANumberLike, fc.constantFrom('NaN', 'Infinity', '-1', '0', '1e2', '0x10', '3600.001', '3600.01', 3601, '')),
  classesTotal: fc.oneof(notANumberLike, fc.constantFrom(-1, 1.5, 10_001, 1e21, 'NaN', 'Infinity', '-3', '1e2', 'twelve', '', '0x0C')),
  classesUsed: fc.oneof(notANumberLike, fc.constantFrom(-1, 2.5, 49, 10_001, 'NaN', '49', '1e1', '')),
  mobile: fc.oneof(notAString, fc.constantFrom('12345', '1391234567', '139123456789', '23912345678', '+1 212 555 0100', '139-1234-567x', '13912345678\u0000', '', '１３９１２３４５６７８'), tooLong(100)),
  consentProcessing: fc.oneof(fc.constantFrom(false, 'false', '0', '', 'no', 'off', 'TRUE', 0, 1, null), fc.array(fc.boolean(), { maxLength: 2 }), fc.dictionary(fc.string(), fc.boolean(), { maxKeys: 2 })),
  consentPublication: fc.oneof(fc.constantFrom('yes', 'no', 2, -1, 'null'), fc.array(fc.boolean(), { minLength: 1, maxLength: 2 }), fc.dictionary(fc.string(), fc.boolean(), { maxKeys: 2 })),
  pow: fc.oneof(fc.constant('x'.repeat(201)), fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 })),
};

/** Keys an attacker might add: prototype keys, server-side fields, and anything else. */
const extraKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'isAdmin', 'status', 'trackingCode', 'leadDept', 'isSpam', 'isDemo', 'clusterId', 'evidence', 'id', 'toString', 'hasOwnProperty'),
  fc.string({ minLength: 1, maxLength: 30 }).filter((k) => !SCHEMA_KEYS.has(k)),
);

type Mutation = { kind: 'invalid'; field: string; value: unknown } | { kind: 'delete'; field: string } | { kind: 'extra'; key: string; value: unknown };

const REQUIRED = ['course', 'contract', 'paidOn', 'amountPaid', 'classesTotal', 'classesUsed', 'amountRequested', 'paidVia', 'reason', 'description', 'parentName', 'mobile', 'consentProcessing'];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...Object.keys(INVALID)).chain((field) => INVALID[field]!.map((value): Mutation => ({ kind: 'invalid', field, value }))) },
  { weight: 2, arbitrary: fc.constantFrom(...REQUIRED).map((field): Mutation => ({ kind: 'delete', field })) },
  { weight: 2, arbitrary: fc.tuple(extraKey, fc.jsonValue({ maxDepth: 3 })).map(([key, value]): Mutation => ({ kind: 'extra', key, value })) },
);

/** Legal but hostile text in the free-text fields, so it travels with every invalid body. */
const noise = fc.record(
  {
    course: fc.constantFrom(...HOSTILE_TEXT).map((s) => s.slice(0, 100)),
    description: fc.constantFrom(...HOSTILE_TEXT).map((s) => `${s} 这是一段足够长的描述。`),
    parentName: fc.constantFrom(...HOSTILE_TEXT).map((s) => s.slice(0, 40)),
  },
  { requiredKeys: [] },
);

/** A valid body with legal noise, then 1–3 mutations (at least one invalid by construction). */
const hostileObject = fc.tuple(noise, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([n, muts]) => {
  const entries = new Map<string, unknown>(Object.entries({ ...complaintBody({ institutionId: 'demo-0001' }), ...n }));
  for (const m of muts) {
    if (m.kind === 'invalid') entries.set(m.field, m.value);
    else if (m.kind === 'delete') entries.delete(m.field);
    else entries.set(m.key, m.value);
  }
  // fromEntries defines own properties, so "__proto__" is sent as a key rather than setting a prototype.
  return Object.fromEntries(entries);
});

/** Raw JSON text with a field's value swapped for a token JSON.stringify cannot produce. */
const RAW_TOKENS = ['NaN', 'Infinity', '-Infinity', 'undefined', '1e400', '-1e400', '0x10', "'single'", 'tru', 'nul', '01', '.5', '+1', '"\\ud800"', '"\\u0000"', '{"$gt":0}', '[]', '{}'];
const rawJson = fc.oneof(
  fc.tuple(fc.constantFrom(...REQUIRED), fc.constantFrom(...RAW_TOKENS)).map(([field, token]) => {
    const text = JSON.stringify(complaintBody({ institutionId: 'demo-0001' }));
    return text.replace(new RegExp(`"${field}":(?:"[^"]*"|[^,}]+)`), `"${field}":${token}`);
  }),
  fc.string({ maxLength: 200 }),
  fc.string({ maxLength: 200, unit: 'binary' }),
  fc.jsonValue().map((v) => JSON.stringify(v)).filter((s) => !s.startsWith('{')),
  fc.constantFrom(
    '',
    '{',
    '{"course":',
    '\uFEFF{}',
    '[' .repeat(20_000) + ']'.repeat(20_000),
    '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000),
    `{"course":"a","course":{"$ne":null}}`,
    JSON.stringify(complaintBody()) + 'garbage',
    JSON.stringify(complaintBody()).replace('{', '{,'),
  ),
);

// ------------------------------------------------------------------ properties

describe('POST /api/complaints under hostile input', () => {
  it('hostile JSON objects → 4xx with field paths, never a 2xx or 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(hostileObject, fc.constantFrom('zh-CN', 'en'), async (body, lang) => {
        const status = await send({ headers: { 'content-type': 'application/json', 'accept-language': lang }, body: JSON.stringify(body) });
        expect([413, 422]).toContain(status);
      }),
      { numRuns: 2000 },
    );
    await expectUntouched(2000);
  });

  it('malformed JSON text (NaN, Infinity, deep nesting, broken syntax, binary) → 400 or 422', async () => {
    await fc.assert(
      fc.asyncProperty(rawJson, async (text) => {
        const status = await send({ headers: { 'content-type': 'application/json; charset=utf-8' }, body: text });
        expect([400, 413, 422]).toContain(status);
      }),
      { numRuns: 1000 },
    );
    await expectUntouched(1000);
  });

  it('top-level values that are not an object (arrays, strings, numbers, null) → 422 at (body)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 3 }).filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)),
        async (v) => {
          const res = await app.request('/api/complaints', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(v) });
          expect(res.status).toBe(422);
          const e = expectErrorShape(422, await res.json());
          expect(e.issues!.map((i) => i.path)).toContain('(body)');
        },
      ),
      { numRuns: 300 },
    );
    expect(await rowCounts(deps)).toEqual(before);
  });

  it('hostile multipart forms, with random files, → 4xx with field paths', async () => {
    // At least one byte: an empty part is what a browser sends when no file was chosen, and is
    // rightly ignored (so a valid complaint with only empty parts is accepted).
    const file = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 2048 }),
      // real magic numbers followed by garbage: must be refused by the decoder, not stored
      fc.tuple(fc.constantFrom([0xff, 0xd8, 0xff], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), fc.uint8Array({ maxLength: 2048 })).map(([m, rest]) => new Uint8Array([...m, ...rest])),
    );
    const fileName = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('../../etc/passwd', 'C:\\fakepath\\a.jpg', 'a\u202Egpj.exe', '<script>.png'));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(hostileObject, fc.constant(complaintBody({ institutionId: 'demo-0001' }))),
        fc.array(fc.record({ name: fileName, bytes: file }), { minLength: 1, maxLength: 3 }),
        async (fields, files) => {
          // Form fields are strings: objects and arrays arrive as their String() form.
          const form = multipartBody(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])), files);
          const status = await send({ body: form });
          expect(status).toBe(422);
        },
      ),
      { numRuns: 300 },
    );
    await expectUntouched(300);
  });

  it('other content types and hostile headers → 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'application/jsonx', 'json', '', 'multipart/mixed; boundary=x', 'application/json-patch+json'),
        fc.string({ maxLength: 100, unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
        hostileObject,
        async (type, idemKey, body) => {
          const headers: Record<string, string> = { 'idempotency-key': idemKey };
          if (type) headers['content-type'] = type;
          const status = await send({ headers, body: JSON.stringify(body) });
          expect([413, 415, 422]).toContain(status);
        },
      ),
      { numRuns: 300 },
    );
    await expectUntouched(300);
  });

  it('prototype keys do not pollute anything', async () => {
    const body = JSON.stringify(complaintBody()).replace('{', '{"__proto__":{"isAdmin":true,"status":"resolved"},"constructor":{"prototype":{"polluted":1}},');
    expect(await send({ headers: { 'content-type': 'application/json' }, body })).toBe(422);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await expectUntouched(1);
  });

  it('left the database exactly as it was, and never answered 2xx or 5xx', async () => {
    // Its own mixed barrage (each test above checks the same after its own): JSON objects, JSON
    // text and other content types, one after another on the same database.
    const kinds = fc.oneof(
      hostileObject.map((body): RequestInit => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })),
      rawJson.map((text): RequestInit => ({ headers: { 'content-type': 'application/json' }, body: text })),
      hostileObject.map((body): RequestInit => ({ headers: { 'content-type': 'text/plain' }, body: JSON.stringify(body) })),
    );
    await fc.assert(
      fc.asyncProperty(kinds, async (init) => {
        await send(init);
      }),
      { numRuns: 500 },
    );
    await expectUntouched(500);
  });
});
