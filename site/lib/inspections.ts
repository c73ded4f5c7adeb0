/** Per-year inspection summaries for the results pages, from the build-time registry. */
import { INSPECTION_RESULTS, type InspectionResult } from '../../db/schema.ts';
import { loadRegistry, type Institution, type Inspection } from './registry.ts';

export type Counts = Record<InspectionResult, number>;
export const emptyCounts = (): Counts => Object.fromEntries(INSPECTION_RESULTS.map((k) => [k, 0])) as Counts;

export interface YearRow { inst: Institution; inspection: Inspection }

let byYear: Promise<Map<number, YearRow[]>> | null = null;

/**
 * Every year's results, grouped once per build: the year and year × town pages (both languages)
 * all read from this instead of each walking the whole registry again.
 */
function rowsByYear(): Promise<Map<number, YearRow[]>> {
  return (byYear ??= loadRegistry().then((reg) => {
    const m = new Map<number, YearRow[]>();
    for (const inst of reg.institutions) {
      for (const inspection of inst.inspections) {
        const list = m.get(inspection.year);
        if (list) list.push({ inst, inspection });
        else m.set(inspection.year, [{ inst, inspection }]);
      }
    }
    return m;
  }));
}

export async function yearRows(year: number): Promise<YearRow[]> {
  return (await rowsByYear()).get(year) ?? [];
}

export function countBy(rows: YearRow[], key: (r: YearRow) => string): Map<string, Counts> {
  const m = new Map<string, Counts>();
  for (const r of rows) {
    const k = key(r);
    const c = m.get(k) ?? emptyCounts();
    c[r.inspection.result]++;
    m.set(k, c);
  }
  return m;
}

export const passRate = (c: Counts) => {
  const total = INSPECTION_RESULTS.reduce((a, k) => a + c[k], 0);
  return total ? Math.round(((c.pass + c.pass_with_remarks) / total) * 1000) / 10 : 0;
};

/** Most serious results first, so a parent scanning a town list sees problems at the top. */
export const SEVERITY: Record<InspectionResult, number> = { fail: 0, absent: 1, pass_with_remarks: 2, pass: 3 };
