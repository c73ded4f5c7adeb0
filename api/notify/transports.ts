/**
 * Delivery transports. E-mail goes through nodemailer over SMTP when SMTP_URL is set; otherwise
 * it is only logged, for demo machines without a mail server. SMS for parents is
 * pluggable; the default transport only logs that a message was due.
 *
 * Log lines name the outbox row (`outboxId`), never a message's text or subject: the text holds
 * the tracking code, and a code next to anything that opens it (the number's last four digits,
 * which the tracking page asks for) would let whoever reads the logs read the case.
 */
import { randomUUID } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';

export interface Mailer {
  /** `outboxId`: the row being delivered, the only handle a log line may carry. */
  send(msg: { to: string; subject: string; text: string; outboxId?: number }): Promise<{ id: string }>;
}
export interface SmsSender {
  send(msg: { mobile: string; text: string; outboxId?: number }): Promise<{ id: string }>;
}

export function createMailer(smtpUrl: string | undefined, from: string, log: Logger): Mailer {
  if (!smtpUrl) return createLogMailer(log);
  const transport: Transporter = nodemailer.createTransport(smtpUrl);
  return {
    async send({ to, subject, text }) {
      const info = await transport.sendMail({ from, to, subject, text });
      return { id: String(info.messageId ?? '') };
    },
  };
}

/**
 * No SMTP_URL (a demo machine): the mail is logged — recipient and outbox row, never subject or
 * body (both carry the tracking code) — and not sent. Nothing is built that would only be thrown away: composing the MIME message costs
 * nodemailer ~0.4 ms of CPU per mail, which on a busy demo server is taken from intake.
 */
function createLogMailer(log: Logger): Mailer {
  return {
    async send(msg) {
      const id = `<${randomUUID()}@not-sent.invalid>`;
      log.info({ to: msg.to, outboxId: msg.outboxId, id }, 'mail (no SMTP_URL: logged, not sent)');
      return { id };
    },
  };
}

export function createLogSms(log: Logger): SmsSender {
  return {
    async send({ outboxId }) {
      // Neither the number (masked, its last four digits open the case) nor the text (the code).
      log.info({ outboxId }, 'sms (log transport: not sent)');
      return { id: `log-${Date.now()}` };
    },
  };
}
