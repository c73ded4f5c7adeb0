/**
 * The signed-in person as the admin layout shows them (name, role, department, CSRF token), and
 * how many notices and account confirmations wait for them (the header links to /admin/notices/).
 */
import { eq } from 'drizzle-orm';
import { openNotices } from '../ops/notices.ts';
import { pendingFor } from './requests.ts';
import { departments, type StaffRole } from '../../db/schema.ts';
import type { Deps } from '../deps.ts';
import type { ActiveSession } from './sessions.ts';

export interface AdminUser {
  id: number;
  username: string;
  displayName: string;
  role: StaffRole;
  dept: string;
  deptZh: string;
  deptEn: string;
  /** The session's CSRF token, for the hidden `_csrf` field of every form. */
  csrf: string;
  /** Open notices plus account requests this person may confirm (0: no header link). */
  alerts: number;
}

export async function adminUser(deps: Deps, session: ActiveSession): Promise<AdminUser> {
  const [d] = await deps.db.read
    .select({ nameZh: departments.nameZh, nameEn: departments.nameEn })
    .from(departments)
    .where(eq(departments.code, session.staff.departmentCode));
  return {
    id: session.staff.id,
    username: session.staff.username,
    displayName: session.staff.displayName,
    role: session.staff.role,
    dept: session.staff.departmentCode,
    deptZh: d?.nameZh ?? session.staff.departmentCode,
    deptEn: d?.nameEn ?? session.staff.departmentCode,
    csrf: session.csrfToken,
    alerts: await alertCount(deps, session),
  };
}

async function alertCount(deps: Deps, session: ActiveSession): Promise<number> {
  // A session on a temporary password sees nothing but the password change.
  if (session.staff.mustChangePassword) return 0;
  const s = session.staff;
  const [notices, requests] = await Promise.all([openNotices(deps.db, { staffId: s.id, role: s.role }), pendingFor(deps.db, { staffId: s.id, role: s.role, dept: s.departmentCode })]);
  return notices.length + requests.length;
}
