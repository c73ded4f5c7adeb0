/**
 * SITE_DIR outside the project (the README allows e.g. /var/lib/peixun/site): the real product
 * (`api/start.ts`, one real Astro build) builds into a temp folder outside the repository and
 * serves both the prerendered pages and the on-demand ones from it; a build that fails there has
 * its own error output in the log line, in the build record and on the publish page.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import { loadEnv } from '../../api/env.ts';
import { fixedClock } from '../../api/lib/clock.ts';
import { createLogger } from '../../api/logger.ts';
import { claimBuild, runBuild, SYSTEM_REQUESTER } from '../../api/ops/build-runs.ts';
import { ROOT, startProduct, type RunningProduct } from '../helpers/server-process.ts';
import { apiSession } from '../helpers/staff-browser.ts';

const SCRIPT = fileURLToPath(new URL('../fixtures/fake-site-build.mjs', import.meta.url));
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

let outside: string;
let product: RunningProduct;
let db: Db;

beforeAll(async () => {
  outside = mkdtempSync(join(tmpdir(), 'peixun-site-outside-'));
  // The point of the test: the folder is not inside the project.
  expect(relative(realpathSync(ROOT), realpathSync(outside)).startsWith('..')).toBe(true);
  product = await startProduct({ siteDir: join(outside, 'site'), env: { DEMO_INSTITUTIONS: '10' } });
  db = await createDb(`file:${join(product.dataDir, 'app.db')}`);
});

afterAll(async () => {
  await db?.close();
  await product?.cleanup();
  rmSync(outside, { recursive: true, force: true });
});

describe('SITE_DIR outside the project', () => {
  it('the start-up build succeeds there and the site is served from it (static and on-demand pages)', async () => {
    const [build] = await db.read.select().from(t.siteBuilds);
    expect(build).toMatchObject({ status: 'succeeded', error: null });
    expect(realpathSync(build!.dir!).startsWith(realpathSync(outside))).toBe(true);
    const home = await fetch(`${product.baseUrl}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('<html lang="zh-CN"');
    // An on-demand page: the server bundle under SITE_DIR imports its packages (astro, preact …).
    const login = await fetch(`${product.baseUrl}/admin/login/`);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('name="totp"');
  });

  it("the built server bundle finds the project (for the backup script) from under SITE_DIR, whatever the working folder", () => {
    // api/lib/project-root.ts as bundled into SITE_DIR/builds/<id>/server/chunks/.
    const chunks = join(outside, 'site', 'builds', 'copy', 'server', 'chunks');
    mkdirSync(chunks, { recursive: true });
    copyFileSync(join(ROOT, 'api', 'lib', 'project-root.ts'), join(chunks, 'project-root.ts'));
    const url = pathToFileURL(join(chunks, 'project-root.ts')).href;
    const r = spawnSync(process.execPath, [TSX, '--eval', `import(${JSON.stringify(url)}).then((m) => console.log(m.projectRoot()))`], { cwd: tmpdir(), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(realpathSync(r.stdout.trim())).toBe(realpathSync(ROOT));
  });

  it("a failed build's own error output reaches the log line, the build record and the publish page", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const env = loadEnv({ DATABASE_URL: `file:${join(product.dataDir, 'app.db')}`, DATA_DIR: product.dataDir, SITE_DIR: product.siteDir, LOG_LEVEL: 'info' });
    const deps = { db, env, log: createLogger('info', sink), clock: fixedClock(new Date().toISOString()) };
    const claim = await claimBuild(db, SYSTEM_REQUESTER, deps.clock.now());
    expect(claim.claimed).toBe(true);
    const r = await runBuild(deps, claim.build, SYSTEM_REQUESTER, { argv: (dir) => [SCRIPT, dir, 'fail'] });
    expect(r.ok).toBe(false);

    const failed = lines.map((l) => JSON.parse(l) as { msg: string; stderr?: string; code?: number }).find((l) => l.msg.startsWith('site build failed'));
    expect(failed).toMatchObject({ code: 1, stderr: '[ERROR] [build] loader failed: no such table: institutions' });

    const [row] = await db.read.select().from(t.siteBuilds).where(eq(t.siteBuilds.id, claim.build.id));
    expect(row).toMatchObject({ status: 'failed', error: '[ERROR] [build] loader failed: no such table: institutions' });
    expect(row!.log).toContain('exit code 1');

    const coord = await apiSession(product.baseUrl, 'coord');
    const page = await fetch(`${product.baseUrl}/admin/publish/?build=${claim.build.id}`, { headers: { cookie: coord.cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    const shown = /<pre[^>]*data-build-error[^>]*>([^<]*)<\/pre>/.exec(html);
    expect(shown?.[1]).toBe('[ERROR] [build] loader failed: no such table: institutions');
    // The live site is still the start-up build.
    expect((await fetch(`${product.baseUrl}/`)).status).toBe(200);
  });
});
