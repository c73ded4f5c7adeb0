/** The search index's pure core: posting-list codec, intersection, query parsing. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodePostings, encodePostings, intersectSorted, parseQuery, queryPlan } from '../../site/lib/search-core.ts';
import { spread } from '../../site/scripts/search-client.ts';

const sortedSet = (max: number) => fc.uniqueArray(fc.integer({ min: 0, max }), { maxLength: 400 }).map((a) => a.sort((x, y) => x - y));

describe('posting lists', () => {
  it('round-trip through the sparse and the bitmap encodings', () => {
    fc.assert(
      fc.property(fc.oneof(sortedSet(60), sortedSet(5_000), sortedSet(2_000_000)), (ords) => {
        expect(Array.from(decodePostings(encodePostings(ords)))).toEqual(ords);
      }),
    );
    expect(encodePostings([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]).startsWith('m')).toBe(true);
    expect(encodePostings([7, 90_000]).startsWith('v')).toBe(true);
  });

  it('intersect like sets do', () => {
    fc.assert(
      fc.property(fc.array(sortedSet(3_000), { minLength: 1, maxLength: 4 }), (lists) => {
        const want = lists.reduce((acc, l) => acc.filter((v) => l.includes(v)));
        expect(Array.from(intersectSorted(lists.map((l) => Uint32Array.from(l))))).toEqual(want);
      }),
    );
  });
});

describe('queries', () => {
  const meta = { tDigitRun: 2, creditLengths: [18], licenseMax: 15, tMax: 60 };
  it('normalise width, case, whitespace and the license form', () => {
    expect(parseQuery(' Hua Ding ')).toEqual({ space: 'alnum', text: 'huading' });
    expect(parseQuery('ＨＤＹＳ')).toEqual({ space: 'alnum', text: 'hdys' });
    expect(parseQuery('教民 370305 300000123 号')).toEqual({ space: 'alnum', text: '370305300000123' });
    expect(parseQuery('华 鼎')).toEqual({ space: 'name', text: '华鼎' });
    expect(parseQuery('鼎')).toBeNull();
    expect(parseQuery('')).toBeNull();
  });
  it('plan grams per space', () => {
    expect(queryPlan(parseQuery('华鼎艺')!, meta)).toEqual([['n华鼎', 'n鼎艺']]);
    expect(queryPlan(parseQuery('hd')!, meta)).toEqual([['bhd']]);
    expect(queryPlan(parseQuery('hdys')!, meta)).toEqual([['thdy', 'tdys']]);
    // digits longer than any pinyin digit run skip the trigram space
    expect(queryPlan(parseQuery('0001234')!, meta)).toEqual([['k000123', 'k001234']]);
    // a credit code is longer than any license number: one exact lookup
    expect(queryPlan(parseQuery('52370305100002978A')!, meta)).toEqual([['c52370305100002978a']]);
    expect(queryPlan(parseQuery('523703051000029781')!, meta)).toEqual([['c523703051000029781']]);
  });
  it('spread keeps the ends', () => {
    expect(spread([1, 2, 3], 6)).toEqual([1, 2, 3]);
    expect(spread([...'abcdefghij'], 4)).toEqual(['a', 'd', 'g', 'j']);
  });
});
