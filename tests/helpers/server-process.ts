/**
 * Starts the real product (`api/start.ts`: migrate, seed, build, serve) as a child process on a
 * free loopback port with its own database and site folder, for end-to-end tests.
 * The site folder defaults to one inside the project (dist/e2e-*); tests/ops/site-dir-outside.test.ts
 * passes one outside it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

export interface RunningProduct {
  baseUrl: string;
  child: ChildProcess;
  dataDir: string;
  siteDir: string;
  logs: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /**
   * SIGKILL the server itself, as a power cut would: no shutdown handler runs. (The child is the
   * tsx wrapper; the server is its child, which a SIGKILL to the wrapper alone would orphan.)
   */
  crash(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Every process below `pid` (Linux /proc), deepest first. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(...descendants(Number(entry)), Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/**
 * The site build's processes below `pid` (the publish child `… astro build --outDir <dir>`, see
 * api/ops/build.ts, and whatever it started); not the server itself. Linux /proc.
 */
export function siteBuildProcesses(pid: number): number[] {
  const out = new Set<number>();
  for (const p of descendants(pid)) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // ended while we looked
    }
    if (argv.includes('build') && argv.includes('--outDir')) for (const q of [p, ...descendants(p)]) out.add(q);
  }
  return [...out];
}

/** Sends a signal to each process, ignoring those that have ended. */
export function signalAll(pids: number[], signal: NodeJS.Signals) {
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
}

/** SIGKILL a process and everything it started (servers first, so none is left running). */
export function killTree(pid: number) {
  for (const p of [...descendants(pid), pid]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export async function startProduct(opts: { env?: Record<string, string>; dataDir?: string; siteDir?: string; timeoutMs?: number } = {}): Promise<RunningProduct> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'peixun-e2e-'));
  const siteDir = opts.siteDir ?? join(ROOT, 'dist', `e2e-${process.pid}-${Date.now()}`);
  const child = spawn(process.execPath, [TSX, join(ROOT, 'api', 'start.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `file:${join(dataDir, 'app.db')}`,
      DATA_DIR: dataDir,
      SITE_DIR: siteDir,
      DEMO_INSTITUTIONS: '120',
      INTAKE_POW: 'off',
      LOG_LEVEL: 'info',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Do not leave a half-started server behind (it would outlive the test run).
      if (child.pid) killTree(child.pid);
      reject(new Error(`server did not start in time:\n${logs.join('').slice(-3000)}`));
    }, opts.timeoutMs ?? 180_000);
    const onData = (b: Buffer) => {
      const s = b.toString();
      logs.push(s);
      const m = /"url":"(http:\/\/[^"]+)"/.exec(s);
      if (m && s.includes('"listening"')) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => logs.push(b.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${logs.join('').slice(-3000)}`));
    });
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const stop = (signal: NodeJS.Signals = 'SIGTERM') =>
    new Promise<number | null>((resolve) => {
      if (exited()) return resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
      child.kill(signal);
    });
  const crash = () =>
    new Promise<void>((resolve) => {
      if (exited()) return resolve();
      child.once('exit', () => resolve());
      killTree(child.pid!);
    });
  return {
    baseUrl,
    child,
    dataDir,
    siteDir,
    logs,
    stop,
    crash,
    async cleanup() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(siteDir, { recursive: true, force: true });
    },
  };
}
