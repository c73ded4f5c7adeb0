/**
 * The demo district, end to end: registry → staff → complaints in every state; then the demo
 * credentials file. Deterministic from `seed` (tracking codes excepted: they come from the CSPRNG).
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Deps } from '../deps.ts';
import { beijingDate } from '../calendar/working-days.ts';
import { seedRegistry } from './registry.ts';
import { seedDemoStaff, type DemoAccount } from './staff.ts';
import { seedDemoTemplates } from './templates.ts';
import { seedDemoComplaints } from './complaints.ts';

export interface DemoOptions {
  institutions: number;
  seed?: number;
  complaints?: number;
  /** Write DATA_DIR/demo-credentials.json (off in tests). */
  writeCredentials?: boolean;
}

export async function isDatabaseEmpty(deps: Pick<Deps, 'db'>): Promise<boolean> {
  const r = await deps.db.readClient.execute('SELECT count(*) AS n FROM departments');
  return Number(r.rows[0]!.n) === 0;
}

export async function seedDemo(deps: Deps, options: DemoOptions): Promise<{ institutions: number; complaints: number; accounts: DemoAccount[] }> {
  if (deps.env.APP_MODE !== 'demo') throw new Error('Refusing to seed demo data: APP_MODE is not demo');
  const seed = options.seed ?? 2024;
  const now = deps.clock.now();
  const ids = await seedRegistry(deps.db, { institutions: options.institutions, seed, today: beijingDate(now) });
  const accounts = await seedDemoStaff(deps.db, deps.pii, now);
  await seedDemoTemplates(deps.db, now);
  const complaintCount = await seedDemoComplaints(deps, options.complaints ?? 66, ids, seed);
  await deps.db.write((tx) => tx.run(sql`INSERT INTO meta(key, value) VALUES ('data_version', ${String(now.getTime())}) ON CONFLICT(key) DO UPDATE SET value = excluded.value`));
  if (options.writeCredentials) {
    mkdirSync(deps.env.DATA_DIR, { recursive: true, mode: 0o700 });
    const file = join(deps.env.DATA_DIR, 'demo-credentials.json');
    writeFileSync(file, JSON.stringify({ note: '演示账号 — demo accounts, never for production', accounts }, null, 2), { mode: 0o600 });
    // `mode` applies only when the file is created: an existing one keeps its mode otherwise.
    chmodSync(file, 0o600);
  }
  return { institutions: ids.length, complaints: complaintCount, accounts };
}
