/**
 * Contract test of POST /api/complaints against its published JSON Schema (GET /api/openapi.json,
 * components.schemas.ComplaintInput): bodies generated from the schema itself are all accepted
 * (never a 422), and bodies the schema refuses are never filed (never a 201).
 *
 * The generator reads the schema's keywords (type, enum, const, anyOf, pattern, format, minimum /
 * maximum / exclusiveMinimum / multipleOf, required, additionalProperties, the oneOf of
 * institutionId vs. an unregistered operator) — it knows no field by name. Patterns are generated
 * with fast-check's stringMatching. What the schema's description says is beyond JSON Schema
 * (registry membership of institutionId and town, classesUsed ≤ classesTotal, amountRequested ≤
 * amountPaid, paidOn not after today) is applied to the generated body afterwards, and every
 * body is checked with ajv before it is sent, so the generator cannot pass off a body the
 * schema refuses. Proof-of-work and rate limits are off: they are not part of the body's shape.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOWNS } from '../../api/demo/reference.ts';
import { createSeededDeps, postJson, testApp, type TestDeps } from '../helpers/test-deps.ts';

type Schema = Record<string, unknown>;
type Body = Record<string, unknown>;

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
let input: Schema;
let validate: ValidateFunction;
const TODAY = '2026-11-27'; // the test clock's Beijing date (createTestDeps)
const INSTITUTION_IDS = Array.from({ length: 10 }, (_, i) => `demo-${String(i + 1).padStart(4, '0')}`);

const validDate = (s: string) => {
  const d = new Date(`${s}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
};

beforeAll(async () => {
  deps = await createSeededDeps(10, { env: { INTAKE_POW: 'off', INTAKE_RATE_LIMIT: 'off' } });
  app = testApp(deps);
  const doc = (await (await app.request('/api/openapi.json')).json()) as { components: { schemas: Record<string, Schema> } };
  input = doc.components.schemas.ComplaintInput!;
  // The validator consumers use; multipleOfPrecision: ajv divides (639225.08 / 0.01 is not an integer in floating point).
  const ajv = new Ajv2020({ strict: false, allErrors: true, multipleOfPrecision: 6 });
  ajv.addFormat('date', validDate);
  validate = ajv.compile(input);
}, 60_000);
afterAll(async () => deps?.cleanup());

// ---------------------------------------------------------------- generator from the schema

/** Lookarounds removed (fast-check cannot generate them); the full pattern then filters. */
const withoutLookarounds = (p: string) => p.replace(/\(\?<?[=!](?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))*\)/g, '');

function arbitraryFor(s: Schema): fc.Arbitrary<unknown> {
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  if (Array.isArray(s.anyOf)) return fc.oneof(...(s.anyOf as Schema[]).map(arbitraryFor));
  const type = s.type;
  if (type === 'boolean') return fc.boolean();
  if (type === 'integer') return fc.integer({ min: (s.minimum as number) ?? -1e6, max: (s.maximum as number) ?? 1e6 });
  if (type === 'number') {
    const step = (s.multipleOf as number) ?? 0.001;
    const decimals = Math.max(0, -Math.floor(Math.log10(step)));
    const lo = s.exclusiveMinimum !== undefined ? Math.floor((s.exclusiveMinimum as number) / step) + 1 : Math.ceil(((s.minimum as number) ?? -1e6) / step);
    const hi = Math.floor(((s.maximum as number) ?? 1e6) / step);
    return fc.integer({ min: lo, max: hi }).map((k) => Number((k * step).toFixed(decimals)));
  }
  if (type === 'string') {
    const full = s.pattern ? new RegExp(s.pattern as string, 'u') : null;
    let base: fc.Arbitrary<string>;
    if (s.format === 'date') base = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date(`${TODAY}T00:00:00Z`), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    else if (full) base = fc.stringMatching(new RegExp(withoutLookarounds(s.pattern as string), 'u'));
    else base = fc.string({ maxLength: (s.maxLength as number) ?? 50 });
    return base.filter((v) => (!full || full.test(v)) && v.length >= ((s.minLength as number) ?? 0) && [...v].length <= ((s.maxLength as number) ?? Infinity));
  }
  throw new Error(`the generator does not know ${JSON.stringify(s).slice(0, 80)}`);
}

/** Required and forbidden properties of one branch of the top-level oneOf. */
function branchRule(branch: Schema): { need: string[]; forbid: string[] } {
  const required = (x: Schema) => (x.required as string[] | undefined) ?? [];
  const need = ((branch.allOf as Schema[] | undefined) ?? []).flatMap(required);
  const not = (branch.not ?? {}) as Schema;
  const forbid = [...required(not), ...((not.anyOf as Schema[] | undefined) ?? []).flatMap(required)];
  return { need, forbid };
}

/** A non-blank value for a property the branch needs "given" (not the blank alternative). */
const givenArbitrary = (s: Schema) => arbitraryFor(s).filter((v) => typeof v !== 'string' || /\S/.test(v));

function bodyArbitrary(schema: Schema): fc.Arbitrary<Body> {
  const props = schema.properties as Record<string, Schema>;
  const required = new Set(schema.required as string[]);
  const branches = (schema.oneOf as Schema[]).map(branchRule);
  return fc.integer({ min: 0, max: branches.length - 1 }).chain((b) => {
    const { need, forbid } = branches[b]!;
    const record: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [k, p] of Object.entries(props)) if (!forbid.includes(k)) record[k] = need.includes(k) ? givenArbitrary(p) : arbitraryFor(p);
    const requiredKeys = Object.keys(record).filter((k) => required.has(k) || need.includes(k));
    return fc.record(record, { requiredKeys }) as fc.Arbitrary<Body>;
  });
}

/** The rules the schema's description states beyond JSON Schema, applied to a generated body. */
function beyondSchema(b: Body, pick: { inst: number; town: number }): Body {
  const out = { ...b };
  if (typeof out.institutionId === 'string' && /\S/.test(out.institutionId)) out.institutionId = INSTITUTION_IDS[pick.inst % INSTITUTION_IDS.length];
  if (typeof out.town === 'string' && /\S/.test(out.town)) out.town = TOWNS[pick.town % TOWNS.length]!.code;
  const num = (v: unknown) => Number(typeof v === 'string' ? v.trim() : v);
  if (num(out.classesUsed) > num(out.classesTotal)) [out.classesUsed, out.classesTotal] = [out.classesTotal, out.classesUsed];
  if (num(out.amountRequested) > num(out.amountPaid)) [out.amountRequested, out.amountPaid] = [out.amountPaid, out.amountRequested];
  return out;
}

const validBody = () =>
  fc.tuple(bodyArbitrary(input), fc.nat(), fc.nat()).map(([b, inst, town]) => beyondSchema(b, { inst, town }));

const wire = (b: unknown) => JSON.parse(JSON.stringify(b)) as Body;

// ---------------------------------------------------------------- mutations breaking one constraint

/** A value the property's schema refuses: wrong type, out of range, off pattern, not in the enum. */
function brokenValue(s: Schema): fc.Arbitrary<unknown> {
  const branches = Array.isArray(s.anyOf) ? (s.anyOf as Schema[]) : [s];
  const off: fc.Arbitrary<unknown>[] = [fc.constantFrom(null, [], {}, { $gt: 0 })];
  for (const b of branches) {
    if (b.type === 'string' || 'enum' in b || 'const' in b) off.push(fc.string({ maxLength: 30 }), fc.constantFrom('', ' ', 'x'.repeat(2_001), '长'.repeat(201), 'a\u0000b\u0000c\u0000d\u0000e', '1e3', '-1', '0', '0.001'));
    if (b.type === 'number' || b.type === 'integer') {
      if (b.maximum !== undefined) off.push(fc.constant((b.maximum as number) + 1));
      if (b.minimum !== undefined) off.push(fc.constant((b.minimum as number) - 1));
      if (b.exclusiveMinimum !== undefined) off.push(fc.constant(b.exclusiveMinimum));
      off.push(fc.constantFrom(0.001, 1.5, -0.5, 1e21));
    }
    if (b.type === 'boolean' || 'const' in b) off.push(fc.constantFrom(false, 'false', 0, 1));
  }
  return fc.oneof(...off);
}

function invalidBody(): fc.Arbitrary<{ body: Body; what: string }> {
  const props = input.properties as Record<string, Schema>;
  const keys = Object.keys(props);
  return fc.tuple(validBody(), fc.constantFrom(...keys)).chain(([b, key]) =>
    fc.oneof(
      brokenValue(props[key]!).map((v) => ({ body: { ...b, [key]: v }, what: `${key} = ${JSON.stringify(v)?.slice(0, 40)}` })),
      fc.constant({ body: Object.fromEntries(Object.entries(b).filter(([k]) => k !== key)), what: `without ${key}` }),
      fc.constantFrom('isAdmin', 'status', '__proto__x', 'leadDept').map((extra) => ({ body: { ...b, [extra]: true }, what: `unknown field ${extra}` })),
      // Both sides of the oneOf at once: a registry id and a typed-in operator.
      fc.constant({ body: { ...b, institutionId: 'demo-0001', institutionName: '某某托管班', institutionAddress: '辛店街道某路1号', town: 'xindian' }, what: 'institutionId and an unregistered operator' }),
    ),
  );
}

// ---------------------------------------------------------------- the contract

describe('POST /api/complaints against its published schema', () => {
  it('the schema states the constraints (lengths, mobile pattern, ranges, enums, consent const, the institution oneOf)', () => {
    const p = input.properties as Record<string, Schema>;
    expect(p.mobile!.pattern).toBeTypeOf('string');
    expect(p.course!.minLength).toBe(1);
    expect(JSON.stringify(p.amountPaid)).toContain('"maximum":1000000');
    expect(JSON.stringify(p.classesTotal)).toContain('"maximum":10000');
    expect(p.reason!.enum).toContain('closed');
    expect(JSON.stringify(p.consentProcessing)).toContain('"const":true');
    expect(input.oneOf).toHaveLength(2);
    expect(input.additionalProperties).toBe(false);
  });

  it('every body generated from the schema is filed (201), none gets a 422', async () => {
    await fc.assert(
      fc.asyncProperty(validBody(), async (generated) => {
        const body = wire(generated);
        expect(validate(body), `the generator made a body the schema refuses: ${JSON.stringify(validate.errors)}`).toBe(true);
        const res = await postJson(app, '/api/complaints', body);
        const answer = res.status === 201 ? '' : await res.text();
        expect(res.status, `${JSON.stringify(body)} → ${answer}`).toBe(201);
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  it('a body the schema refuses is never filed (one constraint broken at a time)', async () => {
    await fc.assert(
      fc.asyncProperty(invalidBody(), async ({ body: raw, what }) => {
        const body = wire(raw);
        fc.pre(!validate(body)); // e.g. a random string that happens to be a fine course name
        const res = await postJson(app, '/api/complaints', body);
        expect([400, 422], `${what}: ${JSON.stringify(body).slice(0, 300)} → ${res.status}`).toContain(res.status);
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('ajv and the endpoint agree on edge values the generator rarely hits', async () => {
    const base = wire((fc.sample(validBody(), { numRuns: 1, seed: 7 }) as Body[])[0]);
    const cases: [string, Body][] = [
      ['mobile with +86, spaces and dashes', { mobile: '+86 139-1234-5678' }],
      ['mobile 86 prefix without +', { mobile: '8613912345678' }],
      ['mobile 12 digits', { mobile: '139123456789' }],
      ['parentName of 40 emoji (40 characters, 80 UTF-16 units)', { parentName: '😀'.repeat(40) }],
      ['parentName of 41 characters', { parentName: '王'.repeat(41) }],
      ['parentName padded with spaces', { parentName: '   王小明   ' }],
      ['course with an inner vertical tab', { course: '美术\u000b班' }],
      ['course with a leading vertical tab (trimmed away)', { course: '\u000b美术班' }],
      ['amount 1000000.00 as a string', { amountPaid: '1000000.00', amountRequested: '1' }],
      ['amount 1000000.01', { amountPaid: '1000000.01', amountRequested: '1' }],
      ['amount 0.00', { amountRequested: '0.00' }],
      ['amount 0.07 as a number', { amountRequested: 0.07 }],
      ['classes 10000 / "10000"', { classesTotal: 10_000, classesUsed: '10000' }],
      ['classes 10001', { classesTotal: '10001' }],
      ['paidOn 2014-12-31', { paidOn: '2014-12-31' }],
      ['paidOn 2015-01-01', { paidOn: '2015-01-01' }],
      ['paidOn 2024-02-30', { paidOn: '2024-02-30' }],
      ['pow of 150 emoji (150 characters)', { pow: '😀'.repeat(150) }],
      ['pow of 300 spaces (blank: not given)', { pow: ' '.repeat(300) }],
      ['pow of 201 characters', { pow: 'x'.repeat(201) }],
      ['institutionId with a blank institutionName', { institutionId: 'demo-0002', institutionName: '  ', institutionAddress: undefined, town: undefined }],
      ['institutionId with a town', { institutionId: 'demo-0002', town: 'xindian', institutionName: undefined, institutionAddress: undefined }],
      ['consent "on"', { consentProcessing: 'on' }],
      ['consent "false"', { consentProcessing: 'false' }],
    ];
    for (const [name, patch] of cases) {
      const body = wire({ ...base, ...patch });
      const schemaSays = validate(body);
      const res = await postJson(app, '/api/complaints', body);
      expect(res.status === 201, `${name}: schema ${schemaSays}, endpoint ${res.status} ${res.status === 201 ? '' : await res.text()}`).toBe(schemaSays);
    }
  });
});
