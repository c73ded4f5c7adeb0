/**
 * What a stranger can send to the real server (api/server.ts startServer, one process for API,
 * static site and on-demand pages): over-long paths and segments, encoded dots and slashes,
 * protocol-relative redirects, chunked and slow bodies over a route's limit, a declared
 * over-limit Content-Length, 20 KB of headers and unlisted methods. Every answer is a 4xx and
 * the suite ends by checking that /healthz still answers: the process is still there.
 *
 * The site is a small fake build (prerendered files + tests/fixtures/fake-astro-entry.ts in
 * place of Astro's server entry, which answers the tracking and sign-in pages with their real
 * handlers through Astro's own node request adapter), so no site build is needed.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { startServer, type RunningServer } from '../../api/server.ts';
import { consumeRateLimit } from '../../api/security/rate-limit.ts';
import { SIGNIN_IP_LIMIT, signInIpKey } from '../../api/staff/auth-service.ts';
import { rateLimits } from '../../db/schema.ts';
import { createSeededDeps, type TestDeps } from '../helpers/test-deps.ts';
import { rawRequest, streamChunked } from '../helpers/raw-http.ts';

const ENTRY = fileURLToPath(new URL('../fixtures/fake-astro-entry.ts', import.meta.url));

let deps: TestDeps;
let server: RunningServer;
let port: number;

const get = (path: string, extra = '') => rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}${extra}`);
/**
 * A post's head. Pages get a same-origin Origin (api/server.ts refuses cross-site page posts before
 * they run); the API is called as a non-browser client would, without one.
 */
const postHead = (path: string, type: string, extra = '') =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}${path.startsWith('/api/') ? '' : `\r\nOrigin: http://127.0.0.1:${port}`}\r\nContent-Type: ${type}${extra}`;

async function healthy() {
  const r = await get('/healthz');
  expect(r.status).toBe(200);
  expect(r.body).toContain('"ok"');
}

beforeAll(async () => {
  deps = await createSeededDeps(10);
  const build = join(deps.env.SITE_DIR, 'builds', 'b1');
  mkdirSync(join(build, 'client', 'institutions'), { recursive: true });
  mkdirSync(join(build, 'client', '_astro'), { recursive: true });
  mkdirSync(join(build, 'server'), { recursive: true });
  writeFileSync(join(build, 'client', 'index.html'), '<!doctype html><h1>首页</h1>');
  writeFileSync(join(build, 'client', 'institutions', 'index.html'), '<!doctype html><h1>机构</h1>');
  writeFileSync(join(build, 'client', '404.html'), '<!doctype html><h1>页面不存在</h1>');
  writeFileSync(join(build, 'client', '_astro', 'app.js'), 'console.log(1)');
  writeFileSync(join(build, 'server', 'secret.txt'), 'SERVER-SIDE-ONLY');
  writeFileSync(join(build, 'server', 'entry.mjs'), `export { handler } from ${JSON.stringify(ENTRY)};\n`);
  symlinkSync(build, join(deps.env.SITE_DIR, 'current'));
  server = await startServer(deps, { port: 0, host: '127.0.0.1' });
  port = server.port;
  await healthy();
});

afterAll(async () => {
  await server?.close();
  await deps?.cleanup();
});

describe('paths', () => {
  it('a 256-byte path segment is "not served" (404), not a crash', async () => {
    expect((await get(`/${'A'.repeat(256)}`)).status).toBe(404);
    expect((await get(`/institutions/${encodeURIComponent('机构'.repeat(43))}`)).status).toBe(404);
    expect((await get(`/institutions/${encodeURIComponent('机构'.repeat(43))}/`)).status).toBe(404);
    expect((await get(`/_astro/${'B'.repeat(300)}.js`)).status).toBe(404);
    await healthy();
  });

  it('an over-long URL answers 414', async () => {
    const r = await get(`/${'abcdefgh/'.repeat(300)}`);
    expect(r.status).toBe(414);
    expect((await get(`/api/institutions/${'x'.repeat(3000)}/status`)).status).toBe(414);
    await healthy();
  });

  it('encoded dots and slashes never reach a file outside the client folder', async () => {
    for (const p of [
      '/../server/secret.txt',
      '/%2e%2e/server/secret.txt',
      '/%2E%2E%2Fserver%2Fsecret.txt',
      '/_astro/..%2f..%2fserver%2fsecret.txt',
      '/_astro/%2e%2e/%2e%2e/server/secret.txt',
      '/institutions/%2e%2e/%2e%2e/server/entry.mjs',
      '/%2e%2e%5cserver%5csecret.txt',
      '/institutions/%00',
      '/%E0%A4%A',
    ]) {
      const r = await get(p);
      expect([400, 404], p).toContain(r.status);
      expect(r.body, p).not.toContain('SERVER-SIDE-ONLY');
      expect(r.body, p).not.toContain('fake-astro-entry');
    }
    await healthy();
  });

  it('the trailing-slash redirect is never protocol-relative', async () => {
    for (const p of ['//institutions', '///institutions', '/institutions', '//institutions?x=1']) {
      const r = await get(p);
      expect(r.status, p).toBe(301);
      expect(r.headers.location, p).toBe('/institutions/');
    }
    // An encoded slash names no file of ours: not served, and certainly not redirected to //host/.
    const r = await get('/%2Finstitutions');
    expect(r.status).toBe(404);
    expect(r.headers.location).toBeUndefined();
    expect((await get('/institutions/')).body).toContain('机构');
  });
});

describe('bodies over the limit', () => {
  const stream = { total: 4 * 1024 * 1024, chunk: 16 * 1024, intervalMs: 2 };

  it('/complaints/track/: a chunked body past its limit gets 413 long before it is all sent', async () => {
    const r = await streamChunked(port, postHead('/complaints/track/', 'application/x-www-form-urlencoded'), stream);
    expect(r.response?.status).toBe(413);
    expect(r.sentWhenAnswered).toBeLessThan(r.total / 4);
    await healthy();
  });

  it('/admin/login: a chunked body with a valid form cookie gets 413; without the cookie, 403 before any read', async () => {
    const page = await get('/admin/login/');
    expect(page.status).toBe(200);
    const cookie = /^([^;]+)/.exec(page.headers['set-cookie'] ?? '')![1]!;
    const withCookie = await streamChunked(port, postHead('/admin/login/', 'application/x-www-form-urlencoded', `\r\nCookie: ${cookie}`), stream);
    expect(withCookie.response?.status).toBe(413);
    expect(withCookie.sentWhenAnswered).toBeLessThan(stream.total / 4);
    const without = await streamChunked(port, postHead('/admin/login/', 'application/x-www-form-urlencoded'), stream);
    expect(without.response?.status).toBe(403);
    expect(without.sentWhenAnswered).toBeLessThan(stream.total / 4);
    await healthy();
  });

  it('the API (intake JSON, staff sign-in): a chunked body past the limit gets 413 early', async () => {
    for (const path of ['/api/complaints', '/api/admin/session']) {
      const r = await streamChunked(port, postHead(path, 'application/json'), stream);
      expect(r.response?.status, path).toBe(413);
      expect(r.response?.body, path).toContain('payload_too_large');
      expect(r.sentWhenAnswered, path).toBeLessThan(stream.total / 4);
    }
    await healthy();
  });

  it('the staff API checks the session before it reads a body: no session, 401 while the body is still coming', async () => {
    const r = await streamChunked(port, postHead('/api/admin/staff', 'application/x-www-form-urlencoded'), stream);
    expect(r.response?.status).toBe(401);
    expect(r.sentWhenAnswered).toBeLessThan(stream.total / 4);
  });

  it('an address over its sign-in limit gets 429 before its body is read (API and page)', async () => {
    const key = signInIpKey('127.0.0.1');
    for (let i = 0; i < SIGNIN_IP_LIMIT.limit; i++) await deps.db.write((tx) => consumeRateLimit(tx, key, SIGNIN_IP_LIMIT, deps.clock.now()));
    try {
      const api = await streamChunked(port, postHead('/api/admin/session', 'application/json'), stream);
      expect(api.response?.status).toBe(429);
      expect(Number(api.response?.headers['retry-after'])).toBeGreaterThan(0);
      expect(api.sentWhenAnswered).toBeLessThan(stream.total / 4);
      const page = await get('/admin/login/');
      const cookie = /^([^;]+)/.exec(page.headers['set-cookie'] ?? '')![1]!;
      const form = await streamChunked(port, postHead('/admin/login/', 'application/x-www-form-urlencoded', `\r\nCookie: ${cookie}`), stream);
      expect(form.response?.status).toBe(429);
      expect(form.sentWhenAnswered).toBeLessThan(stream.total / 4);
    } finally {
      await deps.db.write((tx) => tx.delete(rateLimits).where(eq(rateLimits.key, key)));
    }
  });

  it('a slow body (1 KB every 5 ms) is cut off at the limit too', async () => {
    const r = await streamChunked(port, postHead('/complaints/track/', 'application/x-www-form-urlencoded'), { total: 256 * 1024, chunk: 1024, intervalMs: 5 });
    expect(r.response?.status).toBe(413);
    expect(r.sentWhenAnswered).toBeLessThan(64 * 1024);
  });

  it('a declared Content-Length over the limit is refused before any body byte', async () => {
    for (const path of ['/complaints/track/', '/api/complaints', '/api/admin/session']) {
      const type = path.startsWith('/api') ? 'application/json' : 'application/x-www-form-urlencoded';
      const r = await rawRequest(port, `${postHead(path, type)}\r\nContent-Length: 900000000`);
      expect(r.status, path).toBe(413);
    }
    await healthy();
  });

  it('many requests over the limit at once leave the process healthy and its heap where it was', async () => {
    const before = process.memoryUsage().heapUsed;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => streamChunked(port, postHead(i % 2 ? '/complaints/track/' : '/api/complaints', i % 2 ? 'application/x-www-form-urlencoded' : 'application/json'), stream)),
    );
    for (const r of results) expect(r.response?.status).toBe(413);
    // 8 × 4 MB offered; what the server keeps is bounded by the limits (8 KB, 64 KB), not the offer.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(24 * 1024 * 1024);
    await healthy();
  });
});

describe('headers and methods', () => {
  it('20 KB of headers is refused (431), and the server goes on', async () => {
    const r = await get('/', `\r\nX-Padding: ${'p'.repeat(20 * 1024)}`);
    expect(r.status).toBe(431);
    await healthy();
  });

  it('unlisted methods answer 405 with Allow: API routes, prerendered files, on-demand pages', async () => {
    const cases: [string, string, string][] = [
      ['DELETE', '/api/complaints', 'POST'],
      ['PUT', '/api/institutions/lookup', 'GET, HEAD'],
      ['PATCH', '/api/complaints/challenge', 'GET, HEAD'],
      ['PROPFIND', '/', 'GET, HEAD'],
      ['POST', '/institutions/', 'GET, HEAD'],
      ['PUT', '/complaints/track/', 'GET, HEAD, POST'],
      ['DELETE', '/en/admin/login/', 'GET, HEAD, POST'],
    ];
    for (const [method, path, allow] of cases) {
      const r = await rawRequest(port, `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\nContent-Length: 0`);
      expect(r.status, `${method} ${path}`).toBe(405);
      expect(r.headers.allow, `${method} ${path}`).toBe(allow);
    }
    // A path no method has stays a 404.
    expect((await rawRequest(port, `PUT /api/nothing-here HTTP/1.1\r\nHost: x\r\nContent-Length: 0`)).status).toBe(404);
  });

  it('a method HTTP does not know is refused by the parser (400), not a crash', async () => {
    expect((await rawRequest(port, `BREW / HTTP/1.1\r\nHost: x`)).status).toBe(400);
    expect((await rawRequest(port, `GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked`)).status).toBe(400);
  });
});

describe('after all of it', () => {
  it('/healthz still answers', async () => {
    await healthy();
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.body).toContain('首页');
  });
});
