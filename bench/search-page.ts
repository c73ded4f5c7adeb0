/**
 * Browser side of bench/search.ts (bundled with esbuild): the real search client over fetch, plus
 * the measuring helpers the bench calls through page.evaluate.
 */
import { createSearchClient, type SearchClient, type SearchFilter } from '../site/scripts/search-client.ts';

const fetchJson = async (path: string) => {
  const res = await fetch(path);
  if (!res.ok) throw new Error(`${res.status} ${path}`);
  return res.json();
};

performance.setResourceTimingBufferSize(1_000_000);
let shared: SearchClient = createSearchClient(fetchJson);

/** Bytes Chromium fetched for /search/ and /baseline/ since the mark (transferSize: body + headers). */
function fetchedSince(mark: number): { bytes: number; body: number; requests: number } {
  let bytes = 0;
  let body = 0;
  let requests = 0;
  for (const e of performance.getEntriesByType('resource') as PerformanceResourceTiming[]) {
    if (e.startTime < mark || !/\/(search|baseline)\//.test(e.name)) continue;
    bytes += e.transferSize;
    body += e.encodedBodySize;
    requests++;
  }
  return { bytes, body, requests };
}

const api = {
  /** First query on a fresh page (nothing fetched yet, not even meta.json). */
  async first(q: string, limit: number, filter?: SearchFilter) {
    const mark = performance.now();
    const res = await shared.search(q, { limit, filter });
    const ms = performance.now() - mark;
    const trace = (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
      .filter((e) => e.startTime >= mark)
      .map((e) => `${(e.startTime - mark).toFixed(0)}+${e.duration.toFixed(0)}(${(e.responseStart - e.requestStart).toFixed(0)})`);
    return { ms, total: res.total, shown: res.results.length, trace, ...fetchedSince(mark) };
  },
  /** After load: meta.json fetched, then queries one after another (as someone typing would). */
  async warm() {
    shared = createSearchClient(fetchJson);
    await shared.warm();
  },
  /** Queries one after another; with `baselinePath`, a baseline fetch after each (same noise). */
  async timed(queries: (string | { q: string; filter?: SearchFilter })[], freshClient: boolean, limit: number, baselinePath?: string) {
    const times: number[] = [];
    const requests: number[] = [];
    const baseline: number[] = [];
    let bytes = 0;
    for (const q of queries) {
      const client = freshClient ? createSearchClient(fetchJson) : shared;
      if (freshClient) await client.warm();
      const mark = performance.now();
      await (typeof q === 'string' ? client.search(q, { limit }) : client.search(q.q, { limit, filter: q.filter }));
      times.push(performance.now() - mark);
      const f = fetchedSince(mark);
      bytes += f.bytes;
      requests.push(f.requests);
      if (baselinePath) baseline.push((await api.baseline(baselinePath)).ms);
    }
    return { times, bytes, requests, baseline };
  },
  /** The baseline: one static JSON file, fetched fresh and parsed. */
  async baseline(path: string) {
    const mark = performance.now();
    const res = await fetch(path, { cache: 'no-store' });
    const json = (await res.json()) as unknown[];
    const ms = performance.now() - mark;
    return { ms, items: json.length, ...fetchedSince(mark) };
  },
};
(globalThis as unknown as { bench: typeof api }).bench = api;
document.documentElement.dataset.ready = '1';
