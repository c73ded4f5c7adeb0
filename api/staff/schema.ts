/**
 * Inputs of staff sign-in, TOTP enrolment and password change: one zod schema each, shared by the
 * API routes and the admin pages' forms. Messages are keys from api/lib/messages.ts. Form posts
 * arrive as strings and may carry the CSRF field `_csrf`, which the guard reads, so it is allowed.
 */
import { z } from 'zod';

const totp = z
  .string({ error: 'totp_invalid' })
  .transform((s) => s.replace(/\s/g, ''))
  .pipe(z.string().regex(/^\d{6}$/, { error: 'totp_invalid' }));

/** Present but empty form fields count as missing. */
const optional = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

export const SignInSchema = z.strictObject({
  username: z.string({ error: 'required' }).trim().min(1, { error: 'required' }).max(64, { error: 'text_long' }),
  password: z.string({ error: 'required' }).min(1, { error: 'required' }).max(128, { error: 'password_long' }),
  /** Required for every enrolled account; absent on the very first sign-in, which starts enrolment. */
  totp: optional(totp),
  _csrf: z.string().optional(),
});
export type SignInInput = z.output<typeof SignInSchema>;

export const EnrolConfirmSchema = z.strictObject({
  enrolmentToken: z.string({ error: 'required' }).regex(/^[A-Za-z0-9_-]{43}$/, { error: 'enrolment_invalid' }),
  totp,
  _csrf: z.string().optional(),
});
export type EnrolConfirmInput = z.output<typeof EnrolConfirmSchema>;

export const PasswordChangeSchema = z
  .strictObject({
    currentPassword: z.string({ error: 'required' }).min(1, { error: 'required' }).max(128, { error: 'password_long' }),
    totp,
    newPassword: z.string({ error: 'required' }).min(12, { error: 'password_short' }).max(128, { error: 'password_long' }),
    _csrf: z.string().optional(),
  })
  .refine((v) => v.newPassword !== v.currentPassword, { path: ['newPassword'], error: 'password_same' });
export type PasswordChangeInput = z.output<typeof PasswordChangeSchema>;
