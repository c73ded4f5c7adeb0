/**
 * Starts the real product (`api/start.ts`: migrate, seed, build, serve) as a child process on a
 * free loopback port with its own database and site folder, for end-to-end tests.
 * The site folder sits inside the project (dist/e2e-*) because the built server bundle resolves
 * packages from the project's node_modules.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
  cleanup(): Promise<void>;
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
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${logs.join('').slice(-3000)}`)), opts.timeoutMs ?? 180_000);
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
  const stop = (signal: NodeJS.Signals = 'SIGTERM') =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
      child.kill(signal);
    });
  return {
    baseUrl,
    child,
    dataDir,
    siteDir,
    logs,
    stop,
    async cleanup() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(siteDir, { recursive: true, force: true });
    },
  };
}
