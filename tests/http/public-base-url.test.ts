/**
 * PUBLIC_BASE_URL and the Origin checks: the default follows PORT (a fixed localhost:4321 made
 * `PORT=8080 npm start` refuse every staff sign-in sent with a browser Origin as "page expired"),
 * demo mode also accepts the 127.0.0.1 spelling of the same origin, production requires the
 * variable and accepts its origin only.
 */
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../api/env.ts';
import { isSameOriginWrite } from '../../api/server.ts';
import { account, codeNow, postSignIn, seedStaff } from '../helpers/admin-session.ts';
import { createTestDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

describe('PUBLIC_BASE_URL default', () => {
  it('follows PORT in demo mode', () => {
    expect(loadEnv({ PORT: '8080' }).PUBLIC_BASE_URL).toBe('http://localhost:8080');
    expect(loadEnv({}).PUBLIC_BASE_URL).toBe('http://localhost:4321');
    expect(loadEnv({ PORT: '8080', PUBLIC_BASE_URL: 'https://peixun.example.gov.cn' }).PUBLIC_BASE_URL).toBe('https://peixun.example.gov.cn');
  });

  it('is required in production, with a message naming it', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    expect(() => loadEnv({ APP_MODE: 'production', DATA_KEY: key })).toThrow(/PUBLIC_BASE_URL: PUBLIC_BASE_URL is required when APP_MODE=production/);
    expect(loadEnv({ APP_MODE: 'production', DATA_KEY: key, PUBLIC_BASE_URL: 'https://peixun.example.gov.cn' }).PUBLIC_BASE_URL).toBe('https://peixun.example.gov.cn');
  });
});

describe('staff sign-in from a browser on PORT=8080', () => {
  let deps: TestDeps;
  let app: ReturnType<typeof testApp>;
  beforeAll(async () => {
    // The environment exactly as `PORT=8080 npm start` reads it: no PUBLIC_BASE_URL set.
    deps = await createTestDeps({ env: { PORT: '8080' } });
    await (await import('../../api/demo/registry.ts')).seedRegistry(deps.db, { institutions: 1, seed: 1, today: '2026-11-27' });
    await seedStaff(deps);
    app = testApp(deps);
  });
  afterAll(async () => deps?.cleanup());

  const signIn = (username: string, origin: string) => {
    deps.clock.advance(30_000);
    const a = account(username);
    return postSignIn(app, { username: a.username, password: a.password, totp: codeNow(deps, a) }, { origin });
  };

  it('accepts the page’s own origin, and its 127.0.0.1 spelling in demo mode', async () => {
    expect((await signIn('edu.handler', 'http://localhost:8080')).status).toBe(200);
    expect((await signIn('edu.head', 'http://127.0.0.1:8080')).status).toBe(200);
  });

  it('still refuses other origins and other ports', async () => {
    for (const origin of ['http://localhost:4321', 'http://127.0.0.1:9999', 'https://localhost:8080', 'http://evil.example']) {
      const res = await signIn('culture.handler', origin);
      expect([origin, res.status]).toEqual([origin, 403]);
    }
  });
});

describe('page forms (api/server.ts isSameOriginWrite)', () => {
  const req = (origin: string, host = 'peixun-upstream:8080') => ({ method: 'POST', headers: { origin, host } }) as unknown as IncomingMessage;

  it('demo mode: both loopback spellings of PUBLIC_BASE_URL count as ours, even through a proxy Host', () => {
    const env = loadEnv({ PORT: '8080' });
    expect(isSameOriginWrite(req('http://localhost:8080'), env)).toBe(true);
    expect(isSameOriginWrite(req('http://127.0.0.1:8080'), env)).toBe(true);
    expect(isSameOriginWrite(req('http://127.0.0.1:8081'), env)).toBe(false);
    expect(isSameOriginWrite(req('http://evil.example'), env)).toBe(false);
  });

  it('production: only PUBLIC_BASE_URL’s origin (or the Host it was sent to)', () => {
    const env = loadEnv({ APP_MODE: 'production', DATA_KEY: Buffer.alloc(32, 1).toString('base64'), PUBLIC_BASE_URL: 'http://localhost:8080' });
    expect(isSameOriginWrite(req('http://localhost:8080'), env)).toBe(true);
    expect(isSameOriginWrite(req('http://127.0.0.1:8080'), env)).toBe(false);
    expect(isSameOriginWrite(req('http://127.0.0.1:8080', '127.0.0.1:8080'), env)).toBe(true);
  });
});
