/**
 * Worker threads on the project's TypeScript modules, and the small protocol they share:
 * the thread posts { ready: true } once it can work, and answers { stop: true } with
 * { stopped: true } after finishing what it has and closing its connections.
 *
 * The project runs its TypeScript through tsx. A worker inherits the parent's loader flags only
 * when the parent was started with them (npm start is; a test runner is not), so the worker
 * registers tsx itself and is started without the parent's flags, so that it never has two
 * loaders. tsx is resolved here, from this file, not from whatever the working directory is.
 */
import { Worker } from 'node:worker_threads';

const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.tsxApi).then(({ register }) => { register(); return import(workerData.entry); });
`;

export function startTsWorker(entry: URL, data: object): Worker {
  return new Worker(BOOTSTRAP, {
    eval: true,
    // WORKER_CPU_PROF=<dir>: write a CPU profile of each thread there (see bench/intake.ts).
    execArgv: process.env.WORKER_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.WORKER_CPU_PROF}`] : [],
    workerData: { ...data, entry: entry.href, tsxApi: import.meta.resolve('tsx/esm/api') },
  });
}

/** Resolves when the thread says it is ready; rejects if it fails or exits first. */
export function workerReady(worker: Worker, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (err) reject(new Error(`${what} did not start: ${err.message}`));
      else resolve();
    };
    const onMessage = (m: unknown) => {
      if ((m as { ready?: boolean } | null)?.ready) done();
    };
    const onError = (err: Error) => done(err);
    const onExit = (code: number) => done(new Error(`exit code ${code}`));
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/** Ask the thread to finish and close, wait for it (at most `timeoutMs`), then end it. */
export async function stopWorker(worker: Worker, timeoutMs = 10_000): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', done);
      resolve();
    };
    const onMessage = (m: unknown) => {
      if ((m as { stopped?: boolean } | null)?.stopped) done();
    };
    const timer = setTimeout(done, timeoutMs);
    worker.on('message', onMessage);
    worker.on('exit', done);
    worker.postMessage({ stop: true });
  });
  await worker.terminate();
}
