/**
 * The audit log: append-only and hash-chained. Each row's hash covers the previous row's hash and
 * its own canonical content, so removing or editing any row breaks every later hash.
 * Appends happen inside the caller's write transaction (BEGIN IMMEDIATE holds the database write
 * lock), so two processes can never both extend the chain from the same tail.
 * Never put names or phone numbers in `detail`: ids only.
 */
import { createHash } from 'node:crypto';
import { asc, desc, gt } from 'drizzle-orm';
import { type Db, type RawTx, type Tx } from '../../db/client.ts';
import { auditLog } from '../../db/schema.ts';

export interface AuditEntry {
  at: Date;
  actorKind: 'staff' | 'public' | 'system';
  actorStaffId?: number | null;
  actorRole?: string | null;
  action: string;
  objectType: string;
  objectId?: string | null;
  ip?: string | null;
  detail?: Record<string, unknown> | null;
}

export const GENESIS_HASH = '0'.repeat(64);

function canonical(e: AuditEntry, prevHash: string): string {
  return JSON.stringify([
    prevHash,
    e.at.getTime(),
    e.actorKind,
    e.actorStaffId ?? null,
    e.actorRole ?? null,
    e.action,
    e.objectType,
    e.objectId ?? null,
    e.ip ?? null,
    e.detail ?? null,
  ]);
}

export const hashEntry = (e: AuditEntry, prevHash: string) => createHash('sha256').update(canonical(e, prevHash)).digest('hex');

export async function appendAudit(tx: Tx, entry: AuditEntry): Promise<void> {
  await appendAuditMany(tx, [entry]);
}

/**
 * Appends several entries in order with one read of the chain's tail and multi-row INSERTs (a bulk
 * import's rows): the same chain as calling appendAudit for each, without a round trip per row.
 */
export async function appendAuditMany(tx: Tx, entries: readonly AuditEntry[]): Promise<void> {
  if (!entries.length) return;
  const [last] = await tx.select({ hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.id)).limit(1);
  let prevHash = last?.hash ?? GENESIS_HASH;
  const rows = entries.map((entry) => {
    const hash = hashEntry(entry, prevHash);
    const row = {
      at: entry.at,
      actorKind: entry.actorKind,
      actorStaffId: entry.actorStaffId ?? null,
      actorRole: entry.actorRole ?? null,
      action: entry.action,
      objectType: entry.objectType,
      objectId: entry.objectId ?? null,
      ip: entry.ip ?? null,
      detail: entry.detail ?? null,
      prevHash,
      hash,
    };
    prevHash = hash;
    return row;
  });
  // 11 columns a row: 200 rows stay far below SQLite's bound-parameter limit.
  for (let i = 0; i < rows.length; i += 200) await tx.insert(auditLog).values(rows.slice(i, i + 200));
}

/** The chain's tail, for callers that fold it into a query of their own (intake). */
export const AUDIT_TAIL_SQL = 'SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1';

/**
 * appendAudit for a caller that has already read the tail (AUDIT_TAIL_SQL) in the same write
 * transaction, with nothing appended since: one plain INSERT instead of a read and a built insert.
 */
export async function appendAuditAfter(raw: RawTx, prevHash: string | null, entry: AuditEntry): Promise<void> {
  const prev = prevHash ?? GENESIS_HASH;
  await raw.run(
    'INSERT INTO audit_log (at, actor_kind, actor_staff_id, actor_role, action, object_type, object_id, ip, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [
      entry.at.getTime(),
      entry.actorKind,
      entry.actorStaffId ?? null,
      entry.actorRole ?? null,
      entry.action,
      entry.objectType,
      entry.objectId ?? null,
      entry.ip ?? null,
      entry.detail ? JSON.stringify(entry.detail) : null,
      prev,
      hashEntry(entry, prev),
    ],
  );
}

/** Walks the whole chain in pages; returns the first broken row id, or null when intact. */
export async function verifyAuditChain(db: Db): Promise<{ ok: boolean; checked: number; brokenAt: number | null }> {
  let prev = GENESIS_HASH;
  let lastId = 0;
  let checked = 0;
  for (;;) {
    const rows = await db.read.select().from(auditLog).where(gt(auditLog.id, lastId)).orderBy(asc(auditLog.id)).limit(1000);
    if (rows.length === 0) return { ok: true, checked, brokenAt: null };
    for (const r of rows) {
      const expected = hashEntry({ ...r, detail: r.detail ?? null }, prev);
      if (r.prevHash !== prev || r.hash !== expected) return { ok: false, checked, brokenAt: r.id };
      prev = r.hash;
      lastId = r.id;
      checked++;
    }
  }
}
