/**
 * Delivery transports. E-mail goes through nodemailer (SMTP when SMTP_URL is set; otherwise a
 * JSON transport that only logs, for demo machines without a mail server). SMS for parents is
 * pluggable; the default transport logs a masked number and the message text only.
 */
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
  const transport: Transporter = smtpUrl ? nodemailer.createTransport(smtpUrl) : nodemailer.createTransport({ jsonTransport: true });
  return {
    async send(msg) {
      const info = await transport.sendMail({ from, ...msg });
      if (!smtpUrl) log.info({ to: msg.to, subject: msg.subject }, 'mail (no SMTP_URL: logged, not sent)');
      return { id: String(info.messageId ?? '') };
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
