/**
 * Build-time records for the institution search index (site/lib/search-index.ts).
 * Only public registry columns of `institutions`, `towns` and `inspections` (the published annual
 * results) are read: nothing from complaints, staff or any table that holds personal data.
 */
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { inspections, institutions, towns } from '../../db/schema.ts';
import { buildDb } from './db.ts';
import type { SearchRecord } from './search-index.ts';

export async function loadSearchRecords(db?: Db): Promise<SearchRecord[]> {
  const handle = db ?? (await buildDb());
  const [rows, insp] = await Promise.all([
    handle.read
      .select({
        id: institutions.id,
        name: institutions.name,
        namePinyin: institutions.namePinyin,
        nameInitials: institutions.nameInitials,
        licenseNo: institutions.licenseNo,
        creditCode: institutions.creditCode,
        category: institutions.category,
        licenseStatus: institutions.licenseStatus,
        licenseValidUntil: institutions.licenseValidUntil,
        townCode: towns.code,
        townZh: towns.nameZh,
        townEn: towns.nameEn,
      })
      .from(institutions)
      .innerJoin(towns, eq(towns.code, institutions.townCode))
      .orderBy(asc(institutions.id)),
    // Every published result, oldest year first: the last one seen per institution is its latest.
    handle.read
      .select({ institutionId: inspections.institutionId, year: inspections.year, result: inspections.result })
      .from(inspections)
      .orderBy(asc(inspections.year)),
  ]);
  const latest = new Map<string, { year: number; result: string }>();
  for (const i of insp) latest.set(i.institutionId, { year: i.year, result: i.result });
  return rows.map(({ townCode, townZh, townEn, ...r }) => ({
    ...r,
    town: { code: townCode, nameZh: townZh, nameEn: townEn },
    latestInspection: latest.get(r.id) ?? null,
  }));
}
