/**
 * Rows written before encryption at rest covered descriptions, notes, evidence files and IPs are
 * encrypted by the start-up step (api/security/pii-at-rest.ts): readers show them unchanged
 * before and after, the step is idempotent (nothing is encrypted twice), records itself in `meta`,
 * and drops rate-limit counters keyed by a plain IP.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as t from '../../db/schema.ts';
import { caseView } from '../../api/cases/case-view.ts';
import { openAttachment } from '../../api/cases/attachments.ts';
import { submitComplaint } from '../../api/intake/service.ts';
import { ComplaintInputSchema } from '../../api/intake/schema.ts';
import { encryptLegacyPersonalData, PII_AT_REST_KEY } from '../../api/security/pii-at-rest.ts';
import { isCiphertext, isEncryptedBytes } from '../../api/security/pii.ts';
import { createSeededDeps, complaintBody, type TestDeps } from '../helpers/test-deps.ts';
import { samplePdf } from '../helpers/intake.ts';
import { seedStaff } from '../helpers/admin-session.ts';
import type { Caller } from '../../api/cases/access.ts';

let deps: TestDeps;
beforeAll(async () => {
  deps = await createSeededDeps(10);
  await seedStaff(deps);
});
afterAll(() => deps?.cleanup());

describe('the start-up step for rows from before encryption at rest', () => {
  it('encrypts them in place, readers see the same text and file, and a second run changes nothing', async () => {
    const data = ComplaintInputSchema.parse(complaintBody({ mobile: '13811112222' }));
    const { result } = await submitComplaint(deps, data, { ip: null });
    const [c] = await deps.db.read.select().from(t.complaints).where(eq(t.complaints.trackingCode, result.trackingCode));
    const pdf = samplePdf('legacy');
    // What the previous version wrote: plain description, notes, file, and an IP-keyed counter.
    await deps.db.write(async (tx) => {
      await tx.update(t.complaints).set({ description: '旧版本写入的明文陈述，机构拒不退费。' }).where(eq(t.complaints.id, c!.id));
      await tx.insert(t.complaintEvents).values({ complaintId: c!.id, at: deps.clock.now(), kind: 'note', publicNote: '旧版本的答复', staffNote: '旧版本的内部备注' });
      await tx.insert(t.attachments).values({ complaintId: c!.id, mime: 'application/pdf', originalName: '旧合同.pdf', size: pdf.length, sha256: 'x'.repeat(64), content: pdf });
      await tx.insert(t.rateLimits).values([
        { key: 'intake:ip:203.0.113.9', windowStart: deps.clock.now(), count: 3 },
        { key: 'track:ip:203.0.113.9', windowStart: deps.clock.now(), count: 1 },
        { key: 'backup:7', windowStart: deps.clock.now(), count: 1 },
      ]);
      await tx.delete(t.meta).where(eq(t.meta.key, PII_AT_REST_KEY));
    });

    const [lead] = await deps.db.read.select().from(t.staff).where(eq(t.staff.username, `${result.lead.code}.handler`));
    const caller: Caller = { staffId: lead!.id, role: lead!.role, dept: result.lead.code };
    const read = async () => {
      const v = await caseView(deps, caller, result.trackingCode, { ip: null });
      const note = v.timeline.find((e) => e.kind === 'note')!;
      const file = v.attachments[0]!;
      const dl = await openAttachment(deps, caller, result.trackingCode, String(file.id), { ip: null });
      return { description: v.complaint.description, publicNote: note.publicNote, staffNote: note.staffNote, name: file.originalName, content: dl.content };
    };
    const before = await read();
    expect(before).toMatchObject({ description: '旧版本写入的明文陈述，机构拒不退费。', publicNote: '旧版本的答复', staffNote: '旧版本的内部备注', name: '旧合同.pdf' });

    const counts = await encryptLegacyPersonalData(deps, 2);
    expect(counts).toMatchObject({ attachments: 1, rateLimits: 2 });
    expect(counts!.complaints).toBeGreaterThanOrEqual(1);
    expect(counts!.events).toBeGreaterThanOrEqual(1);

    const [row] = await deps.db.read.select().from(t.complaints).where(eq(t.complaints.id, c!.id));
    expect(isCiphertext(row!.description!)).toBe(true);
    const events = await deps.db.read.select().from(t.complaintEvents).where(eq(t.complaintEvents.complaintId, c!.id));
    for (const e of events) for (const n of [e.publicNote, e.staffNote]) if (n !== null) expect(isCiphertext(n)).toBe(true);
    const [file] = await deps.db.read.select().from(t.attachments).where(eq(t.attachments.complaintId, c!.id));
    expect(isEncryptedBytes(file!.content)).toBe(true);
    expect(isCiphertext(file!.originalName)).toBe(true);
    const keys = (await deps.db.read.select({ key: t.rateLimits.key }).from(t.rateLimits)).map((r) => r.key);
    expect(keys).toContain('backup:7');
    expect(keys.filter((k) => k.includes('203.0.113.9'))).toEqual([]);

    const after = await read();
    expect(after).toEqual(before);

    // Recorded: the next start is one query and changes nothing.
    expect(await encryptLegacyPersonalData(deps)).toBeNull();
    // Even forced to run again, nothing is encrypted a second time.
    await deps.db.write((tx) => tx.delete(t.meta).where(eq(t.meta.key, PII_AT_REST_KEY)));
    const snapshot = await deps.db.read.all(sql`SELECT description FROM complaints ORDER BY id`);
    expect(await encryptLegacyPersonalData(deps)).toEqual({ complaints: 0, events: 0, attachments: 0, rateLimits: 0 });
    expect(await deps.db.read.all(sql`SELECT description FROM complaints ORDER BY id`)).toEqual(snapshot);
    expect(await read()).toEqual(before);
  });
});
