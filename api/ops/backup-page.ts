/**
 * /admin/backup/ (sysadmin): what a backup holds and what it needs (the data key), and a POST
 * form whose answer is the download itself (api/ops/backup.ts); a refusal (rate limit, remote
 * database) shows the page again with the message in the user's language.
 */
import { BACKUP_LIMIT, backupResponse, mayBackUp, takeBackup } from './backup.ts';
import type { Deps } from '../deps.ts';
import { ApiError, apiErrorBody } from '../lib/errors.ts';
import type { Lang } from '../lib/messages.ts';
import { strings } from '../../site/i18n/index.ts';
import type { Frame, PageResult } from '../staff/admin-page-http.ts';
import { opsGate } from './ops-gate.ts';
import type { Notice } from './system-page.ts';

export interface BackupState extends Frame {
  remote: boolean;
  perDay: number;
  message: Notice | null;
}

export async function handleBackup(deps: Deps, request: Request, url: URL, ip: string | null, lang: Lang): Promise<PageResult<BackupState>> {
  const t = strings(lang).admin.ops.backup;
  const gate = await opsGate(deps, request, url, ip, lang, '/backup/', mayBackUp, t.noAccess);
  if (!gate.ok) return gate.r;
  const { frame, actor } = gate.g;
  const state: BackupState = { ...frame, remote: !deps.db.isLocalFile, perDay: BACKUP_LIMIT.limit, message: null };
  if (request.method !== 'POST') return { kind: 'page', status: 200, state };
  try {
    return { kind: 'response', response: backupResponse(await takeBackup(deps, actor)) };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { kind: 'page', status: err.status, state: { ...state, message: { kind: 'error', text: apiErrorBody(err, lang).error.message } }, headers: err.headers };
  }
}
