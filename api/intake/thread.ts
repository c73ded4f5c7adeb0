/**
 * The intake thread: saves complaints (saveComplaint, service.ts) through its own write connection,
 * so the SQLite work of intake — a third to a half of a complaint's cost, see bench/intake.ts —
 * runs beside the main thread's HTTP work instead of on it.
 *
 * Started by writer.ts; it talks over the worker port only:
 *   in:  { id, prepared } (a PreparedComplaint) | { stop: true }
 *   out: { ready: true } | { id, ok: true, value } | { id, ok: false, error } | { stopped: true }
 * Writes share the process's thread write lock (db/write-lock.ts), so this connection and the main
 * thread's never wait on each other inside SQLite. Group commit works here as on the main thread:
 * complaints that arrive together are committed together, each in its own savepoint, and each
 * answer is posted only after its COMMIT is on disk.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createDb } from '../../db/client.ts';
import { ApiError } from '../lib/errors.ts';
import { saveComplaint, type PreparedComplaint } from './service.ts';

export interface IntakeThreadInit {
  url: string;
  threadLock: SharedArrayBuffer;
  checkpoints: 'inline' | 'elsewhere';
}

export type IntakeThreadRequest = { id: number; prepared: PreparedComplaint } | { stop: true };

/** An error as it crosses the port: an ApiError keeps everything its answer is built from. */
export type CrossedError =
  | { api: true; status: ApiError['status']; code: string; messageKey: ApiError['messageKey']; issues?: ApiError['issues']; headers?: ApiError['headers'] }
  | { api: false; message: string; code?: string; name: string };

export type IntakeThreadReply =
  | { ready: true }
  | { stopped: true }
  | { id: number; ok: true; value: Awaited<ReturnType<typeof saveComplaint>> }
  | { id: number; ok: false; error: CrossedError };

export function crossError(err: unknown): CrossedError {
  if (err instanceof ApiError) return { api: true, status: err.status, code: err.code, messageKey: err.messageKey, issues: err.issues, headers: err.headers };
  const e = err as { message?: string; code?: string; name?: string };
  return { api: false, message: String(e?.message ?? err), name: String(e?.name ?? 'Error'), ...(typeof e?.code === 'string' ? { code: e.code } : {}) };
}

/** Evidence bytes arrive as plain Uint8Arrays (structured clone drops Buffer); the insert wants Buffers. */
function revive(p: PreparedComplaint): PreparedComplaint {
  return { ...p, files: p.files.map((f) => ({ ...f, contentEnc: Buffer.from(f.contentEnc.buffer, f.contentEnc.byteOffset, f.contentEnc.byteLength) })) };
}

async function main() {
  const port = parentPort;
  if (!port) throw new Error('thread.ts runs as a worker thread (see writer.ts)');
  const init = workerData as IntakeThreadInit;
  // The main thread's Db runs the checkpoint thread when there is one; a safety net otherwise.
  const db = await createDb(init.url, {
    threadLock: init.threadLock,
    writeOnly: true,
    checkpoints: init.checkpoints,
    // A failed flush: end this thread; the main thread's onCrash stops the process (writer.ts).
    onFatal: () => process.exit(1),
  });
  const reply = (m: IntakeThreadReply) => port.postMessage(m);

  port.on('message', (msg: IntakeThreadRequest) => {
    if ('stop' in msg) {
      // Every complaint sent before the stop is already queued on the write path; close waits for it.
      void db.close().finally(() => reply({ stopped: true }));
      return;
    }
    saveComplaint(db, revive(msg.prepared)).then(
      (value) => reply({ id: msg.id, ok: true, value }),
      (err: unknown) => reply({ id: msg.id, ok: false, error: crossError(err) }),
    );
  });
  reply({ ready: true });
}

await main();
