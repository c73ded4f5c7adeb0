/** Complaints and everything hanging off a case: clusters, co-handlers, queue counts, timeline, files, bans, templates. */
import { sql } from 'drizzle-orm';
import { sqliteTable, text, integer, blob, primaryKey, index, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt } from './columns.ts';
import { COMPLAINT_REASONS, COMPLAINT_STATUSES, CONTRACT_KINDS, OUTCOMES, PAID_VIA, RATINGS } from './vocabulary.ts';
import { departments, towns } from './reference.ts';
import { institutions } from './registry.ts';
import { staff } from './staff.ts';

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
    // The staff queue (api/cases/queue.ts): one department's led cases, or all cases for the
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
