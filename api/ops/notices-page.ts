/**
 * /admin/notices/: what waits for the signed-in person — notices to acknowledge (a backup
 * download for the coordinators, ten failed sign-ins under one's own name) and staff accounts to
 * confirm or refuse, or password and TOTP resets to let take effect (api/staff/requests.ts).
 * A confirmed new account or password reset answers with the page itself, not a redirect, so its
 * temporary password is shown once to the confirmer and never lands in a URL. Every role may open it; what it lists is
 * decided by the same services as the API's /notices and /staff-requests routes. The header of
 * every admin page links here while anything is waiting (api/staff/admin-user.ts).
 */
import { acknowledgeNotice, openNotices, type AdminNotice } from './notices.ts';
import { decideRequest, pendingFor, type PendingRequest } from '../staff/requests.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../lib/errors.ts';
import type { Lang } from '../lib/messages.ts';
import { strings } from '../../site/i18n/index.ts';
import { adminPath, redirect, type Frame, type PageResult } from '../staff/admin-page-http.ts';
import { opsGate } from './ops-gate.ts';
import type { Notice } from './system-page.ts';

export interface NoticesState extends Frame {
  notices: AdminNotice[];
  requests: PendingRequest[];
  message: Notice | null;
}

const DONE = new Set(['confirmed', 'refused', 'acknowledged', 'gone', 'totp_reset', 'reset_refused']);

export async function handleNotices(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang): Promise<PageResult<NoticesState>> {
  const t = strings(lang).admin.notices;
  const gate = await opsGate(deps, request, url, ip, lang, '/notices/', () => true, '');
  if (!gate.ok) return gate.r;
  const { frame, actor, form } = gate.g;
  const here = adminPath(lang, '/notices/');
  const me = { staffId: actor.staffId, role: actor.role, dept: actor.dept, ip };
  const state = async (message: Notice | null): Promise<NoticesState> => {
    const [notices, requests] = await Promise.all([openNotices(deps.db, me), pendingFor(deps.db, me)]);
    return { ...frame, notices, requests, message };
  };

  if (form) {
    const id = /^\d{1,9}$/.test(form.id ?? '') ? Number(form.id) : -1;
    const now = deps.clock.now();
    try {
      if (form.action === 'acknowledge') {
        await acknowledgeNotice(deps.db, id, me, now);
        return { kind: 'response', response: redirect(`${here}?done=acknowledged`) };
      }
      if (form.action === 'confirm' || form.action === 'refuse') {
        const r = await decideRequest(deps.db, id, form.action === 'confirm' ? 'confirmed' : 'refused', me, now);
        // A confirmed new account or password reset: its password for the confirmer, once, in this answer.
        if (r.temporaryPassword) {
          const text = (r.kind === 'create' ? t.createConfirmed : t.passwordResetConfirmed)(r.username, r.temporaryPassword);
          return { kind: 'page', status: 200, state: await state({ kind: 'ok', text }) };
        }
        const reset = r.kind === 'reset_password' || r.kind === 'reset_totp';
        const done = form.action === 'refuse' ? (reset ? 'reset_refused' : 'refused') : r.kind === 'reset_totp' ? 'totp_reset' : 'confirmed';
        return { kind: 'response', response: redirect(`${here}?done=${done}&u=${encodeURIComponent(r.username)}`) };
      }
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404) throw err;
      return { kind: 'response', response: redirect(`${here}?done=gone`) };
    }
  }

  const done = url.searchParams.get('done');
  const who = (url.searchParams.get('u') ?? '').slice(0, 64);
  const OK: Record<string, string> = { confirmed: t.confirmed(who), refused: t.refused(who), totp_reset: t.totpResetConfirmed(who), reset_refused: t.resetRefused(who), acknowledged: t.acknowledged };
  const message: Notice | null = done && DONE.has(done) ? (done === 'gone' ? { kind: 'error', text: t.gone } : { kind: 'ok', text: OK[done]! }) : null;
  return { kind: 'page', status: 200, state: await state(message) };
}
