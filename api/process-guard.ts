/**
 * The last line of defence of `npm start` (api/start.ts): an exception or a rejected promise that
 * nothing caught means the process is in a state nobody planned for. Log it, stop accepting
 * connections, let the requests in flight finish, close the database, and exit non-zero so the
 * supervisor (deploy/peixun.service, Restart=always) starts a fresh process.
 *
 * Request handlers must never get here (api/server.ts answers every request error itself); this
 * only keeps a bug from either killing in-flight requests mid-answer or leaving a damaged process
 * running.
 */
import type { Logger } from 'pino';

export interface ProcessGuardOptions {
  log: Pick<Logger, 'fatal' | 'error'>;
  /** Stop accepting, finish what is in flight, release resources. */
  stop: () => Promise<void>;
  /** How long `stop` may take before the process exits anyway. */
  timeoutMs?: number;
  exit?: (code: number) => void;
  /** The emitter to listen on; the real `process` unless a test passes its own. */
  target?: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
}

export const FATAL_EXIT_CODE = 70; // EX_SOFTWARE: an internal error, not a configuration problem

/** Installs the handlers; returns a function that removes them. */
export function installProcessGuard(opts: ProcessGuardOptions): () => void {
  const target = opts.target ?? process;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let stopping = false;

  const fatal = (kind: 'uncaughtException' | 'unhandledRejection') => (reason: unknown) => {
    const err = reason instanceof Error ? { message: reason.message, stack: reason.stack } : { message: String(reason) };
    opts.log.fatal({ err, kind }, 'unexpected error: finishing in-flight requests, then exiting so the supervisor restarts the process');
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => exit(FATAL_EXIT_CODE), opts.timeoutMs ?? 15_000);
    force.unref?.();
    opts
      .stop()
      .catch((e: unknown) => opts.log.error({ err: (e as Error)?.message ?? String(e) }, 'shutdown after a fatal error failed'))
      .finally(() => {
        clearTimeout(force);
        exit(FATAL_EXIT_CODE);
      });
  };

  const onException = fatal('uncaughtException');
  const onRejection = fatal('unhandledRejection');
  target.on('uncaughtException', onException);
  target.on('unhandledRejection', onRejection);
  return () => {
    target.off('uncaughtException', onException);
    target.off('unhandledRejection', onRejection);
  };
}
