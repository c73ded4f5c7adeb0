/**
 * Retention (PIPL): personal data of closed cases is removed once the retention period after
 * closure has passed. The case itself stays (statistics, the public timeline, the audit trail);
 * the parent's name, number, narrative and evidence files go. Idempotent and batched, so any
 * number of app processes may run it.
 */
import { and, asc, gt, inArray, isNotNull, isNull, lt } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { appendAudit } from '../audit/log.ts';
import type { Deps } from '../deps.ts';
import { LONGEST_WINDOW_MS } from '../security/rate-limit.ts';
import { loadSettings } from '../ops/settings.ts';
import { pruneThrottle } from '../staff/throttle.ts';

export async function purgeExpiredPersonalData(deps: Deps, batch = 200): Promise<number> {
  const settings = await loadSettings(deps.db);
  const now = deps.clock.now();
  const cutoff = new Date(now.getTime() - settings.retentionDays * 86_400_000);
  let total = 0;
  for (;;) {
    const n = await deps.db.write(async (tx) => {
      const due = await tx
        .select({ id: t.complaints.id })
        .from(t.complaints)
        .where(and(isNotNull(t.complaints.closedAt), lt(t.complaints.closedAt, cutoff), isNull(t.complaints.piiPurgedAt)))
        .limit(batch);
      if (due.length === 0) return 0;
      const ids = due.map((d) => d.id);
      await tx
        .update(t.complaints)
        .set({ parentNameEnc: null, mobileEnc: null, mobileHash: null, description: null, piiPurgedAt: now })
        .where(inArray(t.complaints.id, ids));
      await tx.delete(t.attachments).where(inArray(t.attachments.complaintId, ids));
      await appendAudit(tx, {
        at: now,
        actorKind: 'system',
        action: 'retention.purge',
        objectType: 'complaint',
        objectId: null,
        detail: { complaintIds: ids, retentionDays: settings.retentionDays },
      });
      return ids.length;
    });
    total += n;
    if (n < batch) return total;
  }
}

/**
 * Housekeeping: the rate_limits rows whose window and lock have ended. Every per-IP, per-mobile
 * and per-code counter leaves a row that nothing else ever deletes. A row does not record its
 * window's length, so "ended" means older than the longest window any limit may use
 * (LONGEST_WINDOW_MS, api/security/rate-limit.ts, which refuses a longer one): deleting it then
 * changes no answer. The candidates are read on a read connection (no lock held while looking),
 * walking the primary key on from where the last batch stopped; each batch is one short write
 * deleting at most `batch` rows by key, with the age checked again, so a row counted anew
 * meanwhile stays.
 */
export async function purgeExpiredRateLimits(deps: Deps, batch = 500): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - LONGEST_WINDOW_MS);
  let after = '';
  let total = 0;
  for (;;) {
    const rows = await deps.db.read
      .select({ key: t.rateLimits.key })
      .from(t.rateLimits)
      .where(and(gt(t.rateLimits.key, after), lt(t.rateLimits.windowStart, cutoff)))
      .orderBy(asc(t.rateLimits.key))
      .limit(batch);
    if (rows.length === 0) return total;
    const keys = rows.map((r) => r.key);
    const gone = await deps.db.write((tx) =>
      tx
        .delete(t.rateLimits)
        .where(and(inArray(t.rateLimits.key, keys), lt(t.rateLimits.windowStart, cutoff)))
        .returning({ key: t.rateLimits.key }),
    );
    total += gone.length;
    if (rows.length < batch) return total;
    after = keys.at(-1)!;
  }
}

/** One run of the retention job: personal data of old closed cases, then the housekeeping. */
export async function runRetention(deps: Deps): Promise<void> {
  const n = await purgeExpiredPersonalData(deps);
  if (n) deps.log.info({ purged: n }, 'retention: personal data removed from closed cases');
  // Sign-in throttle rows of runs nobody continued for a day (api/staff/throttle.ts).
  await deps.db.write((tx) => pruneThrottle(tx, deps.clock.now()));
  const counters = await purgeExpiredRateLimits(deps);
  if (counters) deps.log.info({ rateLimitRows: counters }, 'retention: expired rate-limit counters removed');
}

/** Runs the purge now and then every `intervalMs` (default: every 6 hours). */
export function startRetentionJob(deps: Deps, intervalMs = 6 * 3_600_000): { stop(): void } {
  const run = () => runRetention(deps).catch((err: Error) => deps.log.error({ err: err.message }, 'retention run failed'));
  void run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
