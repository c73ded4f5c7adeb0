/** Builds the Deps for a process from its environment: database, keys, clock, logger. */
import type pino from 'pino';
import { createDb } from '../db/client.ts';
import { migrateDb } from '../db/migrate.ts';
import type { Deps } from './deps.ts';
import type { Env } from './env.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { createLogger } from './logger.ts';
import { deriveKeys, loadMasterKey } from './security/keys.ts';
import { createPii } from './security/pii.ts';
import { encryptLegacyPersonalData } from './security/pii-at-rest.ts';

export async function createDeps(
  env: Env,
  opts: {
    clock?: Clock;
    logDestination?: pino.DestinationStream;
    migrate?: boolean;
    /** The long-running server: checkpoint the WAL on a thread of its own (db/checkpoint-thread.ts). */
    server?: boolean;
  } = {},
): Promise<Deps> {
  const log = createLogger(env.LOG_LEVEL, opts.logDestination);
  const db = await createDb(env.DATABASE_URL, {
    authToken: env.DATABASE_AUTH_TOKEN,
    checkpoints: opts.server ? 'background' : 'inline',
    ...(opts.server
      ? {
          onFatal(err: Error) {
            // Nothing written from now on could be acknowledged safely: stop and be restarted.
            log.fatal({ err: err.message }, 'database can no longer work safely; stopping so the process is restarted');
            process.exit(1);
          },
        }
      : {}),
  });
  if (opts.migrate !== false) await migrateDb(db);
  const keys = deriveKeys(loadMasterKey(env));
  const pii = createPii(keys);
  if (opts.migrate !== false) {
    // Rows from before encryption at rest covered descriptions, notes, files and IPs (needs the key,
    // so it cannot be a migration); a no-op once done (api/security/pii-at-rest.ts).
    const converted = await encryptLegacyPersonalData({ db, pii });
    if (converted) log.info(converted, 'personal data at rest: earlier rows encrypted');
  }
  return { db, env, keys, pii, clock: opts.clock ?? systemClock, log };
}
