/**
 * What the services need from the outside world, passed in (never module singletons), so tests
 * build the same app over a temp database, a fixed clock and a real SMTP server.
 */
import type { Logger } from 'pino';
import type { Db } from '../db/client.ts';
import type { IntakeWriter } from './intake/types.ts';
import type { Env } from './env.ts';
import type { Clock } from './lib/clock.ts';
import type { Keys } from './security/keys.ts';
import type { Pii } from './security/pii.ts';

export interface Deps {
  db: Db;
  clock: Clock;
  env: Env;
  keys: Keys;
  pii: Pii;
  log: Logger;
  /**
   * The site build command for publishing (api/ops/build.ts); absent: a full Astro build.
   * Tests pass a small script here to make a publish succeed or fail quickly.
   */
  siteBuild?: { argv: (outDir: string) => string[] };
  /**
   * Where complaints are saved when not on this thread: the intake thread that api/start.ts
   * starts for a local database file (api/intake/thread.ts). Absent: this thread.
   */
  intakeWriter?: IntakeWriter;
}
