/**
 * Test wiring: each test file gets its own fresh database (a temp file with the committed
 * migrations applied), a settable clock, fixed keys and a silent logger.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb } from '../../db/client.ts';
import { migrateDb } from '../../db/migrate.ts';
import { createApp } from '../../api/app.ts';
import type { Deps } from '../../api/deps.ts';
import { loadEnv, type Env } from '../../api/env.ts';
import { fixedClock } from '../../api/lib/clock.ts';
import { createLogger } from '../../api/logger.ts';
import { deriveKeys } from '../../api/security/keys.ts';
import { createPii } from '../../api/security/pii.ts';
import { seedRegistry } from '../../api/demo/registry.ts';

export type TestDeps = Deps & { clock: ReturnType<typeof fixedClock>; dir: string; cleanup(): Promise<void> };

export async function createTestDeps(opts: { now?: string; env?: Partial<Record<keyof Env, string>> } = {}): Promise<TestDeps> {
  const dir = mkdtempSync(join(tmpdir(), 'peixun-test-'));
  const env = loadEnv({ DATABASE_URL: `file:${join(dir, 'test.db')}`, DATA_DIR: dir, SITE_DIR: join(dir, 'site'), LOG_LEVEL: 'silent', INTAKE_POW: 'off', ...opts.env });
  const db = await createDb(env.DATABASE_URL);
  await migrateDb(db);
  const keys = deriveKeys(Buffer.alloc(32, 7));
  const clock = fixedClock(opts.now ?? '2026-11-27T02:00:00Z'); // a Friday, 10:00 Beijing
  return {
    db,
    env,
    keys,
    pii: createPii(keys),
    clock,
    log: createLogger('silent'),
    dir,
    async cleanup() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh database with the demo district's registry (reference data + n institutions). */
export async function createSeededDeps(n = 40, opts: Parameters<typeof createTestDeps>[0] = {}): Promise<TestDeps> {
  const deps = await createTestDeps(opts);
  await seedRegistry(deps.db, { institutions: n, seed: 2024, today: '2026-11-27' });
  return deps;
}

export const testApp = (deps: Deps) => createApp(deps);

/** A valid complaint body; override any field. */
export function complaintBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    institutionId: 'demo-0001',
    course: '少儿美术秋季班',
    contract: 'model',
    paidOn: '2026-09-01',
    amountPaid: '3600',
    classesTotal: 48,
    classesUsed: 12,
    amountRequested: 2700,
    paidVia: 'custody_account',
    reason: 'refused',
    description: '机构拒绝退还剩余课时费用，多次沟通无果。',
    parentName: '王小明',
    mobile: '13912345678',
    consentProcessing: true,
    consentPublication: false,
    ...overrides,
  };
}

export function postJson(app: ReturnType<typeof createApp>, path: string, body: unknown, headers: Record<string, string> = {}) {
  return app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}
