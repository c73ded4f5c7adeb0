/**
 * Browser search client over the static index (site/lib/search-index.ts). Pure: all I/O goes
 * through the `fetchJson` it is given, so tests run it on the generated files in memory.
 *
 * A query fetches meta.json once, then the posting shards of its grams (at most MAX_GRAMS of
 * them, spread over the query) and the display shards of the results it shows. Every fetched
 * shard is cached (as a promise, so concurrent queries share a request).
 *
 * Filters (category, town, status, latest inspection result) fetch one posting list per set
 * filter and intersect it with the candidates before any row is read, so totals stay exact.
 * With an empty query, filters alone list their institutions (in the index's pinyin order).
 */
import {
  decodePostings,
  denseKeyPath,
  differenceSorted,
  effectiveStatus,
  expiryPath,
  facetKey,
  facetPath,
  gramShard,
  gramShardPath,
  intersectSorted,
  NO_INSPECTION,
  normalizeText,
  parseQuery,
  queryPlan,
  rowInspection,
  rowMatches,
  rowShardPath,
  unionSorted,
  type FacetDim,
  type ParsedQuery,
  type SearchMeta,
  type SearchRow,
} from '../lib/search-core.ts';

export type FetchJson = (path: string) => Promise<unknown>;

export interface SearchResult {
  id: string;
  name: string;
  /** Town/street code; its names are townZh/townEn. */
  town: string;
  townZh: string;
  townEn: string;
  category: string;
  /** License status as a parent should read it ('valid' past its end date is 'expired'). */
  status: string;
  licenseNo: string;
  /** Latest annual inspection, null if never inspected. */
  inspection: { year: number; result: string } | null;
}

/** Every set field must hold; empty strings and undefined mean "any". */
export interface SearchFilter {
  category?: string;
  /** Town/street code. */
  town?: string;
  /** Effective license status (valid, suspended, cancelled, revoked, expired). */
  status?: string;
  /** Latest inspection result (pass, pass_with_remarks, fail, absent) or 'none' (never inspected). */
  result?: string;
}

const FILTER_DIMS: readonly FacetDim[] = ['category', 'town', 'status', 'result'];

/** Does the filter restrict anything? */
export const hasFilter = (f: SearchFilter | undefined): f is SearchFilter => !!f && FILTER_DIMS.some((d) => !!f[d]);

export interface SearchOptions {
  limit?: number;
  filter?: SearchFilter;
}

export interface SearchResponse {
  /** Number of matching institutions (an upper bound when `exact` is false). */
  total: number;
  /** False when some candidates beyond the shown results were not verified (very long lists). */
  exact: boolean;
  results: SearchResult[];
}

export interface SearchClient {
  /**
   * Institutions matching the query (2+ characters) and the filter. An empty query with a filter
   * lists every institution the filter admits; an empty query without one, or a 1-character
   * query, finds nothing.
   */
  search(query: string, options?: SearchOptions): Promise<SearchResponse>;
  /** Loads meta.json ahead of the first query. */
  warm(): Promise<void>;
}

export interface ClientOptions {
  /**
   * Beijing date YYYY-MM-DD used to derive 'expired' (default: today in Asia/Shanghai). A date
   * before the index's build day counts as the build day (a phone clock running behind).
   */
  today?: string;
  /** Path of meta.json (default /search/meta.json). */
  metaPath?: string;
}

/** Grams fetched per lookup at most: long queries use a spread of their grams and verify. */
const MAX_GRAMS = 4;
/** After the page is full, verify the rest too if that needs at most this many more shards. */
const EXACT_EXTRA_SHARDS = 4;
/** Display shards a query may fetch to verify candidates, at most. */
const MAX_VERIFY_SHARDS = 24;

export function createSearchClient(fetchJson: FetchJson, options: ClientOptions = {}): SearchClient {
  const metaPath = options.metaPath ?? '/search/meta.json';
  const clientToday = Number((options.today ?? beijingToday()).replaceAll('-', ''));
  let today = clientToday;
  let metaP: Promise<SearchMeta> | null = null;
  let gramFiles = new Map<number, Promise<Record<string, string>>>();
  let rowFiles = new Map<number, Promise<SearchRow[]>>();
  let lists = new Map<string, Uint32Array>();
  let facetLists = new Map<string, Promise<Uint32Array>>();
  let endedSinceBuild: Promise<Uint32Array> | null = null;
  const loadedRows = new Map<number, SearchRow[]>();

  function reset() {
    metaP = null;
    gramFiles = new Map();
    rowFiles = new Map();
    lists = new Map();
    facetLists = new Map();
    endedSinceBuild = null;
    loadedRows.clear();
  }

  const meta = () =>
    (metaP ??= (fetchJson(metaPath) as Promise<SearchMeta>).then(
      (m) => {
        denseIdx = new Map(m.dense.map((k, i) => [k, i]));
        facetIdx = new Map(m.facets.map((k, i) => [k, i]));
        today = Math.max(clientToday, m.builtOn);
        return m;
      },
      (e: unknown) => {
        metaP = null;
        throw e;
      },
    ));

  let denseIdx = new Map<string, number>();
  let facetIdx = new Map<string, number>();
  const isDense = (key: string) => denseIdx.has(key);

  /** Cached fetch of a JSON file; a failed fetch is forgotten so the next query retries it. */
  function cached<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
    let p = cache.get(key);
    if (!p) {
      p = load();
      cache.set(key, p);
      p.catch(() => cache.delete(key));
    }
    return p;
  }

  /** Institutions with one filter value as of the build day (a value nobody has: no file, empty). */
  function facet(m: SearchMeta, key: string): Promise<Uint32Array> {
    const i = facetIdx.get(key);
    if (i === undefined) return Promise.resolve(new Uint32Array(0));
    return cached(facetLists, key, async () => decodePostings((await fetchJson(facetPath(m, i))) as string));
  }

  /** Licenses valid on the build day that have ended before today (usually none: a fresh build). */
  function ended(m: SearchMeta): Promise<Uint32Array> {
    if (today <= m.builtOn) return Promise.resolve(new Uint32Array(0));
    const from = Math.floor(m.builtOn / 100);
    const to = Math.floor(today / 100);
    const months = m.expiryMonths.filter((mo) => mo >= from && mo <= to);
    const p = (endedSinceBuild ??= Promise.all(months.map((mo) => fetchJson(expiryPath(m, mo)) as Promise<Record<string, string>>)).then((files) =>
      unionSorted(files.flatMap((f) => Object.entries(f).filter(([day]) => Number(day) < today).map(([, enc]) => decodePostings(enc)))),
    ));
    p.catch(() => {
      if (endedSinceBuild === p) endedSinceBuild = null;
    });
    return p;
  }

  /** Institutions that pass the filter today, or null when it restricts nothing. */
  async function filtered(m: SearchMeta, f: SearchFilter | undefined): Promise<Uint32Array | null> {
    if (!hasFilter(f)) return null;
    const parts = FILTER_DIMS.filter((d) => f[d]).map(async (d) => {
      const value = f[d]!;
      const list = await facet(m, facetKey(d, value));
      if (d !== 'status' || (value !== 'valid' && value !== 'expired')) return list;
      const gone = await ended(m);
      return value === 'valid' ? differenceSorted(list, gone) : unionSorted([list, gone]);
    });
    return intersectSorted(await Promise.all(parts));
  }

  async function postings(m: SearchMeta, key: string): Promise<Uint32Array> {
    const hit = lists.get(key);
    if (hit) return hit;
    const d = denseIdx.get(key);
    if (d !== undefined) {
      const list = decodePostings((await fetchJson(denseKeyPath(m, d))) as string);
      lists.set(key, list);
      return list;
    }
    const shard = gramShard(key, m.gramShards);
    let file = gramFiles.get(shard);
    if (!file) {
      file = fetchJson(gramShardPath(m, shard)) as Promise<Record<string, string>>;
      gramFiles.set(shard, file);
      file.catch(() => gramFiles.delete(shard));
    }
    const enc = (await file)[key];
    const list = enc ? decodePostings(enc) : new Uint32Array(0);
    lists.set(key, list);
    return list;
  }

  async function rowShard(m: SearchMeta, shard: number): Promise<SearchRow[]> {
    let file = rowFiles.get(shard);
    if (!file) {
      file = fetchJson(rowShardPath(m, shard)) as Promise<SearchRow[]>;
      rowFiles.set(shard, file);
      file.then((r) => loadedRows.set(shard, r)).catch(() => rowFiles.delete(shard));
    }
    return file;
  }

  function toResult(m: SearchMeta, row: SearchRow): SearchResult {
    const town = m.towns[row[2]];
    return {
      id: row[0],
      name: row[1],
      town: town?.code ?? '',
      townZh: town?.zh ?? '',
      townEn: town?.en ?? '',
      category: m.categories[row[3]] ?? '',
      status: effectiveStatus(m, row, today),
      licenseNo: row[8],
      inspection: rowInspection(m, row),
    };
  }

  /**
   * Candidates of one alternative: one round of at most MAX_GRAMS of its grams, spread over the
   * query (so every part of it is looked at), sparse grams preferred; verification does the rest.
   * Dense grams are fetched only when the alternative has no sparse one.
   */
  async function alternative(m: SearchMeta, keys: string[]): Promise<{ cands: Uint32Array; exact: boolean }> {
    const sparse = keys.filter((k) => !isDense(k));
    const batch = spread(sparse.length ? sparse : keys, MAX_GRAMS);
    const found = await Promise.all(batch.map((k) => postings(m, k)));
    if (found.some((l) => l.length === 0)) return { cands: new Uint32Array(0), exact: true };
    return { cands: intersectSorted(found), exact: keys.length === 1 };
  }

  async function run(q: ParsedQuery | null, limit: number, filter: SearchFilter | undefined): Promise<SearchResponse> {
    const m = await meta();
    const per = m.rowsPerShard;
    const shardOf = (ord: number) => Math.floor(ord / per);
    const rowOf = async (ord: number) => (await rowShard(m, shardOf(ord)))[ord % per]!;
    const [alts, allowed] = await Promise.all([
      q ? Promise.all(queryPlan(q, m).map((keys) => alternative(m, keys))) : null,
      filtered(m, filter),
    ]);
    if (!q || !alts) {
      // Filters only: their lists are the exact answer.
      const all = allowed ?? new Uint32Array(0);
      const rows = await Promise.all(Array.from(all.subarray(0, limit)).map(rowOf));
      return { total: all.length, exact: true, results: rows.map((r) => toResult(m, r)) };
    }
    let cands = unionSorted(alts.map((a) => a.cands));
    if (allowed) cands = intersectSorted([cands, allowed]);
    const exactByIndex = alts.every((a) => a.exact);

    if (exactByIndex) {
      // One gram per lookup (and exact filter lists): the posting lists are the exact answer.
      const shown = Array.from(cands.subarray(0, limit));
      const rows = await Promise.all(shown.map(rowOf));
      return { total: cands.length, exact: true, results: rows.map((r) => toResult(m, r)) };
    }

    const accept = (row: SearchRow) => rowMatches(row, q) && passes(m, row, filter, today);
    const hits: number[] = []; // ordinals, in order
    let i = 0; // candidates before i are verified
    const fetchShards = (shards: Set<number>) => Promise.all([...shards].map((s) => rowShard(m, s)));
    // Verify in ordinal order until the page is full (or the shard budget is spent).
    let budget = MAX_VERIFY_SHARDS;
    while (i < cands.length && hits.length < limit) {
      const ord = cands[i]!;
      const rows = loadedRows.get(shardOf(ord));
      if (rows) {
        if (accept(rows[ord % per]!)) hits.push(ord);
        i++;
        continue;
      }
      if (budget <= 0) break;
      const need = new Set<number>();
      let want = limit - hits.length;
      for (let j = i; j < cands.length && want > 0 && need.size < budget; j++, want--) {
        const s = shardOf(cands[j]!);
        if (!loadedRows.has(s)) need.add(s);
      }
      budget -= need.size;
      await fetchShards(need);
    }
    // The total is exact when the remaining candidates need only a few more shards.
    if (i < cands.length) {
      const rest = new Set<number>();
      for (let j = i; j < cands.length && rest.size <= EXACT_EXTRA_SHARDS; j++) {
        const s = shardOf(cands[j]!);
        if (!loadedRows.has(s)) rest.add(s);
      }
      if (rest.size <= EXACT_EXTRA_SHARDS) {
        await fetchShards(rest);
        for (; i < cands.length; i++) {
          const ord = cands[i]!;
          if (accept(loadedRows.get(shardOf(ord))![ord % per]!)) hits.push(ord);
        }
      }
    }
    const unverified = cands.length - i;
    const shown = await Promise.all(hits.slice(0, limit).map(rowOf));
    return { total: hits.length + unverified, exact: unverified === 0, results: shown.map((r) => toResult(m, r)) };
  }

  return {
    async warm() {
      await meta();
    },
    async search(query, opts = {}) {
      const q = parseQuery(query);
      // Nothing to look for: a too-short query, or neither a query nor a filter.
      if (!q && (normalizeText(query) !== '' || !hasFilter(opts.filter))) return { total: 0, exact: true, results: [] };
      const limit = Math.max(1, opts.limit ?? 20);
      try {
        return await run(q, limit, opts.filter);
      } catch (e) {
        // A publish may have replaced the index under us: start again from meta.json once.
        reset();
        return run(q, limit, opts.filter).catch(() => {
          throw e;
        });
      }
    },
  };
}

/** The filter checked on a display row (a safety net: the filter lists already applied it). */
function passes(m: SearchMeta, row: SearchRow, f: SearchFilter | undefined, today: number): boolean {
  if (!f) return true;
  if (f.category && m.categories[row[3]] !== f.category) return false;
  if (f.town && m.towns[row[2]]?.code !== f.town) return false;
  if (f.status && effectiveStatus(m, row, today) !== f.status) return false;
  if (f.result && (rowInspection(m, row)?.result ?? NO_INSPECTION) !== f.result) return false;
  return true;
}

/** Up to n items spread evenly over the list, always the first and the last. */
export function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  const out: T[] = [];
  for (let k = 0; k < n; k++) out.push(items[Math.round((k * (items.length - 1)) / (n - 1))]!);
  return out;
}

function beijingToday(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}
