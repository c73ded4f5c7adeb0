/**
 * The complaint form's server side (on-demand page): renders the form, runs the no-JavaScript
 * institution picker, and files the complaint through the same intake service as the API.
 * Nothing the parent typed is lost: on any error the form comes back filled in, with messages
 * next to the fields (files must be chosen again — browsers never re-fill file inputs).
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { departments, institutions, towns as townsTable } from '../../db/schema.ts';
import { ApiError, apiErrorBody, parseWith, type ErrorIssue } from '../lib/errors.ts';
import { msg, type Lang } from '../lib/messages.ts';
import { ComplaintInputSchema } from './schema.ts';
import { fileComplaint } from './file-complaint.ts';
import { checkEvidence, EVIDENCE_FIELD, type UploadedFile } from './evidence.ts';
import { INTAKE_BODY_LIMITS } from './request.ts';
import { BodyTooLarge, readFormData } from '../http/body.ts';
import { lookupInstitutions, type PickerItem } from '../public/institution-lookup.ts';
import { loadSettings } from '../ops/settings.ts';
import type { Settings } from '../ops/settings-defaults.ts';
import { beijingDate } from '../calendar/working-days.ts';
import { consumeRateLimit } from '../security/rate-limit.ts';
import type { Deps } from '../deps.ts';

export interface FormState {
  values: Record<string, string>;
  errors: ErrorIssue[];
  institution: { id: string; name: string; address: string } | null;
  picker: { query: string; items: PickerItem[] } | null;
  towns: { code: string; nameZh: string; nameEn: string }[];
  settings: Settings;
  today: string;
  /** Idempotency key for this form instance: a double submit or a refresh files nothing twice. */
  formKey: string;
  powRequired: boolean;
  /**
   * A refusal that is not about the fields (413 body over the limit, 429 rate limit, 503 decode
   * queue full) and when to retry.
   */
  refusal: { status: 413 | 429 | 503; retryAfter: string | null } | null;
  result: {
    trackingCode: string;
    leadName: string;
    coHandlers: string[];
    acceptBy: string;
    calendarWarning: boolean;
    prepaidOver: boolean;
  } | null;
}

/** Form-only fields that are not part of the intake schema. */
const CONTROL_FIELDS = new Set(['formKey', 'action', 'find', 'notListed', EVIDENCE_FIELD]);

/**
 * Without JavaScript a browser cannot solve the proof-of-work; such submissions are accepted but
 * held to a much tighter per-IP limit, so the no-JS path is no cheaper door for a bot.
 */
export const NO_POW_FORM_LIMIT = { limit: 10, windowMs: 3_600_000 };

async function institutionById(deps: Deps, id: string) {
  const [row] = await deps.db.read
    .select({ id: institutions.id, name: institutions.name, address: institutions.address })
    .from(institutions)
    .where(eq(institutions.id, id));
  return row ?? null;
}

function prepaidOver(settings: Settings, values: Record<string, string>): boolean {
  const hours = Number(values.classesTotal);
  const yuan = Number(values.amountPaid);
  return (Number.isFinite(hours) && hours > settings.prepaidMaxClassHours) || (settings.prepaidMaxYuan !== null && Number.isFinite(yuan) && yuan > settings.prepaidMaxYuan);
}

export async function handleComplaintForm(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang): Promise<FormState> {
  const [settings, towns] = await Promise.all([
    loadSettings(deps.db),
    deps.db.read.select({ code: townsTable.code, nameZh: townsTable.nameZh, nameEn: townsTable.nameEn }).from(townsTable),
  ]);
  const state: FormState = {
    values: {},
    errors: [],
    institution: null,
    picker: null,
    towns,
    settings,
    today: beijingDate(deps.clock.now()),
    formKey: randomUUID(),
    powRequired: deps.env.INTAKE_POW === 'on',
    refusal: null,
    result: null,
  };

  if (request.method !== 'POST') {
    const pre = url.searchParams.get('institution');
    if (pre && /^[A-Za-z0-9_-]{1,64}$/.test(pre)) state.institution = await institutionById(deps, pre);
    return state;
  }

  let form: FormData;
  try {
    // Read under the same limit as the API (5 × 10 MB + fields), stopping early on a larger body.
    form = await readFormData(request, INTAKE_BODY_LIMITS.multipart);
  } catch (err) {
    if (err instanceof BodyTooLarge) state.refusal = { status: 413, retryAfter: null };
    state.errors.push({ path: EVIDENCE_FIELD, message: msg(err instanceof BodyTooLarge ? 'payload_too_large_files' : 'unsupported_media', lang) });
    return state;
  }
  const files: UploadedFile[] = [];
  for (const [key, value] of form.entries()) {
    if (typeof value === 'string') {
      if (!CONTROL_FIELDS.has(key)) state.values[key] = value;
    } else if (key === EVIDENCE_FIELD && value.size > 0) {
      files.push({ name: value.name, bytes: new Uint8Array(await value.arrayBuffer()) });
    }
  }
  const formKey = String(form.get('formKey') ?? '');
  if (/^[0-9a-f-]{36}$/.test(formKey)) state.formKey = formKey;
  if (state.values.institutionId) state.institution = await institutionById(deps, state.values.institutionId);

  const action = String(form.get('action') ?? 'submit');
  if (action === 'find' || action === 'unpick') {
    const query = String(form.get('find') ?? '').slice(0, 40);
    state.institution = null;
    state.values.institutionId = '';
    if (action === 'find') state.picker = { query, items: await lookupInstitutions(deps.db, query) };
    return state;
  }

  // Empty checkboxes are absent from a form post; the schema wants them explicit.
  const fields: Record<string, string> = { consentProcessing: 'false', consentPublication: 'false', ...state.values };
  // A picked institution wins over anything typed in the "not in the list" fields (the API
  // refuses both at once); an id the registry no longer knows is then reported as such.
  if (state.institution || state.values.institutionId?.trim()) {
    delete fields.institutionName;
    delete fields.institutionAddress;
    delete fields.town;
  }
  const parsed = parseWith(ComplaintInputSchema, fields, lang);
  const fileIssues = checkEvidence(files);
  if (!parsed.ok || fileIssues.length) {
    state.errors = [...(parsed.ok ? [] : parsed.issues), ...fileIssues.map((i) => ({ path: i.path, message: msg(i.key, lang) }))];
    return state;
  }
  try {
    // The no-JS limit is taken before anything is decoded; images are decoded by fileComplaint,
    // after its own gate (proof-of-work when one was sent, the per-mobile and per-IP counters).
    const powExempt = !parsed.data.pow && deps.env.INTAKE_POW === 'on';
    if (powExempt && ip) await deps.db.write((tx) => consumeRateLimit(tx, `intake:form-nopow-key:${deps.pii.ipKey(ip)}`, NO_POW_FORM_LIMIT, deps.clock.now()));
    const { result } = await fileComplaint(deps, parsed.data, { ip, idempotencyKey: `form-${state.formKey}`, powExempt }, files);
    const depts = await deps.db.read.select({ code: departments.code, nameZh: departments.nameZh, nameEn: departments.nameEn }).from(departments);
    const name = (code: string) => {
      const d = depts.find((x) => x.code === code);
      return d ? (lang === 'en' ? d.nameEn : d.nameZh) : code;
    };
    state.result = {
      trackingCode: result.trackingCode,
      leadName: name(result.lead.code),
      coHandlers: result.coHandlers.map((c) => name(c.code)),
      acceptBy: result.acceptBy,
      calendarWarning: !!result.calendarWarning,
      prepaidOver: prepaidOver(settings, state.values),
    };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const body = apiErrorBody(err, lang).error;
    state.errors = body.issues?.length ? body.issues : [{ path: '(body)', message: body.message }];
    if (err.status === 429 || err.status === 503) state.refusal = { status: err.status, retryAfter: err.headers?.['Retry-After'] ?? null };
  }
  return state;
}
