/**
 * What the write path promises about the disk and about threads (db/client.ts and its helpers):
 * - a write is answered only after the WAL flush that covers its COMMIT (db/wal-sync.ts), and a
 *   failed flush is never reported as success;
 * - flushes asked for while one runs share a single next flush;
 * - the threads of one process take the write lock in turn, first come first served
 *   (db/write-lock.ts), including a real second thread;
 * - the checkpoint thread copies the WAL into the database file and makes the WAL start over,
 *   without any writer checkpointing (db/checkpoint-thread.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, openSync, readSync, closeSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, rawTx } from '../../db/client.ts';
import { startTsWorker } from '../../db/ts-worker.ts';
import { WalSync } from '../../db/wal-sync.ts';
import { ThreadWriteLock } from '../../db/write-lock.ts';

let dir: string;
let fileHandleProto: { datasync(): Promise<void> };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peixun-durable-'));
  const probe = await open(join(dir, 'probe'), 'w');
  fileHandleProto = Object.getPrototypeOf(probe) as typeof fileHandleProto;
  await probe.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));
/**
 * One turn of the event loop: every promise that can settle without an outside event (a flush,
 * a lock's notify) has settled by then. What is still pending is really waiting.
 */
const settled = () => new Promise((r) => setImmediate(r));

describe('a write is answered only once it is on disk', () => {
  it('the write waits for the WAL flush after its COMMIT', async () => {
    const db = await createDb(join(dir, 'wait.db'));
    await db.writeClient.execute('CREATE TABLE t (v TEXT)');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const original = fileHandleProto.datasync;
    let flushAsked!: () => void;
    const flushing = new Promise<void>((r) => (flushAsked = r));
    const spy = vi.spyOn(fileHandleProto, 'datasync').mockImplementation(async function (this: unknown) {
      flushAsked();
      await gate;
      return original.call(this);
    });
    let answered = false;
    const write = db.write((tx) => rawTx(tx).run("INSERT INTO t VALUES ('x')")).then(() => (answered = true));
    await flushing; // the flush after the COMMIT has started (and is held at the gate)
    await settled();
    // Committed (another connection sees it) but not flushed yet: not answered.
    expect(Number((await db.readClient.execute('SELECT count(*) AS n FROM t')).rows[0]!.n)).toBe(1);
    expect(spy).toHaveBeenCalled();
    expect(answered).toBe(false);
    release();
    await write;
    expect(answered).toBe(true);
    await db.close();
  });

  it('after a failed flush nothing more is acknowledged, and the owner is told once', async () => {
    const fatal: Error[] = [];
    const db = await createDb(join(dir, 'fail.db'), { onFatal: (err) => void fatal.push(err) });
    await db.writeClient.execute('CREATE TABLE t (v TEXT)');
    vi.spyOn(fileHandleProto, 'datasync').mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await expect(db.write((tx) => rawTx(tx).run("INSERT INTO t VALUES ('x')"))).rejects.toThrow(/EIO/);
    // The disk "works" again, but pages the kernel failed to write may be gone: a later
    // successful flush would prove nothing about them, so later writes are not acknowledged.
    await expect(db.write((tx) => rawTx(tx).run("INSERT INTO t VALUES ('y')"))).rejects.toThrow(/EIO/);
    expect(fatal.map((e) => e.message)).toEqual(['EIO: i/o error, fdatasync']);
    await db.close();
  });

  it('flushes asked for while one runs share one next flush', async () => {
    const wal = join(dir, 'share-wal');
    closeSync(openSync(wal, 'w'));
    const sync = new WalSync(wal);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let firstAsked!: () => void;
    const firstRunning = new Promise<void>((r) => (firstAsked = r));
    const spy = vi.spyOn(fileHandleProto, 'datasync').mockImplementation(async () => {
      if (spy.mock.calls.length === 1) {
        firstAsked();
        await gate;
      }
    });
    const first = sync.sync();
    await firstRunning; // the first flush is under way
    const later = Array.from({ length: 5 }, () => sync.sync());
    expect(spy).toHaveBeenCalledTimes(1);
    release();
    await Promise.all([first, ...later]);
    expect(spy).toHaveBeenCalledTimes(2);
    await sync.reset();
  });
});

describe('the write lock shared by the threads of one process', () => {
  it('lets one holder in at a time and serves waiters in the order they asked', async () => {
    const a = new ThreadWriteLock();
    const b = new ThreadWriteLock(a.buffer);
    const order: string[] = [];
    await a.acquire();
    const waiters = ['first', 'second', 'third'].map(async (name, i) => {
      const lock = i % 2 ? a : b;
      await lock.acquire();
      order.push(name);
      lock.release();
    });
    await settled(); // a lock that did not make them wait would have let them in by now
    expect(order).toEqual([]);
    a.release();
    await Promise.all(waiters);
    expect(order).toEqual(['first', 'second', 'third']);
  });

  it('keeps out a write of this thread while another thread holds it', async () => {
    const db = await createDb(join(dir, 'lock.db'));
    await db.writeClient.execute('CREATE TABLE t (v TEXT)');
    const holder = startTsWorker(new URL('../fixtures/lock-holder.ts', import.meta.url), { threadLock: db.threadLock });
    const said = (what: string) => new Promise<void>((r) => holder.on('message', (m) => m === what && r()));
    await said('holding');
    // The event: our write asks this process's write lock (and takes its ticket) before BEGIN.
    // (The pending acquire travels in a box: a promise resolved with a promise would adopt it.)
    let asked!: (box: { grant: Promise<void> }) => void;
    const askedLock = new Promise<{ grant: Promise<void> }>((r) => (asked = r));
    const acquire = ThreadWriteLock.prototype.acquire;
    vi.spyOn(ThreadWriteLock.prototype, 'acquire').mockImplementation(function (this: ThreadWriteLock) {
      const p = acquire.call(this);
      asked({ grant: p });
      return p;
    });
    let written = false;
    const write = db.write((tx) => rawTx(tx).run("INSERT INTO t VALUES ('x')")).then(() => (written = true));
    let granted = false;
    void (await askedLock).grant.then(() => (granted = true));
    await settled();
    // Queued behind the other thread: two tickets out, the holder's being served.
    const cells = new Int32Array(db.threadLock!);
    expect(Atomics.load(cells, 0) - Atomics.load(cells, 1)).toBe(2);
    expect(granted).toBe(false);
    expect(written).toBe(false);
    holder.postMessage('release');
    await write;
    expect(written).toBe(true);
    await holder.terminate();
    await db.close();
  });
});

/** The WAL header's checkpoint sequence number: SQLite adds one each time the WAL starts over. */
function walSequence(walPath: string): number {
  const fd = openSync(walPath, 'r');
  const header = Buffer.alloc(32);
  readSync(fd, header, 0, 32, 0);
  closeSync(fd);
  return header.readUInt32BE(12);
}

async function until(check: () => boolean, between?: () => Promise<void>, ms = 5_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`condition not met in time: ${check.toString()}`);
    await tick(50);
    await between?.();
  }
}

describe('the checkpoint thread', () => {
  it('copies committed pages into the database file and starts the WAL over, with no writer checkpointing', async () => {
    const path = join(dir, 'ckpt.db');
    const db = await createDb(path, { checkpoints: 'background', checkpointRestartFrames: 50 });
    await db.writeClient.execute('CREATE TABLE t (v TEXT)');
    const sizeBefore = statSync(path).size;
    const sequenceBefore = walSequence(`${path}-wal`);
    // ~300 pages in 30 commits: far below the writers' own threshold (16,000 pages).
    for (let i = 0; i < 30; i++) {
      await db.write((tx) => rawTx(tx).run("INSERT INTO t SELECT hex(randomblob(2000)) FROM generate_series(1, 10)"));
    }
    await until(() => statSync(path).size > sizeBefore + 200 * 4096);
    // SQLite starts the WAL over at the first write after a complete checkpoint.
    await until(() => walSequence(`${path}-wal`) > sequenceBefore, async () => {
      await db.write((tx) => rawTx(tx).run("INSERT INTO t VALUES ('after')"));
    });
    expect(Number((await db.readClient.execute("SELECT count(*) AS n FROM t WHERE v != 'after'")).rows[0]!.n)).toBe(300);
    await db.close();
  });
});
