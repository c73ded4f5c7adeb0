/**
 * Online consistent backup for the system administrator (docs/domain.md: sysadmin "backups").
 *
 * A local libSQL file is copied with `VACUUM INTO` (in a child process, backup-snapshot.mjs, so
 * the synchronous driver does not stall this process): it runs as one read transaction, so the
 * copy is the database exactly as of one commit while the app keeps writing (WAL readers do not block the
 * writer, and the writer does not block them). The copy is a complete, compacted, standalone
 * database file (no -wal to go with it). It is written to a private temporary folder under
 * DATA_DIR (same disk as the database, not a possibly small tmpfs), opened, unlinked at once —
 * so nothing is left behind even if the download is aborted or the process dies — and streamed
 * from the open descriptor.
 *
 * A remote libSQL server (sqld, Turso) has no file here to copy, and VACUUM INTO would write on
 * the server's disk, not ours: refused with a message pointing at the server's own tooling.
 *
 * Rate-limited (a backup reads the whole database), audited (who, when, how big; never content),
 * and announced: every copy leaves a notice for the coordinators in the admin header
 * (notices.ts) — a copy of everything is not something the administrator takes unseen.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { eq } from 'drizzle-orm';
import { staff } from '../../db/schema.ts';
import type { Deps } from '../deps.ts';
import { appendAudit } from '../audit/log.ts';
import { ApiError } from '../lib/errors.ts';
import { projectRoot } from '../lib/project-root.ts';
import { consumeRateLimit } from '../security/rate-limit.ts';
import { addNotice } from './notices.ts';
import type { AdminActor } from './system.ts';

/** Per administrator: a few a day is plenty; each one reads and copies the whole database. */
export const BACKUP_LIMIT = { limit: 6, windowMs: 24 * 3_600_000 } as const;

export const mayBackUp = (role: string) => role === 'sysadmin';

/** peixun-backup-2026-11-28-1530.db (Beijing time). */
export function backupFileName(now: Date): string {
  const b = new Date(now.getTime() + 8 * 3_600_000).toISOString();
  return `peixun-backup-${b.slice(0, 10)}-${b.slice(11, 13)}${b.slice(14, 16)}${b.slice(17, 19)}.db`;
}

export interface Backup {
  fileName: string;
  size: number;
  /** A web stream of the snapshot; the file is already unlinked, the descriptor closes at the end. */
  stream: ReadableStream<Uint8Array>;
}

/**
 * Takes the snapshot (after the rate limit and the audit row are committed) and opens it for
 * streaming. Throws ApiError 409 backup_remote for a libSQL server, 429 when over the limit.
 */
export async function takeBackup(deps: Pick<Deps, 'db' | 'env' | 'clock'>, actor: AdminActor): Promise<Backup> {
  const { db, env } = deps;
  if (!db.isLocalFile) throw new ApiError(409, 'backup_remote', 'backup_remote');
  const now = deps.clock.now();
  const fileName = backupFileName(now);
  // The limit counts attempts, and the audit row says a copy was asked for, before any work.
  await db.write(async (tx) => {
    await consumeRateLimit(tx, `backup:${actor.staffId}`, BACKUP_LIMIT, now);
    await appendAudit(tx, { at: now, actorKind: 'staff', actorStaffId: actor.staffId, actorRole: actor.role, action: 'system.backup_downloaded', objectType: 'database', objectId: fileName, ip: actor.ip });
    const [who] = await tx.select({ name: staff.displayName, username: staff.username }).from(staff).where(eq(staff.id, actor.staffId));
    await addNotice(tx, { role: 'coordinator' }, 'backup_downloaded', { fileName, byStaffId: actor.staffId, byName: who?.name ?? null, byUsername: who?.username ?? null }, now);
  });
  const root = resolve(env.DATA_DIR, 'backup-tmp');
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(root, 'b-'));
  const path = join(dir, fileName);
  let handle: FileHandle | null = null;
  try {
    await snapshot(db.url, path);
    handle = await open(path, 'r');
    const { size } = await handle.stat();
    return { fileName, size, stream: streamAndClose(handle) };
  } catch (err) {
    await handle?.close();
    throw err;
  } finally {
    // Unlinked while open: the bytes stay readable through the descriptor and vanish with it.
    rmSync(dir, { recursive: true, force: true });
  }
}

const snapshotScript = () => join(projectRoot(), 'api', 'ops', 'backup-snapshot.mjs');

/**
 * `VACUUM INTO` in a child process: the local driver is synchronous and would otherwise stall
 * every request of this process for as long as the copy takes (seconds for a large database).
 */
function snapshot(url: string, target: string): Promise<void> {
  return new Promise((resolveDone, reject) => {
    const child = spawn(process.execPath, [snapshotScript(), url, target], { cwd: projectRoot(), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolveDone() : reject(new Error(`backup snapshot failed (${code}): ${err.slice(0, 500)}`))));
  });
}

function streamAndClose(handle: FileHandle): ReadableStream<Uint8Array> {
  const CHUNK = 256 * 1024;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const buf = new Uint8Array(CHUNK);
        const { bytesRead } = await handle.read(buf, 0, CHUNK, null);
        if (bytesRead === 0) {
          await close();
          controller.close();
          return;
        }
        controller.enqueue(buf.subarray(0, bytesRead));
      } catch (err) {
        await close().catch(() => {});
        controller.error(err);
      }
    },
    async cancel() {
      await close();
    },
  });
}

/** The download response (API and page share it). */
export function backupResponse(b: Backup): Response {
  return new Response(b.stream, {
    status: 200,
    headers: {
      'Content-Type': 'application/vnd.sqlite3',
      'Content-Length': String(b.size),
      'Content-Disposition': `attachment; filename="${b.fileName}"`,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
      'X-Robots-Tag': 'noindex, nofollow',
    },
  });
}
