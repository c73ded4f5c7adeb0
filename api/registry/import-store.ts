/**
 * Uploads waiting between dry run and confirmation, kept in the database (registry_imports) so any
 * app process can apply them: the confirm step names the upload by its SHA-256 and gets exactly the
 * bytes that were previewed, never a re-sent file. Only the uploader can confirm; a day later, or
 * once applied, it is gone from reach.
 */
import { createHash } from 'node:crypto';
import { and, desc, eq, isNull, lt, gt } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import { registryImports } from '../../db/schema.ts';

export const IMPORT_TTL_MS = 24 * 3_600_000;

export const sha256Hex = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

export interface StoredUpload {
  kind: 'institutions' | 'inspections';
  year: number | null;
  sha256: string;
  fileName: string;
  format: 'csv' | 'xlsx';
  content: Buffer;
  summary: Record<string, number>;
}

/** Keeps the previewed file; drops expired previews while at it. */
export async function keepUpload(db: Db, u: StoredUpload, staffId: number, now: Date): Promise<number> {
  return db.write(async (tx) => {
    await tx.delete(registryImports).where(lt(registryImports.uploadedAt, new Date(now.getTime() - IMPORT_TTL_MS)));
    // The same person re-checking the same file replaces the earlier preview.
    await tx.delete(registryImports).where(and(eq(registryImports.uploadedBy, staffId), eq(registryImports.kind, u.kind), eq(registryImports.sha256, u.sha256), isNull(registryImports.appliedAt)));
    const [row] = await tx
      .insert(registryImports)
      .values({ kind: u.kind, year: u.year, sha256: u.sha256, fileName: u.fileName.slice(0, 200), format: u.format, content: u.content, summary: u.summary, uploadedBy: staffId, uploadedAt: now })
      .returning({ id: registryImports.id });
    return row!.id;
  });
}

/** The caller's own, unexpired, not yet applied preview of this file (read before, and again inside, the applying transaction). */
export async function findUpload(tx: Pick<Tx, 'select'>, kind: StoredUpload['kind'], sha256: string, staffId: number, now: Date) {
  const [row] = await tx
    .select()
    .from(registryImports)
    .where(and(eq(registryImports.kind, kind), eq(registryImports.sha256, sha256), eq(registryImports.uploadedBy, staffId), isNull(registryImports.appliedAt), gt(registryImports.uploadedAt, new Date(now.getTime() - IMPORT_TTL_MS))))
    .orderBy(desc(registryImports.id))
    .limit(1);
  return row ?? null;
}

export async function markApplied(tx: Tx, id: number, now: Date) {
  // The file has done its job; keep the row (who, when, what counts) but not the bytes.
  await tx.update(registryImports).set({ appliedAt: now, content: Buffer.alloc(0) }).where(eq(registryImports.id, id));
}
