/** The browser search client on a small synthetic index: filters, paging, a publish mid-session. */
import { describe, expect, it } from 'vitest';
import { buildSearchIndex, type SearchRecord } from '../../site/lib/search-index.ts';
import { createSearchClient } from '../../site/scripts/search-client.ts';
import { nameSearchKeys } from '../../api/institutions/search-keys.ts';

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
  const files = buildSearchIndex(records, { rowsPerShard: 8 });

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
    const next = buildSearchIndex([...records, record(62, '新华鼎书法学校')], { rowsPerShard: 8 });
    s.map.clear();
    for (const f of next) s.map.set(f.path, f.body);
    const res = await c.search('华鼎');
    expect(res.results.map((r) => r.name)).toEqual(['华鼎艺术学校', '新华鼎书法学校']);
    expect(s.fetched.filter((p) => p.endsWith('meta.json'))).toHaveLength(2);
  });
});
