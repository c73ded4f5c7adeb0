/**
 * One error shape for every 4xx, defined once:
 *   { error: { code, message, issues?: [{ path, message }] } }
 * Services throw ApiError; the app's error handler turns it (and zod errors) into that body.
 */
import { z } from 'zod';
import { isMessageKey, msg, type Lang, type MessageKey } from './messages.ts';

export interface ErrorIssue {
  path: string;
  message: string;
}
export interface ErrorBody {
  error: { code: string; message: string; issues?: ErrorIssue[] };
}

export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503,
    readonly code: string,
    readonly messageKey: MessageKey,
    /** Field issues whose messages are MessageKeys (translated on the way out). */
    readonly issues?: { path: string; key: MessageKey }[],
    readonly headers?: Record<string, string>,
  ) {
    super(code);
  }
}

export function errorBody(code: string, message: string, issues?: ErrorIssue[]): ErrorBody {
  return { error: { code, message, ...(issues?.length ? { issues } : {}) } };
}

export function apiErrorBody(e: ApiError, lang: Lang): ErrorBody {
  return errorBody(
    e.code,
    msg(e.messageKey, lang),
    e.issues?.map((i) => ({ path: i.path, message: msg(i.key, lang) })),
  );
}

const LOCALES = { 'zh-CN': z.locales.zhCN(), en: z.locales.en() } as const;

/** zod issue → field path + message in the user's language (schema keys translated). */
export function zodIssues(error: z.ZodError, lang: Lang): ErrorIssue[] {
  return error.issues.map((iss) => {
    const path = iss.path.map(String).join('.') || '(body)';
    if (iss.code === 'unrecognized_keys') {
      return { path: iss.keys.join(','), message: msg('unknown_field', lang) };
    }
    return { path, message: isMessageKey(iss.message) ? msg(iss.message, lang) : iss.message };
  });
}

/** safeParse with zod's own messages in the user's language for issues without a custom key. */
export function parseWith<S extends z.ZodType>(schema: S, data: unknown, lang: Lang): { ok: true; data: z.output<S> } | { ok: false; issues: ErrorIssue[] } {
  const r = schema.safeParse(data, { error: LOCALES[lang].localeError });
  return r.success ? { ok: true, data: r.data } : { ok: false, issues: zodIssues(r.error, lang) };
}

export function validationError(issues: ErrorIssue[], lang: Lang): ErrorBody {
  return errorBody('validation_failed', msg('validation_failed', lang), issues);
}
