/**
 * /admin/templates/ (department heads): their own department's response templates — list, add,
 * edit, delete — over the same service as the API (api/cases/templates.ts). Errors keep what was
 * typed; another department's template is "not found" like an unknown one.
 */
import { createTemplate, deleteTemplate, listTemplates, mayKeepTemplates, TemplateInputSchema, updateTemplate, type TemplateView } from './templates.ts';
import type { Deps } from '../deps.ts';
import { ApiError, apiErrorBody, parseWith } from '../lib/errors.ts';
import type { Lang } from '../lib/messages.ts';
import { strings } from '../../site/i18n/index.ts';
import { adminPath, redirect, type Frame, type PageResult } from '../staff/admin-page-http.ts';
import { opsGate } from '../ops/ops-gate.ts';
import type { Notice } from '../ops/system-page.ts';

export interface TemplatesState extends Frame {
  templates: TemplateView[];
  /** The form with errors: 'new' or a template id, what was typed, and the messages per field. */
  editing: { id: 'new' | number; form: Record<string, string>; fieldErrors: Record<string, string> } | null;
  message: Notice | null;
}

export async function handleTemplates(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang): Promise<PageResult<TemplatesState>> {
  const t = strings(lang).admin.ops.templates;
  const gate = await opsGate(deps, request, url, ip, lang, '/templates/', mayKeepTemplates, t.noAccess);
  if (!gate.ok) return gate.r;
  const { frame, actor, form } = gate.g;
  const here = adminPath(lang, '/templates/');
  const done = url.searchParams.get('done');
  const state = async (extra: Partial<TemplatesState> = {}): Promise<TemplatesState> => ({
    ...frame,
    templates: await listTemplates(deps.db, actor.dept),
    editing: null,
    message: done === 'saved' ? { kind: 'ok', text: t.saved } : done === 'deleted' ? { kind: 'ok', text: t.deleted } : null,
    ...extra,
  });
  if (!form) return { kind: 'page', status: 200, state: await state() };

  const now = deps.clock.now();
  const rawId = form.id ?? '';
  const id = /^\d{1,9}$/.test(rawId) ? Number(rawId) : -1;
  try {
    if (form.action === 'delete') {
      await deleteTemplate(deps.db, id, actor, now);
      return { kind: 'response', response: redirect(`${here}?done=deleted`) };
    }
    const input = { forStatus: form.forStatus ?? '', title: form.title ?? '', body: form.body ?? '' };
    const parsed = parseWith(TemplateInputSchema, input, lang);
    const editing = form.action === 'update' ? id : ('new' as const);
    if (!parsed.ok) {
      return { kind: 'page', status: 422, state: await state({ editing: { id: editing, form: input, fieldErrors: Object.fromEntries(parsed.issues.map((i) => [i.path, i.message])) }, message: { kind: 'error', text: strings(lang).admin.system.fixErrors } }) };
    }
    if (form.action === 'update') await updateTemplate(deps.db, id, parsed.data, actor, now);
    else await createTemplate(deps.db, parsed.data, actor, now);
    return { kind: 'response', response: redirect(`${here}?done=saved`) };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status === 401) throw err;
    return { kind: 'page', status: err.status, state: await state({ message: { kind: 'error', text: apiErrorBody(err, lang).error.message } }) };
  }
}
