/**
 * The server for bench/evidence-flood.ts: the product's HTTP stack (api/server.ts) with its intake
 * thread, on a fresh database holding only a small demo registry — no site build (the flood is an
 * API matter) and no outbox worker. INTAKE_POW and INTAKE_RATE_LIMIT are off so the bench measures
 * the decode path itself, not the gates in front of it (those are tested in
 * tests/intake/evidence-gate.test.ts).
 *
 * Started as a child process: `tsx bench/evidence-server.ts <data-dir>`; prints
 * {"listening":"http://127.0.0.1:PORT"} on stdout. Loopback only; stops on SIGTERM.
 */
import { join } from 'node:path';
import { createDeps } from '../api/bootstrap.ts';
import { startIntakeThread } from '../api/intake/writer.ts';
import { seedRegistry } from '../api/demo/registry.ts';
import { loadEnv } from '../api/env.ts';
import { beijingDate } from '../api/calendar/working-days.ts';
import { startServer } from '../api/server.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: tsx bench/evidence-server.ts <data-dir>');

const env = loadEnv({
  DATABASE_URL: `file:${join(dir, 'app.db')}`,
  DATA_DIR: dir,
  SITE_DIR: join(dir, 'site'),
  LOG_LEVEL: 'warn',
  INTAKE_POW: 'off',
  INTAKE_RATE_LIMIT: 'off',
  PORT: '0',
});
const deps = await createDeps(env, { server: true });
await seedRegistry(deps.db, { institutions: 50, seed: 2024, today: beijingDate(deps.clock.now()) });
const thread = await startIntakeThread(deps.db, { onCrash: () => process.exit(1) });
deps.intakeWriter = thread;
const running = await startServer(deps, { port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ listening: `http://127.0.0.1:${running.port}` })}\n`);

const stop = async () => {
  await running.close();
  await thread.stop();
  await deps.db.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
