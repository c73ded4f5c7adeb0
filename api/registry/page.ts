/**
 * The registry pages' server side: /admin/registry/ (list and search), /admin/registry/new/,
 * /admin/registry/<id>/ (entry, edit form, license status form, history), /admin/registry/import/
 * and /admin/registry/inspections/ (upload → dry-run report → confirm). Same services and the same
 * access rules as the API (api/registry); every POST needs the session's CSRF token.
 */
import { asc } from 'drizzle-orm';
import { zones } from '../../db/schema.ts';
import type { Caller } from '../cases/access.ts';
import { BodyTooLarge, readFormData } from '../http/body.ts';
import type { Deps } from '../deps.ts';
import { beijingDate } from '../calendar/working-days.ts';
import { parseWith } from '../lib/errors.ts';
import { msg, type Lang } from '../lib/messages.ts';
import type { ActiveSession } from '../staff/sessions.ts';
import { inspectionImportScope, mayChangeLicenseStatus, mayEditRegistry, mayReadRegistry } from './access.ts';
import type { ImportReport } from './import-report.ts';
import { applyInspectionImport, dryRunInspectionImport } from './inspection-import.ts';
import { applyInstitutionImport, dryRunInstitutionImport } from './institution-import.ts';
import { changeLicenseStatus, createInstitution, institutionDetail, listInstitutions, referenceLists, updateInstitution, type InstitutionDetail } from './institutions.ts';
import { IMPORT_BODY_LIMIT } from './http.ts';
import { INSTITUTION_FIELDS, InstitutionInputSchema, RegistryListQuerySchema, SETTABLE_STATUSES, StatusChangeSchema, type InstitutionField } from './schema.ts';
import { strings } from '../../site/i18n/index.ts';
import { csrfRefused } from '../staff/account-page.ts';
import { adminPath, csrfOk, isDemo, readForm, TOO_LARGE, redirect, passwordChangeFirst, sessionOf, toSignIn, type Frame, type PageResult } from '../staff/admin-page-http.ts';
import type { Notice } from '../ops/system-page.ts';
import { adminUser } from '../staff/admin-user.ts';

interface Gate {
  session: ActiveSession;
  frame: Frame;
  caller: Caller;
  actor: { staffId: number; role: string; ip: string | null };
}

async function gate(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang): Promise<{ ok: true; g: Gate } | { ok: false; r: PageResult<never> }> {
  const session = await sessionOf(deps, request);
  if (!session) return { ok: false, r: { kind: 'response', response: toSignIn(lang, url, request.method === 'POST' ? 'expired' : undefined) } };
  const mustChange = passwordChangeFirst(session, lang);
  if (mustChange) return { ok: false, r: { kind: 'response', response: mustChange } };
  const frame: Frame = { user: await adminUser(deps, session), demo: await isDemo(deps) };
  const caller: Caller = { staffId: session.staff.id, role: session.staff.role, dept: session.staff.departmentCode };
  const t = strings(lang).admin.registry;
  if (!mayReadRegistry(caller)) return { ok: false, r: { kind: 'message', status: 403, state: { ...frame, title: t.noAccessTitle, text: t.noAccess, back: { href: adminPath(lang, '/account/'), label: strings(lang).admin.nav.account } } } };
  return { ok: true, g: { session, frame, caller, actor: { staffId: caller.staffId, role: caller.role, ip } } };
}

const forbidden = (lang: Lang, g: Gate, text: string): PageResult<never> => ({
  kind: 'message',
  status: 403,
  state: { ...g.frame, title: strings(lang).admin.registry.noAccessTitle, text, back: { href: adminPath(lang, '/registry/'), label: strings(lang).admin.registry.backToList } },
});

// ---------------------------------------------------------------- list

export interface RegistryListState extends Frame {
  filters: Record<'q' | 'town' | 'category' | 'status', string>;
  result: Awaited<ReturnType<typeof listInstitutions>> | null;
  towns: { code: string; nameZh: string; nameEn: string }[];
  mayEdit: boolean;
  mayImportInspections: boolean;
  prevHref: string | null;
  nextHref: string | null;
}

export async function handleRegistryList(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang): Promise<PageResult<RegistryListState>> {
  const r = await gate(deps, request, url, ip, lang);
  if (!r.ok) return r.r;
  const p = url.searchParams;
  const filters = { q: p.get('q') ?? '', town: p.get('town') ?? '', category: p.get('category') ?? '', status: p.get('status') ?? '' };
  const ref = await referenceLists(deps.db);
  const state: RegistryListState = { ...r.g.frame, filters, result: null, towns: [...ref.towns], mayEdit: mayEditRegistry(r.g.caller), mayImportInspections: inspectionImportScope(r.g.caller) !== null, prevHref: null, nextHref: null };
  const parsed = parseWith(RegistryListQuerySchema, { ...filters, page: p.get('page') ?? '1' }, lang);
  if (!parsed.ok) return { kind: 'page', status: 422, state };
  state.result = await listInstitutions(deps.db, parsed.data);
  const keep = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
  const pages = Math.max(1, Math.ceil(state.result.total / state.result.pageSize));
  const at = (n: number) => {
    const q = new URLSearchParams(keep);
    if (n > 1) q.set('page', String(n));
    return `${adminPath(lang, '/registry/')}${q.size ? `?${q}` : ''}`;
  };
  if (parsed.data.page > 1) state.prevHref = at(parsed.data.page - 1);
  if (parsed.data.page < pages) state.nextHref = at(parsed.data.page + 1);
  return { kind: 'page', status: 200, state };
}

// ---------------------------------------------------------------- one institution (new / view / edit / status)

export interface InstitutionState extends Frame {
  mode: 'new' | 'edit';
  detail: InstitutionDetail | null;
  values: Record<InstitutionField, string>;
  fieldErrors: Record<string, string>;
  statusValues: Record<'status' | 'effectiveOn' | 'reasonZh' | 'reasonEn', string>;
  statusErrors: Record<string, string>;
  message: Notice | null;
  mayEdit: boolean;
  mayChangeStatus: boolean;
  towns: { code: string; nameZh: string; nameEn: string }[];
  zones: { id: number; nameZh: string; nameEn: string }[];
  statuses: readonly string[];
}

const EMPTY_VALUES = Object.fromEntries(INSTITUTION_FIELDS.map((f) => [f, ''])) as Record<InstitutionField, string>;

function valuesOf(d: InstitutionDetail): Record<InstitutionField, string> {
  return {
    name: d.name,
    creditCode: d.creditCode,
    licenseNo: d.licenseNo,
    legalForm: d.legalForm,
    category: d.category,
    town: d.townCode,
    zone: String(d.zoneId),
    address: d.address,
    licenseIssuedOn: d.licenseIssuedOn,
    licenseValidUntil: d.licenseValidUntil,
    fireSafetyPassed: d.fireSafetyPassed ? 'yes' : 'no',
    fireSafetyDate: d.fireSafetyDate ?? '',
    custodyBank: d.custodyBank ?? '',
    custodyAccountNo: d.custodyAccountNo ?? '',
    usesModelContract: d.usesModelContract ? 'yes' : 'no',
    trainingItems: d.trainingItems.join('、'),
    staffCount: String(d.staffCount),
    teacherCount: String(d.teacherCount),
    phone: d.phone ?? '',
  };
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export async function handleInstitution(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang, id: string | null): Promise<PageResult<InstitutionState>> {
  const r = await gate(deps, request, url, ip, lang);
  if (!r.ok) return r.r;
  const { g } = r;
  const t = strings(lang).admin.registry;
  const today = beijingDate(deps.clock.now());
  const detail = id && ID.test(id) ? await institutionDetail(deps.db, id, today) : null;
  if (id && !detail) return { kind: 'message', status: 404, state: { ...g.frame, title: t.notFound, text: t.notFound, back: { href: adminPath(lang, '/registry/'), label: t.backToList } } };
  if (!id && !mayEditRegistry(g.caller)) return forbidden(lang, g, msg('registry_forbidden', lang));
  const ref = await referenceLists(deps.db);
  const zoneRows = await deps.db.read.select({ id: zones.id, nameZh: zones.nameZh, nameEn: zones.nameEn }).from(zones).orderBy(asc(zones.id));
  const flag = url.searchParams.get('m');
  const state: InstitutionState = {
    ...g.frame,
    mode: id ? 'edit' : 'new',
    detail,
    values: detail ? valuesOf(detail) : { ...EMPTY_VALUES, fireSafetyPassed: 'yes', usesModelContract: 'yes' },
    fieldErrors: {},
    statusValues: { status: '', effectiveOn: today, reasonZh: '', reasonEn: '' },
    statusErrors: {},
    message: flag === 'saved' ? { kind: 'ok', text: t.saved } : flag === 'created' ? { kind: 'ok', text: t.created } : flag === 'status' ? { kind: 'ok', text: t.statusChanged } : null,
    mayEdit: mayEditRegistry(g.caller),
    mayChangeStatus: mayChangeLicenseStatus(g.caller),
    towns: [...ref.towns],
    zones: zoneRows,
    statuses: SETTABLE_STATUSES,
  };
  if (request.method !== 'POST') return { kind: 'page', status: 200, state };

  const read = await readForm(request);
  if (read === TOO_LARGE) return { kind: 'page', status: 413, state: { ...state, message: { kind: 'error', text: msg('payload_too_large', lang) } } };
  const form = read ?? {};
  const here = id ? `/registry/${id}/` : '/registry/new/';
  if (!csrfOk(g.session, form)) return csrfRefused(lang, g.frame, adminPath(lang, here));
  const now = deps.clock.now();

  if (form.action === 'status') {
    if (!detail || !state.mayChangeStatus) return forbidden(lang, g, msg('status_forbidden', lang));
    state.statusValues = { status: form.status ?? '', effectiveOn: form.effectiveOn ?? '', reasonZh: form.reasonZh ?? '', reasonEn: form.reasonEn ?? '' };
    const parsed = parseWith(StatusChangeSchema, state.statusValues, lang);
    const saved = parsed.ok ? await changeLicenseStatus(deps.db, detail.id, parsed.data, g.actor, now, lang) : null;
    if (saved?.ok) return { kind: 'response', response: redirect(`${adminPath(lang, here)}?m=status`) };
    const issues = parsed.ok ? (saved && !saved.ok ? saved.issues : []) : parsed.issues;
    state.statusErrors = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    state.message = { kind: 'error', text: t.fixErrors };
    return { kind: 'page', status: 422, state };
  }

  if (!state.mayEdit) return forbidden(lang, g, msg('registry_forbidden', lang));
  const input = Object.fromEntries(INSTITUTION_FIELDS.map((f) => [f, form[f] ?? ''])) as Record<InstitutionField, string>;
  state.values = input;
  const parsed = parseWith(InstitutionInputSchema(ref), input, lang);
  if (parsed.ok) {
    const saved = detail ? await updateInstitution(deps.db, detail.id, parsed.data, g.actor, now, lang) : await createInstitution(deps.db, parsed.data, g.actor, now, lang);
    if (saved.ok) return { kind: 'response', response: redirect(`${adminPath(lang, `/registry/${saved.id}/`)}?m=${detail ? 'saved' : 'created'}`) };
    state.fieldErrors = Object.fromEntries(saved.issues.map((i) => [i.path, i.message]));
  } else state.fieldErrors = Object.fromEntries(parsed.issues.map((i) => [i.path, i.message]));
  state.message = { kind: 'error', text: t.fixErrors };
  return { kind: 'page', status: 422, state };
}

// ---------------------------------------------------------------- imports

export interface ImportState extends Frame {
  kind: 'institutions' | 'inspections';
  report: ImportReport | null;
  /** Only part of a co-supervisor's register may be imported. */
  supervisedOnly: boolean;
  fileError: string | null;
  message: Notice | null;
}

export async function handleImport(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang, kind: 'institutions' | 'inspections'): Promise<PageResult<ImportState>> {
  const r = await gate(deps, request, url, ip, lang);
  if (!r.ok) return r.r;
  const { g } = r;
  const t = strings(lang).admin.registry.import;
  const scope = kind === 'institutions' ? (mayEditRegistry(g.caller) ? 'all' : null) : inspectionImportScope(g.caller);
  if (!scope) return forbidden(lang, g, msg('registry_forbidden', lang));
  const sub = kind === 'institutions' ? '/registry/import/' : '/registry/inspections/';
  const applied = url.searchParams.get('applied');
  const state: ImportState = { ...g.frame, kind, report: null, supervisedOnly: scope === 'supervised', fileError: null, message: applied && /^\d{1,6}$/.test(applied) ? { kind: 'ok', text: t.applied(Number(applied)) } : null };
  if (request.method !== 'POST') return { kind: 'page', status: 200, state };

  const type = (request.headers.get('content-type') ?? '').toLowerCase();
  let form: Record<string, string>;
  let file: File | null = null;
  if (type.startsWith('multipart/form-data')) {
    try {
      const data = await readFormData(request, IMPORT_BODY_LIMIT);
      form = {};
      for (const [k, v] of data.entries()) {
        if (typeof v === 'string') form[k] ??= v;
        else if (k === 'file') file = v;
      }
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) return { kind: 'page', status: 400, state: { ...state, fileError: msg('bad_body', lang) } };
      return { kind: 'page', status: 413, state: { ...state, fileError: msg('import_file_too_large', lang) } };
    }
  } else {
    const read = await readForm(request);
    if (read === TOO_LARGE) return { kind: 'page', status: 413, state: { ...state, fileError: msg('payload_too_large', lang) } };
    form = read ?? {};
  }
  if (!csrfOk(g.session, form)) return csrfRefused(lang, g.frame, adminPath(lang, sub));
  const now = deps.clock.now();
  const who = { scope, dept: g.caller.dept };

  if (form.action === 'apply') {
    const sha = /^[0-9a-f]{64}$/.test(form.sha256 ?? '') ? form.sha256! : '';
    const res = kind === 'institutions' ? await applyInstitutionImport(deps.db, sha, g.actor, now, lang) : await applyInspectionImport(deps.db, sha, who, g.actor, now, lang);
    if (res.ok) {
      const n = res.counts.create + res.counts.update + res.counts.replace;
      return { kind: 'response', response: redirect(`${adminPath(lang, sub)}?applied=${n}`) };
    }
    return { kind: 'page', status: res.status, state: { ...state, message: { kind: 'error', text: msg(res.key, lang) } } };
  }

  if (!file || file.size === 0) return { kind: 'page', status: 422, state: { ...state, fileError: msg('import_file_missing', lang) } };
  const upload = { bytes: Buffer.from(await file.arrayBuffer()), name: file.name || 'upload' };
  const res = kind === 'institutions' ? await dryRunInstitutionImport(deps.db, upload, g.actor, now, lang) : await dryRunInspectionImport(deps.db, upload, who, g.actor, now, lang);
  if (!res.ok) return { kind: 'page', status: res.status, state: { ...state, fileError: msg(res.key, lang) } };
  state.report = res.report;
  return { kind: 'page', status: 200, state };
}
