/**
 * A write lock shared by the threads of one process, in a SharedArrayBuffer.
 *
 * Why: complaint intake writes from its own thread (api/intake/thread.ts) through its
 * own SQLite connection, while every other write runs on the main thread's connection. SQLite
 * would keep the two apart with SQLITE_BUSY, but its busy wait sleeps *inside* the synchronous
 * driver call and stalls that thread's event loop. Taking this lock before BEGIN IMMEDIATE means
 * the two connections of one process never meet SQLite's lock at all; other processes still do,
 * and db/client.ts waits for them asynchronously as before.
 *
 * A ticket lock (two counters: next ticket, ticket now served), so the threads are served in
 * the order they asked: the intake thread commits back to back under load and must not starve a
 * clerk's write on the main thread. Waiting is `Atomics.waitAsync`, which never blocks a thread.
 * Int32 counters wrap around together, and only equality is compared, so wrapping is harmless.
 */
const NEXT = 0;
const SERVING = 1;

export class ThreadWriteLock {
  private readonly cells: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)) {
    this.cells = new Int32Array(buffer);
  }

  async acquire(): Promise<void> {
    const ticket = Atomics.add(this.cells, NEXT, 1);
    for (;;) {
      const serving = Atomics.load(this.cells, SERVING);
      if (serving === ticket) return;
      const wait = Atomics.waitAsync(this.cells, SERVING, serving);
      if (wait.async) await wait.value;
    }
  }

  release(): void {
    Atomics.add(this.cells, SERVING, 1);
    Atomics.notify(this.cells, SERVING);
  }
}
