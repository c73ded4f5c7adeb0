/**
 * Intake as a readable pipeline: validate (schema and evidence files, done by the caller, see
 * request.ts) → check references → route → set deadlines → save (one transaction:
 * complaint + evidence files + co-handlers + first event + cluster + outbox rows + audit row +
 * idempotency record + spent proof-of-work + rate counters) → answer.
 * Delivery (mail, SMS) happens later in the outbox worker, never inside the request.
 */
import { createHash } from 'node:crypto';
import { eq, lt } from 'drizzle-orm';
import { rawTx, type Db, type Tx } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import { appendAuditAfter, AUDIT_TAIL_SQL } from '../audit/log.ts';
import { addCalendarDays, beijingDate } from '../calendar/working-days.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../lib/errors.ts';
import type { EvidenceFile } from './evidence.ts';
import { verifyPow } from './pow.ts';
import type { Settings } from '../ops/settings-defaults.ts';
import { consumeRateLimits } from '../security/rate-limit.ts';
import { cachedIntakeConfig, CONFIG_VERSION_SQL, loadIntakeConfig, peekIntakeConfig, type IntakeConfig } from './config.ts';
import { COORDINATION_DEPARTMENT, routeComplaint } from './routing.ts';
import type { ComplaintData } from './schema.ts';
import type { IntakeResult, IntakeWriter, PreparedComplaint, SavedComplaint, StoredEvidence } from './types.ts';

export type { IntakeResult, IntakeWriter, PreparedComplaint, SavedComplaint, StoredEvidence };
import { newTrackingCode } from './tracking-code.ts';

export interface IntakeContext {
  ip: string | null;
  idempotencyKey?: string | null;
  /** Demo seeding marks its rows; the public API never sets this. */
  isDemo?: boolean;
  /** Demo seeding may back-date submissions. */
  submittedAt?: Date;
  /**
   * The no-JavaScript HTML form cannot solve the proof-of-work; its caller holds such posts to a
   * much tighter per-IP limit instead (api/intake/page.ts).
   */
  powExempt?: boolean;
  /** The per-mobile and per-IP counters were already taken for this request (fileComplaint's gate, file-complaint.ts). */
  limitsTaken?: boolean;
}

/** Limits per mobile number and per client IP (generous: carriers put many parents behind one IP). */
export const INTAKE_LIMITS = {
  perMobile: { limit: 5, windowMs: 24 * 3600_000 },
  perIp: { limit: 120, windowMs: 3600_000 },
};

export const normaliseOperatorName = (name: string) => name.normalize('NFKC').replace(/[\s()（）·.,，、-]/g, '').toLowerCase();

/**
 * What makes two submissions "the same request" for Idempotency-Key: every field but the
 * proof-of-work (a retry may carry a fresh one) and the uploaded files' hashes, in order (a retry
 * that attaches a different photo is a different request).
 */
export function requestFingerprint(data: ComplaintData, files: readonly Pick<EvidenceFile, 'sourceSha256'>[] = []): string {
  const { pow: _pow, ...rest } = data;
  const h = createHash('sha256').update(JSON.stringify(rest));
  if (files.length) h.update(JSON.stringify(files.map((f) => f.sourceSha256)));
  return h.digest('hex');
}

export const powFailed = () => new ApiError(422, 'pow_required', 'pow_required', [{ path: 'pow', key: 'pow_invalid' }]);

async function idempotentReplay(tx: Tx, key: string, fingerprint: string): Promise<IntakeResult | null> {
  const [row] = await tx.select().from(t.idempotencyKeys).where(eq(t.idempotencyKeys.key, key));
  if (!row) return null;
  if (row.requestHash !== fingerprint) throw new ApiError(422, 'idempotency_conflict', 'idempotency_conflict', [{ path: 'Idempotency-Key', key: 'idempotency_conflict' }]);
  return JSON.parse(row.body) as IntakeResult;
}

/**
 * What the transaction needs to know before it writes, in one query (each statement costs a
 * prepare on the local driver): ban, registered institution or town, the recent complaints
 * against the operator (counted only up to the threshold: "enough for a cluster" is all that
 * matters), its open cluster, the audit chain's tail and the rules' version.
 */
const LOOKUP_SQL = `SELECT
  EXISTS (SELECT 1 FROM banned_mobiles WHERE mobile_hash = ?1) AS banned,
  (${CONFIG_VERSION_SQL}) AS config_version,
  (${AUDIT_TAIL_SQL}) AS audit_tail,
  i.id AS inst_id, i.name AS inst_name, i.category AS inst_category,
  tw.department_code AS town_dept,
  (SELECT count(*) FROM (SELECT 1 FROM complaints WHERE institution_key = ?4 AND submitted_at >= ?5 AND is_spam = 0 LIMIT ?6)) AS recent,
  (SELECT id FROM clusters WHERE institution_key = ?4 AND status = 'open') AS open_cluster
FROM (SELECT 1) LEFT JOIN institutions i ON i.id = ?2 LEFT JOIN towns tw ON tw.code = ?3`;

const RECENT_SQL = 'SELECT count(*) AS recent FROM (SELECT 1 FROM complaints WHERE institution_key = ? AND submitted_at >= ? AND is_spam = 0 LIMIT ?)';

const INSERT_COMPLAINT_SQL = `INSERT INTO complaints (
  tracking_code, institution_id, institution_key, institution_name, institution_address, town_code, course, contract,
  paid_on, amount_paid_fen, classes_total, classes_used, amount_requested_fen, paid_via, reason, description,
  parent_name_enc, mobile_enc, mobile_hash, consent_processing, consent_publication, status, lead_dept, routing_rule,
  submitted_at, accept_by, cluster_id, is_demo, updated_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'submitted', ?, ?, ?, ?, ?, ?, ?) RETURNING id`;

const clusterWindowStart = (now: Date, settings: Settings) => now.getTime() - settings.clusterWindowDays * 86_400_000;
/** Rows worth counting: one fewer than the threshold already makes this complaint a cluster. */
const recentCap = (settings: Settings) => Math.max(0, settings.clusterThreshold - 1);

/**
 * Everything intake decides before it needs the database, as plain data: the clock read, the
 * keyed hash and encryption of personal data, the request fingerprint and the proof-of-work check.
 * Plain data because it may cross to the intake thread (thread.ts), which does the rest.
 */
export function prepareComplaint(deps: Pick<Deps, 'clock' | 'pii' | 'env' | 'keys'>, data: ComplaintData, ctx: IntakeContext, files: readonly EvidenceFile[] = []): PreparedComplaint {
  const now = ctx.submittedAt ?? deps.clock.now();
  const today = beijingDate(now);
  if (data.paidOn > today) throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'paidOn', key: 'date_future' }]);
  // Demo seeding files through this same function and has no browser to solve a challenge.
  const checkPow = deps.env.INTAKE_POW === 'on' && !ctx.isDemo && !ctx.powExempt;
  return {
    data,
    files: files.map((f) => ({ mime: f.mime, originalNameEnc: deps.pii.encrypt(f.originalName), size: f.content.length, sha256: f.sha256, contentEnc: deps.pii.encryptBytes(f.content) })),
    ipKey: ctx.ip ? deps.pii.ipKey(ctx.ip) : null,
    ipEnc: ctx.ip ? deps.pii.encrypt(ctx.ip) : null,
    isDemo: !!ctx.isDemo,
    nowMs: now.getTime(),
    today,
    mobileHash: deps.pii.mobileHash(data.mobile),
    fingerprint: requestFingerprint(data, files),
    parentNameEnc: deps.pii.encrypt(data.parentName),
    mobileEnc: deps.pii.encrypt(data.mobile),
    descriptionEnc: data.description ? deps.pii.encrypt(data.description) : null,
    idemKey: ctx.idempotencyKey ? `complaint:${ctx.idempotencyKey}` : null,
    institutionKey: data.institutionId ? data.institutionId : `name:${normaliseOperatorName(data.institutionName!)}`,
    pow: checkPow ? verifyPow(deps.keys.pow, data.pow, now) : null,
    checkLimits: deps.env.INTAKE_RATE_LIMIT === 'on' && !ctx.isDemo && !ctx.limitsTaken,
  };
}

/** The intake counters a complaint takes: per mobile number and per client IP, both by keyed hash. */
export function intakeLimitEntries(mobileHash: string, ipKey: string | null) {
  return [{ key: `intake:mobile:${mobileHash}`, limit: INTAKE_LIMITS.perMobile }, ...(ipKey ? [{ key: `intake:ip-key:${ipKey}`, limit: INTAKE_LIMITS.perIp }] : [])];
}

/**
 * File a complaint: prepare it here, then save it — on the intake thread when this process runs
 * one (deps.intakeWriter, a local database file), otherwise on this thread's write path.
 */
export async function submitComplaint(
  deps: Deps,
  data: ComplaintData,
  ctx: IntakeContext,
  /** Evidence already checked and cleaned by prepareEvidence (evidence.ts). */
  files: readonly EvidenceFile[] = [],
): Promise<SavedComplaint> {
  const prepared = prepareComplaint(deps, data, ctx, files);
  return deps.intakeWriter ? deps.intakeWriter.save(prepared) : saveComplaint(deps.db, prepared);
}

/** The one write transaction of intake (see the top of this file). Runs on either thread. */
export async function saveComplaint(db: Db, p: PreparedComplaint): Promise<SavedComplaint> {
  const { data, files, mobileHash, fingerprint, idemKey, institutionKey, parentNameEnc, mobileEnc, descriptionEnc } = p;
  const now = new Date(p.nowMs);
  const today = p.today;

  return db.write(async (tx) => {
    const raw = rawTx(tx);
    if (idemKey) {
      const replay = await idempotentReplay(tx, idemKey, fingerprint);
      if (replay) return { created: false, result: replay };
    }

    // Proof-of-work after the replay check, so a retry whose challenge has since expired still
    // gets its original answer. Spending it here makes "one solution, one complaint" atomic.
    if (p.pow) {
      const pow = p.pow;
      if (!pow.ok) throw powFailed();
      await tx.delete(t.powSpent).where(lt(t.powSpent.expiresAt, now)); // expired ids can never be replayed anyway
      const spent = await tx.insert(t.powSpent).values({ challengeId: pow.challengeId, expiresAt: pow.expiresAt }).onConflictDoNothing().returning({ id: t.powSpent.challengeId });
      if (!spent.length) throw powFailed();
    }

    // The rules (settings, calendar, departments): the cached copy if the version read in this
    // transaction still matches it, else read afresh through this transaction (config.ts).
    // The recent-complaint count is taken with the cached rules' window and threshold; if those
    // turn out stale it is counted again with the fresh ones.
    let config: IntakeConfig | null = peekIntakeConfig(db);
    const [found] = await raw.all(LOOKUP_SQL, [
      mobileHash,
      data.institutionId || null,
      data.town ?? null,
      institutionKey,
      config ? clusterWindowStart(now, config.settings) : 0,
      config ? recentCap(config.settings) : 0,
    ]);
    let recent = Number(found!.recent);
    const version = (found!.config_version as string | null) ?? null;
    if (!config || !cachedIntakeConfig(db, version)) {
      config = await loadIntakeConfig(db, tx, version);
      const [again] = await raw.all(RECENT_SQL, [institutionKey, clusterWindowStart(now, config.settings), recentCap(config.settings)]);
      recent = Number(again!.recent);
    }
    const { settings } = config;

    if (found!.banned) throw new ApiError(403, 'banned', 'banned');
    if (p.checkLimits) {
      await consumeRateLimits(raw, intakeLimitEntries(mobileHash, p.ipKey), now);
    }

    // References: a registered institution, or a typed operator in a known town.
    let institution: { id: string; name: string; category: t.Category } | null = null;
    let townDepartment: string | null = null;
    if (data.institutionId) {
      if (found!.inst_id === null) throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'institutionId', key: 'institution_unknown' }]);
      institution = { id: found!.inst_id as string, name: found!.inst_name as string, category: found!.inst_category as t.Category };
    } else {
      if (found!.town_dept === null) throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'town', key: 'town_invalid' }]);
      townDepartment = found!.town_dept as string;
    }

    // Cluster: N complaints against one operator within the window (this one included), or 停业/失联.
    // Complaints staff marked as spam do not count: one person's flood must not raise an alarm.
    const countHit = recent + 1 >= settings.clusterThreshold;
    const clusterHit = countHit || data.reason === 'closed';
    const deadline = config.acceptBy(today);

    let clusterId: number | null = null;
    let clusterCreated = false;
    if (clusterHit) {
      if (found!.open_cluster !== null) clusterId = Number(found!.open_cluster);
      else {
        const [created] = await raw.all(
          "INSERT INTO clusters (institution_id, institution_key, trigger, status, opened_at) VALUES (?, ?, ?, 'open', ?) RETURNING id",
          [institution?.id ?? null, institutionKey, countHit ? 'count' : 'closed_reason', now.getTime()],
        );
        clusterId = Number(created!.id);
        clusterCreated = true;
      }
    }

    // The office hears about a cluster once, from the complaint that opens it; later members of
    // an open cluster do not alert again, but a 停业/失联 reason always does (routing rule 3).
    const routing = routeComplaint({ institution, townDepartment, reason: data.reason, clusterHit: clusterCreated });

    const trackingCode = newTrackingCode();
    const [complaint] = await raw.all(INSERT_COMPLAINT_SQL, [
      trackingCode,
      institution?.id ?? null,
      institutionKey,
      institution ? null : data.institutionName!,
      institution ? null : data.institutionAddress!,
      data.town ?? null,
      data.course,
      data.contract,
      data.paidOn,
      data.amountPaid,
      data.classesTotal,
      data.classesUsed,
      data.amountRequested,
      data.paidVia,
      data.reason,
      descriptionEnc,
      parentNameEnc,
      mobileEnc,
      mobileHash,
      data.consentProcessing ? 1 : 0,
      data.consentPublication ? 1 : 0,
      routing.lead,
      routing.rule,
      now.getTime(),
      deadline.date,
      clusterId,
      p.isDemo ? 1 : 0,
      now.getTime(),
    ]);
    const complaintId = Number(complaint!.id);

    if (clusterCreated) {
      // Earlier complaints in the window join the new cluster.
      await raw.run('UPDATE complaints SET cluster_id = ? WHERE institution_key = ? AND submitted_at >= ? AND is_spam = 0 AND cluster_id IS NULL', [
        clusterId,
        institutionKey,
        clusterWindowStart(now, settings),
      ]);
    }

    if (files.length) {
      await tx.insert(t.attachments).values(
        files.map((f) => ({ complaintId, mime: f.mime, originalName: f.originalNameEnc, size: f.size, sha256: f.sha256, content: f.contentEnc, createdAt: now })),
      );
    }

    if (routing.coHandlers.length) {
      // With the case's queue columns copied in the same statement (migration 0009's trigger then
      // leaves the row alone instead of rewriting it).
      await raw.run(
        `INSERT INTO complaint_co_handlers (complaint_id, department_code, added_at, status, due_on, submitted_at)
         SELECT c.id, d.value, ?, c.status, c.due_on, c.submitted_at FROM complaints c, json_each(?) d WHERE c.id = ?`,
        [now.getTime(), JSON.stringify(routing.coHandlers), complaintId],
      );
    }
    const eventData = {
      rule: routing.rule,
      lead: routing.lead,
      coHandlers: routing.coHandlers,
      acceptBy: deadline.date,
      ...(deadline.unknownYears.length ? { unknownCalendarYears: deadline.unknownYears } : {}),
    };
    await raw.run("INSERT INTO complaint_events (complaint_id, at, kind, to_status, data) VALUES (?, ?, 'submitted', 'submitted', ?)", [complaintId, now.getTime(), JSON.stringify(eventData)]);

    const byCode = config.departments;
    const caseSummary = {
      complaintId,
      trackingCode,
      institutionName: institution?.name ?? data.institutionName!,
      registered: !!institution,
      reason: data.reason,
      amountRequestedFen: data.amountRequested,
      lead: routing.lead,
      acceptBy: deadline.date,
    };
    const outboxRows: { channel: 'email' | 'sms'; topic: string; recipient: string; payload: Record<string, unknown> }[] = [
      { channel: 'email', topic: 'case_new_lead', recipient: routing.lead, payload: caseSummary },
      ...routing.coHandlers
        .filter((d) => byCode.get(d)?.intakeEmail)
        .map((d) => ({ channel: 'email' as const, topic: 'case_new_cohandler', recipient: d, payload: caseSummary })),
      { channel: 'sms', topic: 'parent_ack', recipient: String(complaintId), payload: { trackingCode, acceptBy: deadline.date } },
    ];
    if (routing.alertCoordination) {
      outboxRows.push({
        channel: 'email',
        topic: 'coordination_alert',
        recipient: COORDINATION_DEPARTMENT,
        payload: { ...caseSummary, alertReasons: routing.alertReasons, clusterId },
      });
    }
    const outboxStatus = p.isDemo ? 'skipped' : 'pending';
    await raw.run(
      `INSERT INTO outbox (channel, topic, recipient, payload, status, next_attempt_at) VALUES ${outboxRows.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
      outboxRows.flatMap((r) => [r.channel, r.topic, r.recipient, JSON.stringify(r.payload), outboxStatus, now.getTime()]),
    );

    await appendAuditAfter(raw, (found!.audit_tail as string | null) ?? null, {
      at: now,
      actorKind: 'public',
      action: 'complaint.submit',
      objectType: 'complaint',
      objectId: String(complaintId),
      ip: p.ipEnc,
      detail: { rule: routing.rule, lead: routing.lead, clusterId, ...(files.length ? { evidenceFiles: files.length } : {}) },
    });

    const result: IntakeResult = {
      trackingCode,
      status: 'submitted',
      lead: { code: routing.lead, name: byCode.get(routing.lead)?.nameZh ?? routing.lead },
      coHandlers: routing.coHandlers.map((c) => ({ code: c, name: byCode.get(c)?.nameZh ?? c })),
      acceptBy: deadline.date,
      ...(deadline.unknownYears.length ? { calendarWarning: { unknownYears: deadline.unknownYears } } : {}),
    };
    if (idemKey) {
      await tx.insert(t.idempotencyKeys).values({ key: idemKey, requestHash: fingerprint, status: 201, body: JSON.stringify(result), createdAt: now });
    }
    return { created: true, result };
  });
}

export { addCalendarDays };
