/**
 * The browser search client on a small synthetic index: paging, a publish mid-session, and the
 * four filters (category, town, license status, latest inspection) alone and with a query,
 * checked against a brute-force scan of the records.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildSearchIndex, type SearchRecord } from '../../site/lib/search-index.ts';
import { createSearchClient, type SearchFilter } from '../../site/scripts/search-client.ts';
import { readSearchParams, writeSearchParams } from '../../site/scripts/search-params.ts';
import { nameSearchKeys } from '../../api/registry/search-keys.ts';
import { bruteForce } from '../fixtures/make-search-queries.ts';

const town = (code: string) => ({ code, nameZh: `${code}镇`, nameEn: `${code} Town` });
function record(n: number, name: string, extra: Partial<SearchRecord> = {}): SearchRecord {
  return {
    id: `t-${n}`,
    name,
    ...nameSearchKeys(name),
    licenseNo: `教民370305${3}${String(n).padStart(8, '0')}号`,
    creditCode: `52370305${String(10_000_000 + n)}X`,
    town: town(n % 2 ? 'east' : 'west'),
    category: n % 3 ? 'culture_arts' : 'sports',
    licenseStatus: 'valid',
    licenseValidUntil: '2030-01-01',
    latestInspection: null,
    ...extra,
  };
}
const records = [
  ...Array.from({ length: 60 }, (_, i) => record(i + 1, `星光${['艺术', '舞蹈', '篮球'][i % 3]}培训学校（第${i + 1}分校）`)),
  record(61, '华鼎艺术学校', { licenseValidUntil: '2020-05-01' }),
];

function serve(files: { path: string; body: string }[]) {
  const map = new Map(files.map((f) => [f.path, f.body]));
  const fetched: string[] = [];
  return {
    map,
    fetched,
    fetchJson: async (p: string) => {
      fetched.push(p);
      const b = map.get(p);
      if (b === undefined) throw new Error(`404 ${p}`);
      return JSON.parse(b);
    },
  };
}

describe('search client', () => {
  const files = buildSearchIndex(records, { rowsPerShard: 8, today: '2026-11-27' });

  it('pages through results in pinyin order and derives expired status', async () => {
    const s = serve(files);
    const c = createSearchClient(s.fetchJson, { today: '2026-11-27' });
    const first = await c.search('星光', { limit: 5 });
    expect(first).toMatchObject({ total: 60, exact: true });
    expect(first.results).toHaveLength(5);
    const more = await c.search('星光', { limit: 10 });
    expect(more.results.slice(0, 5)).toEqual(first.results);
    const hd = await c.search('hdys');
    expect(hd.results).toEqual([expect.objectContaining({ id: 't-61', status: 'expired', category: 'culture_arts', town: 'east', townZh: 'east镇' })]);
  });

  it('applies filters to verified rows', async () => {
    const c = createSearchClient(serve(files).fetchJson, { today: '2026-11-27' });
    const res = await c.search('培训学校', { limit: 100, filter: { category: 'sports', town: 'west' } });
    expect(res.results.length).toBeGreaterThan(0);
    expect(res.results.every((r) => r.category === 'sports' && r.town === 'west')).toBe(true);
    expect(res.total).toBe(records.filter((r) => r.name.includes('培训学校') && r.category === 'sports' && r.town.code === 'west').length);
  });

  it('finds the same by a second gram path (license digits, credit code, branch number)', async () => {
    const c = createSearchClient(serve(files).fetchJson, { today: '2026-11-27' });
    expect((await c.search('00000042')).results.map((r) => r.id)).toEqual(['t-42']);
    expect((await c.search(records[9]!.creditCode.toLowerCase())).results.map((r) => r.id)).toEqual(['t-10']);
    expect((await c.search('第42分')).results.map((r) => r.id)).toEqual(['t-42']);
    expect((await c.search('di42')).results.map((r) => r.id)).toEqual(['t-42']);
  });

  it('starts again from meta.json when a publish replaced the index mid-session', async () => {
    const s = serve(files);
    const c = createSearchClient(s.fetchJson, { today: '2026-11-27' });
    await c.warm();
    // publish: new data, new content hash; the old shards are gone
    const next = buildSearchIndex([...records, record(62, '新华鼎书法学校')], { rowsPerShard: 8, today: '2026-11-27' });
    s.map.clear();
    for (const f of next) s.map.set(f.path, f.body);
    const res = await c.search('华鼎');
    expect(res.results.map((r) => r.name)).toEqual(['华鼎艺术学校', '新华鼎书法学校']);
    expect(s.fetched.filter((p) => p.endsWith('meta.json'))).toHaveLength(2);
  });
});

// ---------------------------------------------------------------- filters

const BUILT = '2026-11-27';
const TOWNS = ['east', 'west', 'north'];
const CATEGORIES = ['subject', 'sports', 'culture_arts', 'science_tech'];
const RESULTS = ['pass', 'pass_with_remarks', 'fail', 'absent'];
const STATUSES = ['valid', 'suspended', 'cancelled', 'revoked', 'expired'];
const WORDS = ['星光', '华鼎', '启明', '乐学', '童年'];
const KINDS = ['艺术', '舞蹈', '篮球', '编程', '书法'];
/** Validity ends: long ago, before the build, on it, a little after, a year after, none. */
const ENDS = ['2020-05-01', '2026-11-20', '2026-11-27', '2026-12-10', '2027-01-05', '2028-06-30', ''];

/** 150 institutions whose fields vary independently (co-prime cycles), some rare on purpose. */
const many: SearchRecord[] = Array.from({ length: 150 }, (_, i) => {
  const n = i + 1;
  const latest = n % 5 === 0 ? null : { year: 2021 + (n % 4), result: RESULTS[n % 4]! };
  return record(n, `${WORDS[n % 5]}${KINDS[n % 3]}培训学校（第${n}分校）`, {
    town: town(TOWNS[n % 3]!),
    category: CATEGORIES[n % 4]!,
    // 'revoked' only for 2 institutions at the end of the pinyin order: a rare filter value
    licenseStatus: n === 149 || n === 146 ? 'revoked' : n % 11 === 0 ? 'suspended' : n % 13 === 0 ? 'cancelled' : 'valid',
    licenseValidUntil: ENDS[n % 7]!,
    latestInspection: latest,
  });
});
// make the two revoked ones sort last
for (const n of [146, 149]) Object.assign(many[n - 1]!, { name: `紫金书法学校${n}`, ...nameSearchKeys(`紫金书法学校${n}`) });

/** The status a parent sees on `day` (the rule of site/lib/search-core.ts effectiveStatus). */
const statusOn = (r: SearchRecord, day: string) => (r.licenseStatus === 'valid' && r.licenseValidUntil && r.licenseValidUntil < day ? 'expired' : r.licenseStatus);
function expected(all: readonly SearchRecord[], q: string, f: SearchFilter, day: string): string[] {
  const byQuery = q.trim() ? new Set(bruteForce(all, q)) : null;
  return all
    .filter((r) => (byQuery ? byQuery.has(r.id) : true))
    .filter((r) => !f.category || r.category === f.category)
    .filter((r) => !f.town || r.town.code === f.town)
    .filter((r) => !f.status || statusOn(r, day) === f.status)
    .filter((r) => !f.result || (r.latestInspection?.result ?? 'none') === f.result)
    .map((r) => r.id)
    .sort();
}

describe('search filters', () => {
  const files = buildSearchIndex(many, { rowsPerShard: 8, today: BUILT });

  it('list what a filter admits with an empty query, exactly, without any gram or unneeded row shard', async () => {
    const s = serve(files);
    const c = createSearchClient(s.fetchJson, { today: BUILT });
    const f = { town: 'west', result: 'fail' };
    const res = await c.search('', { limit: 5, filter: f });
    const want = expected(many, '', f, BUILT);
    expect(want.length).toBeGreaterThan(5);
    expect(res).toMatchObject({ total: want.length, exact: true });
    expect(res.results).toHaveLength(5);
    expect(res.results.every((r) => r.town === 'west' && r.inspection?.result === 'fail')).toBe(true);
    // meta, one list per filter, and only the display shards of the 5 shown
    expect(s.fetched.filter((p) => /\/[gx]\//.test(p))).toEqual([]);
    expect(s.fetched.filter((p) => /\/f\//.test(p))).toHaveLength(2);
    expect(s.fetched.filter((p) => /\/d\//.test(p)).length).toBeLessThanOrEqual(5);
    // results come in the index's (pinyin) order, and paging continues it
    const more = await c.search('', { limit: 10, filter: f });
    expect(more.results.slice(0, 5)).toEqual(res.results);
  });

  it('agree with a brute-force scan for any query and any combination of filters', async () => {
    // one client per day: on the build day, after some licenses ended, and long after
    const days = [BUILT, '2026-12-11', '2027-03-01'];
    const clients = new Map(days.map((day) => [day, createSearchClient(serve(files).fetchJson, { today: day })]));
    const opt = (values: string[]) => fc.option(fc.constantFrom(...values, 'nope'), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('', '培训', '星光', '华鼎艺', '书法', 'xg', 'huading', 'qmwd', 'peixunxuexiao', '第12', '(第1', '00000042', '不存在'),
        fc.record({ category: opt(CATEGORIES), town: opt(TOWNS), status: opt(STATUSES), result: opt([...RESULTS, 'none']) }),
        fc.constantFrom(...days),
        async (q, f, day) => {
          const res = await clients.get(day)!.search(q, { limit: 1000, filter: f });
          const want = q === '' && !Object.values(f).some(Boolean) ? [] : expected(many, q, f, day);
          expect(res.results.map((r) => r.id).sort()).toEqual(want);
          expect(res).toMatchObject({ total: want.length, exact: true });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('find a rare value on a common query from the filter list, not by scanning rows', async () => {
    const s = serve(files);
    const c = createSearchClient(s.fetchJson, { today: BUILT });
    const res = await c.search('学校', { limit: 10, filter: { status: 'revoked' } });
    expect(res.results.map((r) => r.id).sort()).toEqual(['t-146', 't-149']);
    expect(res).toMatchObject({ total: 2, exact: true });
    expect(s.fetched.filter((p) => /\/d\//.test(p))).toHaveLength(1);
  });

  it('move licenses that ended after the build from valid to expired, on the client’s day', async () => {
    // t-3 ends 2026-12-10, t-4 ends 2027-01-05: both valid on the build day
    const later = serve(files);
    const c = createSearchClient(later.fetchJson, { today: '2027-01-05' });
    const expired = await c.search('', { limit: 1000, filter: { status: 'expired' } });
    const valid = await c.search('', { limit: 1000, filter: { status: 'valid' } });
    expect(expired.results.map((r) => r.id)).toContain('t-3');
    expect(expired.results.map((r) => r.id)).not.toContain('t-4'); // its last day is today
    expect(valid.results.map((r) => r.id)).toContain('t-4');
    expect(valid.results.map((r) => r.id)).not.toContain('t-3');
    expect(expired.results.map((r) => r.id).sort()).toEqual(expected(many, '', { status: 'expired' }, '2027-01-05'));
    expect(valid.results.map((r) => r.id).sort()).toEqual(expected(many, '', { status: 'valid' }, '2027-01-05'));
    expect(expired.results.find((r) => r.id === 't-3')?.status).toBe('expired');
    // the expiry days of Nov 2026 – Jan 2027 only, each month once
    expect(later.fetched.filter((p) => /\/e\//.test(p)).map((p) => p.replace(/.*\/e\//, '')).sort()).toEqual(['202611.json', '202612.json', '202701.json']);

    // On the build day nothing is read beyond the lists; a phone clock behind counts as the build day.
    for (const day of [BUILT, '2025-01-01']) {
      const s = serve(files);
      const d = createSearchClient(s.fetchJson, { today: day });
      const res = await d.search('', { limit: 1000, filter: { status: 'expired' } });
      expect(res.results.map((r) => r.id).sort()).toEqual(expected(many, '', { status: 'expired' }, BUILT));
      expect(s.fetched.filter((p) => /\/e\//.test(p))).toEqual([]);
    }
  });

  it('carry the latest inspection on results, and filter never-inspected ones as "none"', async () => {
    const c = createSearchClient(serve(files).fetchJson, { today: BUILT });
    const res = await c.search('', { limit: 1000, filter: { result: 'none', category: 'sports' } });
    expect(res.total).toBe(expected(many, '', { result: 'none', category: 'sports' }, BUILT).length);
    expect(res.results.every((r) => r.inspection === null)).toBe(true);
    const one = await c.search('第7分校');
    expect(one.results).toEqual([expect.objectContaining({ id: 't-7', inspection: { year: 2024, result: 'absent' } })]);
  });

  it('find nothing for a 1-character query, for no query and no filter, and for unknown values', async () => {
    const s = serve(files);
    const c = createSearchClient(s.fetchJson, { today: BUILT });
    expect(await c.search('星', { filter: { town: 'east' } })).toEqual({ total: 0, exact: true, results: [] });
    expect(await c.search('  ', { filter: { town: '' } })).toEqual({ total: 0, exact: true, results: [] });
    expect(s.fetched).toEqual([]);
    expect((await c.search('', { filter: { town: 'atlantis' } })).total).toBe(0);
    expect(s.fetched.filter((p) => !p.endsWith('meta.json'))).toEqual([]); // no list file for a value nobody has
  });
});

describe('search address', () => {
  const choices = { category: CATEGORIES, town: TOWNS, status: STATUSES, result: [...RESULTS, 'none'] };
  it('reads the query and known filter values, dropping unknown ones', () => {
    const u = new URL('https://x/institutions/?q=%E5%8D%8E%E9%BC%8E&town=east&status=bogus&result=none&utm=1');
    expect(readSearchParams(u.searchParams, choices)).toEqual({ q: '华鼎', filter: { town: 'east', result: 'none' } });
    expect(readSearchParams(new URLSearchParams(''), choices)).toEqual({ q: '', filter: {} });
  });
  it('writes them back, leaving out empty ones and keeping other parameters', () => {
    const u = new URL('https://x/en/institutions/?utm=1&q=old&category=sports');
    const out = writeSearchParams(u, { q: ' hdys ', filter: { town: 'west', status: 'valid', category: undefined } });
    expect(out.pathname).toBe('/en/institutions/');
    expect(Object.fromEntries(out.searchParams)).toEqual({ utm: '1', q: 'hdys', town: 'west', status: 'valid' });
    expect(readSearchParams(out.searchParams, choices)).toEqual({ q: 'hdys', filter: { town: 'west', status: 'valid' } });
    expect(writeSearchParams(out, { q: '', filter: {} }).search).toBe('?utm=1');
  });
});
