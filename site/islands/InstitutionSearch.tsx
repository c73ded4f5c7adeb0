/**
 * Live institution search (Preact island). Mounted by site/scripts/mount-search.ts from the
 * element's data-props; strings and the town list come in as props (no i18n import: one language
 * per page bundle). Reads ?q=&category=&town=&status=&result= on load, searches as you type
 * (debounced) and as filters change, keeps all of them in the address bar (a link or a reload
 * shows the same list), announces the count in a polite live region, and shows PAGE results at a
 * time with a "more" button. Filters without a query list every institution they admit: the index
 * answers that from one small posting list per filter (site/lib/search-core.ts).
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { hasFilter, type SearchClient, type SearchFilter, type SearchResponse } from '../scripts/search-client.ts';
import { FILTER_PARAMS, writeSearchParams, type FilterChoices, type FilterParam } from '../scripts/search-params.ts';
import { NO_INSPECTION } from '../lib/search-core.ts';

export interface InstitutionSearchStrings {
  label: string;
  placeholder: string;
  button: string;
  /** '{n}' is replaced by the count. */
  found: string;
  foundApprox: string;
  none: string;
  /** No match while filters are set. */
  noneFiltered: string;
  tooShort: string;
  loading: string;
  error: string;
  more: string;
  licenseNo: string;
  /** Name of the group of filters. */
  filters: string;
  filterCategory: string;
  filterTown: string;
  filterStatus: string;
  filterResult: string;
  /** The "any value" choice of every filter. */
  filterAny: string;
  clearFilters: string;
  /** Latest inspection of a result: '{year}' and '{result}' are replaced. */
  inspection: string;
  /** Never inspected (a result line, and the result filter's choice 'none'). */
  noInspection: string;
  status: Record<string, string>;
  category: Record<string, string>;
  result: Record<string, string>;
}

export interface InstitutionSearchProps {
  lang: 'zh-CN' | 'en';
  strings: InstitutionSearchStrings;
  /** Towns/streets of the registry, in the page's order and language. */
  towns: { code: string; name: string }[];
  /** Query and filters to start with (the mount script passes the URL's, checked by filterChoices). */
  initialQuery?: string;
  initialFilter?: SearchFilter;
}

export const PAGE = 10;
const DEBOUNCE_MS = 200;

/** The codes each filter offers, from the props (also what the mount script accepts in the URL). */
export function filterChoices({ strings: s, towns }: Pick<InstitutionSearchProps, 'strings' | 'towns'>): FilterChoices {
  return {
    category: Object.keys(s.category),
    town: towns.map((t) => t.code),
    status: Object.keys(s.status),
    result: [...Object.keys(s.result), NO_INSPECTION],
  };
}

type State =
  | { kind: 'idle' }
  | { kind: 'short' }
  | { kind: 'loading' }
  | { kind: 'error' }
  | { kind: 'done'; res: SearchResponse };

const fill = (template: string, n: number) => template.replace('{n}', n.toLocaleString());

export function InstitutionSearch({
  lang,
  strings: s,
  towns,
  initialQuery = '',
  initialFilter = {},
  client,
}: InstitutionSearchProps & { client: SearchClient }) {
  const [query, setQuery] = useState(initialQuery);
  const [filter, setFilter] = useState<SearchFilter>(initialFilter);
  const [limit, setLimit] = useState(PAGE);
  const [state, setState] = useState<State>({ kind: 'idle' });
  const seq = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const prefix = lang === 'en' ? '/en' : '';
  const choices = useMemo(() => filterChoices({ strings: s, towns }), [s, towns]);
  const townName = useMemo(() => new Map(towns.map((t) => [t.code, t.name])), [towns]);

  function run(q: string, f: SearchFilter, lim: number) {
    const mine = ++seq.current;
    const trimmed = q.trim();
    const filtering = hasFilter(f);
    if (!trimmed && !filtering) return setState({ kind: 'idle' });
    if (trimmed && [...trimmed.replace(/\s+/g, '')].length < 2) return setState({ kind: 'short' });
    setState((prev) => (prev.kind === 'done' && lim > PAGE ? prev : { kind: 'loading' }));
    client.search(trimmed, { limit: lim, filter: f }).then(
      (res) => {
        if (mine === seq.current) setState({ kind: 'done', res });
      },
      () => {
        if (mine === seq.current) setState({ kind: 'error' });
      },
    );
  }

  function schedule(q: string, f: SearchFilter, delay: number) {
    clearTimeout(timer.current);
    setLimit(PAGE);
    if (delay) timer.current = setTimeout(() => run(q, f, PAGE), delay);
    else run(q, f, PAGE);
    history.replaceState(history.state, '', writeSearchParams(new URL(location.href), { q, filter: f }));
  }

  function setOne(p: FilterParam, value: string) {
    const next = { ...filter, [p]: value || undefined };
    setFilter(next);
    schedule(query, next, 0);
  }

  useEffect(() => {
    void client.warm().catch(() => undefined);
    if (initialQuery || hasFilter(initialFilter)) run(initialQuery, initialFilter, PAGE);
    return () => clearTimeout(timer.current);
  }, []);

  const filtering = hasFilter(filter);
  const announce = useMemo(() => {
    switch (state.kind) {
      case 'short':
        return s.tooShort;
      case 'error':
        return s.error;
      case 'done':
        if (state.res.total === 0) return filtering ? s.noneFiltered : s.none;
        return fill(state.res.exact ? s.found : s.foundApprox, state.res.total);
      default:
        return '';
    }
  }, [state, s, filtering]);

  const label = (p: FilterParam, code: string): string => {
    if (p === 'category') return s.category[code] ?? code;
    if (p === 'town') return townName.get(code) ?? code;
    if (p === 'status') return s.status[code] ?? code;
    return code === NO_INSPECTION ? s.noInspection : (s.result[code] ?? code);
  };
  const filterLabel: Record<FilterParam, string> = {
    category: s.filterCategory,
    town: s.filterTown,
    status: s.filterStatus,
    result: s.filterResult,
  };

  const res = state.kind === 'done' ? state.res : null;
  return (
    <div class="institution-search">
      <form
        class="search"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          clearTimeout(timer.current);
          run(query, filter, limit);
        }}
      >
        <label class="skip" for="institution-search-q">
          {s.label}
        </label>
        <input
          id="institution-search-q"
          type="search"
          name="q"
          value={query}
          placeholder={s.placeholder}
          autocomplete="off"
          autocapitalize="off"
          spellcheck={false}
          enterkeyhint="search"
          aria-describedby="institution-search-status"
          onInput={(e) => {
            const v = (e.currentTarget as HTMLInputElement).value;
            setQuery(v);
            schedule(v, filter, DEBOUNCE_MS);
          }}
        />
        <button class="btn" type="submit">
          {s.button}
        </button>
      </form>
      <fieldset class="search-filters">
        <legend class="skip">{s.filters}</legend>
        {FILTER_PARAMS.map((p) => (
          <div class="search-filter" key={p}>
            <label for={`institution-filter-${p}`}>{filterLabel[p]}</label>
            <select
              id={`institution-filter-${p}`}
              name={p}
              value={filter[p] ?? ''}
              onChange={(e) => setOne(p, (e.currentTarget as HTMLSelectElement).value)}
            >
              <option value="">{s.filterAny}</option>
              {choices[p].map((code) => (
                <option key={code} value={code}>
                  {label(p, code)}
                </option>
              ))}
            </select>
          </div>
        ))}
        {filtering && (
          <button
            class="linkish search-filters-clear"
            type="button"
            onClick={() => {
              setFilter({});
              schedule(query, {}, 0);
            }}
          >
            {s.clearFilters}
          </button>
        )}
      </fieldset>
      <p id="institution-search-status" class="muted" role="status" aria-live="polite" aria-atomic="true">
        {state.kind === 'loading' ? s.loading : announce}
      </p>
      {res && res.results.length > 0 && (
        <ol class="search-results" aria-label={announce}>
          {res.results.map((r) => (
            <li key={r.id}>
              <a href={`${prefix}/institutions/${encodeURIComponent(r.id)}/`}>{r.name}</a>{' '}
              <span class={`badge st-${r.status}`}>{s.status[r.status] ?? r.status}</span>
              <br />
              <span class="muted">
                {s.category[r.category] ?? r.category} · {lang === 'en' ? r.townEn : r.townZh} · {s.licenseNo} {r.licenseNo}
              </span>
              <br />
              <span class={`small${r.inspection ? ` r-${r.inspection.result}` : ' muted'}`}>
                {r.inspection
                  ? s.inspection.replace('{year}', String(r.inspection.year)).replace('{result}', s.result[r.inspection.result] ?? r.inspection.result)
                  : s.noInspection}
              </span>
            </li>
          ))}
        </ol>
      )}
      {res && res.results.length < res.total && res.results.length >= limit && (
        <button
          class="btn secondary"
          type="button"
          onClick={() => {
            const next = limit + PAGE;
            setLimit(next);
            run(query, filter, next);
          }}
        >
          {s.more}
        </button>
      )}
    </div>
  );
}
