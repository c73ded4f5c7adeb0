/**
 * The institution search index as static files: /search/meta.json and the content-hashed shards
 * under /search/<hash>/ (see site/lib/search-index.ts). One endpoint, one file per path.
 */
import type { APIRoute, GetStaticPaths } from 'astro';
import { buildSearchIndex } from '../../lib/search-index.ts';
import { loadSearchRecords } from '../../lib/search-records.ts';

export const prerender = true;

export const getStaticPaths = (async () => {
  const files = buildSearchIndex(await loadSearchRecords());
  return files.map((f) => ({ params: { file: f.path.replace(/^\/search\//, '') }, props: { body: f.body } }));
}) satisfies GetStaticPaths;

export const GET: APIRoute = ({ props }) =>
  new Response((props as { body: string }).body, { headers: { 'Content-Type': 'application/json; charset=utf-8' } });
