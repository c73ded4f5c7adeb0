/**
 * npm run bench:import — the registry's bulk import at its limit: 5,000 institutions in one file.
 *
 * Over a temp database with the committed migrations and a 2,000-institution demo registry:
 *   1. dry run of a 5,000-row CSV and of the same rows as XLSX (read, validate every row with the
 *      institution schema, look up credit codes and license numbers, build the report, keep the
 *      file), then apply (re-check inside the write transaction, insert institutions, supervisors,
 *      history and one audit row per institution);
 *   2. the baseline in the same run: parsing the same CSV by splitting lines and commas, and a plain
 *      multi-row INSERT of the same 5,000 institutions in one transaction.
 * Prints the times and the ratios. Nothing is asserted; the numbers go in the report.
 *
 * Environment: BENCH_ROWS (default 5000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import writeXlsxFile from 'write-excel-file/node';
import { createDb } from '../db/client.ts';
import { migrateDb } from '../db/migrate.ts';
import * as t from '../db/schema.ts';
import { seedRegistry } from '../api/demo/registry.ts';
import { makeCreditCode } from '../api/registry/credit-code.ts';
import { applyInstitutionImport, dryRunInstitutionImport } from '../api/registry/institution-import.ts';
import { INSTITUTION_COLUMNS } from '../api/registry/import-columns.ts';
import { nameSearchKeys } from '../api/registry/search-keys.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 5000);
const NOW = new Date('2026-11-27T02:00:00Z');

const header = INSTITUTION_COLUMNS.map((c) => c.zh);
const row = (n: number) => [
  `基准测试培训学校${n}`,
  makeCreditCode('52', '370305', String(30_000_000 + n)),
  `教民3703053${String(40_000_000 + n)}号`,
  '民办非企业单位',
  '文化艺术类',
  '辛店街道',
  String((n % 16) + 1),
  `淄博市临淄区辛店街道某路${n}号`,
  '2024-03-01',
  '2029-02-28',
  '是',
  '2024-02-20',
  '齐商银行临淄支行',
  `3703${String(n).padStart(14, '0')}`,
  '是',
  '少儿美术、书法',
  '12',
  '8',
  '0533-7123456',
];

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const s = performance.now();
  const r = await fn();
  return [r, performance.now() - s];
}

async function freshDb(dir: string, name: string) {
  const db = await createDb(`file:${join(dir, name)}`);
  await migrateDb(db);
  await seedRegistry(db, { institutions: 2000, seed: 7, today: '2026-11-27' });
  const [s] = await db.write((tx) => tx.insert(t.staff).values({ username: 'bench', displayName: 'bench', departmentCode: 'edu', role: 'handler', passwordHash: 'x' }).returning({ id: t.staff.id }));
  return { db, staffId: s!.id };
}

const dir = mkdtempSync(join(tmpdir(), 'peixun-bench-import-'));
try {
  const rows = Array.from({ length: ROWS }, (_, i) => row(i + 1));
  const csv = Buffer.from([header, ...rows].map((r) => r.join(',')).join('\r\n'));
  const xlsx = await writeXlsxFile([header, ...rows].map((r) => r.map((v) => ({ value: v, type: String })))).toBuffer();
  console.log(`rows ${ROWS}: CSV ${(csv.length / 1024).toFixed(0)} KB, XLSX ${(xlsx.length / 1024).toFixed(0)} KB`);

  const results: Record<string, number> = {};
  for (const [format, bytes] of [['csv', csv], ['xlsx', xlsx]] as const) {
    const { db, staffId } = await freshDb(dir, `${format}.db`);
    const actor = { staffId, role: 'handler', ip: null };
    // How long the apply holds the write path (what complaint intake would wait behind).
    let lockMs = 0;
    const write = db.write.bind(db);
    (db as { write: typeof db.write }).write = async (fn) => {
      const s = performance.now();
      try {
        return await write(fn);
      } finally {
        lockMs = Math.max(lockMs, performance.now() - s);
      }
    };
    const [dry, dryMs] = await time(() => dryRunInstitutionImport(db, { bytes, name: `bench.${format}` }, actor, NOW, 'zh-CN'));
    if (!dry.ok || !dry.report.applicable) throw new Error(`dry run failed: ${JSON.stringify(dry).slice(0, 500)}`);
    const [applied, applyMs] = await time(() => applyInstitutionImport(db, dry.report.sha256, actor, NOW, 'zh-CN'));
    if (!applied.ok) throw new Error(`apply failed: ${JSON.stringify(applied)}`);
    results[`${format} dry run`] = dryMs;
    results[`${format} apply`] = applyMs;
    results[`${format} apply: longest write`] = lockMs;
    await db.close();
  }

  // Baseline: split the CSV, one plain multi-row INSERT of the same rows in one transaction.
  const { db } = await freshDb(dir, 'baseline.db');
  const [, splitMs] = await time(async () => csv.toString('utf8').split('\r\n').map((l) => l.split(',')));
  const [, insertMs] = await time(() =>
    db.write(async (tx) => {
      for (let i = 0; i < rows.length; i += 200) {
        await tx.insert(t.institutions).values(
          rows.slice(i, i + 200).map((r, j) => ({
            id: `b-${i + j}`,
            name: r[0]!,
            ...nameSearchKeys(r[0]!),
            creditCode: r[1]!,
            licenseNo: r[2]!,
            legalForm: 'non_enterprise' as const,
            category: 'culture_arts' as const,
            address: r[7]!,
            townCode: 'xindian',
            zoneId: Number(r[6]),
            licenseStatus: 'valid' as const,
            licenseIssuedOn: r[8]!,
            licenseValidUntil: r[9]!,
            fireSafetyPassed: true,
            fireSafetyDate: r[11]!,
            custodyBank: r[12]!,
            custodyAccountNo: r[13]!,
            usesModelContract: true,
            trainingItems: ['少儿美术', '书法'],
            staffCount: 12,
            teacherCount: 8,
            phone: r[18]!,
            updatedAt: NOW,
          })),
        );
      }
      await tx.run(sql`SELECT 1`);
    }),
  );
  await db.close();
  const f = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;
  for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(26)} ${f(v)}`);
  console.log(`baseline split ${f(splitMs)}   (dry run / split: csv ${(results['csv dry run']! / splitMs).toFixed(0)}×)`);
  console.log(`baseline insert ${f(insertMs)}  (apply / plain insert: csv ${(results['csv apply']! / insertMs).toFixed(1)}×, xlsx ${(results['xlsx apply']! / insertMs).toFixed(1)}×)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
