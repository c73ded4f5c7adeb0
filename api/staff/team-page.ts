/**
 * /admin/team/ (department heads): their own department's accounts; add a handler, deactivate or
 * reactivate, reset password or TOTP — handlers of their own department only (team.ts
 * decides; anything else is "not found"). A new or reset password is shown once,
 * in the page answering the POST (no redirect, so it never sits in a URL or the history).
 */
import { listDepartments } from '../ops/system.ts';
import { changeTeamMember, createHandler, listTeam, mayManageTeam, NewHandlerSchema, type TeamChange } from './team.ts';
import type { Deps } from '../deps.ts';
import { ApiError, apiErrorBody, parseWith } from '../lib/errors.ts';
import type { Lang } from '../lib/messages.ts';
import { strings } from '../../site/i18n/index.ts';
import { adminPath, redirect, type Frame, type PageResult } from './admin-page-http.ts';
import { opsGate } from '../ops/ops-gate.ts';
import type { Notice } from '../ops/system-page.ts';

export interface TeamState extends Frame {
  staff: Awaited<ReturnType<typeof listTeam>>;
  deptName: string;
  form: Record<string, string>;
  fieldErrors: Record<string, string>;
  message: Notice | null;
}

const CHANGES = new Set<TeamChange>(['deactivate', 'reactivate', 'reset_totp', 'reset_password']);

export async function handleTeam(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang): Promise<PageResult<TeamState>> {
  const a = strings(lang).admin;
  const t = a.ops.team;
  const gate = await opsGate(deps, request, url, ip, lang, '/team/', mayManageTeam, t.noAccess);
  if (!gate.ok) return gate.r;
  const { frame, actor, form } = gate.g;
  const here = adminPath(lang, '/team/');
  const dept = (await listDepartments(deps.db)).find((d) => d.code === actor.dept);
  const state = async (extra: Partial<TeamState> = {}): Promise<TeamState> => ({
    ...frame,
    staff: await listTeam(deps.db, actor.dept),
    deptName: dept ? (lang === 'en' ? dept.nameEn : dept.nameZh) : actor.dept,
    form: {},
    fieldErrors: {},
    message: url.searchParams.get('done') === '1' ? { kind: 'ok', text: a.system.staff.done } : null,
    ...extra,
  });
  if (!form) return { kind: 'page', status: 200, state: await state() };

  const now = deps.clock.now();
  try {
    if (CHANGES.has(form.action as TeamChange)) {
      const id = /^\d{1,9}$/.test(form.id ?? '') ? Number(form.id) : -1;
      const r = await changeTeamMember(deps.db, id, form.action as TeamChange, actor, now);
      if (r.temporaryPassword) {
        const who = (await listTeam(deps.db, actor.dept)).find((s) => s.id === id)?.username ?? String(id);
        return { kind: 'page', status: 200, state: await state({ message: { kind: 'ok', text: t.passwordReset(who, r.temporaryPassword) } }) };
      }
      return { kind: 'response', response: redirect(`${here}?done=1`) };
    }
    const input = { username: form.username ?? '', displayName: form.displayName ?? '' };
    const parsed = parseWith(NewHandlerSchema, input, lang);
    if (!parsed.ok) return { kind: 'page', status: 422, state: await state({ form: input, fieldErrors: Object.fromEntries(parsed.issues.map((i) => [i.path, i.message])), message: { kind: 'error', text: a.system.fixErrors } }) };
    const created = await createHandler(deps.db, parsed.data, actor, now);
    return { kind: 'page', status: 201, state: await state({ message: { kind: 'ok', text: t.created(created.username, created.temporaryPassword) } }) };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status === 401) throw err;
    return { kind: 'page', status: err.status, state: await state({ form, message: { kind: 'error', text: apiErrorBody(err, lang).error.message } }) };
  }
}
