/**
 * 双主管: which departments a license names for each category. The category's own department
 * is 'primary' (it leads refund complaints about the institution); the education bureau, which
 * issues every license, is the co-supervisor when the category belongs to another bureau.
 */
import type { Category } from '../../db/schema.ts';

const CATEGORY_DEPARTMENT: Record<Category, string> = {
  subject: 'edu',
  sports: 'edu',
  culture_arts: 'culture',
  science_tech: 'science',
};

export const categoryDepartment = (category: Category): string => CATEGORY_DEPARTMENT[category];

export function supervisorsFor(category: Category): { departmentCode: string; role: 'primary' | 'co' }[] {
  const primary = CATEGORY_DEPARTMENT[category];
  return primary === 'edu'
    ? [{ departmentCode: 'edu', role: 'primary' }]
    : [
        { departmentCode: primary, role: 'primary' },
        { departmentCode: 'edu', role: 'co' },
      ];
}
