/**
 * The only reader of process.env. Parsed once with zod; a bad value stops the process at start
 * with a message naming the variable, instead of failing later in a request.
 */
import { z } from 'zod';
import { parseTrustedProxies } from './http/client-ip.ts';

const onOff = z.enum(['on', 'off']);

export const EnvSchema = z
  .object({
    /** demo: seeds 演示数据 and writes demo credentials; production: refuses both. */
    APP_MODE: z.enum(['demo', 'production']).default('demo'),
    /** 0 picks a free port (tests). */
    PORT: z.coerce.number().int().min(0).max(65535).default(4321),
    HOST: z.string().min(1).default('127.0.0.1'),
    /** A path, a file: URL, or a libSQL server URL (libsql://, https://, wss://). */
    DATABASE_URL: z.string().min(1).default('file:data/app.db'),
    DATABASE_AUTH_TOKEN: z.string().optional(),
    /** 32 random bytes, base64. Encrypts personal data; required in production. */
    DATA_KEY: z
      .string()
      .optional()
      .refine((v) => v === undefined || Buffer.from(v, 'base64').length === 32, 'DATA_KEY must be 32 bytes, base64-encoded'),
    /** Where demo keys and credentials are written (demo mode only). */
    DATA_DIR: z.string().default('data'),
    /**
     * Public origin used in QR codes, feeds, e-mails and the staff pages' Origin checks. Required
     * in production; in demo mode it defaults to http://localhost:<PORT> (see loadEnv).
     */
    PUBLIC_BASE_URL: z.string().url().optional(),
    /** Built site folders live here; `current` is a symlink swapped atomically on publish. */
    SITE_DIR: z.string().default('dist'),
    /** smtp(s)://user:pass@host:port — department intake mail. Unset: mail is logged, not sent. */
    SMTP_URL: z.string().optional(),
    MAIL_FROM: z.string().default('校外培训监管平台 <noreply@example.gov.cn>'),
    SMS_TRANSPORT: z.enum(['log']).default('log'),
    INTAKE_POW: onOff.default('on'),
    /** Per-mobile and per-IP intake limits; `off` only for benchmarks and load tests (bench/intake.ts). */
    INTAKE_RATE_LIMIT: onOff.default('on'),
    /** Run the outbox worker in this process (turn off on all but some nodes if you like). */
    OUTBOX_WORKER: onOff.default('on'),
    /** Save complaints on a second thread (local database file only); see api/intake/thread.ts. */
    INTAKE_THREAD: onOff.default('on'),
    /** Trust X-Forwarded-For from the reverse proxy for client IPs (rate limits, audit). */
    TRUST_PROXY: onOff.default('off'),
    /**
     * With TRUST_PROXY=on: the reverse proxies' addresses (comma-separated addresses and CIDR
     * ranges). The client is the right-most X-Forwarded-For address not in this list.
     */
    TRUSTED_PROXIES: z
      .string()
      .default('127.0.0.1/8,::1')
      .superRefine((v, ctx) => {
        try {
          parseTrustedProxies(v);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `TRUSTED_PROXIES: ${(err as Error).message}` });
        }
      }),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Seed size for a fresh demo database. */
    DEMO_INSTITUTIONS: z.coerce.number().int().min(10).max(1_000_000).default(400),
  })
  .superRefine((env, ctx) => {
    if (env.APP_MODE === 'production' && !env.DATA_KEY) {
      ctx.addIssue({ code: 'custom', path: ['DATA_KEY'], message: 'DATA_KEY is required when APP_MODE=production' });
    }
    if (env.APP_MODE === 'production' && !env.PUBLIC_BASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_BASE_URL'], message: 'PUBLIC_BASE_URL is required when APP_MODE=production (the https origin the public reaches the site by)' });
    }
  })
  // The default follows PORT: a fixed localhost:4321 made every staff form and API write from
  // `PORT=8080 npm start` fail the Origin check (api/staff/guard.ts, api/server.ts).
  .transform((env) => ({ ...env, PUBLIC_BASE_URL: env.PUBLIC_BASE_URL ?? `http://localhost:${env.PORT}` }));

export type Env = z.output<typeof EnvSchema>;

export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
