/**
 * Who may read and change the registry (docs/domain.md: the education bureau licenses every institution;
 * culture and science co-supervise their categories and publish inspection results jointly with it;
 * the coordination office, hosted by the education bureau, publishes data; the sysadmin runs
 * accounts, backups and configuration, not the register).
 *
 *   read the register (list, institution, status history)   every role except sysadmin
 *   create / edit institutions, import institutions          edu handler and dept_head, coordinator
 *   change a license's status (暂停 / 注销 / 吊销 / 恢复)     edu dept_head, coordinator
 *                                                             (an administrative decision, not a clerk's edit)
 *   import a year's inspection results                        edu handler and dept_head, coordinator: any institution;
 *                                                             culture / science handler and dept_head: only
 *                                                             institutions their department supervises (双主管)
 *   market: reads only (it mediates refunds, it does not license or inspect)
 * Pure functions over the caller, so the matrix test can walk them without HTTP.
 */
import type { Caller } from '../cases/access.ts';

const LICENSING_DEPT = 'edu';
const CO_SUPERVISORS = new Set(['culture', 'science']);
const desk = (role: Caller['role']) => role === 'handler' || role === 'dept_head';

export const mayReadRegistry = (c: Pick<Caller, 'role'>) => c.role !== 'sysadmin';

export const mayEditRegistry = (c: Pick<Caller, 'role' | 'dept'>) => c.role === 'coordinator' || (c.dept === LICENSING_DEPT && desk(c.role));

export const mayChangeLicenseStatus = (c: Pick<Caller, 'role' | 'dept'>) => c.role === 'coordinator' || (c.dept === LICENSING_DEPT && c.role === 'dept_head');

/**
 * 'all': results for any institution; 'supervised': only where the caller's department is one of
 * the institution's supervisors; null: no inspection import at all.
 */
export function inspectionImportScope(c: Pick<Caller, 'role' | 'dept'>): 'all' | 'supervised' | null {
  if (mayEditRegistry(c)) return 'all';
  if (desk(c.role) && CO_SUPERVISORS.has(c.dept)) return 'supervised';
  return null;
}
