/**
 * createDb(url): the one way to open the database.
 *
 * - `file:` URLs (the embedded default) open a local libSQL file in WAL mode, foreign keys on and
 *   a busy timeout. A write is answered only once its commit is on disk: SQLite runs with
 *   synchronous=NORMAL and the WAL is flushed after COMMIT, off the thread (db/wal-sync.ts).
 * - Any other URL @libsql/client accepts (libsql://, http(s)://, ws(s)://: sqld or Turso) is used
 *   as is; the same code runs against it.
 *
 * Two @libsql/client pitfalls shape this file:
 * 1. PRAGMAs are per connection, and the client opens new connections lazily (its pool grows,
 *    and drops a connection whose ROLLBACK failed). A PRAGMA run once at start-up is silently
 *    missing on the next connection. So writes use a dedicated single-connection client
 *    (db/local-writer.ts), which gets the PRAGMAs when it is opened, and again whenever it is
 *    replaced.
 * 2. A transient SQLITE_BUSY can leave a statement open on the connection (seen here: the failed
 *    BEGIN stays "in progress" and the next COMMIT fails with "SQL statements in progress").
 *    So every write goes through one serialised path (`write()`): BEGIN IMMEDIATE (take the lock
 *    up front), roll back when not committed, and on BUSY throw the write connection away and
 *    retry the whole unit on a fresh one — it was rolled back, so retrying duplicates nothing.
 * 3. The local driver is synchronous: SQLite's busy_timeout sleeps *inside* the call and blocks
 *    the event loop. So the writer's busy_timeout is short and the real waiting for another
 *    process's lock happens here, asynchronously, with jittered backoff (up to ~10 s).
 */
import { createClient, type Client, type InValue, type ResultSet, type Row, type Transaction } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalWriter } from './local-writer.ts';
import * as schema from './schema.ts';
import type { Worker } from 'node:worker_threads';
import type { CheckpointThreadInit } from './checkpoint-thread.ts';
import { startTsWorker, stopWorker } from './ts-worker.ts';
import { WalSync } from './wal-sync.ts';
import { ThreadWriteLock } from './write-lock.ts';

export type Orm = LibSQLDatabase<typeof schema>;
/** The handle a write unit receives: a Drizzle transaction. */
export type Tx = Parameters<Parameters<Orm['transaction']>[0]>[0];

export interface Db {
  /** Read handle (pooled connections; WAL readers never block the writer). */
  readonly read: Orm;
  /**
   * Run `fn` atomically on the serialised write path (its own SAVEPOINT inside a group-commit
   * IMMEDIATE transaction); resolves only after the COMMIT is on disk.
   */
  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Raw clients for migrations, backups and health checks. */
  readonly readClient: Client;
  readonly writeClient: Client;
  readonly url: string;
  readonly isLocalFile: boolean;
  /**
   * Local files: the lock every write unit of this process takes before BEGIN, whichever thread
   * it runs on; pass it to the Db a worker thread opens (CreateDbOptions.threadLock). Null for a
   * libSQL server, which orders writes itself.
   */
  readonly threadLock: SharedArrayBuffer | null;
  /** This Db runs the checkpoint thread (CreateDbOptions.checkpoints 'background'). */
  readonly checkpointsInBackground: boolean;
  close(): Promise<void>;
}

/**
 * Plain SQL on a write unit's transaction, without the query builder: for the one hot path where
 * building ~10 queries per request costs more than running them (complaint intake, see
 * bench/intake.ts). Same connection, same transaction, same SAVEPOINT as the unit's `tx`, so the
 * two can be mixed freely inside one unit.
 */
export interface RawTx {
  all(sql: string, args?: InValue[]): Promise<Row[]>;
  run(sql: string, args?: InValue[]): Promise<ResultSet>;
}

/**
 * The libSQL transaction under a Drizzle transaction handle. Drizzle keeps it on the session
 * (`session.tx`, set by LibSQLSession.transaction and shared by nested SAVEPOINT handles); it is
 * not public API, so this checks the shape and fails loudly rather than run outside the
 * transaction if a Drizzle upgrade moves it (tests/db/client.test.ts pins it).
 */
export function rawTx(tx: Tx): RawTx {
  const inner = (tx as unknown as { session?: { tx?: Transaction } }).session?.tx;
  if (!inner || typeof inner.execute !== 'function') throw new Error('rawTx: no libSQL transaction under this Drizzle handle (Drizzle internals changed?)');
  return {
    all: async (sql, args = []) => (await inner.execute({ sql, args })).rows,
    run: (sql, args = []) => inner.execute({ sql, args }),
  };
}

export interface CreateDbOptions {
  authToken?: string;
  /** Milliseconds SQLite itself waits (blocking) before SQLITE_BUSY; longer waits are async retries. */
  busyTimeoutMs?: number;
  /** Share another thread's write lock (its Db's `threadLock`); by default a new one. */
  threadLock?: SharedArrayBuffer;
  /** Open only the write connection (a worker thread that only writes needs no read pool). */
  writeOnly?: boolean;
  /**
   * Local files: who copies the WAL back into the database (db/checkpoint-thread.ts).
   * 'inline' (default): SQLite, inside the COMMIT that crosses 1000 pages. 'background': a
   * checkpoint thread this Db starts. 'elsewhere': another Db of this process runs that thread.
   * With a thread, writers checkpoint themselves only past WAL_SAFETY_NET_PAGES, should it stop.
   */
  checkpoints?: 'inline' | 'background' | 'elsewhere';
  /** WAL frames at which the checkpoint thread makes the WAL start over (tests lower it). */
  checkpointRestartFrames?: number;
  /**
   * Called once if this Db can no longer work safely: a WAL flush failed (nothing written after
   * it is acknowledged) or the checkpoint thread died. A server should stop and be restarted.
   */
  onFatal?: (err: Error) => void;
}

/** ~10 s of asynchronous waiting for another process's write lock. */
const MAX_BUSY_RETRIES = 45;
/** ~128 MB of WAL: where a writer checkpoints itself when the checkpoint thread has not. */
const WAL_SAFETY_NET_PAGES = 32_000;
const CHECKPOINT_INTERVAL_MS = 250;
/**
 * ~32 MB of WAL: where the checkpoint thread makes the WAL start over (db/checkpoint-thread.ts).
 * The restart holds the write lock for a moment, so not too often: about every 4 s at 1,000
 * complaints a second.
 */
const CHECKPOINT_RESTART_FRAMES = 8_000;
/** Most write units committed together (bounds one transaction's length). */
const MAX_GROUP = 64;

const PRAGMAS = (busyTimeoutMs: number) => [
  `PRAGMA busy_timeout = ${busyTimeoutMs}`,
  'PRAGMA foreign_keys = ON',
  // NORMAL, not FULL: the commit's flush happens after COMMIT, off the thread (db/wal-sync.ts),
  // and no write is answered before it. Checkpoints still sync as SQLite needs them to.
  'PRAGMA synchronous = NORMAL',
];

/** Normalise a path or URL: bare paths become file: URLs; parent folders are created. */
export function normaliseDbUrl(urlOrPath: string): string {
  if (/^(libsql|https?|wss?):/i.test(urlOrPath)) return urlOrPath;
  if (urlOrPath.startsWith('file:')) {
    const path = urlOrPath.startsWith('file://') ? fileURLToPath(urlOrPath) : urlOrPath.slice(5);
    mkdirSync(dirname(path), PRIVATE_DIR);
    return urlOrPath;
  }
  if (urlOrPath === ':memory:') {
    throw new Error('createDb: use a temporary file instead of :memory: (reads and writes use separate connections)');
  }
  mkdirSync(dirname(urlOrPath), PRIVATE_DIR);
  return `file:${urlOrPath}`;
}

/** Folders we create for the database: owner only (a folder that already exists is left as it is). */
const PRIVATE_DIR = { recursive: true, mode: 0o700 } as const;

/**
 * The database file and its -wal/-shm companions are readable by the owner only: they hold
 * personal data (encrypted fields aside: hashes, case texts, the audit log). The file is created
 * 0600 before SQLite opens it — SQLite gives the -wal and -shm files the main file's mode — and
 * files left with wider modes by an older version are narrowed.
 */
export function protectDbFiles(path: string): void {
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const f of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
    } catch (err) {
      // Gone meanwhile, or another user's file we may use but not chmod: nothing to do here.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EPERM') throw err;
    }
  }
}

/** The file path a `file:` URL names (as @libsql/client reads it: file:rel, file:/abs, file:///abs). */
function filePath(url: string): string {
  const rest = url.slice('file:'.length).split('?')[0]!;
  return rest.startsWith('//') ? fileURLToPath(url.split('?')[0]!) : decodeURIComponent(rest);
}

function isBusy(err: unknown): boolean {
  const e = err as { code?: string; rawCode?: number; message?: string; cause?: unknown } | null;
  if (!e) return false;
  if (e.code === 'SQLITE_BUSY' || e.rawCode === 5 || /SQLITE_BUSY|database is locked/i.test(e.message ?? '')) return true;
  return e.cause ? isBusy(e.cause) : false;
}

export async function createDb(urlOrPath: string, options: CreateDbOptions = {}): Promise<Db> {
  const url = normaliseDbUrl(urlOrPath);
  const isLocalFile = url.startsWith('file:');
  const busyTimeoutMs = options.busyTimeoutMs ?? 50;

  const openWriter = async () => {
    // One connection for writes, so the PRAGMAs we set are on the connection we use; it keeps
    // its prepared statements (db/local-writer.ts).
    const client = createLocalWriter(filePath(url), busyTimeoutMs);
    await client.execute('PRAGMA journal_mode = WAL');
    for (const p of PRAGMAS(busyTimeoutMs)) await client.execute(p);
    if ((options.checkpoints ?? 'inline') !== 'inline') await client.execute(`PRAGMA wal_autocheckpoint = ${WAL_SAFETY_NET_PAGES}`);
    return client;
  };

  let writeClient: Client;
  let readClient: Client;
  let checkpointThread: Worker | null = null;
  let closing = false;
  const lock = isLocalFile ? new ThreadWriteLock(options.threadLock) : null;
  const walSync = isLocalFile ? new WalSync(`${filePath(url)}-wal`) : null;
  if (isLocalFile) {
    protectDbFiles(filePath(url));
    writeClient = await openWriter();
    // SQLite creates -wal and -shm on this open with the main file's mode; checked again in case
    // a build of it ever derives their mode from the umask instead.
    protectDbFiles(filePath(url));
    readClient = options.writeOnly ? writeClient : createClient({ url, concurrency: 4, timeout: busyTimeoutMs });
    if (options.checkpoints === 'background') {
      const init: CheckpointThreadInit = { path: filePath(url), threadLock: lock!.buffer, intervalMs: CHECKPOINT_INTERVAL_MS, restartFrames: options.checkpointRestartFrames ?? CHECKPOINT_RESTART_FRAMES };
      checkpointThread = startTsWorker(new URL('./checkpoint-thread.ts', import.meta.url), init);
      // A dead checkpoint thread may have died holding the lock (or its ticket): fatal. Without
      // an owner to tell, writers still checkpoint at the safety net.
      checkpointThread.on('error', (err) => fail(new Error(`checkpoint thread failed: ${err.message}`)));
      checkpointThread.on('exit', (code) => {
        if (!closing) fail(new Error(`checkpoint thread exited (code ${code})`));
      });
      checkpointThread.unref();
    }
  } else {
    writeClient = createClient({ url, authToken: options.authToken });
    readClient = writeClient;
  }

  const read = drizzle(readClient, { schema });
  let writer = drizzle(writeClient, { schema });

  /** Replace a write connection that saw SQLITE_BUSY (it may hold a half-run statement). */
  async function replaceWriter() {
    if (!isLocalFile) return;
    writeClient.close();
    await walSync?.reset();
    writeClient = await openWriter();
    writer = drizzle(writeClient, { schema });
  }

  // Group commit. Write units queue up in arrival order; whatever has queued while the previous
  // transaction ran goes into the next one, each unit in its own SAVEPOINT. One COMMIT and one
  // flush of the WAL then make the whole group durable, and only after the flush does any unit's
  // promise resolve — so an acknowledged write is on disk, a failing unit rolls back alone, and
  // under load the flush is shared instead of paid per request (and overlaps the next group).
  interface Unit {
    fn: (tx: Tx) => Promise<unknown>;
    resolve: (value: unknown) => void;
    reject: (err: unknown) => void;
  }
  type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
  const queue: Unit[] = [];
  let draining: Promise<void> | null = null;

  /** One attempt at a group: its outcomes, or `busy` when another process held the lock. */
  async function runBatch(batch: Unit[]): Promise<{ busy: false; outcomes: Outcome[] } | { busy: true; error: unknown }> {
    const outcomes: Outcome[] = [];
    try {
      await writer.transaction(
        async (tx) => {
          // Each unit in its own SAVEPOINT, set with plain statements: Drizzle's nested
          // transaction would build a new handle (and its query builders) for every unit. The
          // unit gets the group's handle; nothing it can do with it reaches past its savepoint.
          const raw = rawTx(tx);
          for (const unit of batch) {
            await raw.run('SAVEPOINT write_unit');
            let value: unknown;
            try {
              value = await unit.fn(tx);
            } catch (error) {
              if (isBusy(error)) throw error; // the connection is suspect: redo the whole group
              // Undo the unit alone; if even that fails, the group's state is unknown: fail it.
              await raw.run('ROLLBACK TO write_unit');
              await raw.run('RELEASE write_unit');
              outcomes.push({ ok: false, error });
              continue;
            }
            await raw.run('RELEASE write_unit');
            outcomes.push({ ok: true, value });
          }
        },
        { behavior: 'immediate' },
      );
      return { busy: false, outcomes };
    } catch (err) {
      if (isBusy(err)) return { busy: true, error: err };
      // BEGIN or COMMIT failed: nothing of the group is on disk.
      return { busy: false, outcomes: batch.map(() => ({ ok: false, error: err })) };
    }
  }

  /**
   * Runs a group to its outcomes, waiting out another process's lock: the thread lock is let go
   * during each backoff, so this process's other threads (intake, checkpoints) are not held up.
   */
  async function runGroup(batch: Unit[]): Promise<Outcome[]> {
    for (let attempt = 0; ; attempt++) {
      let r: Awaited<ReturnType<typeof runBatch>>;
      try {
        r = await runBatch(batch);
      } finally {
        lock?.release();
      }
      if (!r.busy) return r.outcomes;
      if (attempt >= MAX_BUSY_RETRIES) return batch.map(() => ({ ok: false, error: r.error }));
      try {
        await replaceWriter();
      } catch (error) {
        return batch.map(() => ({ ok: false, error })); // cannot reopen: fail the group, keep draining
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(250, 10 * 2 ** attempt) + Math.random() * 25));
      if (lock) await lock.acquire();
    }
  }

  /**
   * The database can no longer promise durability in this process (a failed flush) or keep its
   * WAL in check (the checkpoint thread died, maybe holding the lock): tell the owner once.
   */
  let fatal: unknown = null;
  function fail(err: unknown) {
    if (fatal) return;
    fatal = err;
    options.onFatal?.(err instanceof Error ? err : new Error(String(err)));
  }

  /** Groups committed but not yet flushed (their writers are answered when the flush is done). */
  const flushing = new Set<Promise<void>>();

  function settle(batch: Unit[], outcomes: Outcome[]) {
    batch.forEach((unit, i) => {
      const o = outcomes[i]!;
      if (o.ok) unit.resolve(o.value);
      else unit.reject(o.error);
    });
  }

  async function drain() {
    while (queue.length) {
      // Let requests that arrived during the last COMMIT (the driver blocks while it writes) reach
      // their write call first, so they join this group instead of waiting for the next one.
      await new Promise((r) => setImmediate(r));
      // Units that arrive while another thread of this process holds the lock join this group too.
      if (lock) await lock.acquire();
      const batch = queue.splice(0, MAX_GROUP);
      const outcomes = await runGroup(batch); // releases the lock
      if (!walSync || !outcomes.some((o) => o.ok)) {
        settle(batch, outcomes);
        continue;
      }
      // Durable before answered: flush the WAL off the thread, and meanwhile run the next group.
      // A failed flush fails the group's writes (committed, but maybe not on disk: the caller
      // must not be told they are) and every write after it (WalSync keeps the error: after a
      // failed fdatasync the kernel may have dropped those pages, and a later flush that succeeds
      // proves nothing about them), and the owner is told (api/start.ts stops the process).
      const flushed = walSync.sync().then(
        () => settle(batch, outcomes),
        (err: unknown) => {
          settle(batch, outcomes.map(() => ({ ok: false as const, error: err })));
          fail(err);
        },
      );
      flushing.add(flushed);
      void flushed.finally(() => flushing.delete(flushed));
    }
    draining = null;
  }

  function write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      draining ??= drain();
    });
  }

  return {
    read,
    write,
    readClient,
    get writeClient() {
      return writeClient;
    },
    url,
    isLocalFile,
    threadLock: lock?.buffer ?? null,
    checkpointsInBackground: checkpointThread !== null,
    async close() {
      closing = true;
      await draining;
      await Promise.all(flushing);
      await walSync?.reset();
      if (checkpointThread) await stopWorker(checkpointThread, 2_000);
      if (readClient !== writeClient) readClient.close();
      writeClient.close();
    },
  };
}
