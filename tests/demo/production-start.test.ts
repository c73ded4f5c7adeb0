/**
 * `APP_MODE=production` refuses a database with demo data or demo accounts, with a message
 * saying what was found and what to do — the demo accounts sign in with the README's passwords.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { demoDataFound } from '../../api/demo/production-check.ts';
import { hashPassword } from '../../api/staff/passwords.ts';
import { seedStaff } from '../helpers/admin-session.ts';
import { ROOT } from '../helpers/server-process.ts';
import { createSeededDeps, createTestDeps, type TestDeps } from '../helpers/test-deps.ts';

let demo: TestDeps;
beforeAll(async () => {
  demo = await createSeededDeps(3);
  await seedStaff(demo);
});
afterAll(async () => demo?.cleanup());

describe('what counts as demo data', () => {
  it('the demo district: flag, demo institutions, demo staff that open with the README passwords', async () => {
    const found = await demoDataFound(demo);
    expect(found).toEqual([
      'the database is marked as demo data (meta.demo)',
      '10 demo staff accounts',
      '3 demo institutions',
      expect.stringMatching(/^accounts that sign in with the README's demo passwords: .*sysadmin/),
    ]);
  });

  it('flags cleared by hand still leave the demo passwords to find; a real "sysadmin" with its own password is fine', async () => {
    const d = await createTestDeps();
    try {
      await d.db.write(async (tx) => {
        await tx.insert(t.departments).values({ code: 'edu', nameZh: '教体局', nameEn: 'Education', kind: 'bureau' });
        await tx.insert(t.staff).values({ username: 'sysadmin', displayName: '管理员', departmentCode: 'edu', role: 'sysadmin', passwordHash: await hashPassword('A-real-secret-password-1') });
      });
      expect(await demoDataFound(d)).toEqual([]);
      await d.db.write(async (tx) => tx.update(t.staff).set({ passwordHash: await hashPassword('Demo-sysadmin-2024') }).where(sql`username = 'sysadmin'`));
      expect(await demoDataFound(d)).toEqual(["accounts that sign in with the README's demo passwords: sysadmin"]);
    } finally {
      await d.cleanup();
    }
  });
});

describe('npm start in production on the demo database', () => {
  it('exits 1 before serving anything, saying why and what to do', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'api', 'start.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 90_000,
      env: {
        PATH: process.env.PATH,
        APP_MODE: 'production',
        DATA_KEY: Buffer.alloc(32, 7).toString('base64'),
        PUBLIC_BASE_URL: 'https://peixun.example.gov.cn',
        DATABASE_URL: demo.db.url,
        DATA_DIR: demo.dir,
        SITE_DIR: join(demo.dir, 'site'),
        PORT: '0',
        OUTBOX_WORKER: 'off',
        LOG_LEVEL: 'info',
      },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('APP_MODE=production refuses to start: this database holds demo data');
    expect(r.stderr).toContain('npm run admin:create -- --username <name> --department <code> --role sysadmin|coordinator');
    expect(r.stdout).toContain('demo data in a production database: refusing to start');
    expect(r.stdout).not.toContain('"listening"');
  });
});
