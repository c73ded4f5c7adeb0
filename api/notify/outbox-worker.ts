/**
 * Drains the transactional outbox. Rows are claimed atomically (one UPDATE … RETURNING that sets
 * a claim token and a lease), so several app processes can run workers side by side without
 * sending anything twice; a worker that dies mid-delivery loses its lease and the row is retried.
 * Failures back off exponentially; after MAX_ATTEMPTS a row is marked failed for staff to see.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
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

type OutboxRow = typeof t.outbox.$inferSelect;

/** Claims up to `limit` due rows for this worker; returns them. */
export async function claimDue(deps: Deps, limit: number): Promise<OutboxRow[]> {
  const now = deps.clock.now().getTime();
  const token = randomUUID();
  return deps.db.write((tx) =>
    tx.all<OutboxRow>(sql`
      UPDATE outbox SET status = 'sending', claim_token = ${token}, lease_until = ${now + LEASE_MS}, attempts = attempts + 1
      WHERE id IN (
        SELECT id FROM outbox
        WHERE (status = 'pending' AND next_attempt_at <= ${now}) OR (status = 'sending' AND lease_until < ${now})
        ORDER BY id LIMIT ${limit}
      )
      RETURNING id, channel, topic, recipient, payload, status, attempts, claim_token AS claimToken`),
  ).then((rows) => rows.map((r) => ({ ...r, payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload }) as OutboxRow));
}

async function deliver(deps: Deps, n: Notifiers, row: OutboxRow): Promise<string | null> {
  if (row.channel === 'email') {
    const [dept] = await deps.db.read.select({ email: t.departments.intakeEmail }).from(t.departments).where(eq(t.departments.code, row.recipient));
    if (!dept?.email) return null; // department without an intake mailbox: nothing to send
    const mail = departmentMail(row.topic, row.payload as unknown as CaseSummary, deps.env.PUBLIC_BASE_URL);
    return (await n.mailer.send({ to: dept.email, ...mail })).id;
  }
  const [c] = await deps.db.read.select({ mobileEnc: t.complaints.mobileEnc }).from(t.complaints).where(eq(t.complaints.id, Number(row.recipient)));
  if (!c?.mobileEnc) return null; // personal data already removed
  const p = row.payload as { trackingCode: string; acceptBy: string };
  return (await n.sms.send({ mobile: deps.pii.decrypt(c.mobileEnc), text: parentAckSms(p.trackingCode, p.acceptBy) })).id;
}

/** One pass: claim, deliver, record. Returns how many rows were handled. */
export async function drainOnce(deps: Deps, n: Notifiers, limit = 20): Promise<number> {
  const rows = await claimDue(deps, limit);
  for (const row of rows) {
    const mine = and(eq(t.outbox.id, row.id), eq(t.outbox.claimToken, row.claimToken!));
    try {
      const id = await deliver(deps, n, row);
      await deps.db.write((tx) =>
        tx
          .update(t.outbox)
          .set(id === null ? { status: 'skipped', leaseUntil: null } : { status: 'sent', deliveredAt: deps.clock.now(), providerId: id, leaseUntil: null, lastError: null })
          .where(mine),
      );
    } catch (err) {
      const failed = row.attempts >= MAX_ATTEMPTS;
      await deps.db.write((tx) =>
        tx
          .update(t.outbox)
          .set({
            status: failed ? 'failed' : 'pending',
            nextAttemptAt: new Date(deps.clock.now().getTime() + backoffMs(row.attempts)),
            lastError: (err as Error).message.slice(0, 500),
            leaseUntil: null,
          })
          .where(mine),
      );
      deps.log.warn({ outboxId: row.id, attempts: row.attempts, failed }, 'delivery failed');
    }
  }
  return rows.length;
}

/** Runs drainOnce every `intervalMs` until stopped; never overlaps itself. */
export function startOutboxWorker(deps: Deps, n: Notifiers, intervalMs = 2_000): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const timer = setInterval(() => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        while ((await drainOnce(deps, n)) > 0 && !stopped);
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
