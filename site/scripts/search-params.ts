/**
 * The search page's state in its address: /institutions/?q=&category=&town=&status=&result=
 * (pure, no DOM: the island and its tests share it). Unknown filter values are dropped, so an old
 * or hand-edited link never leaves the page filtering by something it cannot show.
 */
import type { SearchFilter } from './search-client.ts';

export const FILTER_PARAMS = ['category', 'town', 'status', 'result'] as const;
export type FilterParam = (typeof FILTER_PARAMS)[number];

/** The values each filter offers (codes; labels come from the page's strings). */
export type FilterChoices = Record<FilterParam, readonly string[]>;

export interface SearchState {
  q: string;
  filter: SearchFilter;
}

export function readSearchParams(params: URLSearchParams, choices: FilterChoices): SearchState {
  const filter: SearchFilter = {};
  for (const p of FILTER_PARAMS) {
    const v = params.get(p);
    if (v && choices[p].includes(v)) filter[p] = v;
  }
  return { q: params.get('q') ?? '', filter };
}

/** The same URL with the state in its query: empty values are left out, other parameters kept. */
export function writeSearchParams(url: URL, { q, filter }: SearchState): URL {
  const out = new URL(url);
  const set = (k: string, v: string | undefined) => (v ? out.searchParams.set(k, v) : out.searchParams.delete(k));
  set('q', q.trim());
  for (const p of FILTER_PARAMS) set(p, filter[p]);
  return out;
}
