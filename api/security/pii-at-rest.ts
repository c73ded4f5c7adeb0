/**
 * The start-up step that brings a database written before encryption at rest covered the
 * description, notes, evidence files and client IPs (api/security/pii.ts) up to date: it encrypts
 * those rows in place and drops rate-limit counters that were keyed by a plain IP address.
 *
 * Why a TypeScript step and not a migration: a migration runs without DATA_KEY (drizzle-kit's SQL
 * files, db/migrate.ts), and SQLite cannot do AES-GCM. Why in place, in the same columns, rather
 * than new `*_enc` columns: no reader can pick the plain column by mistake, no schema change is
 * needed, and the stored forms tell themselves apart (pii.reveal / revealBytes), so a row this
 * step has not reached yet — or one a process of the previous version writes during a rolling
 * restart — is still read correctly.
 *
 * Idempotent (a value already in our ciphertext form is left alone; values are never encrypted
 * twice, even under a wrong key), batched (one write transaction per batch, so the write lock is
 * held briefly and any number of processes may run it at once), and recorded in `meta` once done,
 * so later starts cost one query.
 *
 * Not touched: audit rows written before this version keep a parent's IP as it was, because the
 * audit chain's hashes cover the stored value (api/audit/log.ts) and rewriting it would break the
 * chain. New audit rows of parents' requests store the IP encrypted.
 */
import { and, asc, eq, gt, isNotNull, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import { isCiphertext, isEncryptedBytes, type Pii } from './pii.ts';

export const PII_AT_REST_KEY = 'pii_at_rest';
export const PII_AT_REST_VERSION = 'v1';

/** Rate-limit keys of earlier versions that held a client IP in plain text. */
const PLAIN_IP_KEYS = ['intake:ip:%', 'intake:form-nopow:%', 'track:ip:%'];

export interface LegacyEncryption {
  complaints: number;
  events: number;
  attachments: number;
  rateLimits: number;
}

const plain = (v: string | null): v is string => v !== null && !isCiphertext(v);

export async function encryptLegacyPersonalData(deps: { db: Db; pii: Pii }, batch = 500): Promise<LegacyEncryption | null> {
  const { db, pii } = deps;
  const [done] = await db.read.select({ value: t.meta.value }).from(t.meta).where(eq(t.meta.key, PII_AT_REST_KEY));
  if (done?.value === PII_AT_REST_VERSION) return null;
  const counts: LegacyEncryption = { complaints: 0, events: 0, attachments: 0, rateLimits: 0 };

  for (let after = 0; ; ) {
    const n = await db.write(async (tx) => {
      const rows = await tx
        .select({ id: t.complaints.id, description: t.complaints.description })
        .from(t.complaints)
        .where(and(gt(t.complaints.id, after), isNotNull(t.complaints.description)))
        .orderBy(asc(t.complaints.id))
        .limit(batch);
      for (const r of rows) {
        if (!plain(r.description)) continue;
        await tx.update(t.complaints).set({ description: pii.encrypt(r.description) }).where(eq(t.complaints.id, r.id));
        counts.complaints++;
      }
      after = rows.at(-1)?.id ?? after;
      return rows.length;
    });
    if (n < batch) break;
  }

  for (let after = 0; ; ) {
    const n = await db.write(async (tx) => {
      const rows = await tx
        .select({ id: t.complaintEvents.id, publicNote: t.complaintEvents.publicNote, staffNote: t.complaintEvents.staffNote })
        .from(t.complaintEvents)
        .where(and(gt(t.complaintEvents.id, after), or(isNotNull(t.complaintEvents.publicNote), isNotNull(t.complaintEvents.staffNote))))
        .orderBy(asc(t.complaintEvents.id))
        .limit(batch);
      for (const r of rows) {
        if (!plain(r.publicNote) && !plain(r.staffNote)) continue;
        await tx
          .update(t.complaintEvents)
          .set({ publicNote: plain(r.publicNote) ? pii.encrypt(r.publicNote) : r.publicNote, staffNote: plain(r.staffNote) ? pii.encrypt(r.staffNote) : r.staffNote })
          .where(eq(t.complaintEvents.id, r.id));
        counts.events++;
      }
      after = rows.at(-1)?.id ?? after;
      return rows.length;
    });
    if (n < batch) break;
  }

  // Evidence files are up to 10 MB each: a few per transaction.
  const fileBatch = 20;
  for (let after = 0; ; ) {
    const n = await db.write(async (tx) => {
      const rows = await tx
        .select({ id: t.attachments.id, originalName: t.attachments.originalName, content: t.attachments.content })
        .from(t.attachments)
        .where(gt(t.attachments.id, after))
        .orderBy(asc(t.attachments.id))
        .limit(fileBatch);
      for (const r of rows) {
        if (isEncryptedBytes(r.content) && !plain(r.originalName)) continue;
        await tx
          .update(t.attachments)
          .set({ content: isEncryptedBytes(r.content) ? r.content : pii.encryptBytes(r.content), originalName: plain(r.originalName) ? pii.encrypt(r.originalName) : r.originalName })
          .where(eq(t.attachments.id, r.id));
        counts.attachments++;
      }
      after = rows.at(-1)?.id ?? after;
      return rows.length;
    });
    if (n < fileBatch) break;
  }

  await db.write(async (tx) => {
    const gone = await tx
      .delete(t.rateLimits)
      .where(or(...PLAIN_IP_KEYS.map((k) => sql`${t.rateLimits.key} LIKE ${k}`)))
      .returning({ key: t.rateLimits.key });
    counts.rateLimits = gone.length;
    await tx.insert(t.meta).values({ key: PII_AT_REST_KEY, value: PII_AT_REST_VERSION }).onConflictDoUpdate({ target: t.meta.key, set: { value: PII_AT_REST_VERSION } });
  });
  return counts;
}
