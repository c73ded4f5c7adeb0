/**
 * /admin/: the caller's queue through the same service as GET /api/admin/complaints (loadQueue):
 * the department's cases (the coordination office: every case, or one department's), filters as
 * a plain GET form, nearest deadline first, counts per state, keyset pages. The service only
 * knows "next"; going back uses the trail of cursors that led here, carried in the URL.
 * The sysadmin gets a page without any complaint contents.
 */
import { asc, eq } from 'drizzle-orm';
import { departments, institutions } from '../../db/schema.ts';
import { mayUseComplaints } from './access.ts';
import { loadQueue, type QueuePage, type QueueScope } from './queue.ts';
import { QueueQuerySchema, type QueueQuery } from './schema.ts';
import { ApiError, parseWith } from '../lib/errors.ts';
import { msg, type Lang } from '../lib/messages.ts';
import { lookupInstitutions, type PickerItem } from '../public/institution-lookup.ts';
import type { Deps } from '../deps.ts';
import { adminPath, isDemo, passwordChangeFirst, sessionOf, toSignIn, type Frame, type PageResult } from '../staff/admin-page-http.ts';
import { adminUser } from '../staff/admin-user.ts';

/** How many earlier pages the "previous page" link can walk back through. */
export const TRAIL_MAX = 20;
/** Marks the first page (no cursor) in the trail. */
const FIRST = '0';
const CURSOR = /^[A-Za-z0-9_-]{1,200}$/;

export interface Dept {
  code: string;
  nameZh: string;
  nameEn: string;
  kind: string;
}

export interface QueueState extends Frame {
  kind: 'queue' | 'sysadmin';
  scope: QueueScope;
  /** The filters as typed (to fill the form back in). */
  values: Record<string, string>;
  fieldErrors: Record<string, string>;
  page: QueuePage | null;
  departments: Dept[];
  institution: { id: string; name: string } | null;
  institutionChoices: PickerItem[];
  links: { first: string | null; prev: string | null; next: string | null };
  /** Query string of the current filters without paging (for the count links). */
  filterQuery: string;
}

/** The form's field names → the queue schema's. */
const FIELDS = ['state', 'reason', 'overdue', 'dueThisWeek', 'submittedFrom', 'submittedTo', 'department'] as const;

function buildQuery(values: Record<string, string>, extra: Record<string, string | null> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...values, ...extra })) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export async function handleQueue(deps: Deps, request: Request, url: URL, lang: Lang): Promise<PageResult<QueueState>> {
  const session = await sessionOf(deps, request);
  if (!session) return { kind: 'response', response: toSignIn(lang, url) };
  const mustChange = passwordChangeFirst(session, lang);
  if (mustChange) return { kind: 'response', response: mustChange };
  const user = await adminUser(deps, session);
  const depts: Dept[] = await deps.db.read
    .select({ code: departments.code, nameZh: departments.nameZh, nameEn: departments.nameEn, kind: departments.kind })
    .from(departments)
    .orderBy(asc(departments.sortOrder), asc(departments.code));
  const state: QueueState = {
    user,
    demo: await isDemo(deps),
    kind: 'queue',
    scope: user.role === 'coordinator' ? { kind: 'all' } : { kind: 'department', dept: user.dept },
    values: {},
    fieldErrors: {},
    page: null,
    departments: depts,
    institution: null,
    institutionChoices: [],
    links: { first: null, prev: null, next: null },
    filterQuery: '',
  };
  // Role first: the sysadmin's page holds no complaint data at all, not even counts.
  if (!mayUseComplaints(user.role)) return { kind: 'page', status: 200, state: { ...state, kind: 'sysadmin' } };

  const p = url.searchParams;
  for (const k of [...FIELDS, 'inst']) {
    const v = p.get(k);
    if (v) state.values[k] = v.slice(0, 100);
  }
  // Only the coordination office chooses a department; everyone else sees their own queue.
  if (user.role !== 'coordinator') delete state.values.department;
  if (state.values.department) state.scope = { kind: 'department', dept: state.values.department };

  const input: Record<string, string> = {};
  for (const k of FIELDS) if (state.values[k]) input[k] = state.values[k]!;

  // The institution field takes an id, or a name / pinyin fragment resolved through the picker lookup.
  const inst = state.values.inst?.trim();
  if (inst) {
    const [exact] = /^[A-Za-z0-9_-]{1,64}$/.test(inst)
      ? await deps.db.read.select({ id: institutions.id, name: institutions.name }).from(institutions).where(eq(institutions.id, inst))
      : [];
    const found = exact ? [exact] : await lookupInstitutions(deps.db, inst, 12);
    if (found.length === 1) {
      state.institution = { id: found[0]!.id, name: found[0]!.name };
      input.institution = found[0]!.id;
    } else if (found.length > 1) {
      state.institutionChoices = found as PickerItem[];
    } else {
      state.fieldErrors.inst = msg('institution_unknown', lang);
    }
  }

  const cursor = p.get('cursor');
  const trail = (p.get('trail') ?? '').split('.').filter((c) => c === FIRST || CURSOR.test(c)).slice(-TRAIL_MAX);
  if (cursor && CURSOR.test(cursor)) input.cursor = cursor;
  else if (cursor) state.fieldErrors.cursor = msg('cursor_invalid', lang);

  const parsed = parseWith(QueueQuerySchema, input, lang);
  if (!parsed.ok) for (const i of parsed.issues) state.fieldErrors[i.path === 'institution' ? 'inst' : i.path] ??= i.message;
  if (state.institutionChoices.length || Object.keys(state.fieldErrors).length || !parsed.ok) return { kind: 'page', status: 200, state };

  const q: QueueQuery = parsed.data;
  try {
    state.page = await loadQueue(deps, state.scope, q);
  } catch (err) {
    // A tampered cursor: start again from the first page rather than fail.
    if (!(err instanceof ApiError) || err.status !== 422) throw err;
    state.page = await loadQueue(deps, state.scope, { ...q, cursor: undefined });
    trail.length = 0;
    input.cursor = '';
  }

  const filters = { ...state.values };
  state.filterQuery = buildQuery(filters);
  const base = adminPath(lang, '/');
  const here = input.cursor || FIRST;
  if (state.page.nextCursor) state.links.next = base + buildQuery(filters, { cursor: state.page.nextCursor, trail: [...trail, here].slice(-TRAIL_MAX).join('.') });
  if (input.cursor) {
    state.links.first = base + state.filterQuery;
    const prev = trail.at(-1);
    if (prev !== undefined) state.links.prev = base + buildQuery(filters, { cursor: prev === FIRST ? null : prev, trail: trail.slice(0, -1).join('.') || null });
  }
  return { kind: 'page', status: 200, state };
}
