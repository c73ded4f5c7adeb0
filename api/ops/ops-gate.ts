/**
 * The gate of the publishing, backup, templates and team pages: signed in (else to sign-in),
 * the role allowed (else a 403 page saying who may), and for a POST a readable form with the
 * session's CSRF token. Who may is decided by the same predicates the API routes use.
 */
import type { StaffRole } from '../../db/schema.ts';
import type { Deps } from '../deps.ts';
import { msg, type Lang } from '../lib/messages.ts';
import type { ActiveSession } from '../staff/sessions.ts';
import { strings } from '../../site/i18n/index.ts';
import { csrfRefused } from '../staff/account-page.ts';
import { adminPath, csrfOk, isDemo, readForm, TOO_LARGE, passwordChangeFirst, sessionOf, toSignIn, type Frame, type PageResult } from '../staff/admin-page-http.ts';
import { adminUser } from '../staff/admin-user.ts';

export interface OpsGate {
  session: ActiveSession;
  frame: Frame;
  actor: { staffId: number; role: StaffRole; dept: string; ip: string | null };
  /** The POSTed form (null for GET). */
  form: Record<string, string> | null;
}

export async function opsGate(
  deps: Deps,
  request: Request,
  url: URL,
  ip: string | null,
  lang: Lang,
  sub: string,
  may: (role: StaffRole) => boolean,
  noAccess: string,
): Promise<{ ok: true; g: OpsGate } | { ok: false; r: PageResult<never> }> {
  const session = await sessionOf(deps, request);
  if (!session) return { ok: false, r: { kind: 'response', response: toSignIn(lang, url, request.method === 'POST' ? 'expired' : undefined) } };
  const mustChange = passwordChangeFirst(session, lang);
  if (mustChange) return { ok: false, r: { kind: 'response', response: mustChange } };
  const frame: Frame = { user: await adminUser(deps, session), demo: await isDemo(deps) };
  const a = strings(lang).admin;
  if (!may(session.staff.role)) return { ok: false, r: { kind: 'message', status: 403, state: { ...frame, title: a.ops.noAccessTitle, text: noAccess, back: { href: adminPath(lang, '/account/'), label: a.nav.account } } } };
  const actor = { staffId: session.staff.id, role: session.staff.role, dept: session.staff.departmentCode, ip };
  if (request.method !== 'POST') return { ok: true, g: { session, frame, actor, form: null } };
  const read = await readForm(request);
  if (read === TOO_LARGE) return { ok: false, r: { kind: 'message', status: 413, state: { ...frame, title: msg('payload_too_large', lang), text: msg('payload_too_large', lang), back: { href: adminPath(lang, sub), label: a.nav.account } } } };
  const form = read ?? {};
  if (!csrfOk(session, form)) return { ok: false, r: csrfRefused(lang, frame, adminPath(lang, sub)) };
  return { ok: true, g: { session, frame, actor, form } };
}
