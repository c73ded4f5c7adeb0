/**
 * Starts a worker thread on one of the project's TypeScript modules.
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
    execArgv: [],
    workerData: { ...data, entry: entry.href, tsxApi: import.meta.resolve('tsx/esm/api') },
  });
}
