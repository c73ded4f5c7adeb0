/**
 * What a parent sees with tracking code + last four digits: status, lead and co-handling
 * departments, deadlines and the public timeline — never personal data or staff notes.
 * A wrong last4 is indistinguishable from an unknown code (same error, same work done).
 */
import { asc, eq, inArray } from 'drizzle-orm';
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as t from '../../db/schema.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../lib/errors.ts';
import { consumeRateLimit, lockedError, lockedUntil, recordFailure, type LockPolicy } from '../security/rate-limit.ts';
import { loadSettings } from '../ops/settings.ts';
import { STAFF_ONLY_EVENTS } from '../cases/workflow.ts';

export const TRACK_LIMIT = { limit: 30, windowMs: 10 * 60_000 };
/**
 * Per tracking code, whatever the IP: 10 wrong lookups within an hour lock the code's lookups for
 * an hour, so guessing its four digits from many addresses (a botnet, or IPv6 addresses that cost
 * nothing) takes years, not minutes.
 */
export const TRACK_CODE_FAILURES: LockPolicy = { limit: 10, windowMs: 3_600_000, lockMs: 3_600_000 };

/** The per-IP lookup counter's key: a keyed hash of the address (api/security/pii.ts), never the address. */
export const trackIpKey = (deps: Pick<Deps, 'pii'>, ip: string) => `track:ip-key:${deps.pii.ipKey(ip)}`;

/** The rate_limits key of a code: keyed hash, so the table never holds a code that opens a case. */
const codeKey = (deps: Deps, code: string) => `track:code:${createHmac('sha256', deps.keys.lookup).update(`track:${code}`).digest('base64url').slice(0, 22)}`;

const notFound = () => new ApiError(404, 'not_found', 'complaint_not_found');

/**
 * The complaint behind a tracking code, if `last4` matches its mobile number; otherwise the same
 * not-found error as for an unknown code. Rate-limited per IP, and locked per code after repeated
 * failures (counted for unknown codes too, so the lock says nothing about whether a code exists).
 */
export async function findForParent(deps: Deps, code: string, last4: string, ip: string | null) {
  const now = deps.clock.now();
  if (ip) await deps.db.write((tx) => consumeRateLimit(tx, trackIpKey(deps, ip), TRACK_LIMIT, now));
  const key = codeKey(deps, code);
  const until = await lockedUntil(deps.db, key, TRACK_CODE_FAILURES, now);
  if (until) throw lockedError(until, now, 'track_code_locked');
  const [c] = await deps.db.read.select().from(t.complaints).where(eq(t.complaints.trackingCode, code));
  // Compare against a dummy when there is no number, so both paths do the same work.
  const actual = c?.mobileEnc ? deps.pii.decrypt(c.mobileEnc).slice(-4) : '----';
  const ok = timingSafeEqual(Buffer.from(actual.padEnd(4, '-')), Buffer.from(last4.padEnd(4, '-').slice(0, 4)));
  if (!c || !ok || c.isSpam) {
    await deps.db.write((tx) => recordFailure(tx, key, TRACK_CODE_FAILURES, now));
    throw notFound();
  }
  return c;
}

export async function trackComplaint(deps: Deps, code: string, last4: string, ip: string | null) {
  const c = await findForParent(deps, code, last4, ip);

  const [events, co, settings] = await Promise.all([
    deps.db.read.select().from(t.complaintEvents).where(eq(t.complaintEvents.complaintId, c.id)).orderBy(asc(t.complaintEvents.at), asc(t.complaintEvents.id)),
    deps.db.read.select({ code: t.complaintCoHandlers.departmentCode }).from(t.complaintCoHandlers).where(eq(t.complaintCoHandlers.complaintId, c.id)),
    loadSettings(deps.db),
  ]);
  const codes = [c.leadDept, ...co.map((x) => x.code)];
  const depts = await deps.db.read.select({ code: t.departments.code, nameZh: t.departments.nameZh, nameEn: t.departments.nameEn }).from(t.departments).where(inArray(t.departments.code, codes));
  const dept = (code: string) => {
    const d = depts.find((x) => x.code === code);
    return { code, nameZh: d?.nameZh ?? code, nameEn: d?.nameEn ?? code };
  };
  let institutionName = c.institutionName;
  if (c.institutionId) {
    const [i] = await deps.db.read.select({ name: t.institutions.name }).from(t.institutions).where(eq(t.institutions.id, c.institutionId));
    institutionName = i?.name ?? null;
  }
  const canRate = c.status === 'resolved';
  return {
    trackingCode: c.trackingCode,
    status: c.status,
    institution: { id: c.institutionId, name: institutionName },
    reason: c.reason,
    lead: dept(c.leadDept),
    coHandlers: co.map((x) => dept(x.code)),
    submittedAt: c.submittedAt.toISOString(),
    deadlines: {
      acceptBy: c.acceptBy,
      resolveBy: c.resolveBy,
      extendedUntil: c.extendedUntil,
    },
    outcome: c.outcome,
    amountRefunded: c.amountRefundedFen === null ? null : c.amountRefundedFen / 100,
    rejectReason: c.rejectReason,
    rating: c.rating,
    canRate,
    reopenWindowDays: settings.reopenWindowDays,
    // Staff-only moderation steps (ban list, redaction) are not part of the parent's timeline.
    timeline: events.filter((e) => !STAFF_ONLY_EVENTS.has(e.kind)).map((e) => ({
      at: e.at.toISOString(),
      kind: e.kind,
      toStatus: e.toStatus,
      note: deps.pii.reveal(e.publicNote),
    })),
  };
}
