/**
 * Inputs of the admin complaint API: the queue's filters and one schema per transition, shared by
 * the API routes and the admin pages' forms (HTML form strings are accepted: "on", "12.50").
 * Messages are keys from api/lib/messages.ts, translated per request.
 */
import { z } from 'zod';
import { COMPLAINT_REASONS, COMPLAINT_STATUSES, OUTCOMES } from '../../db/schema.ts';
import { TRACKING_CODE_PATTERN, yuanAsFen } from '../intake/schema.ts';

// C0/C1 control characters other than tab and newlines, and Unicode bidi overrides.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

export const text = (min: number, max: number, short: 'text_short' | 'reason_required' = 'text_short') =>
  z
    .string({ error: (iss) => (iss.input === undefined ? (short === 'reason_required' ? short : 'required') : 'text_invalid') })
    .transform((s) => s.normalize('NFC').trim())
    .pipe(
      z
        .string()
        .min(min, { error: short })
        .max(max, { error: 'text_long' })
        .refine((s) => !CONTROL.test(s), { error: 'text_control' }),
    );

const empty = (v: unknown) => (v === '' || v === null ? undefined : v);
const optionalText = (max: number) => z.preprocess(empty, text(1, max).optional());
export const choice = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: 'choice_invalid' });
const flag = z
  .union([z.boolean(), z.enum(['true', 'false', 'on', '1', '0', ''])], { error: 'choice_invalid' })
  .transform((v) => v === true || v === 'true' || v === 'on' || v === '1');
const isoDate = z
  .string({ error: 'date_invalid' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'date_invalid' })
  .refine(
    (s) => {
      // Month 13 or day 40 is an Invalid Date, whose toISOString() throws; Feb 30 rolls over.
      const d = new Date(`${s}T00:00:00Z`);
      return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
    },
    { error: 'date_invalid' },
  );
const departmentCode = z.string({ error: 'choice_invalid' }).regex(/^[a-z][a-z0-9_]{1,31}$/, { error: 'choice_invalid' });

// ---------------------------------------------------------------- the queue

export const QueueQuerySchema = z
  .strictObject({
    state: z.preprocess(empty, choice(COMPLAINT_STATUSES).optional()),
    /** Deadline (accept-by, or resolve-by / approved extension) already passed, Beijing time. */
    overdue: z.preprocess(empty, flag.optional()),
    /** Deadline from today to this Sunday (Beijing week, Monday to Sunday). */
    dueThisWeek: z.preprocess(empty, flag.optional()),
    institution: z.preprocess(empty, z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'institution_unknown' }).optional()),
    reason: z.preprocess(empty, choice(COMPLAINT_REASONS).optional()),
    /** Submission date range, Beijing calendar days, both ends included. */
    submittedFrom: z.preprocess(empty, isoDate.optional()),
    submittedTo: z.preprocess(empty, isoDate.optional()),
    /** Coordination office only: one department's queue instead of every case. */
    department: z.preprocess(empty, departmentCode.optional()),
    cursor: z.preprocess(empty, z.string().max(200, { error: 'cursor_invalid' }).optional()),
    limit: z.preprocess(empty, z.coerce.number({ error: 'choice_invalid' }).int({ error: 'choice_invalid' }).min(1, { error: 'choice_invalid' }).max(100, { error: 'choice_invalid' }).default(50)),
  })
  .refine((q) => !q.submittedFrom || !q.submittedTo || q.submittedFrom <= q.submittedTo, { path: ['submittedTo'], error: 'date_range_invalid' });
export type QueueQuery = z.output<typeof QueueQuerySchema>;

// ---------------------------------------------------------------- transitions

/** Refunded amount: yuan with at most two decimals, zero allowed (no refund) → integer fen. */
const refundYuan = yuanAsFen;

const base = {
  /** The version the clerk's page showed; a newer one means someone else changed the case. */
  expectedVersion: z.coerce.number({ error: 'version_invalid' }).int({ error: 'version_invalid' }).positive({ error: 'version_invalid' }),
  _csrf: z.string().optional(),
};

export const TransitionSchema = z.discriminatedUnion(
  'action',
  [
    z.strictObject({ ...base, action: z.literal('accept'), note: optionalText(500) }),
    z.strictObject({
      ...base,
      action: z.literal('reject'),
      reason: choice(['duplicate', 'out_of_scope', 'insufficient'] as const),
      /** Shown to the parent: why, and where to go instead. */
      note: text(5, 500, 'reason_required'),
    }),
    z.strictObject({ ...base, action: z.literal('note'), staffNote: text(1, 2000), publicNote: optionalText(500) }),
    z.strictObject({ ...base, action: z.literal('add_cohandler'), department: departmentCode, note: optionalText(500) }),
    z.strictObject({ ...base, action: z.literal('assign'), staffId: z.coerce.number({ error: 'assignee_invalid' }).int({ error: 'assignee_invalid' }).positive({ error: 'assignee_invalid' }), note: optionalText(500) }),
    z.strictObject({ ...base, action: z.literal('request_extension'), note: text(5, 500, 'reason_required') }),
    z.strictObject({ ...base, action: z.literal('decide_extension'), approve: flag, note: optionalText(500) }),
    z.strictObject({ ...base, action: z.literal('resolve'), outcome: choice(OUTCOMES), amountRefunded: refundYuan, note: text(5, 1000, 'reason_required') }),
    z.strictObject({ ...base, action: z.literal('close'), note: optionalText(500) }),
    z.strictObject({ ...base, action: z.literal('change_lead'), department: departmentCode, reason: text(5, 500, 'reason_required') }),
    // Moderation
    z.strictObject({ ...base, action: z.literal('mark_spam'), note: optionalText(500) }),
    z.strictObject({
      ...base,
      action: z.literal('mark_duplicate'),
      originalCode: z
        .string({ error: 'duplicate_original_invalid' })
        .transform((s) => s.trim().toUpperCase())
        .pipe(z.string().regex(TRACKING_CODE_PATTERN, { error: 'duplicate_original_invalid' })),
      note: optionalText(500),
    }),
    z.strictObject({ ...base, action: z.literal('ban_mobile'), reason: text(5, 500, 'reason_required') }),
    z.strictObject({ ...base, action: z.literal('redact'), text: text(5, 2000) }),
  ],
  { error: 'choice_invalid' },
);
export type TransitionInput = z.output<typeof TransitionSchema>;
