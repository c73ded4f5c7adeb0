/**
 * `npm run bench:intake` — complaint intake under load, against a baseline, in one run:
 *
 *   (a) the real product (api/start.ts: migrate, demo seed, site build, serve) on a fresh data
 *       folder with INTAKE_POW=off and INTAKE_RATE_LIMIT=off, POST /api/complaints with durable
 *       commits (WAL; each answer only after the flush that covers its COMMIT, db/wal-sync.ts);
 *   (b) bench/plain-endpoint.ts: plain Hono + @libsql/client, one INSERT per request, the same
 *       durability settings, same machine.
 *
 * Each gets the same closed-loop load: C keep-alive connections (default 32), each sending its
 * next request when the previous answer arrives, for a fixed duration after a short warm-up.
 * Printed: throughput, p50/p99 latency, errors, SQLITE_BUSY seen (in answers or server logs),
 * and the ratio real/plain. The target in issue 4: ≥ 0.5× the plain endpoint's throughput,
 * p99 ≤ 50 ms at 32 connections, zero errors, zero SQLITE_BUSY.
 *
 * The load generator is plain node:http with a fixed-size keep-alive agent (no dependency): it
 * is all that is needed for a closed loop, and it keeps the generator's own overhead small on a
 * 2-core machine where it shares the CPU with the server. Loopback only; every loop stops at its
 * deadline and the servers are stopped at the end, whatever happens.
 *
 * Then each gets an open-loop run (issue 10): requests at a fixed arrival rate (default 300/s for
 * 30 s) sent on schedule whatever the answers, each on its own connection when none is free, and
 * latency measured from the request's scheduled send time, not from when it actually left — so a
 * server that stalls is charged for every request that should have gone out meanwhile (no
 * coordinated omission). Printed: p50/p99 of both at the same rate; the target is the real
 * product's p99 ≤ 50 ms. (The closed loop at 32 connections is bounded by the 2-core machine;
 * the open loop asks the question a district actually has: does a given load get fast answers.)
 *
 * Options: --duration=15 --warmup=3 --connections=32 --institutions=200
 *          --rate=300 --open-duration=30 (open loop; --rate=0 skips it)
 *          --url=http://127.0.0.1:PORT (load a server you started yourself, e.g. under --cpu-prof;
 *          WORKER_CPU_PROF=<dir> in that server's environment profiles its intake and checkpoint
 *          threads too)
 * On the shared development machine, run it under the build lock (it builds the site):
 *   flock /tmp/peixun-build.lock npm run bench:intake
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, startProduct, type RunningProduct } from '../tests/helpers/server-process.ts';
import { benchComplaint } from './complaint-body.ts';
import { stopChild } from './stop-child.ts';

const arg = (name: string, dflt: number) => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? Number(hit.split('=')[1]) : dflt;
};
const DURATION_S = arg('duration', 15);
const WARMUP_S = arg('warmup', 3);
const CONNECTIONS = arg('connections', 32);
const INSTITUTIONS = arg('institutions', 200);
const BUSY = /SQLITE_BUSY|database is locked/g;
const RATE = arg('rate', 300);
const OPEN_DURATION_S = arg('open-duration', 30);
/** --url=http://host:port: load an already running server only (for profiling it); no baseline, no ratio. */
const TARGET_URL = process.argv.find((a) => a.startsWith('--url='))?.slice('--url='.length) ?? null;

interface Result {
  target: string;
  requests: number;
  seconds: number;
  throughput: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  errorSamples: string[];
  sqliteBusy: number;
}

/** The same realistic complaint body for both targets; institution and mobile vary per request. */
const complaint = (n: number): string => JSON.stringify(benchComplaint(n, INSTITUTIONS));

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** One request over the agent; resolves with status and body (never rejects). */
function send(agent: Agent, url: URL, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', (e) => resolve({ status: 0, text: e.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, text: e.message }));
    req.end(body);
  });
}

/** Closed loop: CONNECTIONS loops, each sending the next request when the previous one answered. */
async function load(target: string, endpoint: string, serverLog: () => string): Promise<Result> {
  const url = new URL(endpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  let n = 0;
  const run = async (untilMs: number, record: boolean, latencies: number[], errors: string[]) => {
    const loops = Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < untilMs) {
        const body = complaint(n++);
        const t0 = performance.now();
        const r = await send(agent, url, body);
        if (!record) continue;
        if (r.status === 201) latencies.push(performance.now() - t0);
        else errors.push(`${r.status} ${r.text.slice(0, 200)}`);
      }
    });
    await Promise.all(loops);
  };
  const logBefore = serverLog().length;
  await run(performance.now() + WARMUP_S * 1000, false, [], []);
  const latencies: number[] = [];
  const errors: string[] = [];
  const started = performance.now();
  await run(started + DURATION_S * 1000, true, latencies, errors);
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const busyInAnswers = errors.join('\n').match(BUSY)?.length ?? 0;
  const busyInLogs = serverLog().slice(logBefore).match(BUSY)?.length ?? 0;
  return {
    target,
    requests: latencies.length,
    seconds,
    throughput: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    errors: errors.length,
    errorSamples: [...new Set(errors)].slice(0, 5),
    sqliteBusy: busyInAnswers + busyInLogs,
  };
}

interface OpenResult {
  target: string;
  rate: number;
  seconds: number;
  sent: number;
  ok: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  errorSamples: string[];
  /** How late the generator itself sent, at worst (ms): a large value means the client machine, not the server, was behind. */
  maxSendLag: number;
}

/**
 * Open loop: request i is due at start + i / RATE seconds and is sent then (or as soon as the
 * generator gets the CPU), whether or not earlier ones have been answered; its latency runs from
 * the due time to the answer. Keep-alive sockets are reused when free; otherwise a new one is
 * opened, so the server, not a client-side pool, decides how requests queue.
 */
async function openLoad(target: string, endpoint: string, first: number): Promise<OpenResult> {
  const url = new URL(endpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const total = Math.round(RATE * OPEN_DURATION_S);
  const latencies: number[] = [];
  const errors: string[] = [];
  const inFlight: Promise<void>[] = [];
  let maxSendLag = 0;
  const started = performance.now();
  for (let i = 0; i < total; ) {
    const now = performance.now();
    // Everything due by now goes out at once (a late timer must not thin the arrivals).
    for (; i < total && started + (i * 1000) / RATE <= now; i++) {
      const due = started + (i * 1000) / RATE;
      maxSendLag = Math.max(maxSendLag, now - due);
      inFlight.push(
        send(agent, url, complaint(first + i)).then((r) => {
          if (r.status === 201) latencies.push(performance.now() - due);
          else errors.push(`${r.status} ${r.text.slice(0, 200)}`);
        }),
      );
    }
    if (i < total) await new Promise((r) => setTimeout(r, Math.max(0, started + (i * 1000) / RATE - performance.now())));
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    target,
    rate: RATE,
    seconds,
    sent: total,
    ok: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    errors: errors.length,
    errorSamples: [...new Set(errors)].slice(0, 5),
    maxSendLag,
  };
}

/** Mobile numbers of the open loop start after the closed loop's (both share the per-mobile data). */
const OPEN_FIRST = 50_000_000;

function printOpen(rows: OpenResult[]) {
  console.log('');
  console.log(`open loop: ${RATE} requests/s for ${OPEN_DURATION_S} s, latency from each request's scheduled send time`);
  console.log('| target | sent | 201 | p50 (ms) | p99 (ms) | max (ms) | errors | generator max lag (ms) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.target} | ${r.sent} | ${r.ok} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.errors} | ${fmt(r.maxSendLag)} |`);
  for (const r of rows) if (r.errorSamples.length) console.log(`error samples (open loop, ${r.target}):\n  ${r.errorSamples.join('\n  ')}`);
}

function startPlain(dbFile: string): Promise<{ child: ChildProcess; url: string; log: string[] }> {
  const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'bench', 'plain-endpoint.ts'), dbFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`plain endpoint did not start:\n${log.join('')}`)), 30_000);
    child.stdout!.on('data', (b: Buffer) => {
      log.push(b.toString());
      const m = /"listening":"([^"]+)"/.exec(b.toString());
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: `${m[1]}/insert`, log });
      }
    });
    child.stderr!.on('data', (b: Buffer) => log.push(b.toString()));
    child.on('exit', (code) => reject(new Error(`plain endpoint exited with ${code}:\n${log.join('')}`)));
  });
}


const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '—');

async function main() {
  console.log(`intake bench: ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s per target${RATE > 0 ? `, then open loop at ${RATE}/s for ${OPEN_DURATION_S} s` : ''}, loopback only`);
  let product: RunningProduct | null = null;
  let plain: Awaited<ReturnType<typeof startPlain>> | null = null;
  const plainDir = mkdtempSync(join(tmpdir(), 'peixun-bench-plain-'));
  // A hard stop whatever happens: the bench is bounded in time.
  const guard = setTimeout(() => {
    console.error('bench took too long; stopping');
    product?.child.kill('SIGKILL');
    plain?.child.kill('SIGKILL');
    process.exit(2);
  }, 15 * 60_000);
  guard.unref();
  if (TARGET_URL) {
    const endpoint = new URL('/api/complaints', TARGET_URL).href;
    const r = await load(`running server ${TARGET_URL}`, endpoint, () => '');
    const open = RATE > 0 ? await openLoad(`running server ${TARGET_URL}`, endpoint, OPEN_FIRST) : null;
    clearTimeout(guard);
    console.log(`${r.requests} requests in ${fmt(r.seconds)} s: ${fmt(r.throughput)} req/s, p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, max ${fmt(r.max)} ms, errors ${r.errors}`);
    if (r.errorSamples.length) console.log(`error samples:\n  ${r.errorSamples.join('\n  ')}`);
    if (open) printOpen([open]);
    return;
  }
  try {
    console.log('(a) starting the real product (migrate, seed, build the site; this takes a minute)…');
    product = await startProduct({ env: { INTAKE_RATE_LIMIT: 'off', INTAKE_POW: 'off', DEMO_INSTITUTIONS: String(INSTITUTIONS), LOG_LEVEL: 'info' }, timeoutMs: 600_000 });
    const p = product;
    const real = await load('real product: POST /api/complaints', `${p.baseUrl}/api/complaints`, () => p.logs.join(''));
    const realOpen = RATE > 0 ? await openLoad('real product: POST /api/complaints', `${p.baseUrl}/api/complaints`, OPEN_FIRST) : null;
    await p.cleanup();
    product = null;

    console.log('(b) starting the plain Hono + libSQL single-INSERT endpoint…');
    plain = await startPlain(join(plainDir, 'plain.db'));
    const pl = plain;
    const base = await load('plain Hono + libSQL INSERT', pl.url, () => pl.log.join(''));
    const baseOpen = RATE > 0 ? await openLoad('plain Hono + libSQL INSERT', pl.url, OPEN_FIRST) : null;

    const rows = [real, base];
    console.log('');
    console.log('| target | requests | throughput (req/s) | p50 (ms) | p99 (ms) | max (ms) | errors | SQLITE_BUSY |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) console.log(`| ${r.target} | ${r.requests} | ${fmt(r.throughput)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.errors} | ${r.sqliteBusy} |`);
    const ratio = real.throughput / base.throughput;
    console.log('');
    console.log(`ratio real/plain throughput: ${fmt(ratio, 2)}× (target ≥ 0.5×); real p99 ${fmt(real.p99)} ms (target ≤ 50 ms)`);
    for (const r of rows) if (r.errorSamples.length) console.log(`error samples (${r.target}):\n  ${r.errorSamples.join('\n  ')}`);
    const openRows = realOpen && baseOpen ? [realOpen, baseOpen] : [];
    if (realOpen && baseOpen) {
      printOpen(openRows);
      console.log('');
      console.log(`open loop at ${RATE}/s: real p50 ${fmt(realOpen.p50)} ms / p99 ${fmt(realOpen.p99)} ms vs plain p50 ${fmt(baseOpen.p50)} ms / p99 ${fmt(baseOpen.p99)} ms (target: real p99 ≤ 50 ms)`);
    }

    const outDir = join(ROOT, 'bench', 'results');
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `intake-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), connections: CONNECTIONS, durationS: DURATION_S, warmupS: WARMUP_S, results: rows, ratio, openLoop: { rate: RATE, durationS: OPEN_DURATION_S, results: openRows } }, null, 2));
    console.log(`results: ${file}`);
  } finally {
    clearTimeout(guard);
    if (product) await product.cleanup();
    if (plain) await stopChild(plain.child);
    rmSync(plainDir, { recursive: true, force: true });
  }
}

await main();
