/**
 * Build-time generator of the institution search index: static JSON files the browser client
 * (site/scripts/search-client.ts) fetches on demand. Served by site/pages/search/[...file].ts.
 *
 * EVALUATION (issue 3) — filled in below by the evaluation section.
 *
 * Layout (see site/lib/search-core.ts for the matching rule and the gram spaces):
 *   /search/meta.json                 format, counts, shard sizes, towns, code lists, `base`
 *   <base>g/<shard>.json              { gramKey: postings } — shard = FNV-1a(gramKey) mod gramShards
 *   <base>d/<shard>.json              SearchRow[] for ordinals [shard·rowsPerShard, …)
 * `base` is /search/<content hash>/, so a client that read meta.json before a publish never mixes
 * two builds' ordinals: the old files are gone and the client re-reads meta.json.
 * Ordinals are the records sorted by pinyin then name, so results come out in a natural order and
 * the first page of a common query's results sits in one or two display shards.
 */
import { createHash } from 'node:crypto';
import {
  SEARCH_FORMAT,
  compactDate,
  encodePostings,
  gramShard,
  licenseDigits,
  longestDigitRun,
  normalizeText,
  recordGramKeys,
  trigramStrings,
  type SearchMeta,
  type SearchRow,
} from './search-core.ts';

/** Public registry data of one institution — nothing from complaints ever goes in here. */
export interface SearchRecord {
  id: string;
  name: string;
  namePinyin: string;
  nameInitials: string;
  licenseNo: string;
  creditCode: string;
  town: { code: string; nameZh: string; nameEn: string };
  category: string;
  licenseStatus: string;
  licenseValidUntil: string;
}

export interface SearchIndexFile {
  /** Site path, e.g. /search/meta.json */
  path: string;
  body: string;
}

export interface SearchIndexOptions {
  /** Rows per display shard. */
  rowsPerShard?: number;
  /** Aimed-at average size of a posting shard, in bytes. */
  targetGramShardBytes?: number;
}

const CATEGORIES = ['subject', 'sports', 'culture_arts', 'science_tech'];
const STATUSES = ['valid', 'suspended', 'cancelled', 'revoked', 'expired'];

const indexOf = (list: string[], v: string) => {
  let i = list.indexOf(v);
  if (i < 0) i = list.push(v) - 1;
  return i;
};

export function buildSearchIndex(records: readonly SearchRecord[], options: SearchIndexOptions = {}): SearchIndexFile[] {
  const rowsPerShard = options.rowsPerShard ?? 32;
  const target = options.targetGramShardBytes ?? 6000;
  const sorted = [...records].sort(
    (a, b) => cmp(a.namePinyin, b.namePinyin) || cmp(a.name, b.name) || cmp(a.id, b.id),
  );

  const towns: SearchMeta['towns'] = [];
  const townIdx = new Map<string, number>();
  const categories = [...CATEGORIES];
  const statuses = [...STATUSES];
  const rows: SearchRow[] = [];
  const postings = new Map<string, number[]>();
  let tDigitRun = 0;
  let tMax = 0;
  let licenseMax = 0;
  const creditLengths = new Set<number>();
  sorted.forEach((r, ord) => {
    let t = townIdx.get(r.town.code);
    if (t === undefined) {
      t = towns.push({ code: r.town.code, zh: r.town.nameZh, en: r.town.nameEn }) - 1;
      townIdx.set(r.town.code, t);
    }
    rows.push([
      r.id,
      r.name,
      t,
      indexOf(categories, r.category),
      indexOf(statuses, r.licenseStatus),
      compactDate(r.licenseValidUntil),
      normalizeText(r.namePinyin),
      normalizeText(r.nameInitials),
      r.licenseNo,
      r.creditCode,
    ]);
    const fields = { name: r.name, pinyin: r.namePinyin, initials: r.nameInitials, licenseNo: r.licenseNo, creditCode: r.creditCode };
    for (const t of trigramStrings(fields)) {
      tDigitRun = Math.max(tDigitRun, longestDigitRun(t));
      tMax = Math.max(tMax, t.length);
    }
    licenseMax = Math.max(licenseMax, licenseDigits(r.licenseNo).length);
    creditLengths.add(normalizeText(r.creditCode).length);
    for (const key of recordGramKeys(fields)) {
      let list = postings.get(key);
      if (!list) postings.set(key, (list = []));
      list.push(ord);
    }
  });

  // Dense lists (bitmaps) go to files of their own, named in meta.json: a query skips them
  // while it has sparser grams, and they do not weigh on every query that shares their shard.
  const encoded: [string, string][] = [];
  const dense: [string, string][] = [];
  let totalBytes = 0;
  for (const key of [...postings.keys()].sort(cmp)) {
    const enc = encodePostings(postings.get(key)!);
    if (enc.startsWith('m')) {
      dense.push([key, enc]);
      continue;
    }
    encoded.push([key, enc]);
    totalBytes += Buffer.byteLength(key) + enc.length + 6;
  }
  postings.clear();
  let gramShards = 1;
  while (totalBytes / gramShards > target) gramShards *= 2;

  const shardObjs: Record<string, string>[] = Array.from({ length: gramShards }, () => ({}));
  for (const [key, enc] of encoded) shardObjs[gramShard(key, gramShards)]![key] = enc;
  const gramBodies = shardObjs.map((o) => JSON.stringify(o));
  const denseBodies = dense.map(([, enc]) => JSON.stringify(enc));
  const rowBodies: string[] = [];
  for (let i = 0; i < rows.length; i += rowsPerShard) rowBodies.push(JSON.stringify(rows.slice(i, i + rowsPerShard)));

  const hash = createHash('sha256');
  for (const b of [...gramBodies, ...denseBodies, ...rowBodies]) hash.update(b).update('\0');
  hash.update(JSON.stringify([towns, categories, statuses, rowsPerShard, SEARCH_FORMAT, dense.map(([k]) => k)]));
  const base = `/search/${hash.digest('hex').slice(0, 12)}/`;

  const meta: SearchMeta = {
    format: SEARCH_FORMAT,
    base,
    count: rows.length,
    gramShards,
    dense: dense.map(([k]) => k),
    tDigitRun,
    tMax,
    licenseMax,
    creditLengths: [...creditLengths].sort((a, b) => a - b),
    rowsPerShard,
    towns,
    categories,
    statuses,
  };
  return [
    { path: '/search/meta.json', body: JSON.stringify(meta) },
    ...gramBodies.map((body, i) => ({ path: `${base}g/${i.toString(36)}.json`, body })),
    ...denseBodies.map((body, i) => ({ path: `${base}x/${i.toString(36)}.json`, body })),
    ...rowBodies.map((body, i) => ({ path: `${base}d/${i.toString(36)}.json`, body })),
  ];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
