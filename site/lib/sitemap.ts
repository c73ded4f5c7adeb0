/**
 * Every public URL, both languages, chunked for sitemap files (the protocol allows 50,000 URLs a
 * file; we use 40,000). Admin pages and posters are not listed.
 */
import { getCollection, type CollectionEntry } from 'astro:content';
import { loadEnv } from '../../api/env.ts';
import { loadRegistry } from './registry.ts';
import { paginate } from './paging.ts';
import { townPagePaths } from './town-pages.ts';

export const SITEMAP_CHUNK = 40_000;

let cached: Promise<string[]> | null = null;

export function publicUrls(): Promise<string[]> {
  return (cached ??= (async () => {
    const base = loadEnv().PUBLIC_BASE_URL;
    const reg = await loadRegistry();
    const notices = await getCollection('notices');
    const guides = await getCollection('guides');
    const paths = [
      '/', '/institutions/', '/inspections/', '/notices/', '/guides/', '/data/', '/complaints/new/', '/complaints/track/',
      ...(await townPagePaths()).map((p) => `/institutions/town/${p.params.town}/${p.params.page}/`),
      ...reg.institutions.map((i) => `/institutions/${i.id}/`),
      ...reg.years.map((y) => `/inspections/${y}/`),
      ...reg.years.flatMap((y) => reg.towns.map((t) => `/inspections/${y}/${t.code}/`)),
      ...notices.map((n: CollectionEntry<'notices'>) => `/notices/${n.id}/`),
      ...guides.map((g: CollectionEntry<'guides'>) => `/guides/${g.id}/`),
    ];
    return paths.flatMap((p) => [`${base}${p}`, `${base}/en${p}`]);
  })());
}

export async function sitemapChunks(): Promise<string[][]> {
  return paginate(await publicUrls(), SITEMAP_CHUNK);
}
