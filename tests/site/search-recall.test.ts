/**
 * Institution search recall on the fixed query set (issue 3): the index is built from a fresh
 * seeded database exactly as the site build does, and every query runs through the real browser
 * client reading the generated files from memory. Also: no complaint data in any index file.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSeededDeps, complaintBody, postJson, testApp, type TestDeps } from '../helpers/test-deps.ts';
import { buildSearchIndex, type SearchIndexFile } from '../../site/lib/search-index.ts';
import { loadSearchRecords } from '../../site/lib/search-records.ts';
import { createSearchClient } from '../../site/scripts/search-client.ts';
import { bruteForce, DATASET } from '../fixtures/make-search-queries.ts';

interface Fixture {
  dataset: typeof DATASET;
  queries: { q: string; category: string; expected: string[] }[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/search-queries.json', import.meta.url), 'utf8')) as Fixture;

let deps: TestDeps;
let files: SearchIndexFile[];

beforeAll(async () => {
  deps = await createSeededDeps(DATASET.institutions, { now: `${DATASET.today}T02:00:00Z` });
  // A complaint with recognisable text, so the index can be checked for complaint data.
  const res = await postJson(testApp(deps), '/api/complaints', complaintBody({ description: '索引泄漏检查：机构拒绝退还剩余课时费用XQZ', course: '泄漏检查课程XQZ' }));
  expect(res.status, await res.clone().text()).toBe(201);
  files = buildSearchIndex(await loadSearchRecords(deps.db));
});
afterAll(() => deps?.cleanup());

describe('search query set', () => {
  it('has at least 40 queries and its expectations match the current demo data', async () => {
    expect(fixture.queries.length).toBeGreaterThanOrEqual(40);
    expect(fixture.dataset).toEqual(DATASET);
    const all = (await loadSearchRecords(deps.db)).map((r) => ({ ...r }));
    const stale = fixture.queries.filter((f) => JSON.stringify(bruteForce(all, f.q)) !== JSON.stringify(f.expected));
    expect(stale.map((s) => s.q), 'demo data changed: npm exec -- tsx tests/fixtures/make-search-queries.ts').toEqual([]);
  });

  it('finds ≥ 95 % of the expected institutions through the real client', async () => {
    const bodies = new Map(files.map((f) => [f.path, f.body]));
    const client = createSearchClient(async (path) => {
      const body = bodies.get(path);
      if (body === undefined) throw new Error(`404 ${path}`);
      return JSON.parse(body);
    }, { today: DATASET.today });

    const perCategory = new Map<string, { expected: number; found: number; extra: number; queries: number; perfect: number }>();
    const misses: string[] = [];
    for (const { q, category, expected } of fixture.queries) {
      const res = await client.search(q, { limit: 10_000 });
      const got = new Set(res.results.map((r) => r.id));
      const found = expected.filter((id) => got.has(id)).length;
      const extra = [...got].filter((id) => !expected.includes(id)).length;
      const c = perCategory.get(category) ?? { expected: 0, found: 0, extra: 0, queries: 0, perfect: 0 };
      c.queries++;
      // A query that must find nothing counts as one expected "hit": finding nothing.
      c.expected += Math.max(expected.length, 1);
      c.found += expected.length ? found : got.size === 0 ? 1 : 0;
      c.extra += extra;
      if (found === expected.length && extra === 0 && res.total === expected.length) c.perfect++;
      else misses.push(`${category} ${JSON.stringify(q)}: expected ${expected.length}, found ${found}, extra ${extra}, total ${res.total}`);
      perCategory.set(category, c);
    }
    const rows = [...perCategory].map(([cat, c]) => ({ category: cat, queries: c.queries, recall: `${((100 * c.found) / c.expected).toFixed(1)} %`, extra: c.extra, perfect: `${c.perfect}/${c.queries}` }));
    const expectedAll = [...perCategory.values()].reduce((a, c) => a + c.expected, 0);
    const foundAll = [...perCategory.values()].reduce((a, c) => a + c.found, 0);
    const recall = foundAll / expectedAll;
    console.log(`\nsearch recall by category (${fixture.queries.length} queries, ${DATASET.institutions} institutions):`);
    console.table(rows);
    console.log(`overall recall ${(100 * recall).toFixed(1)} % (${foundAll}/${expectedAll})${misses.length ? `\nimperfect:\n  ${misses.join('\n  ')}` : ''}`);
    expect(recall).toBeGreaterThanOrEqual(0.95);
  });

  it('carries nothing from the complaint tables', async () => {
    const tables = (
      await deps.db.readClient.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE 'complaint%' OR name IN ('clusters', 'outbox', 'audit_log'))")
    ).rows.map((r) => String(r.name));
    expect(tables).toContain('complaints');
    const ids = new Set((await loadSearchRecords(deps.db)).map((r) => r.id));
    const secrets = new Set<string>();
    for (const table of tables) {
      const { rows, columns } = await deps.db.readClient.execute(`SELECT * FROM "${table}"`);
      for (const row of rows) {
        for (const col of columns) {
          const v = row[col];
          // Free text, codes and ciphertext; not enum codes (refused, model …) nor institution ids.
          if (typeof v === 'string' && v.length >= 6 && !/^[a-z_]+$/.test(v) && !ids.has(v) && !/^\d{4}-\d\d-\d\d$/.test(v)) secrets.add(v);
        }
      }
    }
    expect([...secrets].some((s) => s.includes('XQZ'))).toBe(true);
    const leaks = files.flatMap((f) => [...secrets].filter((s) => f.body.includes(s)).map((s) => `${f.path}: ${s}`));
    expect(leaks).toEqual([]);
  });
});
