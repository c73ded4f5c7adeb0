/**
 * `npm run bench:evidence` — does an evidence flood slow down everyone else? (issue 10, point 3)
 *
 * Against bench/evidence-server.ts (the product's HTTP stack and intake thread, no gates), two
 * phases of the same measurement: one normal complaint at a time (JSON, no files), SAMPLES of them,
 * each timed from request to answer —
 *   (a) quiet: nothing else running;
 *   (b) flood: POSTS heavy complaints kept in flight in parallel the whole time, each with FILES
 *       JPEGs of MP megapixels (5 × 20 MP = the per-request pixel budget), re-sent as each answers.
 * Printed: p50/p99/max of both phases, the ratio flood/quiet, and how the heavy posts were answered
 * (201 decoded and filed, 503 queue full with Retry-After, …). Target: flood p99 ≤ 200 ms.
 *
 * Options: --posts=12 --files=5 --mp=20 --samples=200
 *          --tiny   (a seconds-long smoke run: 0.05 MP images, 5 samples; checks the script works)
 * Loopback only; the server is stopped at the end whatever happens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { ROOT } from '../tests/helpers/server-process.ts';
import { benchComplaint } from './complaint-body.ts';
import { stopChild } from './stop-child.ts';

const TINY = process.argv.includes('--tiny');
const arg = (name: string, dflt: number) => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? Number(hit.split('=')[1]) : dflt;
};
const POSTS = arg('posts', 12);
const FILES = arg('files', 5);
const MP = arg('mp', TINY ? 0.05 : 20);
const SAMPLES = arg('samples', TINY ? 5 : 200); // p99 of 60 samples would be just the worst one

let n = 0;
const complaint = () => benchComplaint(++n, 50);

/** A photo-sized JPEG: a smooth gradient (small file, full decode cost), MP megapixels, 4:3. */
async function heavyImage(mp: number): Promise<Buffer> {
  // Rounded down, so FILES × MP stays within the per-request pixel budget and every heavy post is
  // really decoded (rounded up, 5 × 20 MP came out a few pixels over 100 MP and was refused unread).
  const width = Math.max(8, Math.floor(Math.sqrt((mp * 1e6 * 4) / 3)));
  const height = Math.max(6, Math.floor((width * 3) / 4));
  const small = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png().toBuffer();
  return sharp(small).resize(width, height, { kernel: 'cubic' }).jpeg({ quality: 80 }).toBuffer();
}

function startServer(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'bench', 'evidence-server.ts'), dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`evidence server did not start:\n${log.join('')}`)), 60_000);
    child.stdout!.on('data', (b: Buffer) => {
      log.push(b.toString());
      const m = /"listening":"([^"]+)"/.exec(b.toString());
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.stderr!.on('data', (b: Buffer) => log.push(b.toString()));
    child.on('exit', (code) => reject(new Error(`evidence server exited with ${code}:\n${log.join('')}`)));
  });
}


const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);
const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '—');

/** SAMPLES normal complaints, one after the other; latencies in ms (non-201 answers are errors). */
async function normalLatencies(base: string): Promise<{ sorted: number[]; errors: string[] }> {
  const out: number[] = [];
  const errors: string[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    const res = await fetch(`${base}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(complaint()) });
    const text = await res.text();
    if (res.status === 201) out.push(performance.now() - t0);
    else errors.push(`${res.status} ${text.slice(0, 120)}`);
  }
  return { sorted: out.sort((a, b) => a - b), errors };
}

async function main() {
  console.log(`evidence flood bench: ${POSTS} heavy posts in parallel, each ${FILES} × ${MP} MP JPEG; ${SAMPLES} normal complaints per phase`);
  const dir = mkdtempSync(join(tmpdir(), 'peixun-bench-evidence-'));
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  const guard = setTimeout(() => {
    console.error('bench took too long; stopping');
    server?.child.kill('SIGKILL');
    process.exit(2);
  }, 10 * 60_000);
  guard.unref();
  try {
    const image = await heavyImage(MP);
    console.log(`heavy image: ${(image.length / 1024).toFixed(0)} KB`);
    server = await startServer(dir);
    const base = server.url;
    await normalLatencies(base); // warm-up: JIT, caches, the intake thread
    const quiet = await normalLatencies(base);

    let flooding = true;
    const heavyAnswers = new Map<string, number>();
    const heavy = Array.from({ length: POSTS }, async () => {
      while (flooding) {
        const form = new FormData();
        for (const [k, v] of Object.entries(complaint())) form.append(k, String(v));
        for (let f = 0; f < FILES; f++) form.append('evidence', new Blob([new Uint8Array(image)], { type: 'image/jpeg' }), `photo-${f}.jpg`);
        const res = await fetch(`${base}/api/complaints`, { method: 'POST', body: form }).catch(() => null);
        const key = res ? String(res.status) : 'network error';
        await res?.arrayBuffer();
        heavyAnswers.set(key, (heavyAnswers.get(key) ?? 0) + 1);
        // A refused post waits as it was told to, within the phase (what a well-behaved client does).
        if (res?.status === 503) await new Promise((r) => setTimeout(r, TINY ? 10 : 250));
      }
    });
    await new Promise((r) => setTimeout(r, TINY ? 50 : 500)); // let the flood build up
    const flood = await normalLatencies(base);
    flooding = false;
    await Promise.all(heavy);

    const row = (name: string, r: { sorted: number[]; errors: string[] }) =>
      `${name.padEnd(6)} p50 ${fmt(percentile(r.sorted, 50))} ms, p99 ${fmt(percentile(r.sorted, 99))} ms, max ${fmt(r.sorted.at(-1) ?? NaN)} ms, errors ${r.errors.length}`;
    console.log(row('quiet', quiet));
    console.log(row('flood', flood));
    const ratio = percentile(flood.sorted, 99) / percentile(quiet.sorted, 99);
    console.log(`ratio flood/quiet (p99): ${fmt(ratio)}×; target: flood p99 ≤ 200 ms → ${percentile(flood.sorted, 99) <= 200 ? 'met' : 'NOT met'}`);
    console.log(`heavy posts answered: ${[...heavyAnswers].map(([k, v]) => `${k}: ${v}`).join(', ')}`);
    for (const e of [...new Set([...quiet.errors, ...flood.errors])].slice(0, 5)) console.log(`  error sample: ${e}`);
  } finally {
    clearTimeout(guard);
    if (server) await stopChild(server.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
