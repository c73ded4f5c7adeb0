/** Staff accounts and what guards them: sessions, TOTP enrolment, confirmation requests, sign-in delays, admin notices. */
import { sql } from 'drizzle-orm';
import { sqliteTable, text, integer, index, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt } from './columns.ts';
import { STAFF_ROLES } from './vocabulary.ts';
import { departments } from './reference.ts';

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
 * confirms it here (api/staff/requests.ts); its password or TOTP reset of such an account
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
