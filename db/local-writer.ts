/**
 * The write connection for a local database file: @libsql/client's `Client` interface over one
 * native libSQL connection (the `libsql` package, which @libsql/client's own local driver uses),
 * with one difference that matters under load — prepared statements are kept and reused.
 *
 * Why: @libsql/client prepares every statement again on every call, and for a statement that
 * returns no rows it finds that out by catching an exception, every time. On the intake path
 * (bench/intake.ts) that was about a third of the CPU spent per complaint; the same handful of
 * statement texts (Drizzle builds identical SQL for identical query shapes) run thousands of times.
 *
 * Semantics kept from @libsql/client's local client (lib-esm/sqlite3.js), so Drizzle and every
 * caller see no difference: rows with both index and column-name access, integers as numbers
 * (a RangeError beyond 2^53, as intMode "number"), BLOBs as ArrayBuffers, errors as LibsqlError
 * with the SQLite code names, one connection — a statement sent to the client while a transaction
 * holds that connection is refused (TRANSACTION_ACTIVE) instead of silently joining it.
 * SQLite re-prepares a kept statement itself after a schema change (sqlite3_prepare_v2), but the
 * column names kept with it would be stale (a `SELECT *` after ALTER TABLE), so schema statements,
 * migrations and executeMultiple empty the cache; a statement whose run failed is dropped from the
 * cache rather than trusted again.
 */
import { LibsqlError, type Client, type InArgs, type InStatement, type InValue, type ResultSet, type Row, type Transaction, type TransactionMode } from '@libsql/client';
import Database from 'libsql';

/** Distinct statement texts kept per connection (intake and the workflow use a few dozen). */
const MAX_CACHED = 256;

type NativeDb = InstanceType<typeof Database>;
type NativeStatement = ReturnType<NativeDb['prepare']>;

interface Prepared {
  stmt: NativeStatement;
  reader: boolean;
  columns: string[];
  columnTypes: string[];
}

const SQLITE_CODES: Record<number, string> = {
  1: 'SQLITE_ERROR', 2: 'SQLITE_INTERNAL', 3: 'SQLITE_PERM', 4: 'SQLITE_ABORT', 5: 'SQLITE_BUSY', 6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM', 8: 'SQLITE_READONLY', 9: 'SQLITE_INTERRUPT', 10: 'SQLITE_IOERR', 11: 'SQLITE_CORRUPT',
  12: 'SQLITE_NOTFOUND', 13: 'SQLITE_FULL', 14: 'SQLITE_CANTOPEN', 15: 'SQLITE_PROTOCOL', 16: 'SQLITE_EMPTY',
  17: 'SQLITE_SCHEMA', 18: 'SQLITE_TOOBIG', 19: 'SQLITE_CONSTRAINT', 20: 'SQLITE_MISMATCH', 21: 'SQLITE_MISUSE',
  22: 'SQLITE_NOLFS', 23: 'SQLITE_AUTH', 24: 'SQLITE_FORMAT', 25: 'SQLITE_RANGE', 26: 'SQLITE_NOTADB',
  27: 'SQLITE_NOTICE', 28: 'SQLITE_WARNING',
};

/** The native error as @libsql/client reports it (code = base name, extendedCode, rawCode). */
function mapError(e: unknown): unknown {
  if (e instanceof Database.SqliteError) {
    const raw = (e as { rawCode?: number }).rawCode;
    const code = raw === undefined ? 'SQLITE_UNKNOWN' : (SQLITE_CODES[raw & 0xff] ?? `SQLITE_UNKNOWN_${raw & 0xff}`);
    return new LibsqlError(e.message, code, (e as { code?: string }).code, raw, e);
  }
  return e;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

function fromSql(v: unknown): unknown {
  if (typeof v === 'bigint') {
    if (v > MAX_SAFE || v < MIN_SAFE) throw new RangeError('Received integer which cannot be safely represented as a JavaScript number');
    return Number(v);
  }
  if (v instanceof Buffer) return v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength);
  return v;
}

function toSql(v: InValue): unknown {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError('Only finite numbers (not Infinity or NaN) can be passed as arguments');
    return v;
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (v instanceof Date) return v.valueOf();
  if (v === undefined) throw new TypeError('undefined cannot be passed as argument to the database');
  return v;
}

function argsToSql(args: InArgs | undefined): unknown[] | Record<string, unknown> {
  if (!args) return [];
  if (Array.isArray(args)) return args.map(toSql);
  const named: Record<string, unknown> = {};
  for (const name in args) named[/^[@$:]/.test(name) ? name.slice(1) : name] = toSql(args[name]!);
  return named;
}

/** A row as @libsql/client builds it: values by index (not enumerable) and by column name. */
function toRow(values: unknown[], columns: string[]): Row {
  const row = {} as Record<string | number, unknown>;
  Object.defineProperty(row, 'length', { value: values.length });
  for (let i = 0; i < values.length; i++) {
    const value = fromSql(values[i]);
    Object.defineProperty(row, i, { value });
    const column = columns[i]!;
    if (!Object.hasOwn(row, column)) Object.defineProperty(row, column, { value, enumerable: true, configurable: true, writable: true });
  }
  return row as unknown as Row;
}

class LocalResultSet implements ResultSet {
  constructor(
    readonly columns: string[],
    readonly columnTypes: string[],
    readonly rows: Row[],
    readonly rowsAffected: number,
    readonly lastInsertRowid: bigint | undefined,
  ) {}

  toJSON() {
    return {
      columns: this.columns,
      columnTypes: this.columnTypes,
      rows: this.rows.map((r) => Array.from(r as ArrayLike<unknown>)),
      rowsAffected: this.rowsAffected,
      lastInsertRowid: this.lastInsertRowid?.toString() ?? null,
    };
  }
}


const SCHEMA_CHANGE = /^\s*(CREATE|ALTER|DROP)\b/i;

const BEGIN: Record<TransactionMode, string> = { write: 'BEGIN IMMEDIATE', read: 'BEGIN TRANSACTION READONLY', deferred: 'BEGIN DEFERRED' };

/** One native connection with a bounded cache of prepared statements. */
class Connection {
  readonly db: NativeDb;
  private readonly cache = new Map<string, Prepared>();

  constructor(path: string, timeoutMs: number) {
    this.db = new Database(path, { timeout: timeoutMs } as ConstructorParameters<typeof Database>[1]);
  }

  private prepare(sql: string): Prepared {
    const hit = this.cache.get(sql);
    if (hit) {
      // Most recently used last, so the first key is the one to evict.
      this.cache.delete(sql);
      this.cache.set(sql, hit);
      return hit;
    }
    const stmt = this.db.prepare(sql);
    stmt.safeIntegers(true);
    const reader = stmt.reader;
    if (reader) stmt.raw(true);
    const cols = reader ? stmt.columns() : [];
    const prepared = { stmt, reader, columns: cols.map((c) => c.name), columnTypes: cols.map((c) => c.type ?? '') };
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(sql, prepared);
    return prepared;
  }

  forget(): void {
    this.cache.clear();
  }

  execute(stmt: InStatement | string, args?: InArgs): ResultSet {
    const sql = typeof stmt === 'string' ? stmt : stmt.sql;
    if (SCHEMA_CHANGE.test(sql)) this.cache.clear();
    const bound = argsToSql(typeof stmt === 'string' ? args : stmt.args);
    let p: Prepared | undefined;
    try {
      p = this.prepare(sql);
      if (p.reader) {
        const rows = (p.stmt.all(bound) as unknown[][]).map((r) => toRow(r, p!.columns));
        return new LocalResultSet(p.columns, p.columnTypes, rows, 0, undefined);
      }
      const info = p.stmt.run(bound);
      return new LocalResultSet([], [], [], info.changes, BigInt(info.lastInsertRowid));
    } catch (e) {
      // Do not trust a statement that failed; the next use prepares it afresh.
      this.cache.delete(sql);
      throw mapError(e);
    }
  }

  exec(sql: string): void {
    this.cache.clear();
    try {
      this.db.exec(sql);
    } catch (e) {
      throw mapError(e);
    }
  }

  get inTransaction(): boolean {
    return this.db.open && this.db.inTransaction;
  }

  close(): void {
    this.cache.clear();
    if (this.db.open) this.db.close();
  }
}

class LocalTransaction implements Transaction {
  private conn: Connection | null;

  constructor(
    conn: Connection,
    private readonly settle: () => void,
  ) {
    this.conn = conn;
  }

  private live(): Connection {
    if (!this.conn || !this.conn.inTransaction) throw new LibsqlError('The transaction is closed', 'TRANSACTION_CLOSED');
    return this.conn;
  }

  private finish() {
    if (this.conn) {
      this.conn = null;
      this.settle();
    }
  }

  async execute(stmt: InStatement | string, args?: InArgs): Promise<ResultSet> {
    return this.live().execute(stmt, args);
  }

  async batch(stmts: InStatement[]): Promise<ResultSet[]> {
    return stmts.map((s) => this.live().execute(s));
  }

  async executeMultiple(sql: string): Promise<void> {
    this.live().exec(sql);
  }

  async rollback(): Promise<void> {
    try {
      if (this.conn?.inTransaction) this.conn.execute('ROLLBACK');
    } finally {
      this.finish();
    }
  }

  async commit(): Promise<void> {
    try {
      this.live().execute('COMMIT');
    } finally {
      // A failed COMMIT leaves the transaction open: roll it back before the connection is reused.
      if (this.conn?.inTransaction) {
        try {
          this.conn.execute('ROLLBACK');
        } catch {
          // the caller sees the COMMIT error; db/client.ts replaces a connection that saw BUSY
        }
      }
      this.finish();
    }
  }

  close(): void {
    try {
      if (this.conn?.inTransaction) this.conn.execute('ROLLBACK');
    } finally {
      this.finish();
    }
  }

  get closed(): boolean {
    return !this.conn || !this.conn.inTransaction;
  }
}

/** A single-connection Client for a local file, with prepared-statement reuse. */
export function createLocalWriter(path: string, timeoutMs: number): Client {
  let conn: Connection | null = new Connection(path, timeoutMs);
  let inTx = false;

  const use = (): Connection => {
    if (!conn) throw new LibsqlError('The client is closed', 'CLIENT_CLOSED');
    if (inTx) {
      throw new LibsqlError(
        'This client has a single connection, which an open transaction is holding. Commit or roll back the transaction before using the client again.',
        'TRANSACTION_ACTIVE',
      );
    }
    return conn;
  };

  async function inBeginCommit<T>(c: Connection, begin: string, body: () => T): Promise<T> {
    c.execute(begin);
    try {
      const out = body();
      c.execute('COMMIT');
      return out;
    } finally {
      if (c.inTransaction) c.execute('ROLLBACK');
    }
  }

  const client: Client = {
    async execute(stmt: InStatement | string, args?: InArgs) {
      return use().execute(stmt, args);
    },
    async batch(stmts, mode: TransactionMode = 'deferred') {
      const c = use();
      return inBeginCommit(c, BEGIN[mode], () => stmts.map((s) => c.execute(Array.isArray(s) ? { sql: s[0], args: s[1] ?? [] } : s)));
    },
    async migrate(stmts) {
      const c = use();
      c.execute('PRAGMA foreign_keys=off');
      c.forget();
      try {
        return await inBeginCommit(c, 'BEGIN DEFERRED', () => stmts.map((s) => c.execute(s)));
      } finally {
        c.forget();
        c.execute('PRAGMA foreign_keys=on');
      }
    },
    async transaction(mode: TransactionMode = 'write') {
      const c = use();
      c.execute(BEGIN[mode]);
      inTx = true;
      return new LocalTransaction(c, () => {
        inTx = false;
      });
    },
    async executeMultiple(sql) {
      const c = use();
      try {
        c.exec(sql);
      } finally {
        if (c.inTransaction) c.execute('ROLLBACK');
      }
    },
    async sync() {
      throw new LibsqlError('sync() is for embedded replicas, not a local file', 'SYNC_NOT_SUPPORTED');
    },
    close() {
      conn?.close();
      conn = null;
      client.closed = true;
    },
    reconnect() {
      conn?.close();
      conn = new Connection(path, timeoutMs);
      inTx = false;
      client.closed = false;
    },
    closed: false,
    protocol: 'file',
  } as Client;
  return client;
}
