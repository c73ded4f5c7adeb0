/** The signed-in person as the admin layout shows them (name, role, department, CSRF token). */
import { eq } from 'drizzle-orm';
import { departments, type StaffRole } from '../../../db/schema.ts';
import type { Deps } from '../../../api/deps.ts';
import type { ActiveSession } from '../../../api/staff/sessions.ts';

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
  };
}
