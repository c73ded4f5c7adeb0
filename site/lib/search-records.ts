/**
 * Build-time records for the institution search index (site/lib/search-index.ts).
 * Only public registry columns of `institutions`, `towns` and `inspections` (the published annual
 * results) are read: nothing from complaints, staff or any table that holds personal data.
 */
import { and, asc, eq, gt, lte } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { inspections, institutions, towns } from '../../db/schema.ts';
import { buildDb } from './db.ts';
import type { SearchRecord } from './search-index.ts';

/** Institutions per query: whole tables at once held ~100,000 raw joined rows (and 3× as many
 * inspection rows) alive together during the site build. */
const CHUNK = 4000;

export async function loadSearchRecords(db?: Db): Promise<SearchRecord[]> {
  const handle = db ?? (await buildDb());
  // One read transaction: every chunk sees the same snapshot.
  return handle.read.transaction(async (tx) => {
    const out: SearchRecord[] = [];
    for (let after = ''; ; ) {
      const rows = await tx
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
        .where(gt(institutions.id, after))
        .orderBy(asc(institutions.id))
        .limit(CHUNK);
      if (rows.length === 0) break;
      const last = rows[rows.length - 1]!.id;
      // This chunk's published results, oldest year first: the last one seen per institution is its latest.
      const insp = await tx
        .select({ institutionId: inspections.institutionId, year: inspections.year, result: inspections.result })
        .from(inspections)
        .where(and(gt(inspections.institutionId, after), lte(inspections.institutionId, last)))
        .orderBy(asc(inspections.institutionId), asc(inspections.year));
      const latest = new Map<string, { year: number; result: string }>();
      for (const i of insp) latest.set(i.institutionId, { year: i.year, result: i.result });
      for (const { townCode, townZh, townEn, ...r } of rows) {
        out.push({ ...r, town: { code: townCode, nameZh: townZh, nameEn: townEn }, latestInspection: latest.get(r.id) ?? null });
      }
      if (rows.length < CHUNK) break;
      after = last;
    }
    return out;
  }, { behavior: 'deferred' });
}
