/**
 * `npm run bench:backup -- --mb 300`: the online backup (api/ops/backup.ts) on a database of
 * about that size while the app keeps working, against the plain baseline of running
 * `VACUUM INTO` on the app's own connection. Prints, for each: time to a finished copy and the
 * worst event-loop stall of the app process meanwhile (what every other request would wait).
 * The local libSQL driver is synchronous: the baseline stalls the process for the whole copy;
 * the product runs the copy in a child process.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createDb } from '../db/client.ts';
import { migrateDb } from '../db/migrate.ts';
import { takeBackup } from '../api/ops/backup.ts';
import { loadEnv } from '../api/env.ts';
import { systemClock } from '../api/lib/clock.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const MB = arg('mb', 300);

const dir = mkdtempSync(join(tmpdir(), 'peixun-bench-backup-'));
try {
  const env = loadEnv({ DATABASE_URL: `file:${join(dir, 'app.db')}`, DATA_DIR: dir, SITE_DIR: join(dir, 'site'), LOG_LEVEL: 'silent' });
  const db = await createDb(env.DATABASE_URL);
  await migrateDb(db);
  // Bulk filler standing in for evidence files and years of complaints (1 MB rows).
  await db.writeClient.execute('CREATE TABLE bench_filler (x BLOB)');
  for (let i = 0; i < MB; i += 10) await db.write((tx) => tx.run(`INSERT INTO bench_filler SELECT randomblob(1048576) FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9 UNION ALL SELECT 10)`));
  await db.writeClient.execute('PRAGMA wal_checkpoint(TRUNCATE)');
  const size = statSync(join(dir, 'app.db')).size;

  async function measure(label: string, fn: () => Promise<void>) {
    const h = monitorEventLoopDelay({ resolution: 10 });
    // A ticking timer stands in for requests: how late does it fire while the copy runs?
    let worst = 0;
    let last = performance.now();
    const tick = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last - 5);
      last = now;
    }, 5);
    h.enable();
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    // Let the timers run once more: a stall that ends with the copy shows only on the next tick.
    await new Promise((r) => setTimeout(r, 50));
    h.disable();
    clearInterval(tick);
    console.log(`${label.padEnd(34)} ${ms.toFixed(0).padStart(7)} ms   worst stall ${Math.max(worst, h.max / 1e6).toFixed(0).padStart(6)} ms`);
    return { ms, stall: Math.max(worst, h.max / 1e6) };
  }

  console.log(`database ${(size / 1048576).toFixed(0)} MB`);
  const base = await measure('baseline: VACUUM INTO in-process', async () => {
    await db.readClient.execute({ sql: 'VACUUM INTO ?', args: [join(dir, 'baseline.db')] });
  });
  rmSync(join(dir, 'baseline.db'), { force: true });
  const product = await measure('product: takeBackup (child) + read', async () => {
    const b = await takeBackup({ db, env, clock: systemClock }, { staffId: 1, role: 'sysadmin', ip: null });
    const reader = b.stream.getReader();
    for (;;) if ((await reader.read()).done) break;
  });
  console.log(`ratio time ${(product.ms / base.ms).toFixed(2)}×, stall ${(product.stall / Math.max(1, base.stall)).toFixed(3)}×`);
  await db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
