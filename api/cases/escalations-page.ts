/** /admin/escalations (逾期督办), coordination office only: api/cases/escalations.ts as a page. */
import type { Lang } from '../lib/messages.ts';
import type { Deps } from '../deps.ts';
import { loadEscalations, maySeeEscalations } from './escalations.ts';
import { strings } from '../../site/i18n/index.ts';
import { adminPath, callerOf, isDemo, passwordChangeFirst, sessionOf, toSignIn, type Frame, type MessageState, type PageResult } from '../staff/admin-page-http.ts';
import { adminUser } from '../staff/admin-user.ts';

export interface EscalationsState extends Frame {
  data: Awaited<ReturnType<typeof loadEscalations>>;
}

export async function handleEscalations(deps: Deps, request: Request, url: URL, lang: Lang): Promise<PageResult<EscalationsState>> {
  const a = strings(lang).admin;
  const session = await sessionOf(deps, request);
  if (!session) return { kind: 'response', response: toSignIn(lang, url) };
  const mustChange = passwordChangeFirst(session, lang);
  if (mustChange) return { kind: 'response', response: mustChange };
  const frame: Frame = { user: await adminUser(deps, session), demo: await isDemo(deps) };
  const caller = callerOf(session);
  if (!maySeeEscalations(caller)) {
    const state: MessageState = { ...frame, title: a.errors.forbiddenTitle, text: a.escalations.forbidden, back: caller.role === 'sysadmin' ? null : { href: adminPath(lang, '/'), label: a.errors.backToQueue } };
    return { kind: 'message', status: 403, state };
  }
  return { kind: 'page', status: 200, state: { ...frame, data: await loadEscalations(deps, caller) } };
}
