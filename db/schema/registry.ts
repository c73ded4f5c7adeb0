/** The institution registry: institutions, their supervisors, licence history, inspections, imports. */
import { sqliteTable, text, integer, blob, primaryKey, index, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt } from './columns.ts';
import { CATEGORIES, INSPECTION_RESULTS, LEGAL_FORMS, LICENSE_STATUSES, RECTIFICATION } from './vocabulary.ts';
import { departments, towns, zones } from './reference.ts';
import { staff } from './staff.ts';

export const institutions = sqliteTable(
  'institutions',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** Full pinyin without tones or spaces (huadingyishu) and initials (hdys), for search. */
    namePinyin: text('name_pinyin').notNull(),
    nameInitials: text('name_initials').notNull(),
    creditCode: text('credit_code').notNull(),
    licenseNo: text('license_no').notNull(),
    legalForm: text('legal_form', { enum: LEGAL_FORMS }).notNull(),
    category: text('category', { enum: CATEGORIES }).notNull(),
    address: text('address').notNull(),
    townCode: text('town_code')
      .notNull()
      .references(() => towns.code),
    zoneId: integer('zone_id')
      .notNull()
      .references(() => zones.id),
    /** Stored status; 'expired' is also derived at read time from licenseValidUntil. */
    licenseStatus: text('license_status', { enum: LICENSE_STATUSES }).notNull(),
    licenseIssuedOn: text('license_issued_on').notNull(),
    licenseValidUntil: text('license_valid_until').notNull(),
    fireSafetyPassed: integer('fire_safety_passed', { mode: 'boolean' }).notNull(),
    fireSafetyDate: text('fire_safety_date'),
    custodyBank: text('custody_bank'),
    custodyAccountNo: text('custody_account_no'),
    usesModelContract: integer('uses_model_contract', { mode: 'boolean' }).notNull(),
    /** JSON array of training items (培训项目), e.g. ["少儿美术","书法"]. */
    trainingItems: text('training_items', { mode: 'json' }).$type<string[]>().notNull(),
    staffCount: integer('staff_count').notNull(),
    teacherCount: integer('teacher_count').notNull(),
    phone: text('phone'),
    isDemo: integer('is_demo', { mode: 'boolean' }).notNull().default(false),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    uniqueIndex('institutions_credit_code_uq').on(t.creditCode),
    uniqueIndex('institutions_license_no_uq').on(t.licenseNo),
    index('institutions_town_idx').on(t.townCode, t.name),
    index('institutions_category_idx').on(t.category),
    index('institutions_status_idx').on(t.licenseStatus),
  ],
);

/** 双主管: the departments a license names as supervisors; exactly one is primary. */
export const institutionSupervisors = sqliteTable(
  'institution_supervisors',
  {
    institutionId: text('institution_id')
      .notNull()
      .references(() => institutions.id, { onDelete: 'cascade' }),
    departmentCode: text('department_code')
      .notNull()
      .references(() => departments.code),
    role: text('role', { enum: ['primary', 'co'] }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.institutionId, t.departmentCode] }),
    index('institution_supervisors_dept_idx').on(t.departmentCode),
  ],
);

export const licenseStatusHistory = sqliteTable(
  'license_status_history',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    institutionId: text('institution_id')
      .notNull()
      .references(() => institutions.id, { onDelete: 'cascade' }),
    status: text('status', { enum: LICENSE_STATUSES }).notNull(),
    effectiveOn: text('effective_on').notNull(),
    reasonZh: text('reason_zh'),
    reasonEn: text('reason_en'),
    recordedBy: integer('recorded_by').references(() => staff.id),
    createdAt: createdAt(),
  },
  (t) => [index('license_status_history_inst_idx').on(t.institutionId, t.effectiveOn)],
);

export const inspections = sqliteTable(
  'inspections',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    institutionId: text('institution_id')
      .notNull()
      .references(() => institutions.id, { onDelete: 'cascade' }),
    year: integer('year').notNull(),
    result: text('result', { enum: INSPECTION_RESULTS }).notNull(),
    publishedOn: text('published_on').notNull(),
    /** Departments that jointly published this result (JSON array of codes). */
    publishedBy: text('published_by', { mode: 'json' }).$type<string[]>().notNull(),
  },
  (t) => [
    uniqueIndex('inspections_inst_year_uq').on(t.institutionId, t.year),
    index('inspections_year_result_idx').on(t.year, t.result),
  ],
);

export const FINDING_CODES = [
  'fire_hazard',
  'staff_qualification',
  'prepaid_over_limit',
  'no_custody_account',
  'contract_nonstandard',
  'advertising',
  'overtime_training',
  'records_incomplete',
] as const;

export const inspectionFindings = sqliteTable(
  'inspection_findings',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    inspectionId: integer('inspection_id')
      .notNull()
      .references(() => inspections.id, { onDelete: 'cascade' }),
    code: text('code', { enum: FINDING_CODES }).notNull(),
    note: text('note'),
    rectification: text('rectification', { enum: RECTIFICATION }),
    rectifiedOn: text('rectified_on'),
  },
  (t) => [index('inspection_findings_inspection_idx').on(t.inspectionId)],
);

/**
 * An uploaded registry import (institutions, or one year's inspection results) between its dry run
 * and its confirmation. The file itself is kept here, keyed by its SHA-256, so the confirm step
 * applies exactly the previewed bytes in whichever app process receives it; rows expire after a day.
 */
export const registryImports = sqliteTable(
  'registry_imports',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind', { enum: ['institutions', 'inspections'] }).notNull(),
    /** The inspection year of an inspections upload; null for institutions. */
    year: integer('year'),
    sha256: text('sha256').notNull(),
    fileName: text('file_name').notNull(),
    format: text('format', { enum: ['csv', 'xlsx'] }).notNull(),
    content: blob('content', { mode: 'buffer' }).notNull(),
    /** What the dry run promised (counts per outcome), compared again at apply time. */
    summary: text('summary', { mode: 'json' }).$type<Record<string, number>>().notNull(),
    uploadedBy: integer('uploaded_by')
      .notNull()
      .references(() => staff.id),
    uploadedAt: integer('uploaded_at', { mode: 'timestamp_ms' }).notNull(),
    appliedAt: integer('applied_at', { mode: 'timestamp_ms' }),
  },
  (t) => [
    index('registry_imports_lookup_idx').on(t.uploadedBy, t.kind, t.sha256),
    index('registry_imports_uploaded_idx').on(t.uploadedAt),
  ],
);
