/**
 * Logs never hold a tracking code together with what opens it (the number's last four digits,
 * which the tracking page asks for), nor a message's text: a complaint goes through the real HTTP
 * server, intake, a tracking lookup and the outbox (log transports, as on a demo machine) while
 * every log line is captured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../api/logger.ts';
import { drainOnce } from '../../api/notify/outbox-worker.ts';
import { parentAckSms } from '../../api/notify/messages.ts';
import { createLogSms, createMailer } from '../../api/notify/transports.ts';
import { startServer, type RunningServer } from '../../api/server.ts';
import { complaintBody, createSeededDeps, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;
let server: RunningServer;
const lines: string[] = [];

beforeAll(async () => {
  deps = await createSeededDeps(20);
  deps.log = createLogger('debug', { write: (l: string) => void lines.push(l) });
  server = await startServer(deps, { port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server.close();
  await deps.cleanup();
});

describe('log lines', () => {
  it('never put the tracking code next to the last four digits, and never carry a message text', async () => {
    const mobile = '13945678321';
    const base = `http://127.0.0.1:${server.port}`;
    const res = await fetch(`${base}/api/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(complaintBody({ mobile })) });
    expect(res.status).toBe(201);
    const { trackingCode, acceptBy } = (await res.json()) as { trackingCode: string; acceptBy: string };
    expect((await fetch(`${base}/api/complaints/${trackingCode}?last4=8321`)).status).toBe(200);

    const log = deps.log;
    expect(await drainOnce(deps, { mailer: createMailer(undefined, 'noreply@example.gov.cn', log), sms: createLogSms(log) }, 100)).toBeGreaterThan(0);

    const sms = lines.filter((l) => l.includes('sms'));
    expect(sms.length, lines.join('')).toBe(1);
    expect(JSON.parse(sms[0]!)).toMatchObject({ outboxId: expect.any(Number) });
    expect(lines.filter((l) => l.includes('mail (no SMTP_URL')).length).toBeGreaterThan(0);
    for (const l of lines) {
      expect(l.includes(trackingCode) && l.includes('8321'), l).toBe(false);
      expect(l, 'no log line holds a message text').not.toContain(parentAckSms(trackingCode, acceptBy));
      expect(l).not.toContain('跟踪码');
      expect(l).not.toContain(mobile);
    }
  });
});
