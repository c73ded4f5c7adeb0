/** Figures for the home page, read once per build. */
import { and, eq, gte, sql } from 'drizzle-orm';
import { inspections, institutions, meta } from '../../db/schema.ts';
import { beijingDate } from '../../api/calendar/working-days.ts';
import { buildDb } from './db.ts';

export interface HomeFigures {
  licensed: number;
  latestYear: number | null;
  passRate: number | null;
  isDemo: boolean;
}

let cached: Promise<HomeFigures> | null = null;

export function homeFigures(): Promise<HomeFigures> {
  return (cached ??= (async () => {
    const db = await buildDb();
    const today = beijingDate(new Date());
    const [lic] = await db.read
      .select({ n: sql<number>`count(*)` })
      .from(institutions)
      .where(and(eq(institutions.licenseStatus, 'valid'), gte(institutions.licenseValidUntil, today)));
    const [latest] = await db.read.select({ year: sql<number | null>`max(${inspections.year})` }).from(inspections);
    let passRate: number | null = null;
    if (latest?.year) {
      const [r] = await db.read
        .select({
          total: sql<number>`count(*)`,
          passed: sql<number>`sum(case when ${inspections.result} in ('pass','pass_with_remarks') then 1 else 0 end)`,
        })
        .from(inspections)
        .where(eq(inspections.year, latest.year));
      passRate = r && r.total ? Math.round((Number(r.passed) / Number(r.total)) * 1000) / 10 : null;
    }
    return { licensed: Number(lic?.n ?? 0), latestYear: latest?.year ?? null, passRate, isDemo: await isDemoData() };
  })());
}

let demo: Promise<boolean> | null = null;

/**
 * Whether the 演示数据 banner shows. Read once per process: it changes only when a database is
 * seeded, which happens before any build or server start.
 */
export function isDemoData(): Promise<boolean> {
  return (demo ??= buildDb().then(async (db) => {
    const [row] = await db.read.select({ value: meta.value }).from(meta).where(eq(meta.key, 'demo'));
    return row?.value === 'true';
  }));
}
