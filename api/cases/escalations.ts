/**
 * Overdue escalations for the coordination office: every case whose next step is past its
 * deadline — still submitted after its accept-by date, or accepted / in progress after its
 * resolve-by date (or the approved extension) — grouped by lead department, most overdue first.
 * "Today" is the Beijing date of deps.clock; a deadline is the last day the step may happen on,
 * so a case is overdue from the day after. Days overdue are calendar days (what staff and parents
 * count), not working days. Spam is left out. Coordinator only (others 403).
 */
import { and, asc, eq, lt } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { beijingDate } from '../calendar/working-days.ts';
import type { Deps } from '../deps.ts';
import type { Caller } from './access.ts';
import { forbiddenRole } from './case-view.ts';

export const maySeeEscalations = (caller: Caller) => caller.role === 'coordinator';

export interface OverdueCase {
  code: string;
  status: 'submitted' | 'accepted' | 'in_progress';
  /** Which deadline passed. */
  deadline: 'accept' | 'resolve' | 'extension';
  dueOn: string;
  daysOverdue: number;
  institutionId: string | null;
  institutionName: string | null;
  submittedOn: string;
}

export interface EscalationGroup {
  dept: string;
  nameZh: string;
  nameEn: string;
  cases: OverdueCase[];
}

const daysBetween = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

export async function loadEscalations(deps: Deps, caller: Caller): Promise<{ today: string; total: number; departments: EscalationGroup[] }> {
  if (!maySeeEscalations(caller)) throw forbiddenRole();
  const today = beijingDate(deps.clock.now());
  const rows = await deps.db.read
    .select({
      code: t.complaints.trackingCode,
      status: t.complaints.status,
      dueOn: t.complaints.dueOn,
      extendedUntil: t.complaints.extendedUntil,
      leadDept: t.complaints.leadDept,
      institutionId: t.complaints.institutionId,
      registryName: t.institutions.name,
      submittedAt: t.complaints.submittedAt,
      deptZh: t.departments.nameZh,
      deptEn: t.departments.nameEn,
    })
    .from(t.complaints)
    .innerJoin(t.departments, eq(t.departments.code, t.complaints.leadDept))
    .leftJoin(t.institutions, eq(t.institutions.id, t.complaints.institutionId))
    // due_on is NO_DEADLINE ('9999-12-31') for finished cases, so "< today" keeps open ones only.
    .where(and(lt(t.complaints.dueOn, today), eq(t.complaints.isSpam, false)))
    .orderBy(asc(t.complaints.dueOn), asc(t.complaints.id));

  const groups = new Map<string, EscalationGroup>();
  for (const r of rows) {
    if (r.status !== 'submitted' && r.status !== 'accepted' && r.status !== 'in_progress') continue;
    const dueOn = r.dueOn!;
    const g = groups.get(r.leadDept) ?? { dept: r.leadDept, nameZh: r.deptZh, nameEn: r.deptEn, cases: [] };
    groups.set(r.leadDept, g);
    g.cases.push({
      code: r.code,
      status: r.status,
      deadline: r.status === 'submitted' ? 'accept' : r.extendedUntil ? 'extension' : 'resolve',
      dueOn,
      daysOverdue: daysBetween(dueOn, today),
      institutionId: r.institutionId,
      // Registry name only; a name typed by a parent is not repeated in an overview.
      institutionName: r.registryName,
      submittedOn: beijingDate(r.submittedAt),
    });
  }
  const departments = [...groups.values()].sort((a, b) => b.cases.length - a.cases.length || a.dept.localeCompare(b.dept));
  return { today, total: rows.length === 0 ? 0 : departments.reduce((n, g) => n + g.cases.length, 0), departments };
}
