/**
 * Institution search: the pure core shared by the build-time index builder
 * (site/lib/search-index.ts) and the browser client (site/scripts/search-client.ts).
 * No I/O, no node: modules, no DOM — safe for islands.
 *
 * What a query matches (the same rule the fixture generator applies by brute force):
 *   q = NFKC(query), lower-cased, all whitespace removed;
 *   a query in license form (教民 370305… 号, 6+ digits) is reduced to its digits;
 *   fewer than 2 characters match nothing;
 *   - q with any character other than [a-z0-9] (Chinese, brackets): the normalised name contains q;
 *   - q of [a-z0-9], 2 characters: the pinyin initials or the name contains q;
 *   - q of [a-z0-9], 3+ characters: the full pinyin, the initials or the name contains q, or
 *     (6+ digits) the license number's digits contain q, or q is the whole credit code.
 *
 * Index spaces (a gram key is its space letter + the gram):
 *   'n' bigrams of the normalised name (all characters);
 *   'b' bigrams of the initials and of the name's [a-z0-9] runs (2-character latin queries);
 *   't' trigrams of pinyin, initials and the name's [a-z0-9] runs;
 *   'k' 6-grams of the license number's digits (a district's numbers share long prefixes, so
 *       digit trigrams would match nearly everyone);
 *   'c' the whole credit code.
 * A query of exactly one gram per space is answered exactly by posting lists; longer queries
 * intersect their grams' lists and verify candidates against the display rows (which carry every
 * searched field).
 *
 * Filters (category, town/street, license status, latest inspection result) are posting lists
 * too, one file per value ('f' keys, see facetKey): a filter intersects the candidates before any
 * row is read, so a filter alone (no query) lists its institutions exactly, and a rare filter on a
 * common query needs no scan. License status is as of the build day; the client moves licenses
 * that ended since then from 'valid' to 'expired' with the per-day expiry lists (e/<month>.json).
 */

export const SEARCH_FORMAT = 2;

/** Display/verification row, one per institution, in ordinal order. */
export type SearchRow = [
  id: string,
  name: string,
  town: number,
  category: number,
  status: number,
  /** License valid until, YYYYMMDD as a number (status 'valid' past it shows as 'expired'). */
  validUntil: number,
  pinyin: string,
  initials: string,
  licenseNo: string,
  creditCode: string,
  /** Latest annual inspection: index into meta.results, -1 if never inspected. */
  inspection: number,
  /** Year of the latest inspection, 0 if never inspected. */
  inspectionYear: number,
];

export interface SearchMeta {
  format: number;
  /** Folder of this build's shards (content-hashed, so a publish never mixes two builds). */
  base: string;
  count: number;
  /** Number of posting shards (power of two). */
  gramShards: number;
  /** Keys whose lists are dense (bitmaps): each in its own file x/<index>.json. */
  dense: string[];
  /** Longest digit run in any 't'-indexed string (a longer one in a query cannot match there). */
  tDigitRun: number;
  /** Lengths of the credit codes present. */
  creditLengths: number[];
  /** Longest license number (digits) and longest 't'-indexed string: longer queries skip them. */
  licenseMax: number;
  tMax: number;
  /** Rows per display shard. */
  rowsPerShard: number;
  towns: { code: string; zh: string; en: string }[];
  categories: string[];
  statuses: string[];
  /** Inspection result codes (SearchRow.inspection indexes this). */
  results: string[];
  /** Build date, YYYYMMDD: the 'fs:' filter lists hold the status as of this day. */
  builtOn: number;
  /** Filter keys (see facetKey), each list in its own file f/<index>.json; absent key = nobody. */
  facets: string[];
  /**
   * Months (YYYYMM) with an e/<month>.json file: { YYYYMMDD: postings } of the institutions that
   * were 'valid' on builtOn and whose license ends on that day, so a client on a later day can
   * move them from 'valid' to 'expired' without reading any display row.
   */
  expiryMonths: number[];
}

/** Filter dimensions: category, town/street, license status, latest inspection result. */
export type FacetDim = 'category' | 'town' | 'status' | 'result';
const FACET_LETTER: Record<FacetDim, string> = { category: 'c', town: 't', status: 's', result: 'r' };
/** The latest-inspection filter value of an institution never inspected. */
export const NO_INSPECTION = 'none';
/** Key of a filter list: 'f' + dimension letter + ':' + value (no gram key starts with 'f'). */
export const facetKey = (dim: FacetDim, value: string) => `f${FACET_LETTER[dim]}:${value}`;

export type ParsedQuery =
  | { space: 'name'; text: string }
  | { space: 'alnum'; text: string };

const LICENSE_FORM = /^(?:教民)?(\d{6,})号?$/;
const ALNUM = /^[a-z0-9]+$/;
const ALNUM_RUN = /[a-z0-9]+/g;

export function normalizeText(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/\s+/gu, '');
}

export function parseQuery(raw: string): ParsedQuery | null {
  let q = normalizeText(raw);
  const lic = LICENSE_FORM.exec(q);
  if (lic) q = lic[1]!;
  if ([...q].length < 2) return null;
  return ALNUM.test(q) ? { space: 'alnum', text: q } : { space: 'name', text: q };
}

/** Distinct n-grams of s (by code point), in order of first appearance. */
export function ngrams(s: string, n: number): string[] {
  const cps = [...s];
  const out: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i + n <= cps.length; i++) {
    const g = cps.slice(i, i + n).join('');
    if (!seen.has(g)) {
      seen.add(g);
      out.push(g);
    }
  }
  return out;
}

export const licenseDigits = (licenseNo: string) => licenseNo.replace(/\D/g, '');

/** The fields a record is searched by, normalised. */
export interface SearchFields {
  name: string;
  pinyin: string;
  initials: string;
  licenseNo: string;
  creditCode: string;
}

export const LICENSE_GRAM = 6;

/** Every gram key a record is indexed under. */
export function recordGramKeys(f: SearchFields): Set<string> {
  const keys = new Set<string>();
  const name = normalizeText(f.name);
  for (const g of ngrams(name, 2)) keys.add(`n${g}`);
  const runs = name.match(ALNUM_RUN) ?? [];
  const initials = normalizeText(f.initials);
  for (const s of [initials, ...runs]) for (const g of ngrams(s, 2)) keys.add(`b${g}`);
  for (const s of [normalizeText(f.pinyin), initials, ...runs]) for (const g of ngrams(s, 3)) keys.add(`t${g}`);
  for (const g of ngrams(licenseDigits(f.licenseNo), LICENSE_GRAM)) keys.add(`k${g}`);
  keys.add(`c${normalizeText(f.creditCode)}`);
  return keys;
}

/** The strings indexed in the 't' space (for the longest-digit-run figure). */
export function trigramStrings(f: SearchFields): string[] {
  const name = normalizeText(f.name);
  return [normalizeText(f.pinyin), normalizeText(f.initials), ...(name.match(ALNUM_RUN) ?? [])];
}

export const longestDigitRun = (s: string) => Math.max(0, ...(s.match(/\d+/g) ?? []).map((r) => r.length));

/**
 * The lookups a query needs: alternatives whose results are united; each alternative is the
 * intersection of its keys (every overlapping gram, distinct).
 */
export function queryPlan(q: ParsedQuery, meta: Pick<SearchMeta, 'tDigitRun' | 'creditLengths' | 'licenseMax' | 'tMax'>): string[][] {
  if (q.space === 'name') return [ngrams(q.text, 2).map((g) => `n${g}`)];
  if (q.text.length === 2) return [[`b${q.text}`]];
  const plan: string[][] = [];
  if (q.text.length <= meta.tMax && longestDigitRun(q.text) <= meta.tDigitRun) plan.push(ngrams(q.text, 3).map((g) => `t${g}`));
  if (q.text.length >= LICENSE_GRAM && q.text.length <= meta.licenseMax && /^\d+$/.test(q.text)) plan.push(ngrams(q.text, LICENSE_GRAM).map((g) => `k${g}`));
  if (meta.creditLengths.includes(q.text.length)) plan.push([`c${q.text}`]);
  return plan;
}

/** Does a row match the query? (Verification of intersected candidates; same rule as above.) */
export function rowMatches(row: SearchRow, q: ParsedQuery): boolean {
  if (normalizeText(row[1]).includes(q.text)) return true;
  if (q.space === 'name') return false;
  if (row[7].includes(q.text)) return true; // initials
  if (q.text.length === 2) return false;
  if (row[6].includes(q.text)) return true; // pinyin
  if (q.text.length >= LICENSE_GRAM && licenseDigits(row[8]).includes(q.text)) return true;
  return normalizeText(row[9]) === q.text;
}

/** FNV-1a over UTF-16 code units → posting shard number. */
export function gramShard(key: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

export const gramShardPath = (meta: SearchMeta, shard: number) => `${meta.base}g/${shard.toString(36)}.json`;
export const denseKeyPath = (meta: SearchMeta, index: number) => `${meta.base}x/${index.toString(36)}.json`;
export const rowShardPath = (meta: SearchMeta, shard: number) => `${meta.base}d/${shard.toString(36)}.json`;
export const facetPath = (meta: SearchMeta, index: number) => `${meta.base}f/${index.toString(36)}.json`;
export const expiryPath = (meta: SearchMeta, month: number) => `${meta.base}e/${month}.json`;

// ---------------------------------------------------------------- posting list encoding
// Posting lists are strings inside JSON (no base64 of bytes, no escaping): 64 URL-safe symbols.
//   'v' + VLQ: first ordinal, then (gap - 1) for each next one; 5 payload bits per symbol,
//        the 6th bit says "more symbols follow". Consecutive ordinals cost 1 symbol each.
//   'm' + bitmap of ordinals 0…max, 6 ordinals per symbol (chosen when denser than ~1 in 6).

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DECODE = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();

function vlq(n: number, out: string[]): void {
  do {
    let digit = n & 31;
    n = Math.floor(n / 32);
    if (n > 0) digit |= 32;
    out.push(ALPHABET[digit]!);
  } while (n > 0);
}

/** Encode a strictly increasing list of ordinals. */
export function encodePostings(ords: readonly number[]): string {
  if (ords.length === 0) return 'v';
  const parts: string[] = ['v'];
  let prev = -1;
  for (const o of ords) {
    vlq(prev < 0 ? o : o - prev - 1, parts);
    prev = o;
  }
  const max = ords[ords.length - 1]!;
  const bitmapLen = Math.ceil((max + 1) / 6) + 1;
  if (bitmapLen >= parts.length) return parts.join('');
  const cells = new Uint8Array(bitmapLen - 1);
  for (const o of ords) cells[(o / 6) | 0]! |= 1 << o % 6;
  let s = 'm';
  for (const c of cells) s += ALPHABET[c];
  return s;
}

export function decodePostings(s: string): Uint32Array {
  if (s.charCodeAt(0) === 109 /* m */) {
    let count = 0;
    for (let i = 1; i < s.length; i++) {
      let c = DECODE[s.charCodeAt(i)]!;
      while (c) {
        count += c & 1;
        c >>= 1;
      }
    }
    const out = new Uint32Array(count);
    let k = 0;
    for (let i = 1; i < s.length; i++) {
      const c = DECODE[s.charCodeAt(i)]!;
      if (!c) continue;
      for (let b = 0; b < 6; b++) if (c & (1 << b)) out[k++] = (i - 1) * 6 + b;
    }
    return out;
  }
  const vals: number[] = [];
  let prev = -1;
  let value = 0;
  let scale = 1;
  for (let i = 1; i < s.length; i++) {
    const d = DECODE[s.charCodeAt(i)]!;
    value += (d & 31) * scale;
    if (d & 32) {
      scale *= 32;
      continue;
    }
    prev = prev < 0 ? value : prev + value + 1;
    vals.push(prev);
    value = 0;
    scale = 1;
  }
  return Uint32Array.from(vals);
}

/** Intersection of sorted lists (smallest first). */
export function intersectSorted(lists: readonly Uint32Array[]): Uint32Array {
  if (lists.length === 0) return new Uint32Array(0);
  const sorted = [...lists].sort((a, b) => a.length - b.length);
  let acc = sorted[0]!;
  for (let l = 1; l < sorted.length && acc.length; l++) {
    const other = sorted[l]!;
    const out = new Uint32Array(acc.length);
    let k = 0;
    let j = 0;
    for (let i = 0; i < acc.length; i++) {
      const v = acc[i]!;
      // gallop through the longer list
      let step = 1;
      while (j + step < other.length && other[j + step]! < v) step *= 2;
      let lo = j;
      let hi = Math.min(j + step, other.length - 1);
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (other[mid]! < v) lo = mid + 1;
        else hi = mid;
      }
      j = lo;
      if (j < other.length && other[j] === v) out[k++] = v;
      if (j >= other.length) break;
    }
    acc = out.subarray(0, k);
  }
  return acc;
}

/** YYYY-MM-DD → YYYYMMDD. */
export const compactDate = (d: string) => Number(d.replaceAll('-', '').slice(0, 8)) || 0;

/** Latest inspection of a row, or null if never inspected. */
export function rowInspection(meta: SearchMeta, row: SearchRow): { year: number; result: string } | null {
  const result = row[10] >= 0 ? meta.results[row[10]] : undefined;
  return result ? { year: row[11], result } : null;
}

/** Sorted union of sorted lists, without duplicates. */
export function unionSorted(lists: readonly Uint32Array[]): Uint32Array {
  const nonEmpty = lists.filter((l) => l.length);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? new Uint32Array(0);
  const all = new Uint32Array(nonEmpty.reduce((n, l) => n + l.length, 0));
  let k = 0;
  for (const l of nonEmpty) {
    all.set(l, k);
    k += l.length;
  }
  all.sort();
  let w = 0;
  for (let r = 0; r < all.length; r++) if (r === 0 || all[r] !== all[w - 1]) all[w++] = all[r]!;
  return all.subarray(0, w);
}

/** Sorted list a without the members of sorted list b. */
export function differenceSorted(a: Uint32Array, b: Uint32Array): Uint32Array {
  if (!b.length) return a;
  const out = new Uint32Array(a.length);
  let k = 0;
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    while (j < b.length && b[j]! < v) j++;
    if (j < b.length && b[j] === v) continue;
    out[k++] = v;
  }
  return out.subarray(0, k);
}

/** The status a parent should see: 'valid' past its end date reads 'expired'. */
export function effectiveStatus(meta: SearchMeta, row: SearchRow, todayCompact: number): string {
  const s = meta.statuses[row[4]] ?? 'valid';
  return s === 'valid' && row[5] > 0 && row[5] < todayCompact ? 'expired' : s;
}
