/**
 * Search benchmark (issue 3): bytes fetched for a first query and query-to-results latency at
 * 100,000 institutions, measured in Chromium, against a plain baseline in the same run.
 *
 *   npm run bench:search -- [--institutions 100000] [--queries 200] [--limit 10] [--db seeded.db] [--keep]
 *
 * 1. seeds a temp database with the demo registry (or opens --db, already seeded);
 * 2. builds only the search index files (site/lib/search-index.ts) into a temp folder;
 * 3. serves them from a tiny static server on 127.0.0.1 (no compression, like api/http/static-files.ts);
 * 4. opens Chromium (playwright-core, Debian's /usr/bin/chromium) on a page running the real client
 *    (site/scripts/search-client.ts bundled by esbuild);
 * 5. first queries (text, filters alone, text with filters): each on a fresh page, bytes from
 *    Resource Timing (transferSize);
 *    then ~200 queries after load: p50/p95 with one client (shards cached as someone types) and with
 *    a fresh client per query (every shard over the network);
 * 6. baseline: fetching one static JSON file as large as the largest first query's fetches.
 */
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { createDb } from '../db/client.ts';
import { migrateDb } from '../db/migrate.ts';
import { seedRegistry } from '../api/demo/registry.ts';
import { createRng } from '../api/demo/rng.ts';
import { loadSearchRecords } from '../site/lib/search-records.ts';
import { buildSearchIndex } from '../site/lib/search-index.ts';
import { licenseDigits } from '../site/lib/search-core.ts';
import type { SearchFilter } from '../site/scripts/search-client.ts';

const { values: args } = parseArgs({
  options: {
    institutions: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '200' },
    // results per query: the island shows 10 at a time (site/islands/InstitutionSearch.tsx PAGE)
    limit: { type: 'string', default: '10' },
    db: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(args.institutions);
const QUERIES = Number(args.queries);
const LIMIT = Number(args.limit);
const BUDGET_BYTES = 300 * 1024;
const BUDGET_P95_MS = 100;

const work = mkdtempSync(join(tmpdir(), 'peixun-bench-search-'));
const t0 = performance.now();
const dbFile = args.db ?? join(work, 'bench.db');
const db = await createDb(`file:${dbFile}`);
if (!args.db) {
  await migrateDb(db);
  await seedRegistry(db, { institutions: N, seed: 2024, today: '2026-11-27' });
  console.log(`seeded ${N} institutions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

let t = performance.now();
const records = await loadSearchRecords(db);
await db.close();
const loadMs = performance.now() - t;
t = performance.now();
const files = buildSearchIndex(records);
const buildMs = performance.now() - t;
const root = join(work, 'site');
let total = 0;
for (const f of files) {
  const p = join(root, f.path);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, f.body);
  total += Buffer.byteLength(f.body);
}
console.log(`index: ${records.length} records loaded in ${loadMs.toFixed(0)} ms, built in ${buildMs.toFixed(0)} ms: ${files.length} files, ${(total / 1e6).toFixed(1)} MB`);

const bundle = await build({ entryPoints: [new URL('./search-page.ts', import.meta.url).pathname], bundle: true, format: 'esm', write: false, minify: true, target: 'es2022' });
writeFileSync(join(root, 'bench.js'), bundle.outputFiles[0]!.contents);
writeFileSync(join(root, 'index.html'), '<!doctype html><meta charset="utf-8"><title>search bench</title><script type="module" src="/bench.js"></script>');
console.log(`client bundle: ${(statSync(join(root, 'bench.js')).size / 1024).toFixed(1)} KB (minified, with the bench helpers)`);

// Queries drawn from the data, deterministic: what parents type.
const rng = createRng(7);
const pickRec = () => records[rng.int(0, records.length - 1)]!;
const frag = (s: string, len: number) => {
  const cps = [...s];
  const start = rng.int(0, Math.max(0, cps.length - len));
  return cps.slice(start, start + len).join('');
};
const makers: (() => string)[] = [
  () => frag(pickRec().name, 2),
  () => frag(pickRec().name, rng.int(3, 6)),
  () => pickRec().namePinyin.slice(0, rng.int(4, 12)),
  () => frag(pickRec().namePinyin, rng.int(5, 10)),
  () => pickRec().nameInitials.slice(0, rng.int(2, 5)),
  () => pickRec().licenseNo,
  () => licenseDigits(pickRec().licenseNo).slice(-rng.int(6, 9)),
  () => pickRec().creditCode,
];
const queries = Array.from({ length: QUERIES }, (_, i) => makers[i % makers.length]!());
const firstQueries: { q: string; filter?: SearchFilter }[] = [
  ...['华鼎', '艺术', '鼎艺', '培训学校', 'huading', 'jinsetongnian', 'hdys', pickRec().namePinyin, pickRec().licenseNo, licenseDigits(pickRec().licenseNo).slice(-6), pickRec().creditCode, '不存在的机构'].map((q) => ({ q })),
  // The island's filters: alone (an empty query lists what they admit) and with a query.
  { q: '', filter: { town: records[0]!.town.code } },
  { q: '', filter: { category: 'culture_arts', town: records[0]!.town.code, status: 'valid', result: 'pass' } },
  { q: '', filter: { status: 'revoked' } },
  { q: '培训学校', filter: { status: 'valid', result: 'fail' } },
  { q: 'hdys', filter: { category: 'culture_arts', town: records[1]!.town.code, status: 'valid', result: 'pass' } },
];
// The same kind of queries with one or two of the island's filters, every fourth with no text.
const filterValues = {
  category: ['subject', 'sports', 'culture_arts', 'science_tech'],
  town: [...new Set(records.map((r) => r.town.code))],
  status: ['valid', 'suspended', 'cancelled', 'revoked', 'expired'],
  result: ['pass', 'pass_with_remarks', 'fail', 'absent', 'none'],
};
const filtered = queries.map((q, i) => {
  const dims = Object.keys(filterValues) as (keyof typeof filterValues)[];
  const filter: SearchFilter = {};
  for (let k = 0; k < 1 + (i % 2); k++) {
    const d = dims[rng.int(0, dims.length - 1)]!;
    filter[d] = filterValues[d][rng.int(0, filterValues[d].length - 1)]!;
  }
  return { q: i % 4 === 3 ? '' : q, filter };
});

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.json': 'application/json; charset=utf-8' };
// Files are served from memory so the server's own disk work does not blur the client's numbers.
const cache = new Map<string, Buffer>();
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const file = join(root, path === '/' ? 'index.html' : path);
  let body = cache.get(file);
  if (!body && !path.includes('..') && statSync(file, { throwIfNoEntry: false })?.isFile()) cache.set(file, (body = readFileSync(file)));
  if (!body) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': body.length, 'Cache-Control': 'no-cache' });
  res.end(body);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
type TimedQuery = string | { q: string; filter?: SearchFilter };
type Bench = {
  first(q: string, limit: number, filter?: SearchFilter): Promise<{ ms: number; total: number; shown: number; bytes: number; body: number; requests: number; trace: string[] }>;
  warm(): Promise<void>;
  timed(qs: TimedQuery[], fresh: boolean, limit: number, baselinePath?: string): Promise<{ times: number[]; bytes: number; requests: number[]; baseline: number[] }>;
  baseline(path: string): Promise<{ ms: number; bytes: number; body: number }>;
};
const bench = (page: import('playwright-core').Page) => ({
  first: (q: string, limit: number, filter?: SearchFilter) =>
    page.evaluate(([q, limit, filter]) => (globalThis as unknown as { bench: Bench }).bench.first(q, limit, filter ?? undefined), [q, limit, filter ?? null] as const),
  warm: () => page.evaluate(() => (globalThis as unknown as { bench: Bench }).bench.warm()),
  timed: (qs: TimedQuery[], fresh: boolean, limit: number, baselinePath?: string) =>
    page.evaluate(([qs, fresh, limit, baselinePath]) => (globalThis as unknown as { bench: Bench }).bench.timed(qs, fresh, limit, baselinePath), [qs, fresh, limit, baselinePath] as const),
  baseline: (p: string) => page.evaluate((p) => (globalThis as unknown as { bench: Bench }).bench.baseline(p), p),
});
async function freshPage() {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${origin}/`);
  await page.waitForSelector('html[data-ready]', { state: 'attached' });
  return { ctx, page, b: bench(page) };
}
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

try {
  console.log(`\nfirst query on a fresh page (meta.json included), ${N} institutions, first ${LIMIT} results:`);
  const firsts: { q: string; ms: number; bytes: number; requests: number; total: number }[] = [];
  for (const { q: text, filter } of firstQueries) {
    const { ctx, b } = await freshPage();
    const r = await b.first(text, LIMIT, filter);
    const q = filter ? `${JSON.stringify(text)} + ${Object.entries(filter).map(([k, v]) => `${k}=${v}`).join('&')}` : JSON.stringify(text);
    firsts.push({ q, ...r });
    console.log(`  ${q.padEnd(36)} ${(r.bytes / 1024).toFixed(1).padStart(6)} KB in ${String(r.requests).padStart(2)} requests, ${r.ms.toFixed(1).padStart(6)} ms, total ${r.total}`);
    if (process.env.BENCH_TRACE) console.log(`      requests (start+duration(ttfb) ms): ${r.trace.join(' ')}`);
    await ctx.close();
  }
  const maxBytes = Math.max(...firsts.map((f) => f.bytes));
  const firstMs = firsts.map((f) => f.ms);

  // Baseline: one JSON file as large as the largest first query's fetches (an array of strings).
  const item = JSON.stringify('x'.repeat(62));
  const baseline = `[${Array.from({ length: Math.max(1, Math.floor(maxBytes / (item.length + 1))) }, () => item).join(',')}]`;
  mkdirSync(join(root, 'baseline'), { recursive: true });
  writeFileSync(join(root, 'baseline', 'one.json'), baseline);

  const { ctx, b } = await freshPage();
  await b.warm();
  const shared = await b.timed(queries, false, LIMIT);
  const repeat = await b.timed(queries, false, LIMIT);
  // Cold shards, each query followed by one baseline fetch, so both see the same machine noise.
  const fresh = await b.timed(queries, true, LIMIT, '/baseline/one.json');
  const freshFiltered = await b.timed(filtered, true, LIMIT);
  const base = fresh.baseline;
  await ctx.close();

  const row = (label: string, xs: number[]) => `  ${label.padEnd(48)} p50 ${pct(xs, 50).toFixed(1).padStart(6)} ms   p95 ${pct(xs, 95).toFixed(1).padStart(6)} ms   max ${Math.max(...xs).toFixed(1).padStart(6)} ms`;
  console.log(`\nlatency, ${QUERIES} queries after load (meta.json already fetched):`);
  console.log(row('one client (shards cached while typing)', shared.times));
  console.log(row('fresh client per query (all shards fetched)', fresh.times));
  console.log(row('same queries again (all cached: client CPU only)', repeat.times));
  console.log(row('with filters, fresh client per query', freshFiltered.times));
  console.log(row(`first queries (fresh page), ${firsts.length}`, firstMs));
  console.log(row(`baseline: one ${(Buffer.byteLength(baseline) / 1024).toFixed(0)} KB JSON file, ${base.length} fetches`, base));
  if (process.env.BENCH_TRACE) {
    const slow = fresh.times.map((ms, i) => ({ ms, q: queries[i], requests: fresh.requests[i] })).sort((a, b) => b.ms - a.ms).slice(0, 15);
    for (const s of slow) console.log(`    slow: ${s.ms.toFixed(1)} ms, ${s.requests} requests: ${JSON.stringify(s.q)}`);
    const byReq = new Map<number, number[]>();
    fresh.requests.forEach((r, i) => byReq.set(r, [...(byReq.get(r) ?? []), fresh.times[i]!]));
    for (const [r, ts] of [...byReq].sort((a, b) => a[0] - b[0])) console.log(`    ${r} requests: ${ts.length} queries, p50 ${pct(ts, 50).toFixed(1)} ms`);
  }
  const ratio = pct(fresh.times, 95) / pct(base, 95);
  console.log(`\nSUMMARY ${N} institutions`);
  console.log(`  bytes for a first query: max ${(maxBytes / 1024).toFixed(1)} KB, median ${(pct(firsts.map((f) => f.bytes), 50) / 1024).toFixed(1)} KB (budget ${BUDGET_BYTES / 1024} KB) ${maxBytes <= BUDGET_BYTES ? 'OK' : 'OVER'}`);
  console.log(`  query-to-results p95 after load: ${pct(fresh.times, 95).toFixed(1)} ms with cold shards, ${pct(shared.times, 95).toFixed(1)} ms typing (budget ${BUDGET_P95_MS} ms) ${pct(fresh.times, 95) <= BUDGET_P95_MS ? 'OK' : 'OVER'}`);
  console.log(`  baseline (one static JSON of ${(maxBytes / 1024).toFixed(0)} KB) p95 ${pct(base, 95).toFixed(1)} ms; cold-shard search p95 / baseline p95 = ${ratio.toFixed(2)}×`);
  console.log(`  with filters (1–2 of category/town/status/result, a quarter without text): p95 ${pct(freshFiltered.times, 95).toFixed(1)} ms with cold shards ${pct(freshFiltered.times, 95) <= BUDGET_P95_MS ? 'OK' : 'OVER'}, mean ${(freshFiltered.bytes / QUERIES / 1024).toFixed(1)} KB`);
  console.log(`  mean bytes per query after load: ${(fresh.bytes / QUERIES / 1024).toFixed(1)} KB cold, ${(shared.bytes / QUERIES / 1024).toFixed(1)} KB typing`);
} finally {
  await browser.close();
  server.close();
  if (!args.keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
