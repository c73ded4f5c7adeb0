/**
 * /admin/clusters (群体性退费风险), coordination office only: the open clusters with their draft
 * risk notices (read-only, for staff to copy into content/notices) and a "mark handled" form per
 * cluster (POST with the session's CSRF token). Same services as GET/POST /api/admin/clusters.
 */
import { ApiError } from '../lib/errors.ts';
import type { Lang } from '../lib/messages.ts';
import type { Deps } from '../deps.ts';
import { clusterNotice, handleCluster, listOpenClusters, mayHandleClusters, type ClusterSummary } from './clusters.ts';
import { strings } from '../../site/i18n/index.ts';
import { csrfRefused } from '../staff/account-page.ts';
import { adminPath, callerOf, csrfOk, isDemo, readForm, fieldsOrNone, redirect, passwordChangeFirst, sessionOf, toSignIn, type Frame, type MessageState, type PageResult } from '../staff/admin-page-http.ts';
import { adminUser } from '../staff/admin-user.ts';

export interface ClustersState extends Frame {
  clusters: (ClusterSummary & { draft: string; fileName: string })[];
  /** The cluster just marked handled (after the POST-redirect-GET). */
  handled: number | null;
}

export async function handleClusters(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang): Promise<PageResult<ClustersState>> {
  const a = strings(lang).admin;
  const session = await sessionOf(deps, request);
  if (!session) return { kind: 'response', response: toSignIn(lang, url, request.method === 'POST' ? 'expired' : undefined) };
  const mustChange = passwordChangeFirst(session, lang);
  if (mustChange) return { kind: 'response', response: mustChange };
  const frame: Frame = { user: await adminUser(deps, session), demo: await isDemo(deps) };
  const caller = callerOf(session);
  const back = adminPath(lang, '/clusters/');
  if (!mayHandleClusters(caller)) {
    const state: MessageState = { ...frame, title: a.errors.forbiddenTitle, text: a.clusters.forbidden, back: caller.role === 'sysadmin' ? null : { href: adminPath(lang, '/'), label: a.errors.backToQueue } };
    return { kind: 'message', status: 403, state };
  }

  if (request.method === 'POST') {
    const form = fieldsOrNone(await readForm(request));
    if (!csrfOk(session, form)) return csrfRefused(lang, frame, back);
    try {
      const done = await handleCluster(deps, caller, form.clusterId ?? '', { ip });
      return { kind: 'response', response: redirect(`${back}?handled=${done.id}`) };
    } catch (err) {
      if (!(err instanceof ApiError) || (err.status !== 404 && err.status !== 409)) throw err;
      const state: MessageState = { ...frame, title: a.clusters.goneTitle, text: a.clusters.gone, back: { href: back, label: a.clusters.back } };
      return { kind: 'message', status: err.status, state };
    }
  }

  const open = await listOpenClusters(deps, caller);
  const clusters = await Promise.all(
    open.map(async (c) => {
      const n = await clusterNotice(deps, caller, String(c.id));
      return { ...c, draft: n.markdown, fileName: n.fileName };
    }),
  );
  const h = url.searchParams.get('handled');
  return { kind: 'page', status: 200, state: { ...frame, clusters, handled: h && /^\d{1,10}$/.test(h) ? Number(h) : null } };
}
