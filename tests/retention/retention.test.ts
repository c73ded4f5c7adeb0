/** Personal data of closed cases disappears after the retention period — and not before. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { attachments, complaints } from '../../db/schema.ts';
import { purgeExpiredPersonalData } from '../../api/retention/purge.ts';
import { applyAction } from '../../api/cases/workflow.ts';
import { verifyAuditChain } from '../../api/audit/log.ts';
import { complaintBody, createSeededDeps, postJson, testApp, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;
let id: number;
/** When the case was closed (rejected): the retention period counts from here. */
let closedAt: number;
const DAY = 86_400_000;

// A database of its own for every test: the purge is one-way, so a test after it would find
// nothing left to keep or to remove.
beforeEach(async () => {
  deps = await createSeededDeps(10);
  const res = await postJson(testApp(deps), '/api/complaints', complaintBody({ institutionId: 'demo-0004', mobile: '13755556666' }));
  const { trackingCode } = (await res.json()) as { trackingCode: string };
  const [row] = await deps.db.read.select({ id: complaints.id }).from(complaints).where(eq(complaints.trackingCode, trackingCode));
  id = row!.id;
  await deps.db.write((tx) => tx.insert(attachments).values({ complaintId: id, mime: 'application/pdf', originalName: 'a.pdf', size: 4, sha256: 'x', content: Buffer.from('%PDF') }));
  const staff = { kind: 'system' } as const;
  await applyAction(deps, id, { type: 'reject', reason: 'out_of_scope', note: '请拨打 12315。' }, staff);
  closedAt = deps.clock.now().getTime();
});
afterEach(() => deps?.cleanup());

describe('retention', () => {
  it('keeps personal data of a closed case inside the retention period', async () => {
    deps.clock.set(new Date(closedAt + 1094 * DAY));
    expect(await purgeExpiredPersonalData(deps)).toBe(0);
    const [c] = await deps.db.read.select().from(complaints).where(eq(complaints.id, id));
    expect(c!.mobileEnc).not.toBeNull();
  });

  it('removes name, number, narrative and files after it, keeps the case, and audits it', async () => {
    deps.clock.set(new Date(closedAt + 1096 * DAY));
    expect(await purgeExpiredPersonalData(deps)).toBe(1);
    const [c] = await deps.db.read.select().from(complaints).where(eq(complaints.id, id));
    expect(c).toMatchObject({ parentNameEnc: null, mobileEnc: null, mobileHash: null, description: null, status: 'rejected' });
    expect(c!.piiPurgedAt).not.toBeNull();
    expect(await deps.db.read.select().from(attachments).where(eq(attachments.complaintId, id))).toHaveLength(0);
    expect((await verifyAuditChain(deps.db)).ok).toBe(true);
    expect(await purgeExpiredPersonalData(deps)).toBe(0); // idempotent
  });
});
