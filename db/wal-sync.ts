/**
 * Makes committed transactions durable without stalling a thread: fdatasync of the WAL file on
 * libuv's thread pool.
 *
 * Why: with synchronous=FULL, SQLite fsyncs the WAL inside COMMIT, and the driver is synchronous,
 * so the thread that commits sits in the kernel for the whole flush (several ms for a group of
 * complaints on this kind of disk) and can do nothing else. With synchronous=NORMAL SQLite still
 * syncs everything a checkpoint needs (the WAL before it is copied, the database after), which
 * keeps the file consistent after a power cut; what NORMAL leaves out is the flush that makes the
 * last commits durable. We do that flush here, asynchronously, and db/client.ts answers a write
 * only after it — so "acknowledged means on disk" still holds, while the next group of writes
 * already runs during the flush.
 *
 * In WAL mode a commit is durable once its frames are on disk; fdatasync on any descriptor of the
 * WAL file flushes every frame written to it before the call, by any connection or process.
 */
import { open, type FileHandle } from 'node:fs/promises';

export class WalSync {
  private handle: Promise<FileHandle> | null = null;
  /** The flush now running, and the one queued behind it (shared by everyone who asked meanwhile). */
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  /**
   * A failed fdatasync, kept: the kernel may have dropped the pages it could not write, so a
   * later flush that succeeds would say nothing about them. Every later sync() fails with it.
   */
  private failed: unknown = null;

  constructor(private readonly walPath: string) {}

  /**
   * Resolves once everything written to the WAL before this call is on disk. Call after COMMIT
   * (the file exists by then). Calls that arrive while a flush runs share one flush after it:
   * the running one may have started before their commits, and one more covers them all. Under
   * load this turns a flush per group into a flush per several groups.
   */
  sync(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (!this.running) return this.start();
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.start();
      });
    return this.queued;
  }

  private start(): Promise<void> {
    const flush = this.flush().finally(() => {
      if (this.running === flush) this.running = null;
    });
    this.running = flush;
    return flush;
  }

  private async flush(): Promise<void> {
    if (this.failed) throw this.failed;
    this.handle ??= open(this.walPath, 'r');
    let fh: FileHandle;
    try {
      fh = await this.handle;
    } catch (err) {
      this.handle = null;
      // No WAL file: the last connection closed, which checkpoints everything into the database
      // file (flushed) and deletes the WAL. Nothing is left to flush.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      await fh.datasync();
    } catch (err) {
      this.failed = err;
      throw err;
    }
  }

  /**
   * Forget the descriptor: after the write connection is replaced the WAL may have been deleted
   * and created anew (a new file), and syncing the old one would flush nothing.
   */
  async reset(): Promise<void> {
    await this.running?.catch(() => undefined);
    await this.queued?.catch(() => undefined);
    const h = this.handle;
    this.handle = null;
    if (h) await h.then((fh) => fh.close()).catch(() => undefined);
  }
}
