/**
 * The outbox reaches departments by real SMTP (a server started in the test), is claimed once
 * even by competing workers, and retries with backoff when the mail server refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { createClient } from '@libsql/client';
import { eq } from 'drizzle-orm';
import { outbox } from '../../db/schema.ts';
import { CLAIM_SQL, claimDue, drainOnce } from '../../api/notify/outbox-worker.ts';
import { createLogSms, createMailer } from '../../api/notify/transports.ts';
import { createLogger } from '../../api/logger.ts';
import { complaintBody, createSeededDeps, postJson, testApp, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;
let smtp: SMTPServer;
let port = 0;
let refuse = false;
const received: { to: string[]; data: string }[] = [];

beforeAll(async () => {
  deps = await createSeededDeps(20);
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onRcptTo(_address, _s, cb) {
      cb(refuse ? Object.assign(new Error('mailbox unavailable'), { responseCode: 450 }) : undefined);
    },
    onData(stream, session, cb) {
      let data = '';
      stream.on('data', (b: Buffer) => (data += b.toString()));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), data });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  port = (smtp.server.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((r) => smtp.close(() => r()));
  await deps.cleanup();
});

/** Undo quoted-printable and base64 body/header encodings so assertions read the real text. */
function decodeMime(raw: string): string {
  const qp = raw.replace(/=\r?\n/g, '').replace(/(?:=[0-9A-F]{2})+/g, (m) => Buffer.from(m.replace(/=/g, ''), 'hex').toString('utf8'));
  const b64 = [...raw.matchAll(/\r?\n\r?\n([A-Za-z0-9+/=\r\n]{40,})/g)].map((m) => Buffer.from(m[1]!.replace(/\s/g, ''), 'base64').toString('utf8'));
  const words = [...raw.matchAll(/=\?utf-8\?B\?([^?]+)\?=/gi)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'));
  return [qp, ...b64, ...words].join('\n');
}

const notifiers = () => ({ mailer: createMailer(`smtp://127.0.0.1:${port}`, 'noreply@example.gov.cn', deps.log), sms: createLogSms(deps.log) });

describe('outbox worker', () => {
  it('mails the lead department about a new case, without the parent’s name or number', async () => {
    const res = await postJson(testApp(deps), '/api/complaints', complaintBody({ parentName: '赵测试', mobile: '13700001111' }));
    expect(res.status).toBe(201);
    const { trackingCode, lead } = (await res.json()) as { trackingCode: string; lead: { code: string } };
    await drainOnce(deps, notifiers());
    const mail = received.map((m) => ({ ...m, text: decodeMime(m.data) })).find((m) => m.text.includes(trackingCode) && m.text.includes('主办'));
    expect(mail, received.map((m) => m.data).join('\n---\n').slice(0, 2000)).toBeDefined();
    expect(mail!.to).toEqual([`${lead.code}@intake.example.gov.cn`]);
    expect(mail!.text).toContain('受理截止');
    expect(mail!.text).not.toContain('13700001111');
    expect(mail!.text).not.toContain('赵测试');
    const rows = await deps.db.read.select().from(outbox);
    expect(rows.filter((r) => r.channel === 'email').every((r) => r.status === 'sent' || r.status === 'skipped')).toBe(true);
    expect(rows.find((r) => r.topic === 'parent_ack')?.status).toBe('sent');
  });

  it('hands each due row to exactly one of several competing workers', async () => {
    for (let i = 0; i < 3; i++) await postJson(testApp(deps), '/api/complaints', complaintBody({ mobile: `1360000${1000 + i}` }));
    const [a, b, c] = await Promise.all([claimDue(deps, 50), claimDue(deps, 50), claimDue(deps, 50)]);
    const ids = [...a, ...b, ...c].map((r) => r.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('a claim reads only due rows, however long the outbox history grows (no scan of the table)', async () => {
    // Both halves of the candidate list are index ranges; an OR across them made SQLite read the
    // whole table (~50 ms at 30,000 rows, with the write lock held).
    // On a client of its own: libSQL keeps an EXPLAIN statement open (and with it a read snapshot)
    // until it is garbage-collected, which would make the shared read pool see stale data.
    const own = createClient({ url: deps.env.DATABASE_URL });
    const plan = await own.execute({ sql: `EXPLAIN QUERY PLAN ${CLAIM_SQL}`, args: ['t', 0, 0, 20] });
    own.close();
    const details = plan.rows.map((r) => String(r.detail));
    expect(details.filter((d) => /outbox/.test(d) && /SCAN/.test(d) && !/INDEX/.test(d))).toEqual([]);
    expect(details.filter((d) => /SEARCH outbox USING (COVERING )?INDEX outbox_due_idx/.test(d))).toHaveLength(2);
  });

  it('a row whose worker died mid-delivery is claimed again once its lease has run out', async () => {
    await postJson(testApp(deps), '/api/complaints', complaintBody({ mobile: '13600009999' }));
    const first = await claimDue(deps, 100);
    expect(first.length).toBeGreaterThan(0);
    // The worker "dies": nothing is recorded. Before the lease ends nobody else gets the rows…
    expect(await claimDue(deps, 100)).toEqual([]);
    // …after it, another worker does, with a new claim token.
    deps.clock.advance(61_000);
    const firstIds = new Set(first.map((r) => r.id));
    const again = (await claimDue(deps, 100)).filter((r) => firstIds.has(r.id));
    expect(again).toHaveLength(first.length);
    expect(again.every((r) => r.attempts === 2 && r.claimToken !== first[0]!.claimToken)).toBe(true);
  });

  it('without SMTP_URL a mail is logged — recipient and outbox row, no subject or body — and not sent', async () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (l: string) => void lines.push(l) });
    const mailer = createMailer(undefined, 'noreply@example.gov.cn', log);
    const before = received.length;
    const { id } = await mailer.send({ to: 'edu@intake.example.gov.cn', subject: '【新投诉】测试', text: '正文不应出现在日志里', outboxId: 42 });
    expect(id).toMatch(/@not-sent\.invalid>$/);
    expect(received.length).toBe(before);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ to: 'edu@intake.example.gov.cn', outboxId: 42, id, msg: 'mail (no SMTP_URL: logged, not sent)' });
    expect(lines[0]).not.toContain('正文');
    expect(lines[0]).not.toContain('新投诉'); // the subject carries the tracking code
  });

  it('retries later with backoff when the mail server refuses, then delivers', async () => {
    // Let the leases of the previous test's claims run out.
    deps.clock.advance(120_000);
    refuse = true;
    await drainOnce(deps, notifiers(), 100);
    const pending = await deps.db.read.select().from(outbox).where(eq(outbox.status, 'pending'));
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.every((r) => r.nextAttemptAt.getTime() > deps.clock.now().getTime())).toBe(true);
    expect(pending[0]!.lastError).toBeTruthy();
    refuse = false;
    deps.clock.advance(3_600_000);
    await drainOnce(deps, notifiers(), 100);
    const still = await deps.db.read.select().from(outbox).where(eq(outbox.status, 'pending'));
    expect(still).toHaveLength(0);
  });
});
