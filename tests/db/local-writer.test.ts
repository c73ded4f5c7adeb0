/**
 * The local write connection (db/local-writer.ts) reuses prepared statements; it must still
 * behave exactly like @libsql/client's local client for everything Drizzle and our code rely on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '@libsql/client';
import { createLocalWriter } from '../../db/local-writer.ts';

let dir: string;
let w: Client;
let reference: Client;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peixun-writer-'));
  w = createLocalWriter(join(dir, 'w.db'), 50);
  reference = createClient({ url: `file:${join(dir, 'r.db')}` });
  for (const c of [w, reference]) {
    await c.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE, n INTEGER, b BLOB)');
  }
});
afterAll(() => {
  w.close();
  reference.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('createLocalWriter', () => {
  it('answers like @libsql/client: rows by index and by name, numbers, blobs, rowsAffected, lastInsertRowid', async () => {
    for (const c of [w, reference]) {
      const ins = await c.execute({ sql: 'INSERT INTO t (v, n, b) VALUES (?, ?, ?)', args: ['a', 7, new Uint8Array([1, 2, 3])] });
      expect(ins.rowsAffected).toBe(1);
      expect(ins.lastInsertRowid).toBe(1n);
    }
    const [mine, theirs] = await Promise.all([w, reference].map((c) => c.execute({ sql: 'SELECT id, v, n, b FROM t WHERE v = ?', args: ['a'] })));
    expect(mine!.columns).toEqual(theirs!.columns);
    expect(mine!.columnTypes).toEqual(theirs!.columnTypes);
    const [a, b] = [mine!.rows[0]!, theirs!.rows[0]!];
    expect({ ...a }).toEqual({ ...b });
    expect([a[0], a[1], a[2], a.length]).toEqual([b[0], b[1], b[2], b.length]);
    expect(new Uint8Array(a.b as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('reuses a statement with new arguments, also after it failed', async () => {
    const insert = (v: string) => w.execute({ sql: 'INSERT INTO t (v, n) VALUES (?, ?)', args: [v, 1] });
    await insert('x1');
    await expect(insert('x1')).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT', extendedCode: 'SQLITE_CONSTRAINT_UNIQUE' });
    await insert('x2');
    const select = (v: string) => w.execute({ sql: 'SELECT v FROM t WHERE v = ?', args: [v] });
    expect((await select('x1')).rows.map((r) => r.v)).toEqual(['x1']);
    expect((await select('x2')).rows.map((r) => r.v)).toEqual(['x2']);
    expect((await select('none')).rows).toEqual([]);
  });

  it('sees new columns after a schema change', async () => {
    const all = async () => (await w.execute("SELECT * FROM t WHERE v = 'a'")).columns;
    expect(await all()).toEqual(['id', 'v', 'n', 'b']);
    await w.execute('ALTER TABLE t ADD COLUMN extra TEXT');
    expect(await all()).toEqual(['id', 'v', 'n', 'b', 'extra']);
  });

  it('refuses integers beyond 2^53 instead of rounding them', async () => {
    await expect(w.execute('SELECT 9007199254740993 AS big')).rejects.toThrow(RangeError);
  });

  it('has one connection: a statement outside an open transaction is refused, not run inside it', async () => {
    const tx = await w.transaction('write');
    await tx.execute({ sql: 'INSERT INTO t (v) VALUES (?)', args: ['in-tx'] });
    await expect(w.execute('SELECT 1')).rejects.toMatchObject({ code: 'TRANSACTION_ACTIVE' });
    await tx.rollback();
    expect(tx.closed).toBe(true);
    expect((await w.execute("SELECT count(*) AS n FROM t WHERE v = 'in-tx'")).rows[0]!.n).toBe(0);
    const tx2 = await w.transaction('write');
    await tx2.execute({ sql: 'INSERT INTO t (v) VALUES (?)', args: ['committed'] });
    await tx2.commit();
    expect((await w.execute("SELECT count(*) AS n FROM t WHERE v = 'committed'")).rows[0]!.n).toBe(1);
  });

  it('rolls back a batch whose statement fails', async () => {
    await expect(
      w.batch(
        [
          { sql: 'INSERT INTO t (v) VALUES (?)', args: ['batch-1'] },
          { sql: 'INSERT INTO t (v) VALUES (?)', args: ['batch-1'] },
        ],
        'write',
      ),
    ).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT' });
    expect((await w.execute("SELECT count(*) AS n FROM t WHERE v = 'batch-1'")).rows[0]!.n).toBe(0);
  });
});
