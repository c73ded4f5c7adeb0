/**
 * Server-side institution lookup for the complaint form's picker (with or without JavaScript):
 * name fragment, pinyin, initials, license number or credit code. A LIKE scan is fine here — it
 * serves one parent filling one form, not the public search page (which uses the static index).
 */
import { asc, eq, like, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { institutions, towns } from '../../db/schema.ts';

export interface PickerItem {
  id: string;
  name: string;
  address: string;
  townZh: string;
  townEn: string;
  licenseStatus: string;
}

/** Escapes LIKE wildcards so a parent's "%" or "_" matches literally. */
const likeTerm = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export async function lookupInstitutions(db: Db, rawQuery: string, limit = 10): Promise<PickerItem[]> {
  const q = rawQuery.normalize('NFKC').trim().slice(0, 40);
  if ([...q].length < 2) return [];
  const latin = q.toLowerCase().replace(/\s+/g, '');
  const term = likeTerm(q);
  const latinTerm = likeTerm(latin);
  return db.read
    .select({
      id: institutions.id,
      name: institutions.name,
      address: institutions.address,
      townZh: towns.nameZh,
      townEn: towns.nameEn,
      licenseStatus: institutions.licenseStatus,
    })
    .from(institutions)
    .innerJoin(towns, eq(towns.code, institutions.townCode))
    .where(
      or(
        sql`${institutions.name} LIKE ${term} ESCAPE '\\'`,
        sql`${institutions.namePinyin} LIKE ${latinTerm} ESCAPE '\\'`,
        sql`${institutions.nameInitials} LIKE ${latinTerm} ESCAPE '\\'`,
        sql`${institutions.licenseNo} LIKE ${term} ESCAPE '\\'`,
        like(institutions.creditCode, q.toUpperCase()),
      ),
    )
    .orderBy(asc(sql`length(${institutions.name})`), asc(institutions.name))
    .limit(limit);
}
