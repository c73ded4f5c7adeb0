/**
 * Mounts the live institution search (site/islands/InstitutionSearch.tsx) on
 * <div id="institution-search" data-props='{"lang":…,"strings":{…},"towns":[…]}'>, with the query
 * and filters of the address (?q=&category=&town=&status=&result=). Loaded as a bundled module
 * script by the page (no inline script, no client: directive — CSP script-src 'self').
 * Any no-JS search form marked data-search-form is hidden: the island brings its own.
 */
import { h, render } from 'preact';
import { InstitutionSearch, filterChoices, type InstitutionSearchProps } from '../islands/InstitutionSearch.tsx';
import { createSearchClient } from './search-client.ts';
import { readSearchParams } from './search-params.ts';

const el = document.getElementById('institution-search');
const raw = el?.dataset.props;
if (el && raw) {
  const props = JSON.parse(raw) as InstitutionSearchProps;
  const client = createSearchClient(async (path) => {
    const res = await fetch(path, { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`${res.status} ${path}`);
    return res.json();
  });
  const { q: initialQuery, filter: initialFilter } = readSearchParams(new URL(location.href).searchParams, filterChoices(props));
  for (const form of document.querySelectorAll<HTMLElement>('[data-search-form]')) {
    form.hidden = true;
    form.style.display = 'none'; // [hidden] loses to an author rule such as .search { display: flex }
  }
  el.replaceChildren();
  render(h(InstitutionSearch, { ...props, initialQuery, initialFilter, client }), el);
}
