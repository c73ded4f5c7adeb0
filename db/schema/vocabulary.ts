/** Text enums the tables and the API share (codes stay data: see the top of db/schema.ts). */


export const CATEGORIES = ['subject', 'sports', 'culture_arts', 'science_tech'] as const;
export type Category = (typeof CATEGORIES)[number];
export const LEGAL_FORMS = ['non_enterprise', 'company'] as const;
export const LICENSE_STATUSES = ['valid', 'suspended', 'cancelled', 'revoked', 'expired'] as const;
export type LicenseStatus = (typeof LICENSE_STATUSES)[number];
export const INSPECTION_RESULTS = ['pass', 'pass_with_remarks', 'fail', 'absent'] as const;
export type InspectionResult = (typeof INSPECTION_RESULTS)[number];
export const RECTIFICATION = ['in_progress', 'done'] as const;
export const COMPLAINT_STATUSES = [
  'submitted',
  'accepted',
  'rejected',
  'in_progress',
  'resolved',
  'closed',
] as const;
export type ComplaintStatus = (typeof COMPLAINT_STATUSES)[number];
export const COMPLAINT_REASONS = [
  'closed',
  'refused',
  'delayed',
  'misleading',
  'teacher',
  'safety',
  'other',
] as const;
export const PAID_VIA = ['custody_account', 'other_account', 'cash', 'platform'] as const;
export const CONTRACT_KINDS = ['model', 'other', 'none'] as const;
export const OUTCOMES = ['full_refund', 'partial_refund', 'no_refund', 'arbitration', 'police'] as const;
export const RATINGS = ['satisfied', 'basically_satisfied', 'unsatisfied'] as const;
export const STAFF_ROLES = ['handler', 'dept_head', 'coordinator', 'sysadmin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
export const DEPARTMENT_KINDS = ['bureau', 'town', 'other'] as const;
