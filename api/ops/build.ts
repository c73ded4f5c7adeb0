/**
 * Builds the static site from the current data into a new folder and swaps it in atomically.
 * Astro runs in a child process: its memory and global state end with the build, and a crash
 * leaves the live site untouched (the symlink only moves after a successful build).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Logger } from 'pino';
import type { Db } from '../../db/client.ts';
import type { Env } from '../env.ts';
import { projectRoot } from '../lib/project-root.ts';
import { buildsDir, currentBuildDir, currentLink, linkProjectModules, readBuildInfo, type BuildInfo } from './site-dirs.ts';

/** Kept for bench/build.ts. */
export const PROJECT_ROOT = projectRoot();
const astroBin = () => join(PROJECT_ROOT, 'node_modules', 'astro', 'bin', 'astro.mjs');
/** Built folders kept on disk (the live one always stays): enough to look back, not to fill the disk. */
export const KEEP_BUILDS = 3;

export interface BuildOptions {
  /** Folder name under SITE_DIR/builds; default: the start time in ms. */
  id?: string;
  /**
   * The build command for an output folder; default: `astro build --outDir <dir>`. Tests swap in
   * a small script to make a build fail or succeed without a full Astro run.
   */
  argv?: (outDir: string) => string[];
}

/**
 * Node flags for the build child. A cap on V8's old generation: the build's live data stays in
 * the hundreds of MB even at 100,000 institutions (~300,000 pages), but left to itself V8 lets the
 * heap grow with the page-rendering garbage (to ~1.9 GB at 30,000 institutions with 4 pages in
 * flight), and issue 3 allows 2 GiB for the whole build. bench/build.ts runs the build with these.
 */
export const BUILD_NODE_ARGS = ['--max-old-space-size=1536'];

export async function dataVersion(db: Db): Promise<string> {
  const r = await db.readClient.execute("SELECT value FROM meta WHERE key = 'data_version'");
  return String(r.rows[0]?.value ?? '0');
}

/** The live site is missing, or was built from older data than the database now holds. */
export async function siteIsStale(db: Db, env: Env): Promise<boolean> {
  const dir = currentBuildDir(env.SITE_DIR);
  if (!dir) return true;
  const info = readBuildInfo(dir);
  return !info || info.dataVersion !== (await dataVersion(db));
}

/** How much of a failed build's error output goes into the log line and the build record. */
export const ERROR_TAIL_CHARS = 4_000;

export interface BuildResult {
  ok: boolean;
  dir: string;
  log: string;
  ms: number;
  /** The child's exit code (1 when it could not be started). */
  code: number;
  /**
   * A failed build's own error output: the last ERROR_TAIL_CHARS of its stderr (of all its output
   * when it wrote nothing to stderr), so the operator sees why without digging; '' on success.
   */
  error: string;
}

const tail = (s: string, n: number) => (s.length > n ? `…${s.slice(s.length - n)}` : s);

export async function buildSite(db: Db, env: Env, log: Logger, onOutput?: (chunk: string) => void, options: BuildOptions = {}): Promise<BuildResult> {
  const started = Date.now();
  const id = options.id ?? `${started}`;
  const dir = join(buildsDir(env.SITE_DIR), id);
  mkdirSync(dir, { recursive: true });
  linkProjectModules(env.SITE_DIR, projectRoot());
  const version = await dataVersion(db);
  let output = '';
  let stderr = '';
  const code = await new Promise<number>((resolveExit) => {
    const argv = options.argv?.(dir) ?? [...BUILD_NODE_ARGS, astroBin(), 'build', '--outDir', dir, '--silent'];
    // The child reads the same database this process uses (env may differ from process.env in tests).
    const dbEnv = { DATABASE_URL: env.DATABASE_URL, ...(env.DATABASE_AUTH_TOKEN ? { DATABASE_AUTH_TOKEN: env.DATABASE_AUTH_TOKEN } : {}) };
    const child = spawn(process.execPath, argv, {
      cwd: projectRoot(),
      env: { ...process.env, ...dbEnv, ASTRO_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (b: Buffer) => {
      const s = b.toString();
      output += s;
      onOutput?.(s);
      return s;
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', (b: Buffer) => (stderr = tail(stderr + collect(b), ERROR_TAIL_CHARS)));
    child.on('close', (c) => resolveExit(c ?? 1));
    child.on('error', (err) => {
      stderr += `could not start the build: ${err.message}\n`;
      resolveExit(1);
    });
  });
  const ms = Date.now() - started;
  if (code !== 0) {
    const error = tail((stderr.trim() ? stderr : output).trim(), ERROR_TAIL_CHARS);
    log.error({ dir, ms, code, stderr: error }, 'site build failed; live site unchanged');
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, dir, log: output, ms, code, error };
  }
  const info: BuildInfo = { id, dataVersion: version, builtAt: new Date().toISOString() };
  writeFileSync(join(dir, 'build-info.json'), JSON.stringify(info));
  swapCurrent(env.SITE_DIR, dir);
  pruneBuilds(env.SITE_DIR);
  log.info({ dir, ms }, 'site built and swapped in');
  return { ok: true, dir, log: output, ms, code, error: '' };
}

function swapCurrent(siteDir: string, dir: string): void {
  const link = currentLink(siteDir);
  const tmp = `${link}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  symlinkSync(relative(siteDir, dir), tmp);
  renameSync(tmp, link);
}

function pruneBuilds(siteDir: string): void {
  const live = currentBuildDir(siteDir);
  const all = readdirSync(buildsDir(siteDir)).sort();
  for (const name of all.slice(0, Math.max(0, all.length - KEEP_BUILDS))) {
    const p = join(buildsDir(siteDir), name);
    if (p !== live) rmSync(p, { recursive: true, force: true });
  }
}
