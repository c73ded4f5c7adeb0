/**
 * One schema per input of the registry, shared by the admin API, the admin pages and the bulk
 * import (which feeds each row through the same institution schema, so a row and a form can never
 * disagree). Inputs are strings as a form or a spreadsheet cell gives them; coded values accept
 * their codes or the template's words (vocabulary.ts). Messages are keys of api/lib/messages.ts.
 */
import { z } from 'zod';
import { LICENSE_STATUSES } from '../../db/schema.ts';
import { checkCreditCode, isValidLicenseNo } from './credit-code.ts';
import { CATEGORY_WORDS, codeOf, LEGAL_FORM_WORDS, NO, splitList, YES } from './vocabulary.ts';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
export const isRealDate = (s: string) => {
  if (!ISO_DATE.test(s)) return false;
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
};
/** 2024/1/5, 2024.01.05 and 2024年1月5日 are how dates arrive from spreadsheets; all mean 2024-01-05. */
export function normaliseDate(raw: string): string {
  const m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$/.exec(raw.trim());
  return m ? `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}` : raw.trim();
}

/** Text a spreadsheet would run as a formula if it were ever exported (CSV injection). */
export const looksLikeFormula = (s: string) => /^[=+@]/.test(s.trim());

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

const text = (min: number, max: number, key: string) =>
  z
    .string()
    .transform((s) => s.normalize('NFC').replace(/\s+/g, ' ').trim())
    .refine((s) => !looksLikeFormula(s), { message: 'formula_refused' })
    .refine((s) => s.length >= min && s.length <= max && !CONTROL.test(s), { message: key });

const optionalText = (max: number, key: string) =>
  z
    .string()
    .optional()
    .transform((s) => (s ?? '').normalize('NFC').trim())
    .refine((s) => !looksLikeFormula(s), { message: 'formula_refused' })
    .refine((s) => s.length <= max && !CONTROL.test(s), { message: key })
    .transform((s) => s || null);

const date = (key: string) =>
  z
    .string()
    .transform(normaliseDate)
    .refine(isRealDate, { message: key });

const optionalDate = (key: string) =>
  z
    .string()
    .optional()
    .transform((s) => (s ? normaliseDate(s) : ''))
    .refine((s) => s === '' || isRealDate(s), { message: key })
    .transform((s) => s || null);

const yesNo = z
  .string()
  .optional()
  .transform((s, ctx) => {
    const w = (s ?? '').trim().toLowerCase();
    if (YES.includes(w)) return true;
    if (NO.includes(w)) return false;
    ctx.addIssue({ code: 'custom', message: 'fire_passed_invalid' });
    return z.NEVER;
  });

const count = z
  .string()
  .transform((s) => s.trim())
  .refine((s) => /^\d{1,5}$/.test(s) && Number(s) <= 10_000, { message: 'count_invalid' })
  .transform(Number);

export interface ReferenceLists {
  /** Town code → its accepted spellings (code, Chinese name, English name). */
  towns: readonly { code: string; nameZh: string; nameEn: string }[];
  zoneIds: readonly number[];
}

/** The institution form / import row. `ref` supplies the district's towns and zones. */
export function InstitutionInputSchema(ref: ReferenceLists) {
  return z
    .object({
      name: text(2, 100, 'name_invalid'),
      creditCode: z
        .string()
        .transform((s) => s.normalize('NFKC').replace(/\s+/g, '').toUpperCase())
        .superRefine((s, ctx) => {
          const p = checkCreditCode(s);
          if (p) ctx.addIssue({ code: 'custom', message: p === 'length' ? 'credit_code_length' : p === 'charset' ? 'credit_code_charset' : 'credit_code_check' });
        }),
      licenseNo: z
        .string()
        .transform((s) => s.normalize('NFKC').replace(/\s+/g, ''))
        .refine(isValidLicenseNo, { message: 'license_no_invalid' }),
      legalForm: z.string().transform((s, ctx) => codeOf(LEGAL_FORM_WORDS, s) ?? (ctx.addIssue({ code: 'custom', message: 'legal_form_invalid' }), z.NEVER)),
      category: z.string().transform((s, ctx) => codeOf(CATEGORY_WORDS, s) ?? (ctx.addIssue({ code: 'custom', message: 'category_invalid' }), z.NEVER)),
      address: text(5, 200, 'address_invalid'),
      town: z.string().transform((s, ctx) => {
        const w = s.trim().toLowerCase();
        const t = ref.towns.find((x) => x.code === w || x.nameZh === s.trim() || x.nameEn.toLowerCase() === w);
        if (!t) {
          ctx.addIssue({ code: 'custom', message: 'town_invalid' });
          return z.NEVER;
        }
        return t.code;
      }),
      zone: z.string().transform((s, ctx) => {
        const m = /^(?:第)?\s*(\d{1,3})\s*(?:督导责任区)?$/.exec(s.trim());
        const id = m ? Number(m[1]) : NaN;
        if (!ref.zoneIds.includes(id)) {
          ctx.addIssue({ code: 'custom', message: 'zone_invalid' });
          return z.NEVER;
        }
        return id;
      }),
      licenseIssuedOn: date('date_invalid'),
      licenseValidUntil: date('date_invalid'),
      fireSafetyPassed: yesNo,
      fireSafetyDate: optionalDate('date_invalid'),
      custodyBank: optionalText(60, 'text_long'),
      custodyAccountNo: z
        .string()
        .optional()
        .transform((s) => (s ?? '').replace(/[\s-]/g, ''))
        .refine((s) => s === '' || /^\d{8,32}$/.test(s), { message: 'custody_account_invalid' })
        .transform((s) => s || null),
      usesModelContract: yesNo,
      trainingItems: z
        .string()
        .transform((s) => [...new Set(splitList(s.normalize('NFC')))])
        .refine((items) => items.length >= 1 && items.length <= 20 && items.every((i) => i.length <= 40 && !CONTROL.test(i)), { message: 'training_items_invalid' })
        .refine((items) => !items.some(looksLikeFormula), { message: 'formula_refused' }),
      staffCount: count,
      teacherCount: count,
      phone: z
        .string()
        .optional()
        .transform((s) => (s ?? '').replace(/\s+/g, ''))
        .refine((s) => s === '' || /^[0-9-]{5,20}$/.test(s), { message: 'phone_invalid' })
        .transform((s) => s || null),
    })
    .superRefine((v, ctx) => {
      if (v.licenseValidUntil < v.licenseIssuedOn) ctx.addIssue({ code: 'custom', path: ['licenseValidUntil'], message: 'valid_until_order' });
      if (v.fireSafetyPassed && !v.fireSafetyDate) ctx.addIssue({ code: 'custom', path: ['fireSafetyDate'], message: 'fire_date_required' });
      if (!v.custodyBank !== !v.custodyAccountNo) ctx.addIssue({ code: 'custom', path: [v.custodyBank ? 'custodyAccountNo' : 'custodyBank'], message: 'custody_pair' });
      if (v.teacherCount > v.staffCount) ctx.addIssue({ code: 'custom', path: ['teacherCount'], message: 'teachers_over_staff' });
    });
}
export type InstitutionInput = z.output<ReturnType<typeof InstitutionInputSchema>>;

/** Every field of the institution form, in form and template order. */
export const INSTITUTION_FIELDS = [
  'name',
  'creditCode',
  'licenseNo',
  'legalForm',
  'category',
  'town',
  'zone',
  'address',
  'licenseIssuedOn',
  'licenseValidUntil',
  'fireSafetyPassed',
  'fireSafetyDate',
  'custodyBank',
  'custodyAccountNo',
  'usesModelContract',
  'trainingItems',
  'staffCount',
  'teacherCount',
  'phone',
] as const;
export type InstitutionField = (typeof INSTITUTION_FIELDS)[number];

/** Statuses staff set by hand; 过期 (expired) follows from the valid-until date by itself. */
export const SETTABLE_STATUSES = LICENSE_STATUSES.filter((s) => s !== 'expired') as readonly ('valid' | 'suspended' | 'cancelled' | 'revoked')[];

export const StatusChangeSchema = z
  .object({
    status: z.string().refine((s) => (SETTABLE_STATUSES as readonly string[]).includes(s), { message: 'status_invalid' }).transform((s) => s as (typeof SETTABLE_STATUSES)[number]),
    effectiveOn: date('date_invalid'),
    reasonZh: text(5, 500, 'reason_required'),
    reasonEn: optionalText(500, 'text_long'),
  })
  .strict();
export type StatusChange = z.output<typeof StatusChangeSchema>;

export const RegistryListQuerySchema = z.object({
  q: z.string().trim().max(60).optional().transform((v) => v || undefined),
  town: z.string().trim().max(40).optional().transform((v) => v || undefined),
  category: z.string().trim().max(40).optional().transform((v) => v || undefined),
  status: z.string().trim().max(40).optional().transform((v) => v || undefined),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
});
export type RegistryListQuery = z.output<typeof RegistryListQuerySchema>;
