/**
 * The OpenAPI 3.1 document of the API (GET /api/openapi.json): the public endpoints (no
 * authentication, `security: []`) and the staff API under /api/admin (session cookie + CSRF
 * token). Built from the same zod schemas the routes validate with (z.toJSONSchema, zod 4's own
 * converter: no second schema language to keep in step); where a check is a transform or a
 * refinement z.toJSONSchema cannot see through, the field's JSON Schema is the one registered
 * beside that check in api/intake/schema.ts (inputJsonSchemas) from the same numbers.
 * tests/openapi/contract.test.ts sends bodies generated from this document to the endpoint.
 * The readable page at /api/docs is rendered from this document too.
 *
 * What JSON Schema cannot say (cross-field rules such as "amountRequested ≤ amountPaid", the
 * payment date not in the future, an institutionId or town the registry must know) is in the
 * descriptions; the endpoint enforces it and answers 422 with the field's path.
 */
import { z } from 'zod';
import { ComplaintInputSchema, inputJsonSchemas, UNREGISTERED_FIELDS } from '../intake/schema.ts';
import { EVIDENCE_LIMITS } from '../intake/evidence.ts';
import { INTAKE_BODY_LIMITS } from '../intake/request.ts';
import { POW_TTL_MS } from '../intake/pow.ts';
import { ADMIN_SECURITY_SCHEMES, adminPaths } from './admin-paths.ts';
import { ChallengeSchema, ErrorBodySchema, InstitutionLookupSchema, InstitutionStatusSchema, IntakeResultSchema, TrackingViewSchema } from './responses.ts';

type JsonSchema = Record<string, unknown>;

const MB = 1024 * 1024;

/** Field notes and examples for the intake body (the schema itself lives in complaints/schema.ts). */
export const COMPLAINT_FIELD_DOCS: Record<string, { description: string; example?: unknown }> = {
  institutionId: { description: 'Registry id of the institution (from the institution page or the picker). Leave out for an operator not in the registry.', example: 'demo-0001' },
  institutionName: { description: 'Only without institutionId: the operator’s name as the parent knows it, 2–100 characters.', example: '某某小饭桌托管辅导班' },
  institutionAddress: { description: 'Only without institutionId: where it operates, 2–200 characters.', example: '辛店街道某小区3号楼底商' },
  // Towns are the district's data (towns table), so the docs give examples, not the list.
  town: { description: 'Only without institutionId: code of the town or street where it operates, from the district’s list (e.g. xindian 辛店街道, qidu 齐都镇).', example: 'xindian' },
  course: { description: 'Course name, 1–100 characters.', example: '少儿美术秋季班' },
  contract: { description: 'Contract signed: model (示范文本 GF—2021—2604), other, none.', example: 'model' },
  paidOn: { description: 'Payment date (Beijing), YYYY-MM-DD, from 2015-01-01 up to today.', example: '2026-09-01' },
  amountPaid: { description: 'Amount paid in yuan, more than 0 and at most 1,000,000, at most 2 decimals; number or string ("3600.50").', example: '3600' },
  classesTotal: { description: 'Classes bought, whole number 0–10,000.', example: 48 },
  classesUsed: { description: 'Classes already taken, whole number 0–10,000, not more than classesTotal.', example: 12 },
  amountRequested: { description: 'Amount asked back in yuan (as amountPaid), not more than amountPaid.', example: 2700 },
  paidVia: { description: 'How it was paid: custody_account (监管专户), other_account, cash, platform.', example: 'custody_account' },
  reason: { description: 'closed (停业/失联: alerts the coordination office at once), refused, delayed, misleading, teacher, safety, other.', example: 'refused' },
  description: { description: 'What happened, 10–2,000 characters after trimming; no control characters.', example: '机构拒绝退还剩余课时费用，多次沟通无果。' },
  parentName: { description: 'Parent’s name, 1–40 characters. Stored encrypted; never shown publicly.', example: '王小明' },
  mobile: { description: 'Mainland mobile number (11 digits; spaces, dashes and +86 are accepted). Stored encrypted; its last four digits unlock tracking.', example: '13912345678' },
  consentProcessing: { description: 'Consent to processing personal information (PIPL); must be true (or "true", "on", "1").', example: true },
  consentPublication: { description: 'Consent to publishing the case anonymised; optional, default false.', example: false },
  pow: { description: `Proof-of-work solution "\${challenge}:\${nonce}" for a challenge from GET /api/complaints/challenge (valid ${POW_TTL_MS / 60_000} minutes, one complaint each). Required unless the server runs with INTAKE_POW=off.` },
};

export const EXAMPLE_COMPLAINT = Object.fromEntries(
  Object.entries(COMPLAINT_FIELD_DOCS)
    .filter(([k, d]) => d.example !== undefined && !['institutionName', 'institutionAddress', 'town'].includes(k))
    .map(([k, d]) => [k, d.example]),
);

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  // unrepresentable 'any': transforms (trim, yuan → fen) have no JSON Schema; where one matters,
  // the input's own JSON Schema is registered in inputJsonSchemas and replaces what was derived.
  const s = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    reused: 'inline',
    override: ({ zodSchema, jsonSchema }) => {
      const stated = io === 'input' ? inputJsonSchemas.get(zodSchema as unknown as z.ZodType) : undefined;
      if (!stated) return;
      for (const k of Object.keys(jsonSchema)) delete (jsonSchema as JsonSchema)[k];
      Object.assign(jsonSchema, structuredClone(stated));
    },
  }) as JsonSchema;
  delete s.$schema;
  delete s.id;
  return s;
}

/** Response schemas as components, through a zod registry so shared parts become $refs. */
function responseSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  registry.add(IntakeResultSchema, { id: 'IntakeResult' });
  registry.add(ChallengeSchema, { id: 'Challenge' });
  registry.add(TrackingViewSchema, { id: 'TrackingView' });
  registry.add(InstitutionStatusSchema, { id: 'InstitutionStatus' });
  registry.add(InstitutionLookupSchema, { id: 'InstitutionLookup' });
  registry.add(ErrorBodySchema, { id: 'Error' });
  const { schemas } = z.toJSONSchema(registry, { io: 'output', target: 'draft-2020-12', uri: (id) => `#/components/schemas/${id}` }) as { schemas: Record<string, JsonSchema> };
  for (const s of Object.values(schemas)) {
    // The registry names each schema by URI; in components the key is the name.
    delete s.$schema;
    delete s.$id;
  }
  return schemas;
}

function complaintInputSchema(): JsonSchema {
  const s = jsonSchema(ComplaintInputSchema, 'input');
  const props = s.properties as Record<string, JsonSchema>;
  for (const [k, doc] of Object.entries(COMPLAINT_FIELD_DOCS)) {
    if (!props[k]) throw new Error(`COMPLAINT_FIELD_DOCS names ${k}, which the schema does not have`);
    props[k] = { ...props[k], description: doc.description, ...(doc.example !== undefined ? { examples: [doc.example] } : {}) };
  }
  s.description =
    'Either institutionId, or institutionName + institutionAddress + town (never both; a blank string counts as not given). Unknown fields are refused. Text lengths count characters (code points) after trimming; text is stored in Unicode NFC. Beyond JSON Schema: classesUsed ≤ classesTotal, amountRequested ≤ amountPaid, paidOn not after today (Beijing), institutionId and town must exist in the district’s registry.';
  // institutionId xor the three fields of an unregistered operator ("given" = present and not blank).
  const given = (k: string): JsonSchema => ({ required: [k], properties: { [k]: { pattern: '\\S' } } });
  s.oneOf = [
    { allOf: [given('institutionId')], not: { anyOf: UNREGISTERED_FIELDS.map(given) } },
    { allOf: UNREGISTERED_FIELDS.map(given), not: given('institutionId') },
  ];
  return s;
}

function complaintMultipartSchema(input: JsonSchema): JsonSchema {
  return {
    ...input,
    description: `${input.description as string} In multipart every field is a text part; add up to ${EVIDENCE_LIMITS.maxFiles} files as parts named "evidence".`,
    properties: {
      ...(input.properties as Record<string, JsonSchema>),
      evidence: {
        type: 'array',
        maxItems: EVIDENCE_LIMITS.maxFiles,
        items: { type: 'string', contentMediaType: 'application/octet-stream' },
        description: `Evidence files (contract, receipts, screenshots): JPEG, PNG or PDF recognised by content, not by name or type; at most ${EVIDENCE_LIMITS.maxFiles} files of ${EVIDENCE_LIMITS.maxFileBytes / MB} MB each. Images are re-encoded, which removes EXIF and GPS data; PDFs are kept as sent. Anything else: 422 at evidence.N.`,
      },
    },
  };
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });

const acceptLanguage = {
  name: 'Accept-Language',
  in: 'header',
  required: false,
  description: 'Error messages are in zh-CN unless the first language listed is English (en…).',
  schema: { type: 'string' },
  example: 'en',
};

let cached: JsonSchema | null = null;

/** Built on first use (no work at import time), then reused: the schemas do not change at run time. */
export function openApiDocument(): JsonSchema {
  if (cached) return cached;
  const complaintInput = complaintInputSchema();
  cached = {
    openapi: '3.1.1',
    info: {
      title: '校外培训机构信息公开与退费投诉平台 — API',
      version: '1.0.0',
      description:
        'Refund complaints against off-campus training institutions (退费投诉): file one, follow it with its tracking code, and check an institution’s license status. Every 4xx answers `{ error: { code, message, issues? } }` with messages in zh-CN (or en with Accept-Language: en); 422 lists field paths. Nothing a client sends produces a 5xx or a half-written record.',
    },
    servers: [{ url: '/' }],
    // The public endpoints need no authentication; the staff API's operations state their own.
    security: [],
    tags: [
      { name: 'complaints', description: '退费投诉 refund complaints' },
      { name: 'institutions', description: '校外培训机构 institutions' },
      { name: 'admin', description: '工作人员 staff API: session cookie from POST /api/admin/session, and the CSRF token on every state-changing request' },
    ],
    paths: {
      '/api/complaints/challenge': {
        get: {
          tags: ['complaints'],
          operationId: 'getChallenge',
          security: [],
          summary: 'Get a proof-of-work challenge for one complaint',
          description:
            'Find a nonce (any string of 0-9 a-z, up to 16 characters) such that sha256(`${challenge}:${nonce}`) starts with `difficulty` zero bits, and send `${challenge}:${nonce}` as the `pow` field. The site’s form does this with api/intake/pow-solve.ts (WebCrypto). Fetch the challenge when the parent submits: it expires and is spent by one complaint.',
          responses: { '200': { description: 'A fresh challenge (never cached)', content: { 'application/json': { schema: ref('Challenge') } } } },
        },
      },
      '/api/complaints': {
        post: {
          tags: ['complaints'],
          operationId: 'submitComplaint',
          security: [],
          summary: 'File a refund complaint (JSON, or multipart with evidence files)',
          description: `Validates, routes the case to its lead department under first-contact responsibility (首接负责制), sets the acceptance deadline in Chinese working days and stores everything in one durable transaction before answering. Body limits: ${INTAKE_BODY_LIMITS.json / 1024} KB for JSON, ${Math.round(INTAKE_BODY_LIMITS.multipart / MB)} MB for multipart. application/x-www-form-urlencoded is for the site's no-JavaScript form only and answers 415 here.`,
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description: 'Retry safely: the same key with the same body (and files) returns the first answer (header Idempotent-Replayed: true) and creates nothing; the same key with a different body is 422 idempotency_conflict.',
              schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{8,128}$' },
              example: '3f6c1a7e-2b9d-4c1e-9a55-0d2f6b8e7c41',
            },
            acceptLanguage,
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: ref('ComplaintInput'), example: EXAMPLE_COMPLAINT },
              'multipart/form-data': {
                schema: ref('ComplaintMultipart'),
                encoding: { evidence: { contentType: 'image/jpeg, image/png, application/pdf' } },
              },
            },
          },
          responses: {
            '201': {
              description: 'Filed (or replayed for a repeated Idempotency-Key)',
              headers: { 'Idempotent-Replayed': { description: 'true when this is the stored answer to an earlier request with the same key', schema: { type: 'string', const: 'true' } } },
              content: { 'application/json': { schema: ref('IntakeResult') } },
            },
            '400': errorResponse('The body is not valid JSON / multipart (bad_json, bad_request)'),
            '403': errorResponse('This mobile number is on the ban list (banned); the message gives the hotline'),
            '413': errorResponse('Body over the limit (payload_too_large)'),
            '415': errorResponse('Content-Type is neither application/json nor multipart/form-data (unsupported_media)'),
            '422': errorResponse('Field errors (validation_failed) with paths such as mobile, evidence.1, Idempotency-Key; pow_required at pow; idempotency_conflict'),
            '429': {
              description: 'Too many complaints from this mobile number or network (rate_limited)',
              headers: { 'Retry-After': { description: 'Seconds until the limit resets', schema: { type: 'integer' } } },
              content: { 'application/json': { schema: ref('Error') } },
            },
            '503': {
              description: 'Evidence images are decoded one at a time and the queue for that is full (busy); nothing was filed, send the same request again later',
              headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } },
              content: { 'application/json': { schema: ref('Error') } },
            },
          },
        },
      },
      '/api/complaints/{trackingCode}': {
        get: {
          tags: ['complaints'],
          operationId: 'trackComplaint',
          security: [],
          summary: 'Follow a complaint with its tracking code and the last four digits of the mobile',
          description: 'Status, lead and co-handling departments, deadlines and the public timeline; never personal data. A wrong last4 answers exactly like an unknown code (404).',
          parameters: [
            { name: 'trackingCode', in: 'path', required: true, schema: { type: 'string' }, example: 'TS-7K3M-9QXP', description: 'Case-insensitive; surrounding spaces are ignored.' },
            { name: 'last4', in: 'query', required: true, schema: { type: 'string', pattern: '^\\d{4}$' }, example: '5678' },
            acceptLanguage,
          ],
          responses: {
            '200': { description: 'The case as the parent sees it (never cached)', content: { 'application/json': { schema: ref('TrackingView') } } },
            '404': errorResponse('No complaint with this code and last4 (not_found)'),
            '422': errorResponse('last4 is not four digits (validation_failed at last4)'),
            '429': {
              description: 'Too many look-ups from this network (rate_limited), or ten wrong last4 for this code within an hour locked its look-ups for an hour (track_code_locked)',
              headers: { 'Retry-After': { description: 'Seconds until look-ups are allowed again', schema: { type: 'integer' } } },
              content: { 'application/json': { schema: ref('Error') } },
            },
          },
        },
      },
      '/api/institutions/lookup': {
        get: {
          tags: ['institutions'],
          operationId: 'lookupInstitutions',
          security: [],
          summary: 'Find registered institutions for the complaint form’s picker',
          description: 'By name fragment, pinyin, initials, license number or credit code.',
          parameters: [{ name: 'q', in: 'query', required: false, schema: { type: 'string' }, example: '华鼎', description: 'The first 40 characters count; under 2 characters finds nothing.' }],
          responses: { '200': { description: 'Matches (cacheable for 5 minutes)', content: { 'application/json': { schema: ref('InstitutionLookup') } } } },
        },
      },
      '/api/institutions/{id}/status': {
        get: {
          tags: ['institutions'],
          operationId: 'institutionStatus',
          security: [],
          summary: 'Live license status of an institution (for the badge on its page)',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' }, example: 'demo-0001' },
            { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'The ETag of an earlier answer' },
          ],
          responses: {
            '200': {
              description: 'Current status (cacheable for 60 s, with an ETag)',
              headers: { ETag: { schema: { type: 'string' } } },
              content: { 'application/json': { schema: ref('InstitutionStatus') } },
            },
            '304': { description: 'Unchanged since the ETag sent' },
            '404': errorResponse('No such institution (not_found)'),
          },
        },
      },
      ...adminPaths(errorResponse),
    },
    components: {
      securitySchemes: ADMIN_SECURITY_SCHEMES,
      schemas: {
        ComplaintInput: complaintInput,
        ComplaintMultipart: complaintMultipartSchema(complaintInput),
        ...responseSchemas(),
      },
    },
  };
  return cached;
}
