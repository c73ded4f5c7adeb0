/**
 * /admin/publish/ (coordination office, sysadmin): publish now, the running build's progress and
 * log (the page refreshes itself with <meta http-equiv="refresh"> while a build runs: no script
 * needed, CSP script-src 'self' untouched), the history. POST starts a build through the same
 * service as the API (api/ops/build-runs.ts) and redirects to the build it started — or to
 * the one already running, so a second click shows the running build.
 */
import { mayPublish, publishOverview } from './publish-http.ts';
import type { Deps } from '../deps.ts';
import type { Lang } from '../lib/messages.ts';
import { buildDetail, startPublish, type BuildSummary } from './build-runs.ts';
import { currentBuildDir } from './site-dirs.ts';
import { strings } from '../../site/i18n/index.ts';
import { adminPath, redirect, type Frame, type PageResult } from '../staff/admin-page-http.ts';
import { opsGate } from './ops-gate.ts';
import type { Notice } from './system-page.ts';

export interface PublishState extends Frame {
  overview: Awaited<ReturnType<typeof publishOverview>>;
  /** The build shown with its log: ?build=<id>, else the running one, else the newest. */
  shown: (BuildSummary & { log: string; error: string | null }) | null;
  message: Notice | null;
  /** Seconds until the page reloads itself (while a build runs), or null. */
  refresh: number | null;
}

export const PUBLISH_REFRESH_SECONDS = 5;

export async function handlePublish(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang): Promise<PageResult<PublishState>> {
  const t = strings(lang).admin.ops.publish;
  const gate = await opsGate(deps, request, url, ip, lang, '/publish/', mayPublish, t.noAccess);
  if (!gate.ok) return gate.r;
  const { frame, actor } = gate.g;
  const here = adminPath(lang, '/publish/');

  if (request.method === 'POST') {
    const claim = await startPublish(deps, { staffId: actor.staffId, role: actor.role, ip: actor.ip }, deps.siteBuild ?? {});
    void claim.done; // runs on in the background; the page follows the row
    return { kind: 'response', response: redirect(`${here}?build=${claim.build.id}&m=${claim.claimed ? 'started' : 'running'}`) };
  }

  const overview = await publishOverview(deps);
  const raw = url.searchParams.get('build');
  const wanted = raw && /^\d{1,9}$/.test(raw) ? Number(raw) : (overview.runningId ?? overview.builds[0]?.id ?? null);
  const shown = wanted === null ? null : await buildDetail(deps.db, wanted, currentBuildDir(deps.env.SITE_DIR));
  const m = url.searchParams.get('m');
  const message: Notice | null =
    shown && m === 'started' ? { kind: 'ok', text: t.started(shown.id) } : shown && m === 'running' ? { kind: 'error', text: t.alreadyRunning(shown.id) } : null;
  const refresh = overview.runningId !== null && !overview.runningStale ? PUBLISH_REFRESH_SECONDS : null;
  return { kind: 'page', status: raw && !shown ? 404 : 200, state: { ...frame, overview, shown, message, refresh } };
}
