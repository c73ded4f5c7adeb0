/**
 * The database client's promises: durable, serialised writes that survive contention, and the
 * per-connection PRAGMAs still in force after transactions (a known @libsql/client pitfall).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { createClient } from '@libsql/client';
import { createDb, rawTx, type Db } from '../../db/client.ts';
import { migrateDb } from '../../db/migrate.ts';
import { meta } from '../../db/schema.ts';

let dir: string;
let db: Db;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peixun-db-'));
  db = await createDb(`file:${join(dir, 'a.db')}`);
  await migrateDb(db);
});
afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function pragma(name: string): Promise<unknown> {
  const r = await db.writeClient.execute(`PRAGMA ${name}`);
  return Object.values(r.rows[0] ?? {})[0];
}

describe('createDb', () => {
  it('opens the file in WAL mode with FULL sync, foreign keys and a busy timeout', async () => {
    expect(String(await pragma('journal_mode')).toLowerCase()).toBe('wal');
    expect(Number(await pragma('synchronous'))).toBe(1); // NORMAL: the commit's flush is db/wal-sync.ts's, before any answer
    expect(Number(await pragma('foreign_keys'))).toBe(1);
    expect(Number(await pragma('busy_timeout'))).toBeGreaterThan(0);
  });

  it('keeps the PRAGMAs in force inside every write transaction, also after earlier transactions', async () => {
    for (let i = 0; i < 3; i++) {
      const seen = await db.write(async (tx) => {
        const fk = await tx.all<{ foreign_keys: number }>(sql`PRAGMA foreign_keys`);
        const sync = await tx.all<{ synchronous: number }>(sql`PRAGMA synchronous`);
        return { fk: Number(fk[0]!.foreign_keys), sync: Number(sync[0]!.synchronous) };
      });
      expect(seen).toEqual({ fk: 1, sync: 1 });
    }
  });

  it('enforces foreign keys on writes', async () => {
    await expect(
      db.write((tx) => tx.run(sql`INSERT INTO towns(code, name_zh, name_en, kind, department_code) VALUES ('x','x','x','town','no-such-dept')`)),
    ).rejects.toThrow();
  });

  it('commits 200 concurrent writes, all of them, none twice', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => db.write((tx) => tx.insert(meta).values({ key: `k${i}`, value: String(i) }))),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const rows = await db.read.select().from(meta).where(sql`key LIKE 'k%'`);
    expect(rows).toHaveLength(200);
  });

  it('rolls a failed unit back entirely and keeps the write path usable', async () => {
    await expect(
      db.write(async (tx) => {
        await tx.insert(meta).values({ key: 'half', value: '1' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const rows = await db.read.select().from(meta).where(sql`key = 'half'`);
    expect(rows).toHaveLength(0);
    await db.write((tx) => tx.insert(meta).values({ key: 'after', value: '1' }));
    expect(await db.read.select().from(meta).where(sql`key = 'after'`)).toHaveLength(1);
  });

  it('rawTx runs plain SQL inside the unit: it sees the unit\'s writes and rolls back with it', async () => {
    // Several units in one group, so they share the IMMEDIATE transaction and differ by SAVEPOINT.
    const failing = db.write(async (tx) => {
      await tx.insert(meta).values({ key: 'raw-a', value: '1' });
      const raw = rawTx(tx);
      expect((await raw.all("SELECT value FROM meta WHERE key = 'raw-a'")).map((r) => r.value)).toEqual(['1']);
      await raw.run('INSERT INTO meta (key, value) VALUES (?, ?)', ['raw-b', '2']);
      throw new Error('boom');
    });
    const kept = db.write(async (tx) => {
      await rawTx(tx).run('INSERT INTO meta (key, value) VALUES (?, ?)', ['raw-c', '3']);
      return (await tx.select().from(meta).where(sql`key = 'raw-c'`)).length;
    });
    await expect(failing).rejects.toThrow('boom');
    expect(await kept).toBe(1);
    const keys = (await db.read.select().from(meta).where(sql`key LIKE 'raw-%'`)).map((r) => r.key);
    expect(keys).toEqual(['raw-c']);
  });

  it('waits out another process holding the write lock instead of failing with SQLITE_BUSY', async () => {
    // A raw second connection stands in for a second app process on the same file.
    const other = createClient({ url: db.url });
    const held = await other.transaction('write'); // BEGIN IMMEDIATE: holds the write lock
    await held.execute("INSERT INTO meta(key, value) VALUES ('other', '1')");
    // The event that matters: our writer's BEGIN IMMEDIATE is refused while the other holds the
    // lock. Only then does the other commit — no sleep, and no elapsed-time guess.
    const writer = db.writeClient;
    const begin = writer.transaction.bind(writer);
    let refused!: () => void;
    const metTheLock = new Promise<void>((resolve) => (refused = resolve));
    const spy = vi.spyOn(writer, 'transaction').mockImplementation(async (...args: Parameters<typeof begin>) => {
      try {
        return await begin(...args);
      } catch (err) {
        refused();
        throw err;
      }
    });
    const order: string[] = [];
    const mine = db.write((tx) => tx.insert(meta).values({ key: 'mine', value: '1' })).then(() => order.push('mine answered'));
    await metTheLock;
    order.push('other committed');
    await held.commit();
    await mine; // answered, not failed with SQLITE_BUSY
    expect(order).toEqual(['other committed', 'mine answered']);
    spy.mockRestore();
    other.close();
    const keys = (await db.read.select().from(meta).where(sql`key IN ('other','mine')`)).map((r) => r.key).sort();
    expect(keys).toEqual(['mine', 'other']);
  });
});
