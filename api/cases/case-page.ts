/**
 * /admin/cases/<code>/ and its printable evidence pack, over the same services as the admin API:
 * caseView (personal data unmasked only for handling departments, each such view audited),
 * and runTransition for every action — the one way to change a case. The page offers forms only
 * for the actions in the view's `allowedActions`; each form posts here with `_csrf` and
 * `expectedVersion`, and success redirects (303) back to the case.
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import { departments, staff } from '../../db/schema.ts';
import { caseView } from './case-view.ts';
import { listTemplates, TEMPLATE_STATUSES, type TemplateStatus, type TemplateView } from './templates.ts';
import { runTransition } from './transitions.ts';
import { ApiError, apiErrorBody } from '../lib/errors.ts';
import { msg, type Lang } from '../lib/messages.ts';
import type { Deps } from '../deps.ts';
import { strings } from '../../site/i18n/index.ts';
import { csrfRefused } from '../staff/account-page.ts';
import { adminPath, callerOf, csrfOk, isDemo, readForm, TOO_LARGE, redirect, passwordChangeFirst, sessionOf, toSignIn, type Frame, type MessageState, type PageResult } from '../staff/admin-page-http.ts';
import type { Dept } from './queue-page.ts';
import { adminUser } from '../staff/admin-user.ts';

export type CaseView = Awaited<ReturnType<typeof caseView>>;

export interface CaseState extends Frame {
  view: CaseView;
  departments: Dept[];
  /** Departments that may be added as co-handler (not the lead, not already on the case). */
  coHandlerChoices: Dept[];
  /** Departments that may lead (have active case workers), other than the current lead. */
  leadChoices: Dept[];
  /** Case workers of the lead department (for the department head's assignment). */
  assignees: { id: number; displayName: string; role: string }[];
  /** The caller's department's response templates for the case's current state. */
  templates: TemplateView[];
  /** The action just saved (after the redirect). */
  done: string | null;
  /** A refused form: which action, its message, its field messages and what was typed. */
  error: { action: string; message: string; fields: Record<string, string>; values: Record<string, string> } | null;
}

/** Templates apply to the states in which a case has a text to write; none elsewhere. */
async function templatesFor(deps: Deps, dept: string, status: string): Promise<TemplateView[]> {
  return (TEMPLATE_STATUSES as readonly string[]).includes(status) ? listTemplates(deps.db, dept, status as TemplateStatus) : [];
}

export const casePath = (lang: Lang, code: string) => adminPath(lang, `/cases/${code}/`);

function messagePage(lang: Lang, frame: Frame, status: 403 | 404): PageResult<never> {
  const e = strings(lang).admin.errors;
  const state: MessageState =
    status === 404
      ? { ...frame, title: e.notFoundTitle, text: e.notFound, back: { href: adminPath(lang, '/'), label: e.backToQueue } }
      : { ...frame, title: e.forbiddenTitle, text: e.forbidden, back: frame.user?.role === 'sysadmin' ? { href: adminPath(lang, '/account/'), label: strings(lang).admin.nav.account } : null };
  return { kind: 'message', status, state };
}

async function choices(deps: Deps, view: CaseView) {
  const all: Dept[] = await deps.db.read
    .select({ code: departments.code, nameZh: departments.nameZh, nameEn: departments.nameEn, kind: departments.kind })
    .from(departments)
    .orderBy(asc(departments.sortOrder), asc(departments.code));
  const onCase = new Set([view.routing.lead.code, ...view.coHandlers.map((c) => c.code)]);
  const workers = await deps.db.read
    .select({ id: staff.id, displayName: staff.displayName, role: staff.role, dept: staff.departmentCode })
    .from(staff)
    .where(and(eq(staff.active, true), inArray(staff.role, ['handler', 'dept_head'])))
    .orderBy(asc(staff.displayName));
  const staffed = new Set(workers.map((w) => w.dept));
  return {
    departments: all,
    coHandlerChoices: all.filter((d) => !onCase.has(d.code)),
    leadChoices: all.filter((d) => d.code !== view.routing.lead.code && staffed.has(d.code)),
    assignees: view.allowedActions.includes('assign') ? workers.filter((w) => w.dept === view.routing.lead.code).map(({ id, displayName, role }) => ({ id, displayName, role })) : [],
  };
}

export async function handleCase(deps: Deps, request: Request, url: URL, rawCode: string, ip: string | null, lang: Lang): Promise<PageResult<CaseState>> {
  const session = await sessionOf(deps, request);
  if (!session) return { kind: 'response', response: toSignIn(lang, url, request.method === 'POST' ? 'expired' : undefined) };
  const mustChange = passwordChangeFirst(session, lang);
  if (mustChange) return { kind: 'response', response: mustChange };
  const frame: Frame = { user: await adminUser(deps, session), demo: await isDemo(deps) };
  const caller = callerOf(session);
  const code = rawCode.trim().toUpperCase();
  let error: CaseState['error'] = null;
  let status = 200;

  if (request.method === 'POST') {
    const read = await readForm(request);
    if (read === TOO_LARGE) return { kind: 'message', status: 413, state: { ...frame, title: msg('payload_too_large', lang), text: strings(lang).admin.errors.tooLarge, back: { href: casePath(lang, code), label: strings(lang).admin.case.back } } };
    const form = read ?? {};
    // Nothing is read or changed without the session's own CSRF token.
    if (!csrfOk(session, form)) return csrfRefused(lang, frame, casePath(lang, code));
    const action = String(form.action ?? '');
    try {
      const result = await runTransition(deps, caller, code, async () => form, { ip, lang });
      if (result.ok) return { kind: 'response', response: redirect(`${casePath(lang, result.code)}?done=${result.action}`) };
      error = { action, message: msg('validation_failed', lang), fields: Object.fromEntries(result.issues.map((i) => [i.path, i.message])), values: form };
      status = 422;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 404) return messagePage(lang, frame, 404);
      if (err.status === 403 && err.code === 'forbidden') return messagePage(lang, frame, 403);
      const body = apiErrorBody(err, lang).error;
      error = { action, message: body.message, fields: Object.fromEntries((body.issues ?? []).map((i) => [i.path, i.message])), values: form };
      status = err.status;
    }
  }

  let view: CaseView;
  try {
    view = await caseView(deps, caller, code, { ip });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return messagePage(lang, frame, 404);
    if (err instanceof ApiError && err.status === 403) return messagePage(lang, frame, 403);
    throw err;
  }
  const done = url.searchParams.get('done');
  return {
    kind: 'page',
    status,
    state: { ...frame, view, ...(await choices(deps, view)), templates: await templatesFor(deps, caller.dept, view.status), done: request.method !== 'POST' && done && /^[a-z_]{2,20}$/.test(done) ? done : null, error },
  };
}

export interface PackState extends Frame {
  view: CaseView;
  departments: Dept[];
  generatedAt: Date;
}

/** The printable evidence pack: a GET only, audited like any view of the case's personal data. */
export async function handlePack(deps: Deps, request: Request, url: URL, rawCode: string, ip: string | null, lang: Lang): Promise<PageResult<PackState>> {
  const session = await sessionOf(deps, request);
  if (!session) return { kind: 'response', response: toSignIn(lang, url) };
  const mustChange = passwordChangeFirst(session, lang);
  if (mustChange) return { kind: 'response', response: mustChange };
  const frame: Frame = { user: await adminUser(deps, session), demo: await isDemo(deps) };
  try {
    const view = await caseView(deps, callerOf(session), rawCode, { ip });
    return { kind: 'page', status: 200, state: { ...frame, view, departments: (await choices(deps, view)).departments, generatedAt: deps.clock.now() } };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return messagePage(lang, frame, 404);
    if (err instanceof ApiError && err.status === 403) return messagePage(lang, frame, 403);
    throw err;
  }
}
