/**
 * The checkpoint thread: copies the WAL back into the database file in the background.
 *
 * Why: SQLite's automatic checkpoint runs inside the COMMIT that crosses the threshold, on the
 * committing thread, and with a synchronous driver that thread can do nothing else until the
 * pages are copied and both files flushed (up to ~45 ms under intake load, see bench/intake.ts).
 * Here a connection of its own runs PASSIVE checkpoints, which never block a writer or a reader,
 * while the writers keep only a far-off automatic threshold as a safety net (db/client.ts).
 *
 * Under steady writes a PASSIVE checkpoint never quite catches up (new frames arrive while it
 * copies), and SQLite starts the WAL from the beginning again only when it has. So once the WAL
 * holds RESTART_FRAMES, the thread takes the process's write lock (db/write-lock.ts: writers of
 * this process wait their turn, asynchronously) and runs a RESTART checkpoint, which by then has
 * only the last few frames left to copy. Another process's writer or a long reader makes it
 * answer busy at once (no busy timeout here); it is tried again on a later tick.
 */
import Database from 'libsql';
import { parentPort, workerData } from 'node:worker_threads';
import { ThreadWriteLock } from './write-lock.ts';

export interface CheckpointThreadInit {
  path: string;
  threadLock: SharedArrayBuffer;
  intervalMs: number;
  restartFrames: number;
}

const init = workerData as CheckpointThreadInit;
const lock = new ThreadWriteLock(init.threadLock);
// The default synchronous (FULL) applies to the checkpoint's own flushes of both files.
const conn = new Database(init.path, { timeout: 0 } as ConstructorParameters<typeof Database>[1]);
const passive = conn.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const restart = conn.prepare('PRAGMA wal_checkpoint(RESTART)');

let stopped = false;
let busy = false;

async function tick() {
  if (busy || stopped) return;
  busy = true;
  try {
    const [row] = passive.all() as { log: number }[];
    if (row && row.log >= init.restartFrames) {
      await lock.acquire();
      try {
        if (!stopped) restart.all();
      } finally {
        lock.release();
      }
    }
  } catch {
    // Another process is checkpointing, or a lock is briefly taken: try again on the next tick.
  } finally {
    busy = false;
  }
}

const timer = setInterval(() => void tick(), init.intervalMs);

parentPort?.on('message', (m: { stop?: boolean }) => {
  if (!m.stop) return;
  stopped = true;
  clearInterval(timer);
  const close = () => {
    if (busy) return void setTimeout(close, 5);
    conn.close();
    parentPort?.postMessage({ stopped: true });
  };
  close();
});
