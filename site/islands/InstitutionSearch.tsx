/**
 * Live institution search (Preact island). Mounted by site/scripts/mount-search.ts from the
 * element's data-props; strings come in as props (no i18n import: one language per page bundle).
 * Reads ?q= on load, searches as you type (debounced), keeps ?q= in the address bar, announces the
 * count in a polite live region, and shows PAGE results at a time with a "more" button.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { SearchClient, SearchResponse } from '../scripts/search-client.ts';

export interface InstitutionSearchStrings {
  label: string;
  placeholder: string;
  button: string;
  /** '{n}' is replaced by the count. */
  found: string;
  foundApprox: string;
  none: string;
  tooShort: string;
  loading: string;
  error: string;
  more: string;
  licenseNo: string;
  status: Record<string, string>;
  category: Record<string, string>;
}

export interface InstitutionSearchProps {
  lang: 'zh-CN' | 'en';
  strings: InstitutionSearchStrings;
  /** Query to start with (the mount script passes ?q=). */
  initialQuery?: string;
}

export const PAGE = 10;
const DEBOUNCE_MS = 200;

type State =
  | { kind: 'idle' }
  | { kind: 'short' }
  | { kind: 'loading' }
  | { kind: 'error' }
  | { kind: 'done'; res: SearchResponse };

const fill = (template: string, n: number) => template.replace('{n}', n.toLocaleString());

export function InstitutionSearch({ lang, strings: s, initialQuery = '', client }: InstitutionSearchProps & { client: SearchClient }) {
  const [query, setQuery] = useState(initialQuery);
  const [limit, setLimit] = useState(PAGE);
  const [state, setState] = useState<State>({ kind: 'idle' });
  const seq = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const prefix = lang === 'en' ? '/en' : '';

  function run(q: string, lim: number) {
    const mine = ++seq.current;
    const trimmed = q.trim();
    if (!trimmed) return setState({ kind: 'idle' });
    if ([...trimmed.replace(/\s+/g, '')].length < 2) return setState({ kind: 'short' });
    setState((prev) => (prev.kind === 'done' && lim > PAGE ? prev : { kind: 'loading' }));
    client.search(trimmed, { limit: lim }).then(
      (res) => {
        if (mine === seq.current) setState({ kind: 'done', res });
      },
      () => {
        if (mine === seq.current) setState({ kind: 'error' });
      },
    );
  }

  function schedule(q: string, delay: number) {
    clearTimeout(timer.current);
    setLimit(PAGE);
    timer.current = setTimeout(() => run(q, PAGE), delay);
    const url = new URL(location.href);
    if (q.trim()) url.searchParams.set('q', q.trim());
    else url.searchParams.delete('q');
    history.replaceState(history.state, '', url);
  }

  useEffect(() => {
    void client.warm().catch(() => undefined);
    if (initialQuery) run(initialQuery, PAGE);
    return () => clearTimeout(timer.current);
  }, []);

  const announce = useMemo(() => {
    switch (state.kind) {
      case 'short':
        return s.tooShort;
      case 'error':
        return s.error;
      case 'done':
        return state.res.total === 0 ? s.none : fill(state.res.exact ? s.found : s.foundApprox, state.res.total);
      default:
        return '';
    }
  }, [state, s]);

  const res = state.kind === 'done' ? state.res : null;
  return (
    <div class="institution-search">
      <form
        class="search"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          clearTimeout(timer.current);
          run(query, limit);
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
            schedule(v, DEBOUNCE_MS);
          }}
        />
        <button class="btn" type="submit">
          {s.button}
        </button>
      </form>
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
            run(query, next);
          }}
        >
          {s.more}
        </button>
      )}
    </div>
  );
}
