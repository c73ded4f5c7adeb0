/** GET /api/openapi.json, GET /api/docs (and its stylesheet). Public, cacheable, no I/O. */
import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env.ts';
import { openApiDocument } from './document.ts';
import { DOCS_CSS, renderDocsPage } from './docs-page.ts';

export function openApiRoutes() {
  const r = new Hono<AppEnv>();
  r.get('/openapi.json', (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    return c.json(openApiDocument());
  });
  let page: string | null = null;
  r.get('/docs', (c) => {
    page ??= renderDocsPage();
    c.header('Cache-Control', 'public, max-age=300');
    return c.html(page);
  });
  r.get('/docs.css', (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    return c.body(DOCS_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' });
  });
  return r;
}
