/**
 * The published contract (GET /api/openapi.json, GET /api/docs) against the real endpoints:
 * every documented route exists, the request schema accepts and refuses the same bodies as
 * POST /api/complaints (checked with ajv, the validator API consumers use, not with zod), the
 * docs' own example is accepted, and real responses match the documented response schemas.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_SUMMARIES, adminOperations } from '../../api/openapi/admin-paths.ts';
import { logInAs, seedStaff } from '../helpers/admin-session.ts';
import { complaintBody, createSeededDeps, postJson, testApp, type TestDeps } from '../helpers/test-deps.ts';
import { postMultipart, samplePdf } from '../helpers/intake.ts';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; requestBody?: { content: Record<string, { example?: Record<string, unknown> }> } }>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
let doc: Doc;
let ajv: Ajv2020;
const DOC_ID = 'https://example.invalid/openapi.json';
let mobileSeq = 4000;
const nextMobile = () => `135${String(mobileSeq++).padStart(8, '0')}`;

const validatorFor = (name: string) => ajv.getSchema(`${DOC_ID}#/components/schemas/${name}`)!;

beforeAll(async () => {
  deps = await createSeededDeps(10);
  app = testApp(deps);
  const res = await app.request('/api/openapi.json');
  expect(res.status).toBe(200);
  doc = (await res.json()) as Doc;
  // strict: false — OpenAPI documents carry keys (components, examples) that are not JSON Schema.
  ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: DOC_ID, components: doc.components });
});
afterAll(async () => {
  await deps?.cleanup();
});

describe('the document', () => {
  it('is OpenAPI 3.1 and lists every public route (complaints, institution lookup and status), with no authentication', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    const documented = Object.entries(doc.paths)
      .filter(([p]) => !p.startsWith('/api/admin'))
      .flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`));
    expect(documented.sort()).toEqual(['GET /api/complaints/challenge', 'GET /api/complaints/{trackingCode}', 'GET /api/institutions/lookup', 'GET /api/institutions/{id}/status', 'POST /api/complaints'].sort());
    expect((doc as unknown as { security: unknown }).security).toEqual([]);
    for (const [p, item] of Object.entries(doc.paths)) if (!p.startsWith('/api/admin')) for (const op of Object.values(item)) expect((op as { security?: unknown }).security, p).toEqual([]);
  });

  it('documents every staff route under /api/admin with its summary and the session + CSRF security', () => {
    const schemes = (doc.components as unknown as { securitySchemes: Record<string, { type: string; in: string; name: string }> }).securitySchemes;
    expect(schemes.staffSession).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'peixun_admin' });
    expect(schemes.csrfToken).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-CSRF-Token' });
    const router = adminOperations().map((o) => `${o.method} ${o.path}`);
    const documented = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/api/admin/'))
      .flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p.slice('/api/admin'.length)}`));
    expect(documented.sort()).toEqual([...router].sort());
    // A new admin route needs a line in api/openapi/admin-paths.ts.
    expect(router.filter((k) => !ADMIN_SUMMARIES[k])).toEqual([]);
    const op = (m: string, p: string) => doc.paths[`/api/admin${p}`]![m] as unknown as { security: unknown };
    expect(op('post', '/session').security).toEqual([]);
    expect(op('get', '/complaints').security).toEqual([{ staffSession: [] }]);
    expect(op('post', '/complaints/{code}/transitions').security).toEqual([{ staffSession: [], csrfToken: [] }]);
  });

  it('the staff API answers as documented: 401 without a session, 403 without the CSRF token', async () => {
    expect((await app.request('/api/admin/complaints')).status).toBe(401);
    await seedStaff(deps);
    const coord = await logInAs(app, deps, 'coord');
    expect((await app.request('/api/admin/clusters', { headers: { cookie: coord.cookie } })).status).toBe(200);
    expect((await app.request('/api/admin/clusters/1/handle', { method: 'POST', headers: { cookie: coord.cookie } })).status).toBe(403);
  });

  it('documents only routes the app really has', () => {
    const real = new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path.replace(/\/$/, '')}`));
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) {
        const hono = path.replace(/\{(\w+)\}/g, ':$1').replace(':trackingCode', ':code');
        expect(real, `${method.toUpperCase()} ${path}`).toContain(`${method.toUpperCase()} ${hono}`);
      }
    }
  });

  it('offers JSON and multipart bodies for intake, with the file field documented', () => {
    const content = doc.paths['/api/complaints']!.post!.requestBody!.content;
    expect(Object.keys(content).sort()).toEqual(['application/json', 'multipart/form-data']);
    const multipart = doc.components.schemas.ComplaintMultipart as { properties: Record<string, { maxItems?: number }> };
    expect(multipart.properties.evidence!.maxItems).toBe(5);
  });

  it('every schema in it compiles', () => {
    for (const name of Object.keys(doc.components.schemas)) expect(validatorFor(name), name).toBeTypeOf('function');
  });
});

describe('the request schema agrees with the endpoint', () => {
  const cases: [string, (b: Record<string, unknown>) => Record<string, unknown> | unknown, boolean][] = [
    ['a complete complaint', (b) => b, true],
    ['an unregistered operator (name, address, town)', (b) => ({ ...b, institutionId: undefined, institutionName: '某某托管班', institutionAddress: '辛店街道某路1号', town: 'xindian' }), true],
    ['amounts as strings, consent as "on" (HTML form values)', (b) => ({ ...b, amountPaid: '3600.50', amountRequested: '100', consentProcessing: 'on' }), true],
    ['course missing', (b) => ({ ...b, course: undefined }), false],
    ['an unknown contract kind', (b) => ({ ...b, contract: 'verbal' }), false],
    ['an unknown field', (b) => ({ ...b, isAdmin: true }), false],
    ['a nested object as amount', (b) => ({ ...b, amountPaid: { $gt: 0 } }), false],
    ['a number as mobile', (b) => ({ ...b, mobile: 13912345678 }), false],
    ['a malformed institutionId', (b) => ({ ...b, institutionId: "x' OR 1=1 --" }), false],
    ['a pow field over 200 characters', (b) => ({ ...b, pow: 'x'.repeat(201) }), false],
    ['an array instead of an object', () => [], false],
  ];
  it.each(cases)('%s', async (_name, make, accepted) => {
    const body = make(complaintBody({ mobile: nextMobile() })) as Record<string, unknown>;
    const json = JSON.parse(JSON.stringify(body)); // what goes over the wire (undefined fields vanish)
    const validate = validatorFor('ComplaintInput');
    expect(validate(json), JSON.stringify(validate.errors)).toBe(accepted);
    const res = await postJson(app, '/api/complaints', json);
    expect(res.status).toBe(accepted ? 201 : 422);
  });

  it("the docs' own JSON example is accepted by the endpoint", async () => {
    const example = doc.paths['/api/complaints']!.post!.requestBody!.content['application/json']!.example!;
    expect(validatorFor('ComplaintInput')(example)).toBe(true);
    const res = await postJson(app, '/api/complaints', { ...example, mobile: nextMobile() });
    expect(res.status).toBe(201);
    expect(validatorFor('IntakeResult')(await res.json())).toBe(true);
  });

  it('multipart: the schema and the endpoint agree on a missing field and on files', async () => {
    const validate = validatorFor('ComplaintMultipart');
    const fields: Record<string, string> = Object.fromEntries(Object.entries(complaintBody({ mobile: nextMobile() })).map(([k, v]) => [k, String(v)]));
    expect(validate({ ...fields, evidence: ['<binary>'] })).toBe(true);
    expect((await postMultipart(app, fields, [{ name: 'c.pdf', bytes: samplePdf() }])).status).toBe(201);
    const withoutReason: Record<string, string> = { ...fields, mobile: nextMobile() };
    delete withoutReason.reason;
    expect(validate(withoutReason)).toBe(false);
    expect((await postMultipart(app, withoutReason)).status).toBe(422);
  });
});

describe('real responses match the documented response schemas', () => {
  it('201 IntakeResult, 422 Error, 404 Error, tracking view, challenge, institution status', async () => {
    const mobile = nextMobile();
    const created = await (await postJson(app, '/api/complaints', complaintBody({ mobile }))).json();
    const check = (name: string, body: unknown) => {
      const v = validatorFor(name);
      expect(v(body), `${name}: ${JSON.stringify(v.errors)}`).toBe(true);
    };
    check('IntakeResult', created);
    check('Error', await (await postJson(app, '/api/complaints', { course: 1 })).json());
    check('Error', await (await app.request('/api/complaints/TS-2222-2222?last4=0000')).json());
    check('TrackingView', await (await app.request(`/api/complaints/${created.trackingCode}?last4=${mobile.slice(-4)}`)).json());
    check('Challenge', await (await app.request('/api/complaints/challenge')).json());
    check('InstitutionStatus', await (await app.request('/api/institutions/demo-0001/status')).json());
    const name = String((await deps.db.readClient.execute("SELECT name FROM institutions WHERE id = 'demo-0001'")).rows[0]!.name);
    const lookup = (await (await app.request(`/api/institutions/lookup?q=${encodeURIComponent(name.slice(0, 4))}`)).json()) as { items: unknown[] };
    expect(lookup.items.length).toBeGreaterThan(0);
    check('InstitutionLookup', lookup);
    // and the schemas are not vacuous
    expect(validatorFor('IntakeResult')({ ...created, trackingCode: 'nope' })).toBe(false);
    expect(validatorFor('Error')({ error: { code: 'x' } })).toBe(false);
  });
});

describe('GET /api/docs', () => {
  it('is a readable HTML page listing every endpoint and intake field, with no inline script or style', async () => {
    const res = await app.request('/api/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    for (const path of Object.keys(doc.paths)) expect(html).toContain(`<code>${path}</code>`);
    const fields = Object.keys((doc.components.schemas.ComplaintInput as { properties: object }).properties);
    expect(fields.length).toBeGreaterThan(15);
    for (const f of [...fields, 'evidence']) expect(html).toContain(`<code>${f}</code>`);
    expect(html).toContain('/api/openapi.json');
    expect(html).toContain('少儿美术秋季班'); // the example body is shown
    // CSP: script-src 'self'; style-src 'self' — no inline script, style element or style attribute
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<style/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).toContain('<link rel="stylesheet" href="/api/docs.css">');
    const css = await app.request('/api/docs.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });
});
