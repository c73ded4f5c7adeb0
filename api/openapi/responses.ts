/**
 * zod schemas of what the public endpoints answer. They exist for the OpenAPI document (generated
 * from them with z.toJSONSchema) and are checked against the real responses in
 * tests/openapi/openapi.test.ts, so the published contract cannot drift from the code.
 */
import { z } from 'zod';
import { COMPLAINT_REASONS, COMPLAINT_STATUSES, LICENSE_STATUSES, OUTCOMES, RATINGS } from '../../db/schema.ts';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).describe('A Beijing calendar date, YYYY-MM-DD');
const instant = z.string().describe('An ISO 8601 instant (UTC)');
const trackingCode = z.string().regex(/^TS-[0-9A-HJ-NP-Z]{4}-[0-9A-HJ-NP-Z]{4}$/).describe('Tracking code, e.g. TS-7K3M-9QXP');

/** The one error shape of every 4xx (api/lib/errors.ts). */
export const ErrorBodySchema = z
  .strictObject({
    error: z.strictObject({
      code: z.string().describe('Stable machine code, e.g. validation_failed, payload_too_large, pow_required'),
      message: z.string().describe('Human message in zh-CN, or en with Accept-Language: en'),
      issues: z
        .array(z.strictObject({ path: z.string().describe('Field path, e.g. mobile, evidence.2, Idempotency-Key'), message: z.string() }))
        .min(1)
        .optional()
        .describe('Field errors (422)'),
    }),
  });

const department = z.strictObject({ code: z.string(), name: z.string().describe('Chinese name, e.g. 区文化和旅游局') });
const departmentBilingual = z.strictObject({ code: z.string(), nameZh: z.string(), nameEn: z.string() });

export const IntakeResultSchema = z
  .strictObject({
    trackingCode,
    status: z.literal('submitted'),
    lead: department.describe('The department that leads the case (首接负责制)'),
    coHandlers: z.array(department).describe('Co-handling departments (协办)'),
    acceptBy: isoDate.describe('The case must be accepted or refused by this date (working days, Beijing)'),
    calendarWarning: z
      .strictObject({ unknownYears: z.array(z.int()) })
      .optional()
      .describe('The deadline crosses a year without an official holiday schedule yet; it may move'),
  });

export const ChallengeSchema = z
  .strictObject({
    challenge: z.string().describe('Signed challenge; solve it and send `${challenge}:${nonce}` as the pow field'),
    difficulty: z.int().min(1).max(32).describe('Leading zero bits sha256(`${challenge}:${nonce}`) must have'),
    expiresAt: instant.describe('The challenge is refused after this instant; fetch it when the parent submits'),
  });

export const TrackingViewSchema = z
  .strictObject({
    trackingCode,
    status: z.enum(COMPLAINT_STATUSES),
    institution: z.strictObject({ id: z.string().nullable(), name: z.string().nullable() }),
    reason: z.enum(COMPLAINT_REASONS),
    lead: departmentBilingual,
    coHandlers: z.array(departmentBilingual),
    submittedAt: instant,
    deadlines: z.strictObject({
      acceptBy: isoDate,
      resolveBy: isoDate.nullable(),
      extendedUntil: isoDate.nullable(),
    }),
    outcome: z.enum(OUTCOMES).nullable(),
    amountRefunded: z.number().nullable().describe('Yuan'),
    rejectReason: z.enum(['duplicate', 'out_of_scope', 'insufficient']).nullable(),
    rating: z.enum(RATINGS).nullable(),
    canRate: z.boolean(),
    reopenWindowDays: z.int(),
    timeline: z.array(
      z.strictObject({
        at: instant,
        kind: z.string(),
        toStatus: z.enum(COMPLAINT_STATUSES).nullable(),
        note: z.string().nullable().describe('Public note from the handling department'),
      }),
    ),
  })
  // Other engineers extend the tracking view (e.g. rating details); extra keys are allowed.
  .loose();

export const InstitutionStatusSchema = z
  .strictObject({
    id: z.string(),
    licenseStatus: z.enum(LICENSE_STATUSES).describe("valid, suspended, cancelled, revoked, or expired (derived from the valid-until date)"),
    licenseValidUntil: isoDate,
    asOf: isoDate.describe('Beijing date the answer was computed for'),
  });

export const InstitutionLookupSchema = z.strictObject({
  items: z
    .array(
      z.strictObject({
        id: z.string(),
        name: z.string(),
        address: z.string(),
        townZh: z.string(),
        townEn: z.string(),
        licenseStatus: z.enum(LICENSE_STATUSES).describe('As registered (the status route derives expiry)'),
      }),
    )
    .max(10)
    .describe('At most 10 matches, shortest names first; empty for a query under 2 characters'),
});
