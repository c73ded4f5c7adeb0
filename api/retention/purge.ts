/**
 * Retention (PIPL): personal data of closed cases is removed once the retention period after
 * closure has passed. The case itself stays (statistics, the public timeline, the audit trail);
 * the parent's name, number, narrative and evidence files go. Idempotent and batched, so any
 * number of app processes may run it.
 */
import { and, inArray, isNotNull, isNull, lt } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { appendAudit } from '../audit/log.ts';
import type { Deps } from '../deps.ts';
import { loadSettings } from '../settings/service.ts';
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

/** Runs the purge now and then every `intervalMs` (default: every 6 hours). */
export function startRetentionJob(deps: Deps, intervalMs = 6 * 3_600_000): { stop(): void } {
  const run = () =>
    purgeExpiredPersonalData(deps)
      .then((n) => n && deps.log.info({ purged: n }, 'retention: personal data removed from closed cases'))
      // Sign-in throttle rows of runs nobody continued for a day (api/staff/throttle.ts).
      .then(() => deps.db.write((tx) => pruneThrottle(tx, deps.clock.now())))
      .catch((err: Error) => deps.log.error({ err: err.message }, 'retention run failed'));
  void run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
