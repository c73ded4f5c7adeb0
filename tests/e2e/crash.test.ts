/**
 * Crash test: the real product (api/start.ts) takes complaints from 8 concurrent clients, each
 * with its own Idempotency-Key per request, and is killed with SIGKILL in the middle of the load
 * (no graceful shutdown, no chance to flush anything). Restarted on the same data and site
 * folders, it must hold every complaint that got a 201 — exactly once — and re-sending the
 * requests that never got an answer, with their keys, must create no duplicates.
 *
 * This is what "a complaint is on disk before the API answers 201" (WAL, the write answered only
 * after its COMMIT's flush, db/wal-sync.ts; saved on the intake thread as `npm start` runs it)
 * and the idempotency record written in that same transaction buy.
 */
import { createClient, type Client } from '@libsql/client';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { complaintBody } from '../helpers/test-deps.ts';
import { startProduct, type RunningProduct } from '../helpers/server-process.ts';

const LOOPS = 8;
/** Kill once this many complaints were acknowledged: well into the load, with requests in flight. */
const KILL_AFTER = 40;
const PER_LOOP_MAX = 200;
// Rate limits off: 8 clients on one loopback IP would hit the per-IP limit. Logs stay at info:
// startProduct waits for the "listening" line.
const ENV = { INTAKE_RATE_LIMIT: 'off' };

interface Sent {
  key: string;
  body: Record<string, unknown>;
  /** 201's tracking code; null while in flight or when the connection died first. */
  code: string | null;
  status: number | null;
  /** When it was sent (performance.now()), to tell requests cut by the kill from later ones. */
  sentAt: number;
}

const post = (baseUrl: string, s: Sent) =>
  fetch(`${baseUrl}/api/complaints`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': s.key },
    body: JSON.stringify(s.body),
  });

describe('SIGKILL under concurrent intake', () => {
  let first: RunningProduct | undefined;
  let second: RunningProduct | undefined;
  let db: Client | undefined;

  afterAll(async () => {
    db?.close();
    if (second) await second.cleanup();
    else await first?.cleanup();
  });

  it('keeps every acknowledged complaint exactly once, and retries create no duplicates', { timeout: 600_000 }, async () => {
    first = await startProduct({ env: ENV });
    const sent: Sent[] = [];
    let acknowledged = 0;
    let killed = false;
    let killedAt = Infinity;
    let crashed: Promise<void> = Promise.resolve();
    const unexpected: string[] = [];

    // Every loop keeps sending until its connection dies, so the kill lands on requests that are
    // being handled (answers come in groups, one flush answering many, so the moment an answer
    // arrives the others of its group may all be answered too).
    const loop = async (l: number) => {
      for (let i = 0; i < PER_LOOP_MAX; i++) {
        const s: Sent = {
          key: `crash-${l}-${i}-${process.pid}`,
          // The course names the request, so its complaint can be found after the restart.
          body: complaintBody({ institutionId: `demo-${String(1 + ((l * 13 + i) % 120)).padStart(4, '0')}`, course: `crash ${l}-${i}`, mobile: `1380000${String(l).padStart(2, '0')}${String(i).padStart(2, '0')}` }),
          code: null,
          status: null,
          sentAt: performance.now(),
        };
        sent.push(s);
        try {
          const res = await post(first!.baseUrl, s);
          s.status = res.status;
          const body = (await res.json()) as { trackingCode?: string };
          if (res.status === 201) {
            s.code = body.trackingCode!;
            if (++acknowledged >= KILL_AFTER && !killed) {
              killed = true;
              // Kill once several loops have sent their next request and have no answer yet:
              // those are inside the server (queued, being saved or flushed). Waiting for that
              // rather than a fixed few ms keeps the test meaning the same on a busy machine.
              crashed = (async () => {
                const since = performance.now();
                const waiting = () => sent.filter((x) => x.status === null && x.sentAt > since).length;
                while (waiting() < Math.min(4, LOOPS) && performance.now() - since < 2_000) await new Promise((r) => setTimeout(r, 1));
                killedAt = performance.now();
                return first!.crash();
              })();
            }
          } else unexpected.push(`${res.status} ${JSON.stringify(body)}`);
        } catch {
          // The connection died with the server: this request's fate is unknown to the client.
          s.status = null;
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: LOOPS }, (_, l) => loop(l)));
    expect(unexpected).toEqual([]);
    expect(killed).toBe(true);
    await crashed;

    const acked = sent.filter((s) => s.code);
    const inFlight = sent.filter((s) => s.status === null);
    expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER);
    // The kill really landed mid-load: requests sent before it never got their answer.
    expect(inFlight.filter((s) => s.sentAt < killedAt).length).toBeGreaterThan(0);

    // Restart on the same database, keys and built site (the second start does not rebuild).
    second = await startProduct({ env: ENV, dataDir: first.dataDir, siteDir: first.siteDir });
    expect(second.logs.join('')).not.toContain('building the public site');
    db = createClient({ url: `file:${join(first.dataDir, 'app.db')}` });
    const integrity = await db.execute('PRAGMA integrity_check');
    expect(integrity.rows[0]![0]).toBe('ok');

    const stored = async () => {
      const r = await db!.execute("SELECT tracking_code, course FROM complaints WHERE course LIKE 'crash %'");
      return r.rows.map((row) => ({ code: String(row.tracking_code), course: String(row.course) }));
    };

    // Every 201 is there, exactly once, and it is the complaint that was sent.
    const afterCrash = await stored();
    const byCode = new Map(afterCrash.map((r) => [r.code, r]));
    for (const s of acked) expect(byCode.get(s.code!)?.course, s.key).toBe(s.body.course);
    const courses = afterCrash.map((r) => r.course);
    expect(new Set(courses).size).toBe(courses.length); // no request stored twice
    // Nothing but acknowledged or in-flight requests was stored (in-flight ones may or may not be).
    const inFlightCourses = new Set(inFlight.map((s) => s.body.course));
    const ackedCourses = new Set(acked.map((s) => s.body.course));
    for (const c of courses) expect(ackedCourses.has(c) || inFlightCourses.has(c), c).toBe(true);
    const committedInFlight = inFlight.filter((s) => courses.includes(String(s.body.course))).length;

    // The clients retry the requests that never got an answer, with the same keys and bodies.
    for (const s of inFlight) {
      const res = await post(second.baseUrl, s);
      expect(res.status, s.key).toBe(201);
      s.code = ((await res.json()) as { trackingCode: string }).trackingCode;
      // a request that had committed before the kill is replayed, not filed again
      const wasCommitted = courses.includes(String(s.body.course));
      expect(res.headers.get('idempotent-replayed'), s.key).toBe(wasCommitted ? 'true' : null);
    }
    // And a retry of an acknowledged one answers with its original tracking code.
    const again = await post(second.baseUrl, acked[0]!);
    expect(again.status).toBe(201);
    expect(((await again.json()) as { trackingCode: string }).trackingCode).toBe(acked[0]!.code);

    const final = await stored();
    expect(final).toHaveLength(acked.length + inFlight.length);
    const finalCourses = final.map((r) => r.course);
    expect(new Set(finalCourses).size).toBe(final.length);
    const finalByCode = new Map(final.map((r) => [r.code, r.course]));
    for (const s of [...acked, ...inFlight]) expect(finalByCode.get(s.code!), s.key).toBe(s.body.course);

    // Each complaint kept its whole transaction: one first event and one audit row apiece.
    const partial = await db.execute(
      "SELECT c.id FROM complaints c WHERE c.course LIKE 'crash %' AND ((SELECT count(*) FROM complaint_events e WHERE e.complaint_id = c.id) <> 1 OR (SELECT count(*) FROM audit_log a WHERE a.object_type = 'complaint' AND a.object_id = CAST(c.id AS TEXT)) <> 1)",
    );
    expect(partial.rows).toHaveLength(0);

    console.info(`[crash] acknowledged before the kill: ${acked.length}; in flight: ${inFlight.length} (${committedInFlight} had committed, replayed on retry)`);
  });
});
