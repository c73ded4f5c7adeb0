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
// what was checked; found by tests/api/intake-fuzz.test.ts). A regex rather than
// String#isWellFormed, which older WeChat browsers lack — the form imports this schema too.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const text = (min: number, max: number, lengthKey: 'text_short' | 'description_length' = 'text_short') =>
  z
    .string({ error: (iss) => (iss.input === undefined ? 'required' : 'text_invalid') })
    .transform((s) => s.normalize('NFC').trim())
    .pipe(
      z
        .string()
        .min(min, { error: lengthKey })
        .max(max, { error: lengthKey === 'text_short' ? 'text_long' : lengthKey })
        .refine((s) => !CONTROL.test(s), { error: 'text_control' }),
    );

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
const yuan = yuanAsFen.refine((fen) => fen > 0 && fen <= 100_000_000, { error: 'amount_range' });

const count = z
  .union([z.number(), z.string()], { error: 'classes_invalid' })
  .transform((v, ctx) => {
    const s = typeof v === 'number' ? String(v) : v.trim();
    if (!/^\d{1,5}$/.test(s) || Number(s) > 10_000) {
      ctx.addIssue({ code: 'custom', message: 'classes_invalid' });
      return z.NEVER;
    }
    return Number(s);
  });

const isoDate = z
  .string({ error: 'date_invalid' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'date_invalid' })
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, { error: 'date_invalid' });

/** Checkbox/JSON boolean: true, "true", "on", "1". */
const flag = (error: 'consent_required' | 'choice_invalid' = 'choice_invalid') =>
  z.union([z.boolean(), z.literal('true'), z.literal('on'), z.literal('1'), z.literal('false'), z.literal('0'), z.literal('')], { error }).transform((v) => v === true || v === 'true' || v === 'on' || v === '1');

const choice = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: 'choice_invalid' });

export const mobileSchema = z
  .string({ error: 'mobile_invalid' })
  .transform((s) => s.replace(/[\s-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, ''))
  .pipe(z.string().regex(/^1[3-9]\d{9}$/, { error: 'mobile_invalid' }));

const empty = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const ComplaintInputSchema = z
  .strictObject({
    institutionId: z.preprocess(empty, z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'institution_unknown' }).optional()),
    institutionName: z.preprocess(empty, text(2, 100).optional()),
    institutionAddress: z.preprocess(empty, text(2, 200).optional()),
    town: z.preprocess(empty, z.string().regex(/^[a-z_]{2,32}$/, { error: 'town_invalid' }).optional()),
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
      .refine((v) => v === true, { error: 'consent_required' }),
    consentPublication: flag().optional().transform((v) => v ?? false),
    /** Proof-of-work solution (see api/complaints/pow.ts); checked by the route, not stored. */
    pow: z.preprocess(empty, z.string().max(200).optional()),
  }, { error: 'unknown_field' })
  .superRefine((v, ctx) => {
    if (!v.institutionId) {
      if (!v.institutionName) ctx.addIssue({ code: 'custom', path: ['institutionName'], message: 'institution_choose' });
      if (!v.institutionAddress) ctx.addIssue({ code: 'custom', path: ['institutionAddress'], message: 'institution_choose' });
      if (!v.town) ctx.addIssue({ code: 'custom', path: ['town'], message: 'town_invalid' });
    }
    if (v.classesUsed > v.classesTotal) ctx.addIssue({ code: 'custom', path: ['classesUsed'], message: 'classes_used_range' });
    if (v.amountRequested > v.amountPaid) ctx.addIssue({ code: 'custom', path: ['amountRequested'], message: 'amount_requested_range' });
    if (v.paidOn < '2015-01-01') ctx.addIssue({ code: 'custom', path: ['paidOn'], message: 'date_too_old' });
  });

export type ComplaintInput = z.input<typeof ComplaintInputSchema>;
export type ComplaintData = z.output<typeof ComplaintInputSchema>;

export const TRACKING_CODE_PATTERN = /^TS-[0-9A-HJ-NP-Z]{4}-[0-9A-HJ-NP-Z]{4}$/;

export const TrackQuerySchema = z.object({
  code: z.string().transform((s) => s.trim().toUpperCase()).pipe(z.string().regex(TRACKING_CODE_PATTERN, { error: 'code_invalid' })),
  last4: z.string({ error: 'last4_invalid' }).regex(/^\d{4}$/, { error: 'last4_invalid' }),
});
