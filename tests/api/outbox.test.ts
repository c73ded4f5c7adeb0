/**
 * The outbox reaches departments by real SMTP (a server started in the test), is claimed once
 * even by competing workers, and retries with backoff when the mail server refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { eq } from 'drizzle-orm';
import { outbox } from '../../db/schema.ts';
import { claimDue, drainOnce } from '../../api/notify/outbox-worker.ts';
import { createLogSms, createMailer } from '../../api/notify/transports.ts';
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
