import type { APIRoute } from 'astro';
import { sitemapChunks } from '../../lib/sitemap.ts';

export async function getStaticPaths() {
  return (await sitemapChunks()).map((urls, i) => ({ params: { n: String(i + 1) }, props: { urls } }));
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export const GET: APIRoute = ({ props }) => {
  const urls = (props as { urls: string[] }).urls;
  const body = urls.map((u) => `  <url><loc>${esc(u)}</loc></url>`).join('\n');
  return new Response(`<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${body}\n</urlset>\n`, { headers: { 'Content-Type': 'application/xml; charset=utf-8' } });
};
