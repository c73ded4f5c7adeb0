/**
 * Serves the prerendered site (dist/<build>/client). Path traversal is refused; hashed assets
 * under /_astro/ are immutable; HTML is revalidated so a publish shows up at once.
 */
import { createReadStream, statSync } from 'node:fs';
import { createGzip, constants as zlib } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.bin': 'application/octet-stream',
};

export function serveStatic(req: IncomingMessage, res: ServerResponse, clientDir: string): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    return false;
  }
  if (path.includes('\0') || path.split('/').includes('..')) return false;
  let file = join(clientDir, path);
  let st = statSync(file, { throwIfNoEntry: false });
  if (st?.isDirectory()) {
    if (!path.endsWith('/')) {
      res.writeHead(301, { Location: `${path}/` });
      res.end();
      return true;
    }
    file = join(file, 'index.html');
    st = statSync(file, { throwIfNoEntry: false });
  }
  if (!st?.isFile()) return false;
  const ext = extname(file);
  res.setHeader('Content-Type', TYPES[ext] ?? 'application/octet-stream');
  res.setHeader('Content-Length', String(st.size));
  // Hashed assets and content-addressed search shards never change; everything else revalidates.
  const immutable = path.startsWith('/_astro/') || (path.startsWith('/search/') && path !== '/search/meta.json');
  res.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate');
  res.setHeader('Last-Modified', st.mtime.toUTCString());
  if (req.headers['if-modified-since'] && !immutable) {
    const since = Date.parse(req.headers['if-modified-since']);
    if (!Number.isNaN(since) && Math.floor(st.mtimeMs / 1000) * 1000 <= since) {
      res.writeHead(304);
      res.end();
      return true;
    }
  }
  // Text is gzipped on the fly (pages are small; a weak 4G link gains far more than the CPU costs).
  const compressible = /^(text\/|application\/(json|xml|manifest)|image\/svg)/.test(res.getHeader('Content-Type') as string) && st.size > 1024;
  const gzip = compressible && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  if (compressible) res.setHeader('Vary', 'Accept-Encoding');
  if (gzip) {
    res.removeHeader('Content-Length');
    res.setHeader('Content-Encoding', 'gzip');
  }
  res.writeHead(200);
  if (req.method === 'HEAD') res.end();
  else if (gzip) createReadStream(file).pipe(createGzip({ level: 6, flush: zlib.Z_NO_FLUSH })).pipe(res);
  else createReadStream(file).pipe(res);
  return true;
}
