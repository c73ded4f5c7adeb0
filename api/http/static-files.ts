/**
 * Serves the prerendered site (dist/<build>/client). Path traversal is refused; hashed assets
 * under /_astro/ are immutable; HTML is revalidated so a publish shows up at once.
 *
 * Whatever the request path holds, a failed lookup means "not served" and never an exception:
 * a client must not be able to stop the process with a URL (a 256-byte segment once made
 * statSync throw ENAMETOOLONG out of the request handler).
 */
import { createReadStream, statSync, type Stats } from 'node:fs';
import { pipeline } from 'node:stream';
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

/** Request paths longer than this (bytes, as sent) are answered 414 by api/server.ts. */
export const MAX_PATH_BYTES = 2048;
/** File systems refuse longer names (ENAMETOOLONG), so a longer segment names nothing we serve. */
const MAX_SEGMENT_BYTES = 255;

/**
 * The path part of a request target as clean segments: percent-decoded, empty segments dropped
 * (`//x` is `/x`), and null for anything no file of ours can be called — undecodable escapes, an
 * encoded `/` or `\\`, NUL, `.`/`..`, or an over-long segment. `trailingSlash` keeps whether the
 * path ended in `/`.
 */
export function sitePath(target: string | undefined): { segments: string[]; trailingSlash: boolean } | null {
  const raw = (target ?? '/').split(/[?#]/, 1)[0]!;
  if (!raw.startsWith('/')) return null;
  const segments: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '') continue;
    let seg: string;
    try {
      seg = decodeURIComponent(part);
    } catch {
      return null;
    }
    if (seg === '.' || seg === '..' || /[/\\\0]/.test(seg) || Buffer.byteLength(seg) > MAX_SEGMENT_BYTES) return null;
    segments.push(seg);
  }
  return { segments, trailingSlash: raw.endsWith('/') };
}

/** A same-site path for a Location header: always one leading slash, never `//host` or `/\\host`. */
export const redirectPath = (segments: readonly string[]) => `/${segments.map(encodeURIComponent).join('/')}${segments.length ? '/' : ''}`;

const stat = (file: string): Stats | undefined => {
  try {
    return statSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined; // ENAMETOOLONG, EACCES, ELOOP …: not something we serve
  }
};

/**
 * Answers a request for a file of the built site: true when it answered (the file, a redirect to
 * the folder's slash form, 304, or 405 for a method other than GET/HEAD on a file that exists),
 * false when the path is not a file of the site (the caller goes on to the on-demand pages).
 */
export function serveStatic(req: IncomingMessage, res: ServerResponse, clientDir: string): boolean {
  const parsed = sitePath(req.url);
  if (!parsed) return false;
  const path = `/${parsed.segments.join('/')}${parsed.trailingSlash && parsed.segments.length ? '/' : ''}`;
  let file = join(clientDir, ...parsed.segments);
  let st = stat(file);
  if (st?.isDirectory()) {
    if (!parsed.trailingSlash && parsed.segments.length) {
      res.writeHead(301, { Location: redirectPath(parsed.segments) });
      res.end();
      return true;
    }
    file = join(file, 'index.html');
    st = stat(file);
  }
  if (!st?.isFile()) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('此页面只能查看，不能提交。This page can only be read (GET, HEAD).');
    return true;
  }
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
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  // pipeline, not pipe: a file removed between stat and read (an old build cleaned up after a
  // publish) is an 'error' event that must end this response, not the process.
  const done = (err: NodeJS.ErrnoException | null) => {
    if (err) res.destroy();
  };
  if (gzip) pipeline(createReadStream(file), createGzip({ level: 6, flush: zlib.Z_NO_FLUSH }), res, done);
  else pipeline(createReadStream(file), res, done);
  return true;
}
