/**
 * Files that hold personal data or secrets are the owner's alone: a fresh start (createDeps, as
 * `npm start` does) creates the database with its -wal and -shm files 0600 in a 0700 folder, the
 * dev data key and the demo credentials 0600; files left wider by an older version are narrowed.
 */
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createDeps } from '../../api/bootstrap.ts';
import { seedDemo } from '../../api/demo/seed.ts';
import { loadEnv } from '../../api/env.ts';

const root = mkdtempSync(join(tmpdir(), 'peixun-perm-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

describe('file modes after a fresh start', () => {
  it('database, -wal, -shm, dev key and demo credentials are 0600; their folder 0700', async () => {
    // The process umask (usually 022) must not decide this.
    const before = process.umask(0o022);
    try {
      const dir = join(root, 'fresh', 'data');
      const deps = await createDeps(loadEnv({ DATABASE_URL: `file:${join(dir, 'app.db')}`, DATA_DIR: dir, LOG_LEVEL: 'silent', INTAKE_POW: 'off' }));
      try {
        await seedDemo(deps, { institutions: 10, complaints: 1, writeCredentials: true });
        await deps.db.write((tx) => tx.run(sql`INSERT INTO meta(key, value) VALUES ('perm-test', '1')`));
        expect(mode(dir)).toBe('700');
        for (const f of ['app.db', 'app.db-wal', 'app.db-shm', 'dev-data-key', 'demo-credentials.json']) {
          expect([f, mode(join(dir, f))]).toEqual([f, '600']);
        }
      } finally {
        await deps.db.close();
      }
    } finally {
      process.umask(before);
    }
  });

  it('files an older version left readable by others are narrowed to 0600 at start', async () => {
    const dir = join(root, 'old');
    const first = await createDeps(loadEnv({ DATABASE_URL: `file:${join(dir, 'app.db')}`, DATA_DIR: dir, LOG_LEVEL: 'silent' }));
    await first.db.close();
    chmodSync(join(dir, 'app.db'), 0o644);
    chmodSync(join(dir, 'dev-data-key'), 0o644);
    const again = await createDeps(loadEnv({ DATABASE_URL: `file:${join(dir, 'app.db')}`, DATA_DIR: dir, LOG_LEVEL: 'silent' }));
    try {
      expect(mode(join(dir, 'app.db'))).toBe('600');
      expect(mode(join(dir, 'app.db-wal'))).toBe('600'); // takes the narrowed file's mode
      expect(mode(join(dir, 'dev-data-key'))).toBe('600');
    } finally {
      await again.db.close();
    }
  });
});
