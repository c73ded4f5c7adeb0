/**
 * The refund complaint intake schema: one definition, used by the API route, the no-JS form
 * handler and the browser form (z.input for the form, z.output for storage). Error messages are
 * keys from api/lib/messages.ts, translated per request.
 *
 * Accepts both JSON types and HTML form strings ("12.50", "on"), so the same schema serves the
 * island and the plain POST fallback.
 */
import { z } from 'zod';
import { COMPLAINT_REASONS, CONTRACT_KINDS, PAID_VIA } from '../../db/schema.ts';

// C0/C1 control characters other than tab and newlines, Unicode bidi overrides, and lone UTF-16
// surrogates (not characters at all: UTF-8 cannot store them, so the saved text would differ from
// what was checked; found by tests/intake/fuzz.test.ts). A regex rather than
// String#isWellFormed, which older WeChat browsers lack — the form imports this schema too.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The JSON Schema (draft 2020-12) of each field's *input*, registered beside its zod check and
 * built from the same numbers: api/openapi/document.ts publishes these in place of what
 * z.toJSONSchema derives, which cannot see through trimming, transforms and refinements.
 * Patterns are ECMA-262 in Unicode mode (JSON Schema's dialect; ajv's default).
 */
export const inputJsonSchemas = z.registry<Record<string, unknown>>();

/** What CONTROL refuses, as a Unicode-mode character class (there a lone surrogate is one code point). */
const CONTROL_CLASS = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069\\uD800-\\uDFFF';

/** Blank text (only whitespace): an optional field sent empty, as HTML forms do, counts as not given. */
export const BLANK_PATTERN = '^\\s*$';

/**
 * `text(min, max)` as JSON Schema: after trimming (JS \\s, the set String#trim removes) between
 * min and max characters, none of them a control character. Characters are code points, as JSON
 * Schema counts them (an emoji is one character, not two UTF-16 units). No lookarounds, so
 * generators such as fast-check's stringMatching can produce it: a first and a last character
 * that are neither space nor control, and up to max − 2 non-control characters between.
 */
export const textPattern = (min: number, max: number) => {
  const edge = `[^\\s${CONTROL_CLASS}]`;
  const inner = `[^${CONTROL_CLASS}]`;
  const core = min >= 2 ? `${edge}${inner}{${min - 2},${max - 2}}${edge}` : `${edge}(?:${inner}{0,${max - 2}}${edge})?`;
  return `^\\s*${core}\\s*$`;
};

const codePoints = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/**
 * Free text: trimmed, then counted and checked as sent (so textPattern states exactly what is
 * accepted), then stored in Unicode NFC so the same words always compare equal.
 */
const text = (min: number, max: number, lengthKey: 'text_short' | 'description_length' = 'text_short') =>
  z
    .string({ error: (iss) => (iss.input === undefined ? 'required' : 'text_invalid') })
    .transform((s) => s.trim())
    .pipe(
      z
        .string()
        .refine((s) => codePoints(s) >= min, { error: lengthKey })
        .refine((s) => codePoints(s) <= max, { error: lengthKey === 'text_short' ? 'text_long' : lengthKey })
        .refine((s) => !CONTROL.test(s), { error: 'text_control' }),
    )
    .transform((s) => s.normalize('NFC'))
    .register(inputJsonSchemas, { type: 'string', minLength: min, pattern: textPattern(min, max) });

/** Yuan with at most two decimals, as number or numeric string → integer fen (0 allowed). */
export const yuanAsFen = z
  .union([z.number(), z.string()], { error: 'amount_invalid' })
  .transform((v, ctx) => {
    const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v.trim();
    if (!/^\d{1,7}(\.\d{1,2})?$/.test(s)) {
      ctx.addIssue({ code: 'custom', message: 'amount_invalid' });
      return z.NEVER;
    }
    const [whole, frac = ''] = s.split('.');
    return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  });

/** An amount a parent paid or asks back: above 0, at most 1,000,000 yuan. */
const MAX_YUAN = 1_000_000;
const yuan = yuanAsFen
  .refine((fen) => fen > 0 && fen <= MAX_YUAN * 100, { error: 'amount_range' })
  .register(inputJsonSchemas, {
    anyOf: [
      { type: 'number', exclusiveMinimum: 0, maximum: MAX_YUAN, multipleOf: 0.01 },
      // Up to 7 digits (a 7-digit value ≤ 1,000,000 starts with 0 or is 1000000), not zero.
      { type: 'string', pattern: `^\\s*(?!0*(?:\\.0{1,2})?\\s*$)(?:0?[0-9]{1,6}(?:\\.[0-9]{1,2})?|${MAX_YUAN}(?:\\.0{1,2})?)\\s*$` },
    ],
  });

const MAX_CLASSES = 10_000;
const count = z
  .union([z.number(), z.string()], { error: 'classes_invalid' })
  .transform((v, ctx) => {
    const s = typeof v === 'number' ? String(v) : v.trim();
    if (!/^\d{1,5}$/.test(s) || Number(s) > MAX_CLASSES) {
      ctx.addIssue({ code: 'custom', message: 'classes_invalid' });
      return z.NEVER;
    }
    return Number(s);
  })
  .register(inputJsonSchemas, {
    anyOf: [
      { type: 'integer', minimum: 0, maximum: MAX_CLASSES },
      { type: 'string', pattern: `^\\s*(?:0?[0-9]{1,4}|${MAX_CLASSES})\\s*$` },
    ],
  });

/** The earliest payment date a complaint may name (the JSON pattern below allows years from 2015). */
const EARLIEST_PAID_ON = '2015-01-01';

const isoDate = z
  .string({ error: 'date_invalid' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'date_invalid' })
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, { error: 'date_invalid' })
  // A calendar date from EARLIEST_PAID_ON on ("not after today" is in the description).
  .register(inputJsonSchemas, { type: 'string', format: 'date', pattern: '^(?:201[5-9]|20[2-9][0-9]|2[1-9][0-9]{2}|[3-9][0-9]{3})-[0-9]{2}-[0-9]{2}$' });

/** Checkbox/JSON boolean: true, "true", "on", "1". */
const flag = (error: 'consent_required' | 'choice_invalid' = 'choice_invalid') =>
  z.union([z.boolean(), z.literal('true'), z.literal('on'), z.literal('1'), z.literal('false'), z.literal('0'), z.literal('')], { error }).transform((v) => v === true || v === 'true' || v === 'on' || v === '1');

const choice = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: 'choice_invalid' });

/** Spaces and dashes anywhere are ignored (the transform below drops them). */
const SEP = '[\\s-]*';
export const mobileSchema = z
  .string({ error: 'mobile_invalid' })
  .transform((s) => s.replace(/[\s-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, ''))
  .pipe(z.string().regex(/^1[3-9]\d{9}$/, { error: 'mobile_invalid' }))
  .register(inputJsonSchemas, { type: 'string', pattern: `^${SEP}(?:(?:\\+${SEP})?8${SEP}6${SEP})?1${SEP}[3-9](?:${SEP}[0-9]){9}${SEP}$` });

const empty = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/** An optional field: its check, or blank (= not given). */
const optional = <T extends z.ZodType>(schema: T, json: Record<string, unknown>) =>
  z.preprocess(empty, schema.optional()).register(inputJsonSchemas, { anyOf: [json, { type: 'string', pattern: BLANK_PATTERN }] });

const INSTITUTION_ID = /^[A-Za-z0-9_-]{1,64}$/;
const TOWN_CODE = /^[a-z_]{2,32}$/;
/** The fields that name an operator outside the registry: all three, or none and an institutionId. */
export const UNREGISTERED_FIELDS = ['institutionName', 'institutionAddress', 'town'] as const;

export const ComplaintInputSchema = z
  .strictObject({
    institutionId: optional(z.string().regex(INSTITUTION_ID, { error: 'institution_unknown' }), { type: 'string', pattern: INSTITUTION_ID.source }),
    institutionName: optional(text(2, 100), { type: 'string', pattern: textPattern(2, 100) }),
    institutionAddress: optional(text(2, 200), { type: 'string', pattern: textPattern(2, 200) }),
    town: optional(z.string().regex(TOWN_CODE, { error: 'town_invalid' }), { type: 'string', pattern: TOWN_CODE.source }),
    course: text(1, 100),
    contract: choice(CONTRACT_KINDS),
    paidOn: isoDate,
    amountPaid: yuan,
    classesTotal: count,
    classesUsed: count,
    amountRequested: yuan,
    paidVia: choice(PAID_VIA),
    reason: choice(COMPLAINT_REASONS),
    description: text(10, 2000, 'description_length'),
    parentName: text(1, 40),
    mobile: mobileSchema,
    consentProcessing: z
      .union([z.boolean(), z.string()], { error: 'consent_required' })
      .pipe(flag('consent_required'))
      .refine((v) => v === true, { error: 'consent_required' })
      .register(inputJsonSchemas, { anyOf: [{ type: 'boolean', const: true }, { type: 'string', enum: ['true', 'on', '1'] }] }),
    consentPublication: flag().optional().transform((v) => v ?? false),
    /** Proof-of-work solution (see api/intake/pow.ts); checked by the route, not stored. */
    pow: optional(z.string().refine((s) => codePoints(s) <= 200, { error: 'text_long' }), { type: 'string', maxLength: 200 }),
  }, { error: 'unknown_field' })
  .superRefine((v, ctx) => {
    if (v.institutionId) {
      // Either the registry's institution or an operator described by hand, never both: which
      // one the parent meant would be a guess.
      const extra = UNREGISTERED_FIELDS.find((k) => v[k]);
      if (extra) ctx.addIssue({ code: 'custom', path: [extra], message: 'institution_both' });
    } else {
      if (!v.institutionName) ctx.addIssue({ code: 'custom', path: ['institutionName'], message: 'institution_choose' });
      if (!v.institutionAddress) ctx.addIssue({ code: 'custom', path: ['institutionAddress'], message: 'institution_choose' });
      if (!v.town) ctx.addIssue({ code: 'custom', path: ['town'], message: 'town_invalid' });
    }
    if (v.classesUsed > v.classesTotal) ctx.addIssue({ code: 'custom', path: ['classesUsed'], message: 'classes_used_range' });
    if (v.amountRequested > v.amountPaid) ctx.addIssue({ code: 'custom', path: ['amountRequested'], message: 'amount_requested_range' });
    if (v.paidOn < EARLIEST_PAID_ON) ctx.addIssue({ code: 'custom', path: ['paidOn'], message: 'date_too_old' });
  });

export type ComplaintInput = z.input<typeof ComplaintInputSchema>;
export type ComplaintData = z.output<typeof ComplaintInputSchema>;

export const TRACKING_CODE_PATTERN = /^TS-[0-9A-HJ-NP-Z]{4}-[0-9A-HJ-NP-Z]{4}$/;

export const TrackQuerySchema = z.object({
  code: z.string().transform((s) => s.trim().toUpperCase()).pipe(z.string().regex(TRACKING_CODE_PATTERN, { error: 'code_invalid' })),
  last4: z.string({ error: 'last4_invalid' }).regex(/^\d{4}$/, { error: 'last4_invalid' }),
});
