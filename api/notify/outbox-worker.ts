/**
 * Drains the transactional outbox. Rows are claimed atomically (one UPDATE … RETURNING that sets
 * a claim token and a lease), so several app processes can run workers side by side without
 * sending anything twice; a worker that dies mid-delivery loses its lease and the row is retried.
 * Failures back off exponentially; after MAX_ATTEMPTS a row is marked failed for staff to see.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import { rawTx } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import type { Deps } from '../deps.ts';
import { departmentMail, parentAckSms, type CaseSummary } from './messages.ts';
import type { Mailer, SmsSender } from './transports.ts';

export const MAX_ATTEMPTS = 8;
const LEASE_MS = 60_000;
const backoffMs = (attempts: number) => Math.min(3_600_000, 30_000 * 2 ** (attempts - 1));

export interface Notifiers {
  mailer: Mailer;
  sms: SmsSender;
}

/** A row as a claim returns it: what delivery and recording the outcome need. */
type OutboxRow = Pick<typeof t.outbox.$inferSelect, 'id' | 'channel' | 'topic' | 'recipient' | 'payload' | 'status' | 'attempts'> & { claimToken: string };

/**
 * Claims up to `limit` due rows for this worker; returns them.
 *
 * Each half of the candidate list is its own index range (outbox_due_idx: status, next attempt),
 * so a claim reads only due rows however long the outbox's history grows: one OR across both
 * conditions made SQLite scan the whole table, ~50 ms at 30,000 rows, while holding the write lock.
 */
export async function claimDue(deps: Deps, limit: number): Promise<OutboxRow[]> {
  const now = deps.clock.now().getTime();
  const token = randomUUID();
  const rows = await deps.db.write((tx) => rawTx(tx).all(CLAIM_SQL, [token, now + LEASE_MS, now, limit]));
  return rows.map((r) => ({
    id: Number(r.id),
    channel: r.channel as OutboxRow['channel'],
    topic: String(r.topic),
    recipient: String(r.recipient),
    payload: JSON.parse(String(r.payload)) as OutboxRow['payload'],
    status: r.status as OutboxRow['status'],
    attempts: Number(r.attempts),
    claimToken: String(r.claim_token),
  }));
}

/** ?1 claim token, ?2 lease end, ?3 now, ?4 limit. Exported for the query-plan test. */
export const CLAIM_SQL = `
  UPDATE outbox SET status = 'sending', claim_token = ?1, lease_until = ?2, attempts = attempts + 1
  WHERE id IN (
    SELECT id FROM (
      SELECT id FROM (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?3 ORDER BY next_attempt_at LIMIT ?4)
      UNION ALL
      SELECT id FROM (SELECT id FROM outbox WHERE status = 'sending' AND lease_until < ?3 LIMIT ?4)
    ) ORDER BY id LIMIT ?4
  )
  RETURNING id, channel, topic, recipient, payload, status, attempts, claim_token`;

/**
 * What a pass needs to address its rows, read once per pass instead of once per row: the
 * departments' intake mailboxes, and the encrypted mobile numbers of the SMS rows' complaints.
 */
interface Recipients {
  mailboxes: Map<string, string | null>;
  mobiles: Map<number, string | null>;
}

async function readRecipients(deps: Deps, rows: readonly OutboxRow[]): Promise<Recipients> {
  const depts = await deps.db.read.select({ code: t.departments.code, email: t.departments.intakeEmail }).from(t.departments);
  const ids = rows.filter((r) => r.channel === 'sms').map((r) => Number(r.recipient));
  const mobiles = ids.length
    ? await deps.db.read.select({ id: t.complaints.id, mobileEnc: t.complaints.mobileEnc }).from(t.complaints).where(inArray(t.complaints.id, ids))
    : [];
  return { mailboxes: new Map(depts.map((d) => [d.code, d.email])), mobiles: new Map(mobiles.map((m) => [m.id, m.mobileEnc])) };
}

async function deliver(deps: Deps, n: Notifiers, row: OutboxRow, to: Recipients): Promise<string | null> {
  if (row.channel === 'email') {
    const email = to.mailboxes.get(row.recipient);
    if (!email) return null; // department without an intake mailbox: nothing to send
    const mail = departmentMail(row.topic, row.payload as unknown as CaseSummary, deps.env.PUBLIC_BASE_URL);
    return (await n.mailer.send({ to: email, ...mail, outboxId: row.id })).id;
  }
  const mobileEnc = to.mobiles.get(Number(row.recipient));
  if (!mobileEnc) return null; // personal data already removed
  const p = row.payload as { trackingCode: string; acceptBy: string };
  return (await n.sms.send({ mobile: deps.pii.decrypt(mobileEnc), text: parentAckSms(p.trackingCode, p.acceptBy), outboxId: row.id })).id;
}

type Outcome = { row: OutboxRow; at: Date } & ({ providerId: string | null } | { error: Error });

/** Marks one claimed row sent, skipped, or due again later (failed after MAX_ATTEMPTS). */
function record(deps: Deps, o: Outcome): Promise<unknown> {
  const mine = and(eq(t.outbox.id, o.row.id), eq(t.outbox.claimToken, o.row.claimToken));
  return deps.db.write((tx) => {
    if ('error' in o) {
      const failed = o.row.attempts >= MAX_ATTEMPTS;
      return tx
        .update(t.outbox)
        .set({ status: failed ? 'failed' : 'pending', nextAttemptAt: new Date(o.at.getTime() + backoffMs(o.row.attempts)), lastError: o.error.message.slice(0, 500), leaseUntil: null })
        .where(mine);
    }
    return tx
      .update(t.outbox)
      .set(o.providerId === null ? { status: 'skipped', leaseUntil: null } : { status: 'sent', deliveredAt: o.at, providerId: o.providerId, leaseUntil: null, lastError: null })
      .where(mine);
  });
}

/**
 * One pass: claim, deliver, record. Returns how many rows were handled. Each outcome is recorded
 * as soon as it is known — a crash mid-pass re-sends only what was not yet recorded — without
 * waiting for that write before the next delivery: the write path commits the pass's records
 * together (group commit), not one commit per row.
 */
export async function drainOnce(deps: Deps, n: Notifiers, limit = 20): Promise<number> {
  const rows = await claimDue(deps, limit);
  if (!rows.length) return 0;
  const to = await readRecipients(deps, rows);
  const recorded: Promise<unknown>[] = [];
  for (const row of rows) {
    let o: Outcome;
    try {
      const providerId = await deliver(deps, n, row, to);
      o = { row, at: deps.clock.now(), providerId };
    } catch (err) {
      o = { row, at: deps.clock.now(), error: err as Error };
      deps.log.warn({ outboxId: row.id, attempts: row.attempts, failed: row.attempts >= MAX_ATTEMPTS }, 'delivery failed');
    }
    recorded.push(record(deps, o));
  }
  await Promise.all(recorded);
  return rows.length;
}

/**
 * Pause between two passes while rows keep coming: delivery is background work on the thread that
 * serves requests, and a worker draining a backlog back to back took 15–20 % of what intake could
 * serve under load (bench/intake.ts). With 20 rows a pass this still delivers a few hundred
 * messages a second, far beyond what any district sends.
 */
const PASS_GAP_MS = 50;

/** Runs drainOnce every `intervalMs` (and, while rows keep coming, every PASS_GAP_MS) until stopped; never overlaps itself. */
export function startOutboxWorker(deps: Deps, n: Notifiers, intervalMs = 2_000): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const timer = setInterval(() => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        while ((await drainOnce(deps, n)) > 0 && !stopped) await new Promise((r) => setTimeout(r, PASS_GAP_MS));
      } catch (err) {
        deps.log.error({ err: (err as Error).message }, 'outbox pass failed');
      }
    });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
