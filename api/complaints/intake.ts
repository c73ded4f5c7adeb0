/**
 * Intake as a readable pipeline: validate (schema and evidence files, done by the caller, see
 * intake-request.ts) → check references → route → set deadlines → save (one transaction:
 * complaint + evidence files + co-handlers + first event + cluster + outbox rows + audit row +
 * idempotency record + spent proof-of-work + rate counters) → answer.
 * Delivery (mail, SMS) happens later in the outbox worker, never inside the request.
 */
import { createHash } from 'node:crypto';
import { and, eq, gte, isNull, lt, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import { appendAudit } from '../audit/log.ts';
import { addCalendarDays, beijingDate } from '../calendar/working-days.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../lib/errors.ts';
import type { EvidenceFile } from './evidence.ts';
import { verifyPow } from './pow.ts';
import { loadCalendar, loadSettings } from '../settings/service.ts';
import { consumeRateLimit } from '../security/rate-limit.ts';
import { COORDINATION_DEPARTMENT, routeComplaint } from './routing.ts';
import type { ComplaintData } from './schema.ts';
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
   * much tighter per-IP limit instead (site/lib/complaint-request.ts).
   */
  powExempt?: boolean;
}

export interface IntakeResult {
  trackingCode: string;
  status: 'submitted';
  lead: { code: string; name: string };
  coHandlers: { code: string; name: string }[];
  acceptBy: string;
  /** Years the deadline crosses without an official holiday schedule (deadline may move). */
  calendarWarning?: { unknownYears: number[] };
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
export function requestFingerprint(data: ComplaintData, files: readonly EvidenceFile[] = []): string {
  const { pow: _pow, ...rest } = data;
  const h = createHash('sha256').update(JSON.stringify(rest));
  if (files.length) h.update(JSON.stringify(files.map((f) => f.sourceSha256)));
  return h.digest('hex');
}

const powFailed = () => new ApiError(422, 'pow_required', 'pow_required', [{ path: 'pow', key: 'pow_invalid' }]);

async function idempotentReplay(tx: Tx, key: string, fingerprint: string): Promise<IntakeResult | null> {
  const [row] = await tx.select().from(t.idempotencyKeys).where(eq(t.idempotencyKeys.key, key));
  if (!row) return null;
  if (row.requestHash !== fingerprint) throw new ApiError(422, 'idempotency_conflict', 'idempotency_conflict', [{ path: 'Idempotency-Key', key: 'idempotency_conflict' }]);
  return JSON.parse(row.body) as IntakeResult;
}

export async function submitComplaint(
  deps: Deps,
  data: ComplaintData,
  ctx: IntakeContext,
  /** Evidence already checked and cleaned by prepareEvidence (evidence.ts). */
  files: readonly EvidenceFile[] = [],
): Promise<{ created: boolean; result: IntakeResult }> {
  const now = ctx.submittedAt ?? deps.clock.now();
  const today = beijingDate(now);
  if (data.paidOn > today) throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'paidOn', key: 'date_future' }]);

  const [settings, calendar] = await Promise.all([loadSettings(deps.db), loadCalendar(deps.db)]);
  const mobileHash = deps.pii.mobileHash(data.mobile);
  const fingerprint = requestFingerprint(data, files);
  // Demo seeding files through this same function and has no browser to solve a challenge.
  const checkPow = deps.env.INTAKE_POW === 'on' && !ctx.isDemo && !ctx.powExempt;
  const checkLimits = deps.env.INTAKE_RATE_LIMIT === 'on' && !ctx.isDemo;
  const idemKey = ctx.idempotencyKey ? `complaint:${ctx.idempotencyKey}` : null;

  // Encrypt outside the transaction: CPU work does not need the write lock.
  const parentNameEnc = deps.pii.encrypt(data.parentName);
  const mobileEnc = deps.pii.encrypt(data.mobile);

  return deps.db.write(async (tx) => {
    if (idemKey) {
      const replay = await idempotentReplay(tx, idemKey, fingerprint);
      if (replay) return { created: false, result: replay };
    }

    // Proof-of-work after the replay check, so a retry whose challenge has since expired still
    // gets its original answer. Spending it here makes "one solution, one complaint" atomic.
    if (checkPow) {
      const pow = verifyPow(deps.keys.pow, data.pow, now);
      if (!pow.ok) throw powFailed();
      await tx.delete(t.powSpent).where(lt(t.powSpent.expiresAt, now)); // expired ids can never be replayed anyway
      const spent = await tx.insert(t.powSpent).values({ challengeId: pow.challengeId, expiresAt: pow.expiresAt }).onConflictDoNothing().returning({ id: t.powSpent.challengeId });
      if (!spent.length) throw powFailed();
    }

    const [banned] = await tx.select({ h: t.bannedMobiles.mobileHash }).from(t.bannedMobiles).where(eq(t.bannedMobiles.mobileHash, mobileHash));
    if (banned) throw new ApiError(403, 'banned', 'banned');
    if (checkLimits) {
      await consumeRateLimit(tx, `intake:mobile:${mobileHash}`, INTAKE_LIMITS.perMobile, now);
      if (ctx.ip) await consumeRateLimit(tx, `intake:ip:${ctx.ip}`, INTAKE_LIMITS.perIp, now);
    }

    // References: a registered institution, or a typed operator in a known town.
    let institution: { id: string; name: string; category: t.Category } | null = null;
    let townDepartment: string | null = null;
    if (data.institutionId) {
      const [row] = await tx
        .select({ id: t.institutions.id, name: t.institutions.name, category: t.institutions.category })
        .from(t.institutions)
        .where(eq(t.institutions.id, data.institutionId));
      if (!row) throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'institutionId', key: 'institution_unknown' }]);
      institution = row;
    } else {
      const [town] = await tx.select({ dept: t.towns.departmentCode }).from(t.towns).where(eq(t.towns.code, data.town!));
      if (!town) throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'town', key: 'town_invalid' }]);
      townDepartment = town.dept;
    }
    const institutionKey = institution ? institution.id : `name:${normaliseOperatorName(data.institutionName!)}`;

    // Cluster: N complaints against one operator within the window (this one included), or 停业/失联.
    // Complaints staff marked as spam do not count: one person's flood must not raise an alarm.
    const windowStart = new Date(now.getTime() - settings.clusterWindowDays * 86_400_000);
    const inWindow = and(eq(t.complaints.institutionKey, institutionKey), gte(t.complaints.submittedAt, windowStart), eq(t.complaints.isSpam, false));
    const [{ recent }] = (await tx.select({ recent: sql<number>`count(*)` }).from(t.complaints).where(inWindow)) as [{ recent: number }];
    const countHit = recent + 1 >= settings.clusterThreshold;
    const clusterHit = countHit || data.reason === 'closed';
    const deadline = calendar.addWorkingDays(today, settings.acceptWorkingDays);

    let clusterId: number | null = null;
    let clusterCreated = false;
    if (clusterHit) {
      const [open] = await tx
        .select({ id: t.clusters.id })
        .from(t.clusters)
        .where(and(eq(t.clusters.institutionKey, institutionKey), eq(t.clusters.status, 'open')));
      if (open) clusterId = open.id;
      else {
        const [created] = await tx
          .insert(t.clusters)
          .values({ institutionId: institution?.id ?? null, institutionKey, trigger: countHit ? 'count' : 'closed_reason', openedAt: now })
          .returning({ id: t.clusters.id });
        clusterId = created!.id;
        clusterCreated = true;
      }
    }

    // The office hears about a cluster once, from the complaint that opens it; later members of
    // an open cluster do not alert again, but a 停业/失联 reason always does (routing rule 3).
    const routing = routeComplaint({ institution, townDepartment, reason: data.reason, clusterHit: clusterCreated });

    const trackingCode = newTrackingCode();
    const [complaint] = await tx
      .insert(t.complaints)
      .values({
        trackingCode,
        institutionId: institution?.id ?? null,
        institutionKey,
        institutionName: institution ? null : data.institutionName!,
        institutionAddress: institution ? null : data.institutionAddress!,
        townCode: data.town ?? null,
        course: data.course,
        contract: data.contract,
        paidOn: data.paidOn,
        amountPaidFen: data.amountPaid,
        classesTotal: data.classesTotal,
        classesUsed: data.classesUsed,
        amountRequestedFen: data.amountRequested,
        paidVia: data.paidVia,
        reason: data.reason,
        description: data.description,
        parentNameEnc,
        mobileEnc,
        mobileHash,
        consentProcessing: data.consentProcessing,
        consentPublication: data.consentPublication,
        status: 'submitted',
        leadDept: routing.lead,
        routingRule: routing.rule,
        submittedAt: now,
        acceptBy: deadline.date,
        clusterId,
        isDemo: ctx.isDemo ?? false,
        updatedAt: now,
      })
      .returning({ id: t.complaints.id });
    const complaintId = complaint!.id;

    if (clusterCreated) {
      // Earlier complaints in the window join the new cluster.
      await tx
        .update(t.complaints)
        .set({ clusterId })
        .where(and(inWindow, isNull(t.complaints.clusterId)));
    }

    if (files.length) {
      await tx.insert(t.attachments).values(
        files.map((f) => ({ complaintId, mime: f.mime, originalName: f.originalName, size: f.content.length, sha256: f.sha256, content: f.content, createdAt: now })),
      );
    }

    if (routing.coHandlers.length) {
      await tx.insert(t.complaintCoHandlers).values(routing.coHandlers.map((d) => ({ complaintId, departmentCode: d, addedAt: now })));
    }
    await tx.insert(t.complaintEvents).values({
      complaintId,
      at: now,
      kind: 'submitted',
      toStatus: 'submitted',
      data: {
        rule: routing.rule,
        lead: routing.lead,
        coHandlers: routing.coHandlers,
        acceptBy: deadline.date,
        ...(deadline.unknownYears.length ? { unknownCalendarYears: deadline.unknownYears } : {}),
      },
    });

    const depts = await tx
      .select({ code: t.departments.code, nameZh: t.departments.nameZh, intakeEmail: t.departments.intakeEmail })
      .from(t.departments);
    const byCode = new Map(depts.map((d) => [d.code, d]));
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
    const outboxRows: (typeof t.outbox.$inferInsert)[] = [
      { channel: 'email', topic: 'case_new_lead', recipient: routing.lead, payload: caseSummary, nextAttemptAt: now },
      ...routing.coHandlers
        .filter((d) => byCode.get(d)?.intakeEmail)
        .map((d) => ({ channel: 'email' as const, topic: 'case_new_cohandler', recipient: d, payload: caseSummary, nextAttemptAt: now })),
      { channel: 'sms', topic: 'parent_ack', recipient: String(complaintId), payload: { trackingCode, acceptBy: deadline.date }, nextAttemptAt: now },
    ];
    if (routing.alertCoordination) {
      outboxRows.push({
        channel: 'email',
        topic: 'coordination_alert',
        recipient: COORDINATION_DEPARTMENT,
        payload: { ...caseSummary, alertReasons: routing.alertReasons, clusterId },
        nextAttemptAt: now,
      });
    }
    if (ctx.isDemo) for (const r of outboxRows) r.status = 'skipped';
    await tx.insert(t.outbox).values(outboxRows);

    await appendAudit(tx, {
      at: now,
      actorKind: 'public',
      action: 'complaint.submit',
      objectType: 'complaint',
      objectId: String(complaintId),
      ip: ctx.ip,
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
