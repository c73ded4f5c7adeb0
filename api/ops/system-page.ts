/**
 * The system administration pages' server side: /admin/settings/, /admin/holidays/,
 * /admin/departments/ and /admin/audit/ (sysadmin and the coordination office), over the same
 * services as the API (api/ops/system.ts). Every POST needs the session's CSRF token.
 */
import { mayAdminister } from './http.ts';
import {
  auditPage,
  AuditQuerySchema,
  DepartmentsInputSchema,
  formatHolidayLines,
  HolidaysInputSchema,
  holidaysOfYear,
  listDepartments,
  parseHolidayLines,
  saveDepartments,
  saveHolidays,
  saveSettings,
  SETTING_KEYS,
  SettingsInputSchema,
  settingsView,
  type AdminActor,
} from './system.ts';
import type { Deps } from '../deps.ts';
import { parseWith } from '../lib/errors.ts';
import { msg, type Lang } from '../lib/messages.ts';
import type { ActiveSession } from '../staff/sessions.ts';
import { strings } from '../../site/i18n/index.ts';
import { csrfRefused } from '../staff/account-page.ts';
import { adminPath, csrfOk, isDemo, readForm, TOO_LARGE, redirect, passwordChangeFirst, sessionOf, toSignIn, type Frame, type PageResult } from '../staff/admin-page-http.ts';
import { adminUser } from '../staff/admin-user.ts';

interface Gate {
  session: ActiveSession;
  frame: Frame;
  actor: AdminActor;
}

/** Signed in, allowed, and (for a POST) a valid CSRF token and a readable form. */
async function gate(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang, sub: string): Promise<{ ok: true; g: Gate; form: Record<string, string> | null } | { ok: false; r: PageResult<never> }> {
  const session = await sessionOf(deps, request);
  if (!session) return { ok: false, r: { kind: 'response', response: toSignIn(lang, url, request.method === 'POST' ? 'expired' : undefined) } };
  const mustChange = passwordChangeFirst(session, lang);
  if (mustChange) return { ok: false, r: { kind: 'response', response: mustChange } };
  const frame: Frame = { user: await adminUser(deps, session), demo: await isDemo(deps) };
  const t = strings(lang).admin.system;
  if (!mayAdminister(session.staff.role)) return { ok: false, r: { kind: 'message', status: 403, state: { ...frame, title: t.noAccessTitle, text: t.noAccess, back: { href: adminPath(lang, '/account/'), label: strings(lang).admin.nav.account } } } };
  const g = { session, frame, actor: { staffId: session.staff.id, role: session.staff.role, ip } };
  if (request.method !== 'POST') return { ok: true, g, form: null };
  const read = await readForm(request);
  if (read === TOO_LARGE) return { ok: false, r: { kind: 'message', status: 413, state: { ...frame, title: msg('payload_too_large', lang), text: msg('payload_too_large', lang), back: { href: adminPath(lang, sub), label: t.save } } } };
  const form = read ?? {};
  if (!csrfOk(session, form)) return { ok: false, r: csrfRefused(lang, frame, adminPath(lang, sub)) };
  return { ok: true, g, form };
}

export interface Notice {
  kind: 'ok' | 'error';
  text: string;
}

// ---------------------------------------------------------------- settings

export interface SettingsState extends Frame {
  values: Record<string, string>;
  defaults: Record<string, number | null>;
  keys: readonly string[];
  fieldErrors: Record<string, string>;
  message: Notice | null;
}

export async function handleSettings(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang): Promise<PageResult<SettingsState>> {
  const r = await gate(deps, request, url, ip, lang, '/settings/');
  if (!r.ok) return r.r;
  const t = strings(lang).admin.system;
  const view = await settingsView(deps.db);
  const show = (v: number | null) => (v === null ? '' : String(v));
  const state: SettingsState = {
    ...r.g.frame,
    values: Object.fromEntries(SETTING_KEYS.map((k) => [k, show(view.settings[k])])),
    defaults: view.defaults,
    keys: SETTING_KEYS,
    fieldErrors: {},
    message: url.searchParams.get('saved') === '1' ? { kind: 'ok', text: t.saved } : null,
  };
  if (!r.form) return { kind: 'page', status: 200, state };

  const form = r.form;
  const input: Record<string, unknown> = {};
  for (const k of SETTING_KEYS) {
    const raw = (form[k] ?? '').trim();
    state.values[k] = raw;
    if (k === 'prepaidMaxYuan' && raw === '') input[k] = null;
    else input[k] = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  }
  const parsed = parseWith(SettingsInputSchema, input, lang);
  if (!parsed.ok) {
    state.fieldErrors = Object.fromEntries(parsed.issues.map((i) => [i.path, i.message]));
    state.message = { kind: 'error', text: t.fixErrors };
    return { kind: 'page', status: 422, state };
  }
  await saveSettings(deps.db, parsed.data, r.g.actor, deps.clock.now());
  return { kind: 'response', response: redirect(`${adminPath(lang, '/settings/')}?saved=1`) };
}

// ---------------------------------------------------------------- holidays

export interface HolidaysState extends Frame {
  view: Awaited<ReturnType<typeof holidaysOfYear>>;
  text: string;
  errors: string[];
  message: Notice | null;
}

const beijingYear = (d: Date) => new Date(d.getTime() + 8 * 3_600_000).getUTCFullYear();

export async function handleHolidays(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang): Promise<PageResult<HolidaysState>> {
  const r = await gate(deps, request, url, ip, lang, '/holidays/');
  if (!r.ok) return r.r;
  const t = strings(lang).admin.system;
  const rawYear = (r.form?.year ?? url.searchParams.get('year') ?? '').trim();
  const year = /^20\d{2}$/.test(rawYear) ? Number(rawYear) : beijingYear(deps.clock.now()) + 1;
  const view = await holidaysOfYear(deps.db, year, { withOpenCases: r.g.actor.role === 'coordinator' });
  const state: HolidaysState = {
    ...r.g.frame,
    view,
    text: formatHolidayLines(view.overrides),
    errors: [],
    message: url.searchParams.get('saved') === '1' ? { kind: 'ok', text: t.saved } : null,
  };
  if (!r.form) return { kind: 'page', status: 200, state };

  state.text = r.form.lines ?? '';
  const { days, issues } = parseHolidayLines(state.text);
  state.errors = issues.map((i) => t.holidays.badLine(i.line, i.text));
  if (!state.errors.length) {
    const parsed = parseWith(HolidaysInputSchema(year), { days }, lang);
    if (parsed.ok) {
      await saveHolidays(deps.db, year, parsed.data.days, r.g.actor, deps.clock.now());
      return { kind: 'response', response: redirect(`${adminPath(lang, '/holidays/')}?year=${year}&saved=1`) };
    }
    state.errors = parsed.issues.map((i) => {
      const m = /^days\.(\d+)\./.exec(i.path);
      return m ? `${days[Number(m[1])]?.date ?? ''}: ${i.message}` : i.message;
    });
  }
  state.message = { kind: 'error', text: t.fixErrors };
  return { kind: 'page', status: 422, state };
}

// ---------------------------------------------------------------- departments

export interface DepartmentsState extends Frame {
  departments: { code: string; nameZh: string; nameEn: string; value: string }[];
  fieldErrors: Record<string, string>;
  message: Notice | null;
}

export async function handleDepartments(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang): Promise<PageResult<DepartmentsState>> {
  const r = await gate(deps, request, url, ip, lang, '/departments/');
  if (!r.ok) return r.r;
  const t = strings(lang).admin.system;
  const list = await listDepartments(deps.db);
  const state: DepartmentsState = {
    ...r.g.frame,
    departments: list.map((d) => ({ code: d.code, nameZh: d.nameZh, nameEn: d.nameEn, value: d.intakeEmail ?? '' })),
    fieldErrors: {},
    message: url.searchParams.get('saved') === '1' ? { kind: 'ok', text: t.saved } : null,
  };
  if (!r.form) return { kind: 'page', status: 200, state };

  const form = r.form;
  const input = list.map((d) => ({ code: d.code, intakeEmail: (form[`email_${d.code}`] ?? d.intakeEmail ?? '').trim() }));
  for (const d of state.departments) d.value = input.find((i) => i.code === d.code)!.intakeEmail;
  const parsed = parseWith(DepartmentsInputSchema, { departments: input }, lang);
  if (!parsed.ok) {
    state.fieldErrors = Object.fromEntries(
      parsed.issues.map((i) => {
        const m = /^departments\.(\d+)\./.exec(i.path);
        return [m ? input[Number(m[1])]!.code : i.path, i.message];
      }),
    );
    state.message = { kind: 'error', text: t.fixErrors };
    return { kind: 'page', status: 422, state };
  }
  const saved = await saveDepartments(deps.db, parsed.data.departments, r.g.actor, deps.clock.now());
  if (!saved.ok) {
    state.message = { kind: 'error', text: saved.issues.map((i) => i.message).join(' ') };
    return { kind: 'page', status: 422, state };
  }
  return { kind: 'response', response: redirect(`${adminPath(lang, '/departments/')}?saved=1`) };
}

// ---------------------------------------------------------------- audit log

export interface AuditState extends Frame {
  filters: Record<'action' | 'objectType' | 'actor' | 'from' | 'to', string>;
  page: Awaited<ReturnType<typeof auditPage>> | null;
  fieldErrors: Record<string, string>;
  olderHref: string | null;
  newestHref: string | null;
}

export async function handleAudit(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang): Promise<PageResult<AuditState>> {
  const r = await gate(deps, request, url, ip, lang, '/audit/');
  if (!r.ok) return r.r;
  const p = url.searchParams;
  const filters = { action: p.get('action') ?? '', objectType: p.get('objectType') ?? '', actor: p.get('actor') ?? '', from: p.get('from') ?? '', to: p.get('to') ?? '' };
  const state: AuditState = { ...r.g.frame, filters, page: null, fieldErrors: {}, olderHref: null, newestHref: null };
  const query: Record<string, string> = { ...filters };
  const cursor = p.get('cursor');
  if (cursor) query.cursor = cursor;
  const parsed = parseWith(AuditQuerySchema, query, lang);
  if (!parsed.ok) {
    state.fieldErrors = Object.fromEntries(parsed.issues.map((i) => [i.path, i.message]));
    return { kind: 'page', status: 422, state };
  }
  state.page = await auditPage(deps.db, parsed.data, deps.pii);
  const keep = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
  if (state.page.nextCursor) {
    const q = new URLSearchParams(keep);
    q.set('cursor', state.page.nextCursor);
    state.olderHref = `${adminPath(lang, '/audit/')}?${q}`;
  }
  if (cursor) state.newestHref = `${adminPath(lang, '/audit/')}${keep.size ? `?${keep}` : ''}`;
  return { kind: 'page', status: 200, state };
}
