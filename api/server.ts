/**
 * The one Node entry for HTTP: Hono routes (/api, /healthz), the prerendered site's static files,
 * and Astro's on-demand pages, all in one process with security headers on every response.
 * Stateless: everything lasting lives in the database, so several processes can run side by side.
 */
import { createReadStream, existsSync } from 'node:fs';
import { pipeline } from 'node:stream';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import { createApp } from './app.ts';
import type { Deps } from './deps.ts';
import type { Env } from './env.ts';
import { isOwnOrigin } from './http/own-origin.ts';
import { SECURITY_HEADERS } from './http/security-headers.ts';
import { MAX_PATH_BYTES, serveStatic } from './http/static-files.ts';
import { currentBuildDir } from './ops/site-dirs.ts';

type AstroHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void, locals?: object) => Promise<void>;

interface LiveSite {
  dir: string;
  clientDir: string;
  astro: AstroHandler;
}

export interface RunningServer {
  server: Server;
  port: number;
  /** Re-read SITE_DIR/current and switch to it if it moved (after a publish, here or elsewhere). */
  reloadSite(): Promise<void>;
  close(): Promise<void>;
}

/**
 * CSRF defence for the on-demand pages' forms (the admin API has its own tokens): a POST must come
 * from a page of this site — its Origin is the host it was sent to, or one of our own origins
 * (PUBLIC_BASE_URL, and its loopback spellings in demo mode: api/http/own-origin.ts).
 */
export function isSameOriginWrite(req: IncomingMessage, env: Pick<Env, 'PUBLIC_BASE_URL' | 'APP_MODE'>): boolean {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return true;
  if (req.headers['sec-fetch-site'] === 'same-origin') return true;
  const origin = req.headers.origin;
  if (!origin || origin === 'null') return false;
  try {
    const o = new URL(origin);
    return o.host === req.headers.host || isOwnOrigin(env, origin);
  } catch {
    return false;
  }
}

async function loadSite(dir: string): Promise<LiveSite> {
  const mod = (await import(pathToFileURL(join(dir, 'server', 'entry.mjs')).href)) as { handler: AstroHandler };
  return { dir, clientDir: join(dir, 'client'), astro: mod.handler };
}

const SITE_MISSING_HTML = '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>网站正在生成</title><p>网站正在生成，请稍后刷新。The site is being built; please reload shortly.</p></html>';

export async function startServer(deps: Deps, opts: { port: number; host: string }): Promise<RunningServer> {
  const app = createApp(deps);
  const apiListener = getRequestListener(app.fetch);
  let site: LiveSite | null = null;

  async function reloadSite() {
    const dir = currentBuildDir(deps.env.SITE_DIR);
    if (!dir || dir === site?.dir) return;
    try {
      site = await loadSite(dir);
      deps.log.info({ dir }, 'serving site build');
    } catch (err) {
      deps.log.error({ dir, err: (err as Error).message }, 'could not load site build; keeping the previous one');
    }
  }
  await reloadSite();
  // Another process may publish: notice the moved symlink without a restart.
  const watcher = setInterval(() => void reloadSite(), 10_000);
  watcher.unref();

  const notFound = (res: ServerResponse, s: LiveSite | null) => {
    const page = s ? join(s.clientDir, '404.html') : null;
    if (res.headersSent) return void res.end();
    res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    if (page && existsSync(page)) pipeline(createReadStream(page), res, (err) => err && res.destroy());
    else res.end('<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>页面不存在</title><p>页面不存在。</p></html>');
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (Buffer.byteLength(path) > MAX_PATH_BYTES) {
      res.writeHead(414, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
      return void res.end('请求地址过长。The request URL is too long.');
    }
    if (path === '/healthz' || path === '/api' || path.startsWith('/api/')) return void apiListener(req, res);
    const s = site;
    if (!s) {
      res.writeHead(503, { 'Content-Type': 'text/html; charset=utf-8', 'Retry-After': '10' });
      return void res.end(SITE_MISSING_HTML);
    }
    if (serveStatic(req, res, s.clientDir)) return;
    if (!isSameOriginWrite(req, deps.env)) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' });
      return void res.end('跨站提交被拒绝。Cross-site form submissions are refused.');
    }
    const failed = (err: unknown) => {
      deps.log.error({ err: (err as Error)?.message ?? String(err), path }, 'page render failed');
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end();
    };
    try {
      s.astro(req, res, () => notFound(res, s), { deps }).catch(failed);
    } catch (err) {
      failed(err); // a handler that throws before its first await
    }
  };

  const server = createServer((req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const started = performance.now();
    res.on('finish', () => {
      deps.log.info({ method: req.method, path: (req.url ?? '/').split('?')[0]!.slice(0, 200), status: res.statusCode, ms: Math.round(performance.now() - started) }, 'request');
      // Answered before the body was all read (413, 403, …): give the client a moment to read the
      // answer, then close, rather than wait on (or buffer) the rest of a body nobody will read.
      if (!req.complete) setTimeout(() => req.socket.destroy(), 500).unref();
    });
    try {
      handle(req, res);
    } catch (err) {
      // Nothing a request holds may end the process; api/process-guard.ts is only the last resort.
      deps.log.error({ err: (err as Error)?.message ?? String(err), path: (req.url ?? '/').split('?')[0]!.slice(0, 200) }, 'request failed');
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end();
    }
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  // Evidence uploads (up to 5 × 10 MB) on a slow mobile link need minutes, not seconds.
  server.requestTimeout = 300_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;

  return {
    server,
    port,
    reloadSite,
    async close() {
      clearInterval(watcher);
      // Stop accepting, let in-flight requests finish, drop idle keep-alive sockets.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
