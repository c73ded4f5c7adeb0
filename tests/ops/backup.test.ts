/**
 * Online backup download: a copy taken while another process keeps writing is a valid database
 * holding every row committed before the copy began and a gap-free prefix of the rest (one
 * consistent moment); the download is dated, nothing is left in the temporary folder, an audit
 * row is written, the sysadmin alone may take it, it is rate-limited, and a remote libSQL
 * database is refused with a pointer to the server's own tooling.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createClient } from '@libsql/client';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import { BACKUP_LIMIT, backupFileName, takeBackup } from '../../api/ops/backup.ts';
import { ApiError } from '../../api/lib/errors.ts';
import { logInAs, seedStaff, type StaffAgent } from '../helpers/admin-session.ts';
import { createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;
let writerProcess: Db;
let sysadmin: StaffAgent;
let coord: StaffAgent;
let head: StaffAgent;
let app: ReturnType<typeof testApp>;
const scratch = mkdtempSync(join(tmpdir(), 'peixun-backup-test-'));

// A database of its own for every test: backups are rate-limited per administrator in the
// database, and the rate-limit test moves the clock a day on (idling out the other sessions).
beforeEach(async () => {
  deps = await createSeededDeps(10);
  writerProcess = await createDb(deps.env.DATABASE_URL);
  await seedStaff(deps);
  app = testApp(deps);
  sysadmin = await logInAs(app, deps, 'sysadmin');
  coord = await logInAs(app, deps, 'coord');
  head = await logInAs(app, deps, 'edu.head');
});

afterEach(async () => {
  await writerProcess?.close();
  await deps?.cleanup();
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const tmpLeft = () => {
  try {
    return readdirSync(resolve(deps.env.DATA_DIR, 'backup-tmp'));
  } catch {
    return [];
  }
};

async function save(stream: ReadableStream<Uint8Array>, name: string): Promise<string> {
  const path = join(scratch, name);
  writeFileSync(path, Buffer.from(await new Response(stream).arrayBuffer()));
  return path;
}

describe('a consistent copy while writes go on', () => {
  it('holds every row committed before it began, and a gap-free prefix of those committed during it', async () => {
    let committed = 0;
    let stop = false;
    // Another process inserting numbered rows one transaction at a time.
    const writes = (async () => {
      for (let i = 0; !stop && i < 100_000; i++) {
        await writerProcess.write((tx) => tx.insert(t.meta).values({ key: `bk-${String(i).padStart(6, '0')}`, value: String(i) }));
        committed = i + 1;
      }
    })();
    while (committed < 200) await new Promise((r) => setTimeout(r, 5));
    const before = committed;
    const b = await takeBackup(deps, { staffId: 1, role: 'sysadmin', ip: null });
    const path = await save(b.stream, b.fileName);
    const during = committed;
    stop = true;
    await writes;
    expect(during).toBeGreaterThan(before); // the writer really ran while the copy was taken

    const copy = createClient({ url: `file:${path}` });
    try {
      expect((await copy.execute('PRAGMA integrity_check')).rows[0]![0]).toBe('ok');
      const keys = (await copy.execute("SELECT value FROM meta WHERE key LIKE 'bk-%' ORDER BY key")).rows.map((r) => Number(r[0]));
      expect(keys.length).toBeGreaterThanOrEqual(before);
      expect(keys.length).toBeLessThanOrEqual(committed);
      expect(keys).toEqual(keys.map((_, i) => i)); // 0..n-1, no holes: one moment in time
      // The rest of the database came along (a whole, valid copy with the schema applied).
      expect(Number((await copy.execute('SELECT count(*) FROM institutions')).rows[0]![0])).toBe(10);
      expect(Number((await copy.execute('SELECT count(*) FROM __drizzle_migrations')).rows[0]![0])).toBeGreaterThan(0);
    } finally {
      copy.close();
    }
    expect(tmpLeft()).toEqual([]);
  });
});

describe('POST /api/admin/backup', () => {
  it('sysadmin: a dated download, no temporary file left, an audit row', async () => {
    const auditBefore = (await deps.db.read.select().from(t.auditLog)).filter((a) => a.action === 'system.backup_downloaded').length;
    const res = await sysadmin.post('/api/admin/backup');
    expect(res.status).toBe(200);
    const name = backupFileName(deps.clock.now());
    expect(name).toMatch(/^peixun-backup-\d{4}-\d{2}-\d{2}-\d{6}\.db$/);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${name}"`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 16).toString('latin1')).toBe('SQLite format 3\u0000');
    expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
    expect(tmpLeft()).toEqual([]);
    const rows = (await deps.db.read.select().from(t.auditLog)).filter((a) => a.action === 'system.backup_downloaded');
    expect(rows.length).toBe(auditBefore + 1);
    expect(rows.at(-1)).toMatchObject({ actorRole: 'sysadmin', objectType: 'database', objectId: name });
  });

  it('only the sysadmin (coordinator and department head: 403); CSRF required', async () => {
    expect((await coord.post('/api/admin/backup')).status).toBe(403);
    expect((await head.post('/api/admin/backup')).status).toBe(403);
    expect((await sysadmin.post('/api/admin/backup', {}, { 'x-csrf-token': 'nope' })).status).toBe(403);
    // POST only: a GET is told so (405 with Allow), not that the address does not exist.
    const get = await sysadmin.get('/api/admin/backup');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it(`rate-limited: ${BACKUP_LIMIT.limit} a day per administrator, then 429 with Retry-After`, async () => {
    deps.clock.advance(BACKUP_LIMIT.windowMs); // a fresh window (and a fresh sign-in)
    sysadmin = await logInAs(app, deps, 'sysadmin');
    for (let i = 0; i < BACKUP_LIMIT.limit; i++) {
      const ok = await sysadmin.post('/api/admin/backup');
      expect(ok.status).toBe(200);
      await ok.arrayBuffer();
    }
    const res = await sysadmin.post('/api/admin/backup');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await res.json()).error.code).toBe('rate_limited');
    expect(tmpLeft()).toEqual([]);
  });

  it('a remote libSQL database is refused, pointing at the server’s own backup tooling', async () => {
    const remote = { ...deps, db: { ...deps.db, isLocalFile: false, url: 'libsql://example.turso.io' } as Db };
    const err = await takeBackup(remote, { staffId: 1, role: 'sysadmin', ip: null }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, code: 'backup_remote' });
  });
});
