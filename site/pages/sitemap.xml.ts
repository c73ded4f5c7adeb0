/** Sitemap index pointing at the chunked URL lists. */
import type { APIRoute } from 'astro';
import { loadEnv } from '../../api/env.ts';
import { sitemapChunks } from '../lib/sitemap.ts';

export const GET: APIRoute = async () => {
  const base = loadEnv().PUBLIC_BASE_URL;
  const chunks = await sitemapChunks();
  const items = chunks.map((_, i) => `  <sitemap><loc>${base}/sitemaps/${i + 1}.xml</loc></sitemap>`).join('\n');
  return new Response(`<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${items}\n</sitemapindex>\n`, { headers: { 'Content-Type': 'application/xml; charset=utf-8' } });
};
