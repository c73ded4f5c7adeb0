/**
 * readIntakeRequest(request, lang): one web Request → validated complaint data + evidence files
 * that passed the cheap checks (not decoded yet: fileComplaint in file-complaint.ts decodes them only
 * after the proof-of-work and the rate limits), or a ready-to-send error. Shared by the API route (JSON from the form island, multipart
 * with files) and the site's on-demand page that takes the plain HTML form POST without
 * JavaScript (multipart, or urlencoded when no file input is used), so both paths validate,
 * limit and clean exactly alike.
 *
 * It enforces its own body limits while reading (the Astro page has no Hono middleware in front
 * of it) and never throws for anything a client sends: every failure is a 4xx in the one error
 * shape, with field paths for 422.
 */
import type { z } from 'zod';
// The counting reader every body of the product goes through (limits whatever the headers say).
import { BodyTooLarge, readBytes } from '../http/body.ts';
import { errorBody, parseWith, validationError, type ErrorBody, type ErrorIssue } from '../lib/errors.ts';
import { msg, type Lang, type MessageKey } from '../lib/messages.ts';
import { checkEvidence, EVIDENCE_FIELD, EVIDENCE_LIMITS, type EvidenceIssue, type UploadedFile } from './evidence.ts';
import { ComplaintInputSchema, type ComplaintData } from './schema.ts';

export type IntakeFormat = 'json' | 'multipart' | 'urlencoded';

/** Bytes a request body may have, per format. Multipart: 5 files × 10 MB plus the form fields. */
export const INTAKE_BODY_LIMITS: Record<IntakeFormat, number> = {
  json: 64 * 1024,
  urlencoded: 64 * 1024,
  multipart: EVIDENCE_LIMITS.maxFiles * EVIDENCE_LIMITS.maxFileBytes + 2 * 1024 * 1024,
};

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;

export type IntakeRequestResult =
  /** `files`: as uploaded, checked by checkEvidence; decoded later by fileComplaint (file-complaint.ts). */
  | { ok: true; data: ComplaintData; files: UploadedFile[]; idempotencyKey: string | null }
  | { ok: false; status: 400 | 413 | 415 | 422; body: ErrorBody };

export interface ReadIntakeOptions {
  /** Formats this caller takes; others answer 415. Default: all three. */
  formats?: readonly IntakeFormat[];
}

/** The format a Content-Type names, or null. Parameters (charset, boundary) are ignored here. */
export function intakeFormat(contentType: string | null | undefined): IntakeFormat | null {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'multipart/form-data') return 'multipart';
  if (type === 'application/x-www-form-urlencoded') return 'urlencoded';
  return null;
}

/** Form entries → an object for the schema: repeated names become arrays (the schema refuses them). */
function fieldsObject(entries: Iterable<[string, string]>): Record<string, unknown> {
  const grouped = new Map<string, string[]>();
  for (const [k, v] of entries) grouped.set(k, [...(grouped.get(k) ?? []), v]);
  // fromEntries defines own properties, so a field named __proto__ stays a plain (unknown) field.
  return Object.fromEntries([...grouped].map(([k, vs]) => [k, vs.length === 1 ? vs[0] : vs]));
}

interface Parsed {
  fields: unknown;
  files: UploadedFile[];
  issues: EvidenceIssue[];
}

async function parseMultipart(bytes: Uint8Array<ArrayBuffer>, contentType: string): Promise<Parsed> {
  const form = await new Response(bytes, { headers: { 'content-type': contentType } }).formData();
  const strings: [string, string][] = [];
  const files: UploadedFile[] = [];
  const issues: EvidenceIssue[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') {
      if (name !== EVIDENCE_FIELD) strings.push([name, value]);
      else if (value !== '') issues.push({ path: EVIDENCE_FIELD, key: 'evidence_not_file' });
      continue;
    }
    // An empty file input in a plain HTML form still sends a part with no name and no bytes.
    if (value.size === 0 && value.name === '') continue;
    if (name !== EVIDENCE_FIELD) {
      issues.push({ path: name, key: 'file_not_expected' });
      continue;
    }
    files.push({ name: value.name, bytes: new Uint8Array(await value.arrayBuffer()) });
  }
  return { fields: fieldsObject(strings), files, issues };
}

function parseUrlEncoded(bytes: Uint8Array): Parsed {
  const params = new URLSearchParams(new TextDecoder().decode(bytes));
  const issues: EvidenceIssue[] = [];
  // A file input in a urlencoded form sends only the file's name: say the file did not arrive.
  const evidence = params.getAll(EVIDENCE_FIELD).filter((v) => v !== '');
  if (evidence.length) issues.push({ path: EVIDENCE_FIELD, key: 'evidence_not_file' });
  return { fields: fieldsObject([...params].filter(([k]) => k !== EVIDENCE_FIELD)), files: [], issues };
}

const fail = (status: 400 | 413 | 415, code: string, key: MessageKey, lang: Lang): IntakeRequestResult => ({ ok: false, status, body: errorBody(code, msg(key, lang)) });
const invalid = (issues: ErrorIssue[], lang: Lang): IntakeRequestResult => ({ ok: false, status: 422, body: validationError(issues, lang) });
const translate = (issues: EvidenceIssue[], lang: Lang): ErrorIssue[] => issues.map((i) => ({ path: i.path, message: msg(i.key, lang) }));

export async function readIntakeRequest(request: Request, lang: Lang, opts: ReadIntakeOptions = {}): Promise<IntakeRequestResult> {
  const contentType = request.headers.get('content-type') ?? '';
  const format = intakeFormat(contentType);
  if (!format || !(opts.formats ?? ['json', 'multipart', 'urlencoded']).includes(format)) return fail(415, 'unsupported_media', 'unsupported_media', lang);

  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await readBytes(request, INTAKE_BODY_LIMITS[format]);
  } catch (err) {
    if (err instanceof BodyTooLarge) return fail(413, 'payload_too_large', format === 'multipart' ? 'payload_too_large_files' : 'payload_too_large', lang);
    return fail(400, 'bad_request', 'bad_body', lang); // the client went away mid-body, or sent broken framing
  }

  let parsed: Parsed;
  try {
    if (format === 'json') parsed = { fields: JSON.parse(new TextDecoder().decode(bytes)) as unknown, files: [], issues: [] };
    else if (format === 'multipart') parsed = await parseMultipart(bytes, contentType);
    else parsed = parseUrlEncoded(bytes);
  } catch {
    return format === 'json' ? fail(400, 'bad_json', 'bad_json', lang) : fail(400, 'bad_request', 'bad_body', lang);
  }

  const issues: ErrorIssue[] = [];
  const idempotencyKey = request.headers.get('idempotency-key');
  if (idempotencyKey !== null && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) issues.push({ path: 'Idempotency-Key', message: msg('idempotency_key_invalid', lang) });

  const fields = parseWith(ComplaintInputSchema, parsed.fields, lang);
  const fileIssues = translate([...parsed.issues, ...checkEvidence(parsed.files)], lang);
  // A file sent under a text field is reported once, as a file problem, not also as "required".
  const filePaths = new Set(fileIssues.map((i) => i.path));
  if (!fields.ok) issues.push(...fields.issues.filter((i) => !filePaths.has(i.path)));
  issues.push(...fileIssues);
  if (issues.length || !fields.ok) return invalid(issues, lang);

  // No image is decoded here: that waits for the proof-of-work and the counters (fileComplaint).
  return { ok: true, data: fields.data as z.output<typeof ComplaintInputSchema>, files: parsed.files, idempotencyKey };
}
