/**
 * `npm run bench:build -- --institutions 10000`
 *
 * Full site build (every page + the search index) for a generated district of N institutions,
 * against a plain Astro build of the same number of trivial pages, in the same run on the same
 * machine. Prints both times, peak RSS of each build process, and the ratio.
 * Targets (issue 3): ratio ≤ 2.0 and ≤ 2 GiB RSS at 100,000 institutions.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { createDb } from '../db/client.ts';
import { migrateDb } from '../db/migrate.ts';
import { seedRegistry } from '../api/demo/registry.ts';
import { BUILD_NODE_ARGS, PROJECT_ROOT } from '../api/ops/build.ts';

const { values } = parseArgs({ options: { institutions: { type: 'string', default: '10000' }, keep: { type: 'boolean', default: false } } });
const N = Number(values.institutions);
const ASTRO = join(PROJECT_ROOT, 'node_modules', 'astro', 'bin', 'astro.mjs');

/** Runs a command, sampling its resident memory from /proc every 100 ms; returns time and peak RSS. */
function measure(args: string[], cwd: string, env: Record<string, string>): Promise<{ ms: number; peakRssMiB: number; code: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env, ASTRO_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let peak = 0;
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
    const timer = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      } catch {
        /* process gone */
      }
    }, 100);
    child.on('close', (code) => {
      clearInterval(timer);
      if (code !== 0) console.error(err);
      resolve({ ms: performance.now() - started, peakRssMiB: Math.round(peak), code: code ?? 1 });
    });
  });
}

function countHtml(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += countHtml(join(dir, e.name));
    else if (e.name.endsWith('.html')) n++;
  }
  return n;
}

function dirSizeMiB(dir: string): number {
  let b = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    b += e.isDirectory() ? dirSizeMiB(p) * 1024 * 1024 : statSync(p).size;
  }
  return b / 1024 / 1024;
}

const work = mkdtempSync(join(tmpdir(), 'peixun-bench-build-'));
const dbFile = join(work, 'app.db');
console.log(`generating ${N} institutions…`);
const db = await createDb(`file:${dbFile}`);
await migrateDb(db);
const t0 = performance.now();
await seedRegistry(db, { institutions: N, seed: 2024, today: '2026-11-27' });
await db.write((tx) => tx.run(sql`INSERT INTO meta(key, value) VALUES ('data_version', '1')`));
await db.close();
console.log(`  seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// 1. The project: the real build (same command and Node flags `npm start` / publish runs), into a
//    temp folder inside the project (the server bundle resolves packages from the project's
//    node_modules).
const outDir = join(PROJECT_ROOT, 'dist', `bench-${process.pid}`);
const project = await measure([...BUILD_NODE_ARGS, ASTRO, 'build', '--outDir', outDir, '--silent'], PROJECT_ROOT, { DATABASE_URL: `file:${dbFile}`, LOG_LEVEL: 'silent' });
if (project.code !== 0) process.exit(1);
const pages = countHtml(join(outDir, 'client'));
const projectSize = dirSizeMiB(join(outDir, 'client'));

// 2. The baseline: a plain Astro project with the same number of trivial pages.
const plain = join(work, 'plain');
mkdirSync(join(plain, 'src', 'pages', 'p'), { recursive: true });
symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(plain, 'node_modules'));
writeFileSync(join(plain, 'package.json'), JSON.stringify({ name: 'plain', type: 'module', private: true, dependencies: { astro: '*' } }));
writeFileSync(join(plain, 'astro.config.mjs'), "import { defineConfig } from 'astro/config';\nexport default defineConfig({ output: 'static', devToolbar: { enabled: false } });\n");
writeFileSync(
  join(plain, 'src', 'pages', 'p', '[id].astro'),
  `---\nexport function getStaticPaths() { return Array.from({ length: ${pages} }, (_, i) => ({ params: { id: String(i) } })); }\nconst { id } = Astro.params;\n---\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{id}</title></head><body><h1>页面 {id}</h1></body></html>\n`,
);
const baseline = await measure([ASTRO, 'build', '--silent'], plain, {});

const ratio = project.ms / baseline.ms;
console.log('');
console.log(`institutions        ${N}`);
console.log(`pages (HTML)        ${pages}   (site ${projectSize.toFixed(0)} MiB incl. search index and open data)`);
console.log(`project build       ${(project.ms / 1000).toFixed(1)} s   peak RSS ${project.peakRssMiB} MiB`);
console.log(`plain Astro build   ${(baseline.ms / 1000).toFixed(1)} s   peak RSS ${baseline.peakRssMiB} MiB   (${pages} trivial pages)`);
console.log(`ratio               ${ratio.toFixed(2)}×   (target ≤ 2.0×, RSS ≤ 2048 MiB)`);

if (!values.keep) {
  rmSync(outDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}
