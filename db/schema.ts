/**
 * The whole data model. One table per concept; codes (department, town, category, status)
 * are data rows or text enums so a district can change them without a code change.
 *
 * Conventions:
 * - instants are integer milliseconds since the epoch (`timestamp_ms`), shown in Asia/Shanghai;
 * - calendar dates that mean a Beijing day (paid on, license valid until) are 'YYYY-MM-DD' text;
 * - money is integer fen (分) so no float ever touches an amount;
 * - personal data (complainant name, mobile) is stored only encrypted, plus a keyed hash for lookups.
 */
import { sql } from 'drizzle-orm';
import {
  sqliteTable,
  text,
  integer,
  blob,
  primaryKey,
  index,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';

const createdAt = () =>
  integer('created_at', { mode: 'timestamp_ms' })
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`);

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

// ---------------------------------------------------------------- reference data

export const departments = sqliteTable('departments', {
  code: text('code').primaryKey(),
  nameZh: text('name_zh').notNull(),
  nameEn: text('name_en').notNull(),
  kind: text('kind', { enum: DEPARTMENT_KINDS }).notNull(),
  /** Where the outbox sends new-case mail; null = no intake mailbox yet (no staff accounts). */
  intakeEmail: text('intake_email'),
  /** Public hotline shown to parents. */
  phone: text('phone'),
  sortOrder: integer('sort_order').notNull().default(0),
});

export const towns = sqliteTable('towns', {
  code: text('code').primaryKey(),
  nameZh: text('name_zh').notNull(),
  nameEn: text('name_en').notNull(),
  kind: text('kind', { enum: ['street', 'town'] }).notNull(),
  /** The town/street as a co-handling department (`departments.code`). */
  departmentCode: text('department_code')
    .notNull()
    .references(() => departments.code),
});

export const zones = sqliteTable('zones', {
  id: integer('id').primaryKey(),
  nameZh: text('name_zh').notNull(),
  nameEn: text('name_en').notNull(),
  /** 责任督学: a public official's name and office phone, published by the district. */
  inspectorName: text('inspector_name').notNull(),
  inspectorPhone: text('inspector_phone'),
});

// ---------------------------------------------------------------- institutions

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

// ---------------------------------------------------------------- staff and sessions

export const staff = sqliteTable(
  'staff',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    username: text('username').notNull(),
    displayName: text('display_name').notNull(),
    departmentCode: text('department_code')
      .notNull()
      .references(() => departments.code),
    role: text('role', { enum: STAFF_ROLES }).notNull(),
    /** argon2id PHC string. */
    passwordHash: text('password_hash').notNull(),
    /** TOTP secret, encrypted with the data key; null until enrolment. */
    totpSecretEnc: text('totp_secret_enc'),
    totpEnrolledAt: integer('totp_enrolled_at', { mode: 'timestamp_ms' }),
    failedLogins: integer('failed_logins').notNull().default(0),
    lockedUntil: integer('locked_until', { mode: 'timestamp_ms' }),
    /** Last TOTP time-step accepted, so a code cannot be replayed within its window. */
    lastTotpStep: integer('last_totp_step'),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    isDemo: integer('is_demo', { mode: 'boolean' }).notNull().default(false),
    passwordChangedAt: integer('password_changed_at', { mode: 'timestamp_ms' }),
    /**
     * Set on every account given a temporary password (created, reset, or `npm run admin:create`):
     * its sessions may do nothing but change the password until it is changed.
     */
    mustChangePassword: integer('must_change_password', { mode: 'boolean' }).notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('staff_username_uq').on(t.username),
    index('staff_department_idx').on(t.departmentCode),
  ],
);

export const sessions = sqliteTable(
  'sessions',
  {
    /** SHA-256 of the cookie token; the token itself is never stored. */
    idHash: text('id_hash').primaryKey(),
    staffId: integer('staff_id')
      .notNull()
      .references(() => staff.id, { onDelete: 'cascade' }),
    csrfToken: text('csrf_token').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    lastSeenAt: integer('last_seen_at', { mode: 'timestamp_ms' }).notNull(),
    /** Absolute expiry (12 h after sign-in); idle expiry is derived from lastSeenAt. */
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    revokedAt: integer('revoked_at', { mode: 'timestamp_ms' }),
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_staff_idx').on(t.staffId)],
);

/**
 * First-sign-in TOTP enrolment: after a correct password on an account without TOTP, the
 * pending secret waits here (encrypted) behind a short-lived token (only its SHA-256 stored).
 * Nothing else is usable until a code from that secret confirms it; then the row is deleted.
 */
export const totpEnrolments = sqliteTable(
  'totp_enrolments',
  {
    tokenHash: text('token_hash').primaryKey(),
    staffId: integer('staff_id')
      .notNull()
      .references(() => staff.id, { onDelete: 'cascade' }),
    secretEnc: text('secret_enc').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('totp_enrolments_staff_idx').on(t.staffId)],
);

/**
 * Separation of duties: an account the system administrator creates or re-enables for someone
 * who reads cases stays inactive until a confirmer (that department's head, or a coordinator)
 * confirms it here (api/admin/staff-requests.ts); its password or TOTP reset of such an account
 * takes effect only then too. At most one pending request per account. (`kind` is plain text in
 * SQLite, so a new kind needs no migration.)
 */
export const STAFF_REQUEST_KINDS = ['create', 'reactivate', 'reset_password', 'reset_totp'] as const;
export type StaffRequestKind = (typeof STAFF_REQUEST_KINDS)[number];
export const staffRequests = sqliteTable(
  'staff_requests',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    staffId: integer('staff_id')
      .notNull()
      .references(() => staff.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: STAFF_REQUEST_KINDS }).notNull(),
    requestedBy: integer('requested_by')
      .notNull()
      .references(() => staff.id),
    requestedAt: integer('requested_at', { mode: 'timestamp_ms' }).notNull(),
    /** withdrawn: the account was deactivated while its request waited. */
    status: text('status', { enum: ['pending', 'confirmed', 'refused', 'withdrawn'] })
      .notNull()
      .default('pending'),
    decidedBy: integer('decided_by').references(() => staff.id),
    decidedAt: integer('decided_at', { mode: 'timestamp_ms' }),
  },
  (t) => [uniqueIndex('staff_requests_one_pending_uq').on(t.staffId).where(sql`status = 'pending'`)],
);

/**
 * Sign-in throttle per typed username (known or not, so answers cannot tell them apart), keyed
 * by an HMAC of the name: a password typed into the username field is never stored. After n
 * failures in a row the next attempt waits 2^(n-1) s, at most 15 minutes (api/staff/throttle.ts).
 */
export const signinThrottle = sqliteTable('signin_throttle', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  nextAttemptAt: integer('next_attempt_at', { mode: 'timestamp_ms' }).notNull(),
  lastFailureAt: integer('last_failure_at', { mode: 'timestamp_ms' }).notNull(),
});

/**
 * Notices shown in the admin header until acknowledged: to one account (recipientStaffId) or to
 * every account of a role (recipientRole; one acknowledgement clears it for all of them).
 */
export const ADMIN_NOTICE_KINDS = ['backup_downloaded', 'signin_failures'] as const;
export const adminNotices = sqliteTable(
  'admin_notices',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    recipientStaffId: integer('recipient_staff_id').references(() => staff.id, { onDelete: 'cascade' }),
    recipientRole: text('recipient_role', { enum: STAFF_ROLES }),
    kind: text('kind', { enum: ADMIN_NOTICE_KINDS }).notNull(),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    acknowledgedAt: integer('acknowledged_at', { mode: 'timestamp_ms' }),
    acknowledgedBy: integer('acknowledged_by').references(() => staff.id),
  },
  (t) => [index('admin_notices_open_idx').on(t.acknowledgedAt, t.recipientRole, t.recipientStaffId)],
);

// ---------------------------------------------------------------- complaints

export const clusters = sqliteTable(
  'clusters',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    institutionId: text('institution_id').references(() => institutions.id),
    /** For unregistered operators, the normalised typed name groups the cluster. */
    institutionKey: text('institution_key').notNull(),
    trigger: text('trigger', { enum: ['count', 'closed_reason'] }).notNull(),
    status: text('status', { enum: ['open', 'handled'] }).notNull().default('open'),
    openedAt: integer('opened_at', { mode: 'timestamp_ms' }).notNull(),
    handledAt: integer('handled_at', { mode: 'timestamp_ms' }),
    noticeDraft: text('notice_draft'),
  },
  (t) => [index('clusters_key_status_idx').on(t.institutionKey, t.status)],
);

/** due_on of a case with nothing due (rejected, resolved, closed): sorts after every real date. */
export const NO_DEADLINE = '9999-12-31';
const DUE_ON_SQL = sql.raw(
  `CASE status WHEN 'submitted' THEN accept_by WHEN 'accepted' THEN coalesce(extended_until, resolve_by) WHEN 'in_progress' THEN coalesce(extended_until, resolve_by) ELSE '${NO_DEADLINE}' END`,
);

export const complaints = sqliteTable(
  'complaints',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    trackingCode: text('tracking_code').notNull(),
    institutionId: text('institution_id').references(() => institutions.id),
    /** Groups complaints about one operator: the institution id, or 'name:' + normalised typed name. */
    institutionKey: text('institution_key').notNull(),
    /** Typed by the parent when the operator is not in the registry. */
    institutionName: text('institution_name'),
    institutionAddress: text('institution_address'),
    townCode: text('town_code').references(() => towns.code),
    course: text('course').notNull(),
    contract: text('contract', { enum: CONTRACT_KINDS }).notNull(),
    paidOn: text('paid_on').notNull(),
    amountPaidFen: integer('amount_paid_fen').notNull(),
    classesTotal: integer('classes_total').notNull(),
    classesUsed: integer('classes_used').notNull(),
    amountRequestedFen: integer('amount_requested_fen').notNull(),
    paidVia: text('paid_via', { enum: PAID_VIA }).notNull(),
    reason: text('reason', { enum: COMPLAINT_REASONS }).notNull(),
    /** The parent's narrative, encrypted (pii.encrypt, api/security/pii.ts); null once purged. */
    description: text('description'),
    /** Encrypted personal data (AES-256-GCM, key from env); null once purged by retention. */
    parentNameEnc: text('parent_name_enc'),
    mobileEnc: text('mobile_enc'),
    /** HMAC-SHA256 of the normalised mobile number: rate limits, ban list, staff search. */
    mobileHash: text('mobile_hash'),
    consentProcessing: integer('consent_processing', { mode: 'boolean' }).notNull(),
    consentPublication: integer('consent_publication', { mode: 'boolean' }).notNull(),
    status: text('status', { enum: COMPLAINT_STATUSES }).notNull(),
    leadDept: text('lead_dept')
      .notNull()
      .references(() => departments.code),
    /** Which routing rule chose the lead (e.g. 'licensed:culture_arts', 'unregistered'). */
    routingRule: text('routing_rule').notNull(),
    assigneeId: integer('assignee_id').references(() => staff.id),
    submittedAt: integer('submitted_at', { mode: 'timestamp_ms' }).notNull(),
    acceptBy: text('accept_by').notNull(),
    acceptedAt: integer('accepted_at', { mode: 'timestamp_ms' }),
    resolveBy: text('resolve_by'),
    extensionStatus: text('extension_status', { enum: ['requested', 'approved', 'refused'] }),
    extendedUntil: text('extended_until'),
    resolvedAt: integer('resolved_at', { mode: 'timestamp_ms' }),
    outcome: text('outcome', { enum: OUTCOMES }),
    amountRefundedFen: integer('amount_refunded_fen'),
    rejectReason: text('reject_reason', { enum: ['duplicate', 'out_of_scope', 'insufficient'] }),
    rating: text('rating', { enum: RATINGS }),
    ratedAt: integer('rated_at', { mode: 'timestamp_ms' }),
    reopenCount: integer('reopen_count').notNull().default(0),
    closedAt: integer('closed_at', { mode: 'timestamp_ms' }),
    overdueFlaggedAt: integer('overdue_flagged_at', { mode: 'timestamp_ms' }),
    clusterId: integer('cluster_id').references(() => clusters.id),
    duplicateOf: integer('duplicate_of'),
    isSpam: integer('is_spam', { mode: 'boolean' }).notNull().default(false),
    /** Staff-redacted narrative; the only text ever published, and only with consent. */
    descriptionRedacted: text('description_redacted'),
    piiPurgedAt: integer('pii_purged_at', { mode: 'timestamp_ms' }),
    isDemo: integer('is_demo', { mode: 'boolean' }).notNull().default(false),
    /** Optimistic concurrency for staff edits. */
    version: integer('version').notNull().default(1),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
    /**
     * The date the next step is due (Beijing): accept-by while submitted, the resolve deadline
     * (or the approved extension) while accepted or in progress, NO_DEADLINE otherwise. Derived by
     * SQLite itself so no writer can forget it; the staff queue sorts and keysets on (due_on, id).
     * A sentinel instead of NULL keeps "nearest deadline first, finished cases last" one index range.
     * Queue order is (due_on, submitted_at, id): among finished cases (one due_on value) the
     * index is then in submission order, so a submission-date filter is a seek, not a scan.
     */
    dueOn: text('due_on').generatedAlwaysAs(DUE_ON_SQL, { mode: 'virtual' }),
  },
  (t) => [
    uniqueIndex('complaints_tracking_code_uq').on(t.trackingCode),
    // The staff queue (api/admin/queue.ts): one department's led cases, or all cases for the
    // coordination office, in nearest-deadline order, optionally one state;
    // keyset on (due_on, submitted_at, id).
    index('complaints_lead_due_sub_idx').on(t.leadDept, t.dueOn, t.submittedAt, t.id),
    index('complaints_lead_status_due_sub_idx').on(t.leadDept, t.status, t.dueOn, t.submittedAt, t.id),
    index('complaints_due_sub_idx').on(t.dueOn, t.submittedAt, t.id),
    index('complaints_status_due_sub_idx').on(t.status, t.dueOn, t.submittedAt, t.id),
    index('complaints_institution_idx').on(t.institutionKey, t.submittedAt),
    // The staff queue filtered to one institution: its cases in queue order; lead_dept and status
    // ride along so the department and state checks need no table lookups.
    index('complaints_institution_queue_idx').on(t.institutionKey, t.dueOn, t.submittedAt, t.id, t.leadDept, t.status),
    // No index on mobile_hash: nothing looks complaints up by number (bans are their own table),
    // and a random key cost every complaint one more page written (migration 0010 dropped it).
    index('complaints_submitted_idx').on(t.submittedAt),
    index('complaints_cluster_idx').on(t.clusterId),
  ],
);

export const complaintCoHandlers = sqliteTable(
  'complaint_co_handlers',
  {
    complaintId: integer('complaint_id')
      .notNull()
      .references(() => complaints.id, { onDelete: 'cascade' }),
    departmentCode: text('department_code')
      .notNull()
      .references(() => departments.code),
    addedBy: integer('added_by').references(() => staff.id),
    addedAt: integer('added_at', { mode: 'timestamp_ms' }).notNull(),
    /**
     * Copies of the complaint's status, due_on and submitted_at, kept current by triggers
     * (migrations 0002_queue_triggers, 0004_queue_submitted_copy), so a co-handling department's
     * queue is one ordered index range instead of a sort over every case it co-handles (market
     * co-handles nearly all of them).
     */
    status: text('status', { enum: COMPLAINT_STATUSES }),
    dueOn: text('due_on'),
    submittedAt: integer('submitted_at', { mode: 'timestamp_ms' }),
  },
  (t) => [
    primaryKey({ columns: [t.complaintId, t.departmentCode] }),
    index('complaint_co_handlers_dept_idx').on(t.departmentCode, t.complaintId),
    index('complaint_co_handlers_due_sub_idx').on(t.departmentCode, t.dueOn, t.submittedAt, t.complaintId),
    index('complaint_co_handlers_status_due_sub_idx').on(t.departmentCode, t.status, t.dueOn, t.submittedAt, t.complaintId),
  ],
);

/**
 * Complaints per queue scope and state, kept by triggers on complaints and complaint_co_handlers
 * (migration 0002_queue_triggers). Scope is a department code (its led plus co-handled cases)
 * or '*' (every case, the coordination office). Counting 1M index entries per page view would
 * take far longer than the page itself.
 */
export const queueCounts = sqliteTable(
  'queue_counts',
  {
    scope: text('scope').notNull(),
    status: text('status', { enum: COMPLAINT_STATUSES }).notNull(),
    n: integer('n').notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.status] })],
);

/** The timeline. `publicNote` is shown to the parent; `staffNote` only to staff. Both stored encrypted (pii.encrypt). */
export const complaintEvents = sqliteTable(
  'complaint_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    complaintId: integer('complaint_id')
      .notNull()
      .references(() => complaints.id, { onDelete: 'cascade' }),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
    kind: text('kind').notNull(),
    fromStatus: text('from_status', { enum: COMPLAINT_STATUSES }),
    toStatus: text('to_status', { enum: COMPLAINT_STATUSES }),
    actorStaffId: integer('actor_staff_id').references(() => staff.id),
    actorDept: text('actor_dept'),
    publicNote: text('public_note'),
    staffNote: text('staff_note'),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [index('complaint_events_complaint_idx').on(t.complaintId, t.at)],
);

export const attachments = sqliteTable(
  'attachments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    complaintId: integer('complaint_id')
      .notNull()
      .references(() => complaints.id, { onDelete: 'cascade' }),
    /** Recognised from magic bytes, never from the client's claim. */
    mime: text('mime', { enum: ['image/jpeg', 'image/png', 'application/pdf'] }).notNull(),
    /** The name the parent's device gave the file, encrypted (pii.encrypt); shown as text, never served as a file name. */
    originalName: text('original_name').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    /**
     * Kept in the database so every app process sees it (no local disk state); encrypted
     * (pii.encryptBytes). `size` and `sha256` describe the file itself, not the stored ciphertext.
     */
    content: blob('content', { mode: 'buffer' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('attachments_complaint_idx').on(t.complaintId)],
);

export const bannedMobiles = sqliteTable('banned_mobiles', {
  mobileHash: text('mobile_hash').primaryKey(),
  reason: text('reason').notNull(),
  addedBy: integer('added_by').references(() => staff.id),
  addedAt: integer('added_at', { mode: 'timestamp_ms' }).notNull(),
});

/** Canned texts a department's head keeps for its staff, offered on cases in `for_status`. */
export const responseTemplates = sqliteTable(
  'response_templates',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    departmentCode: text('department_code')
      .notNull()
      .references(() => departments.code),
    forStatus: text('for_status', { enum: COMPLAINT_STATUSES }).notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
    updatedBy: integer('updated_by').references(() => staff.id),
    /** Written by the demo seed (shown as 演示数据). */
    isDemo: integer('is_demo', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [index('response_templates_dept_status_idx').on(t.departmentCode, t.forStatus)],
);

// ---------------------------------------------------------------- infrastructure

/**
 * Append-only, hash-chained: hash = sha256(prevHash + canonical row). Never holds names or
 * phone numbers, only ids.
 */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
    actorStaffId: integer('actor_staff_id'),
    actorRole: text('actor_role'),
    /** 'public' for parents' actions, 'system' for jobs. */
    actorKind: text('actor_kind', { enum: ['staff', 'public', 'system'] }).notNull(),
    action: text('action').notNull(),
    objectType: text('object_type').notNull(),
    objectId: text('object_id'),
    /** Client IP; encrypted (pii.encrypt) for parents' requests since encryption at rest covers it. */
    ip: text('ip'),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    index('audit_log_object_idx').on(t.objectType, t.objectId),
    index('audit_log_actor_idx').on(t.actorStaffId, t.at),
  ],
);

/** Transactional outbox: rows written with the business change, delivered by a worker. */
export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    channel: text('channel', { enum: ['email', 'sms'] }).notNull(),
    topic: text('topic').notNull(),
    /** Recipient reference (department code or complaint id), resolved at delivery. */
    recipient: text('recipient').notNull(),
    payload: text('payload', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    status: text('status', { enum: ['pending', 'sending', 'sent', 'failed', 'skipped'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at', { mode: 'timestamp_ms' }).notNull(),
    /** Claim token + lease: a row is claimed atomically by one worker until the lease ends. */
    claimToken: text('claim_token'),
    leaseUntil: integer('lease_until', { mode: 'timestamp_ms' }),
    lastError: text('last_error'),
    deliveredAt: integer('delivered_at', { mode: 'timestamp_ms' }),
    providerId: text('provider_id'),
    createdAt: createdAt(),
  },
  (t) => [index('outbox_due_idx').on(t.status, t.nextAttemptAt)],
);

export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    /** scope + ':' + client key. */
    key: text('key').primaryKey(),
    requestHash: text('request_hash').notNull(),
    status: integer('status').notNull(),
    body: text('body').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('idempotency_keys_created_idx').on(t.createdAt)],
);

/** Fixed-window counters shared by every app process. */
export const rateLimits = sqliteTable('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: integer('window_start', { mode: 'timestamp_ms' }).notNull(),
  count: integer('count').notNull(),
});

/** Spent proof-of-work challenges, so one solution cannot be replayed. */
export const powSpent = sqliteTable(
  'pow_spent',
  {
    challengeId: text('challenge_id').primaryKey(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('pow_spent_expires_idx').on(t.expiresAt)],
);

/** Configurable rules (deadline days, thresholds, limits, retention) as JSON values. */
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value', { mode: 'json' }).notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  updatedBy: integer('updated_by').references(() => staff.id),
});

/**
 * Official holiday schedule entered by staff for years the calendar package does not know yet;
 * layered over the package (an entry here wins).
 */
export const holidayOverrides = sqliteTable('holiday_overrides', {
  date: text('date').primaryKey(),
  isWorkday: integer('is_workday', { mode: 'boolean' }).notNull(),
  name: text('name').notNull(),
  enteredBy: integer('entered_by').references(() => staff.id),
  createdAt: createdAt(),
});

export const SITE_BUILD_STATUSES = ['running', 'succeeded', 'failed'] as const;
export type SiteBuildStatus = (typeof SITE_BUILD_STATUSES)[number];

/**
 * One row per site build (publish). At most one row is 'running' across every process: the
 * partial unique index refuses a second claim even if two processes race past their checks.
 * The builder refreshes `heartbeat_at` while it runs, so a claim left by a crashed process is
 * recognisable (no heartbeat for a while) and can be taken over.
 */
export const siteBuilds = sqliteTable(
  'site_builds',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    status: text('status', { enum: SITE_BUILD_STATUSES }).notNull(),
    startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
    finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
    /** Data version the build was made from (see `meta.data_version`). */
    dataVersion: integer('data_version').notNull(),
    dir: text('dir'),
    log: text('log').notNull().default(''),
    /** A failed build's own error output (the tail of its stderr), shown above the log. */
    error: text('error'),
    requestedBy: integer('requested_by').references(() => staff.id),
    /** Last sign of life of the process running the build (running builds only). */
    heartbeatAt: integer('heartbeat_at', { mode: 'timestamp_ms' }),
    /** host:pid of the process that claimed the build (for the operator reading the history). */
    claimedBy: text('claimed_by'),
  },
  (t) => [uniqueIndex('site_builds_one_running_uq').on(t.status).where(sql`status = 'running'`)],
);

/** Small key/value facts about the database itself (data version, demo flag). */
export const meta = sqliteTable('meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});
