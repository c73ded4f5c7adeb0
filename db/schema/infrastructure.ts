/** What runs the service: audit log, outbox, idempotency keys, rate limits, proof-of-work, settings, holidays, site builds, meta. */
import { sql } from 'drizzle-orm';
import { sqliteTable, text, integer, index, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt } from './columns.ts';
import { staff } from './staff.ts';

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
