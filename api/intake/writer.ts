/**
 * The main thread's side of the intake thread (thread.ts): start it, send it prepared
 * complaints, turn its answers back into results or the same ApiErrors saveComplaint throws here.
 *
 * Only for a local database file: a libSQL server does its SQLite work in its own process already.
 *
 * If the thread dies, complaints waiting on it fail (their transactions never committed, so a
 * retry is safe), and `onCrash` is called: the thread may have died holding the process's write
 * lock or an open transaction, so the only safe course is to let the process be restarted.
 */
import type { Db } from '../../db/client.ts';
import { startTsWorker, stopWorker, workerReady } from '../../db/ts-worker.ts';
import { ApiError } from '../lib/errors.ts';
import type { IntakeWriter, PreparedComplaint, SavedComplaint } from './service.ts';
import type { CrossedError, IntakeThreadInit, IntakeThreadReply, IntakeThreadRequest } from './thread.ts';

export interface IntakeThread extends IntakeWriter {
  /** Finish what was sent, close the thread's connection, end the thread. */
  stop(): Promise<void>;
}

const ENTRY = new URL('./thread.ts', import.meta.url);

function uncross(e: CrossedError): Error {
  if (e.api) return new ApiError(e.status, e.code, e.messageKey, e.issues, e.headers);
  return Object.assign(new Error(e.message), { name: e.name, ...(e.code ? { code: e.code } : {}) });
}

export async function startIntakeThread(db: Db, opts: { onCrash: (err: Error) => void }): Promise<IntakeThread> {
  if (!db.isLocalFile || !db.threadLock) throw new Error('startIntakeThread: only for a local database file');
  const init: IntakeThreadInit = { url: db.url, threadLock: db.threadLock, checkpoints: db.checkpointsInBackground ? 'elsewhere' : 'inline' };
  const worker = startTsWorker(ENTRY, init);

  const pending = new Map<number, { resolve: (v: SavedComplaint) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let stopping: Promise<void> | null = null;
  let dead: Error | null = null;

  await workerReady(worker, 'intake thread');

  worker.on('message', (m: IntakeThreadReply) => {
    if (!('id' in m)) return;
    const waiter = pending.get(m.id);
    if (!waiter) return;
    pending.delete(m.id);
    if (m.ok) waiter.resolve(m.value);
    else waiter.reject(uncross(m.error));
  });

  const fail = (err: Error) => {
    if (dead) return;
    dead = err;
    for (const w of pending.values()) w.reject(err);
    pending.clear();
    if (!stopping) opts.onCrash(err);
  };
  worker.on('error', (err) => fail(new Error(`intake thread failed: ${err.message}`)));
  worker.on('exit', (code) => fail(new Error(`intake thread exited (code ${code})`)));

  const send = (m: IntakeThreadRequest) => worker.postMessage(m);

  return {
    save(prepared: PreparedComplaint) {
      if (stopping) return Promise.reject(new Error('intake thread is stopping or stopped'));
      if (dead) return Promise.reject(dead);
      const id = nextId++;
      return new Promise<SavedComplaint>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        send({ id, prepared });
      });
    },
    stop() {
      // Every complaint sent before the stop is already queued on the thread's write path.
      stopping ??= dead ? Promise.resolve() : stopWorker(worker, 10_000); // within start.ts's 15 s
      return stopping;
    },
  };
}
