/**
 * Filing a complaint with evidence files as they arrived (the API route and the no-JS form page
 * both come here): the gate in front of image decoding, the decoding through the process's bounded
 * queue, then intake proper (submitComplaint, service.ts). Kept apart from service.ts so the intake
 * thread, which only saves prepared complaints, never loads the image library.
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { rawTx } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../lib/errors.ts';
import { consumeRateLimits } from '../security/rate-limit.ts';
import { DecodeQueueFull, measureEvidence, needsDecoding, prepareEvidence, type UploadedFile } from './evidence.ts';
import { intakeLimitEntries, powFailed, requestFingerprint, submitComplaint, type IntakeContext, type IntakeResult, type SavedComplaint } from './service.ts';
import { verifyPow } from './pow.ts';
import type { ComplaintData } from './schema.ts';

const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * The gate in front of image decoding, cheapest check first, so an anonymous request costs no
 * decoding CPU until it has shown its proof-of-work and been counted:
 *   1. an Idempotency-Key already answered → that answer (a retry decodes nothing);
 *   2. the proof-of-work: signed, unexpired, hard enough, solved, and not already spent;
 *   3. the images' header dimensions against the pixel budgets (measureEvidence);
 *   4. the ban list and the per-mobile and per-IP counters, taken in a transaction of their own
 *      (the complaint's own transaction then skips them: `limitsTaken`).
 * The proof-of-work is still spent by the complaint's transaction (saveComplaint), which keeps
 * "one solution, one complaint" atomic; until then a solution can be re-sent, but every attempt
 * takes a count, so the per-IP limit bounds the decoding one solution can buy.
 */
async function admitDecoding(deps: Deps, data: ComplaintData, ctx: IntakeContext, uploads: readonly UploadedFile[]): Promise<{ replay: SavedComplaint } | { limitsTaken: boolean }> {
  const now = ctx.submittedAt ?? deps.clock.now();
  if (ctx.idempotencyKey) {
    const [row] = await deps.db.read.select().from(t.idempotencyKeys).where(eq(t.idempotencyKeys.key, `complaint:${ctx.idempotencyKey}`));
    if (row) {
      if (row.requestHash !== requestFingerprint(data, uploads.map((u) => ({ sourceSha256: sha256Hex(u.bytes) })))) {
        throw new ApiError(422, 'idempotency_conflict', 'idempotency_conflict', [{ path: 'Idempotency-Key', key: 'idempotency_conflict' }]);
      }
      return { replay: { created: false, result: JSON.parse(row.body) as IntakeResult } };
    }
  }
  if (deps.env.INTAKE_POW === 'on' && !ctx.isDemo && !ctx.powExempt) {
    const pow = verifyPow(deps.keys.pow, data.pow, now);
    if (!pow.ok) throw powFailed();
    const [spent] = await deps.db.read.select({ id: t.powSpent.challengeId }).from(t.powSpent).where(eq(t.powSpent.challengeId, pow.challengeId));
    if (spent) throw powFailed();
  }
  const pixels = await measureEvidence(uploads);
  if (pixels.length) throw new ApiError(422, 'validation_failed', 'validation_failed', pixels);
  if (deps.env.INTAKE_RATE_LIMIT !== 'on' || ctx.isDemo) return { limitsTaken: false };
  const mobileHash = deps.pii.mobileHash(data.mobile);
  await deps.db.write(async (tx) => {
    const raw = rawTx(tx);
    const [ban] = await raw.all('SELECT 1 AS banned FROM banned_mobiles WHERE mobile_hash = ?', [mobileHash]);
    if (ban) throw new ApiError(403, 'banned', 'banned');
    await consumeRateLimits(raw, intakeLimitEntries(mobileHash, ctx.ip ? deps.pii.ipKey(ctx.ip) : null), now);
  });
  return { limitsTaken: true };
}

/**
 * File a complaint with its files as they arrived (checked by checkEvidence, not yet decoded):
 * the API route and the no-JS form page both come through here. Images are decoded only after
 * admitDecoding let the request through, and through the process's bounded decode queue; a full
 * queue answers 503 with Retry-After. Without images (the usual complaint) nothing extra runs:
 * submitComplaint's one transaction checks and counts as before.
 */
export async function fileComplaint(deps: Deps, data: ComplaintData, ctx: IntakeContext, uploads: readonly UploadedFile[] = []): Promise<SavedComplaint> {
  let limitsTaken = false;
  if (needsDecoding(uploads)) {
    const gate = await admitDecoding(deps, data, ctx, uploads);
    if ('replay' in gate) return gate.replay;
    limitsTaken = gate.limitsTaken;
  }
  let evidence: Awaited<ReturnType<typeof prepareEvidence>>;
  try {
    evidence = await prepareEvidence(uploads);
  } catch (err) {
    if (err instanceof DecodeQueueFull) throw new ApiError(503, 'busy', 'evidence_busy', undefined, { 'Retry-After': String(err.retryAfterSeconds) });
    throw err;
  }
  if (!evidence.ok) throw new ApiError(422, 'validation_failed', 'validation_failed', evidence.issues);
  return submitComplaint(deps, data, { ...ctx, limitsTaken: limitsTaken || ctx.limitsTaken }, evidence.files);
}
