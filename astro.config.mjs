// @ts-check
import { defineConfig } from 'astro/config';
import node from '@astrojs/node';
import preact from '@astrojs/preact';
import { noRawHtmlInMarkdown } from './site/lib/markdown-no-html.ts';

// Static public site + on-demand admin pages, served by api/server.ts (node adapter in
// middleware mode). Islands are hydrated from bundled scripts (no client: directives), so the
// pages carry no inline script and the CSP can say script-src 'self'.
export default defineConfig({
  srcDir: './site',
  publicDir: './site/public',
  output: 'static',
  // Each page reads its body through api/http/body.ts under its own limit (8 KB to 52 MB); this
  // is only the adapter's outer bound (its default is 1 GB), just above the largest route limit.
  adapter: node({ mode: 'middleware', bodySizeLimit: 64 * 1024 * 1024 }),
  // Notices and guides (content/) are rendered without any raw HTML they might contain.
  integrations: [preact(), noRawHtmlInMarkdown()],
  site: 'http://localhost:4321',
  trailingSlash: 'ignore',
  i18n: {
    defaultLocale: 'zh-CN',
    locales: ['zh-CN', 'en'],
    routing: { prefixDefaultLocale: false },
  },
  // Four pages in flight: with one, the build waited on each page's mkdir + write (20–45 % of the
  // page phase idle); 4 cut the build at 30,000 institutions from 186 s to 138 s. The heap this
  // costs is capped by the build child's flags (api/ops/build.ts BUILD_NODE_ARGS).
  build: { inlineStylesheets: 'never', format: 'directory', concurrency: 4 },
  // api/server.ts checks the Origin of every state-changing request itself (against the Host it
  // was reached by and PUBLIC_BASE_URL); Astro's own check only knows the configured site origin,
  // so it would refuse the same form reached through 127.0.0.1 or a proxy.
  security: { checkOrigin: false },
  compressHTML: true,
  devToolbar: { enabled: false },
  vite: {
    build: { assetsInlineLimit: 0 },
  },
});
