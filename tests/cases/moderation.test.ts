/**
 * Moderation through the transitions route (same path as every staff action: one transaction,
 * an event and an audit row): mark spam (the parent's tracking then answers 404), mark duplicate
 * (rejected with reason 'duplicate' pointing to the original; the original must be a case the
 * caller can see), ban the case's mobile (coordinator or a handling department's head), and the
 * redacted narrative (refused while it still carries the parent's name or a mobile number).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, desc, eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { submitComplaint } from '../../api/intake/service.ts';
import { ComplaintInputSchema } from '../../api/intake/schema.ts';
import { trackComplaint } from '../../api/public/tracking.ts';
import { handleCase } from '../../api/cases/case-page.ts';
import { logInAs, seedStaff, type StaffAgent } from '../helpers/admin-session.ts';
import { complaintBody, createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
const as: Record<string, StaffAgent> = {};
let seq = 0;
type Row = typeof t.complaints.$inferSelect;

async function file(overrides: Record<string, unknown> = {}): Promise<Row> {
  const data = ComplaintInputSchema.parse(complaintBody({ institutionId: 'demo-0001', mobile: `135${String(++seq).padStart(8, '0')}`, ...overrides }));
  const { result } = await submitComplaint(deps, data, { ip: null });
  return (await deps.db.read.select().from(t.complaints).where(eq(t.complaints.trackingCode, result.trackingCode)))[0]!;
}
const reload = async (id: number) => (await deps.db.read.select().from(t.complaints).where(eq(t.complaints.id, id)))[0]!;
const act = (who: string, r: Row, body: Record<string, unknown>) => as[who]!.post(`/api/admin/complaints/${r.trackingCode}/transitions`, { expectedVersion: r.version, ...body });
const lastAudit = async (id: number) =>
  (await deps.db.read.select().from(t.auditLog).where(and(eq(t.auditLog.objectType, 'complaint'), eq(t.auditLog.objectId, String(id)))).orderBy(desc(t.auditLog.id)).limit(1))[0]!;
/** The case's last event, its notes decrypted (stored encrypted, api/security/pii.ts). */
const lastEvent = async (id: number) => {
  const e = (await deps.db.read.select().from(t.complaintEvents).where(eq(t.complaintEvents.complaintId, id)).orderBy(desc(t.complaintEvents.id)).limit(1))[0]!;
  return { ...e, publicNote: deps.pii.reveal(e.publicNote), staffNote: deps.pii.reveal(e.staffNote) };
};

let lead: string; // the lead department of demo-0001's cases
let outsider: string; // a handler whose department neither leads nor co-handles them

beforeAll(async () => {
  deps = await createSeededDeps(10);
  app = testApp(deps);
  await seedStaff(deps);
  lead = (await file()).leadDept;
  outsider = lead === 'science' ? 'culture.handler' : 'science.handler';
  for (const u of ['coord', `${lead}.handler`, `${lead}.head`, 'market.handler', 'market.head', outsider, 'sysadmin']) if (!as[u]) as[u] = await logInAs(app, deps, u);
});

afterAll(async () => deps.cleanup());

describe('mark_spam', () => {
  it('a handling department marks spam: closed, hidden from tracking, event + audit', async () => {
    const r = await file({ mobile: '13566667777' });
    expect((await trackComplaint(deps, r.trackingCode, '7777', null)).status).toBe('submitted');
    expect((await act(outsider, r, { action: 'mark_spam' })).status).toBe(404);
    const res = await act('market.handler', r, { action: 'mark_spam', note: '广告信息' });
    expect(res.status).toBe(200);
    const after = await reload(r.id);
    expect(after).toMatchObject({ isSpam: true, status: 'closed' });
    expect((await lastEvent(r.id)).kind).toBe('mark_spam');
    expect(await lastAudit(r.id)).toMatchObject({ action: 'complaint.mark_spam', actorRole: 'handler' });
    await expect(trackComplaint(deps, r.trackingCode, '7777', null)).rejects.toMatchObject({ status: 404 });
    // Once spam, no further moderation.
    expect((await act('coord', after, { action: 'mark_spam' })).status).toBe(409);
  });
});

describe('mark_duplicate', () => {
  it('rejects the duplicate with reason duplicate, pointing to the original', async () => {
    const original = await file({ mobile: '13511112222' });
    const dup = await file({ mobile: '13511112222' });
    expect((await act('market.handler', dup, { action: 'mark_duplicate', originalCode: original.trackingCode })).status).toBe(403);
    const res = await act(`${lead}.handler`, dup, { action: 'mark_duplicate', originalCode: original.trackingCode.toLowerCase() });
    expect(res.status).toBe(200);
    const after = await reload(dup.id);
    expect(after).toMatchObject({ status: 'rejected', rejectReason: 'duplicate', duplicateOf: original.id });
    const ev = await lastEvent(dup.id);
    expect(ev.kind).toBe('mark_duplicate');
    expect(ev.publicNote).toContain(original.trackingCode);
    expect(await lastAudit(dup.id)).toMatchObject({ action: 'complaint.mark_duplicate' });
    const tracked = await trackComplaint(deps, dup.trackingCode, '2222', null);
    expect(tracked.rejectReason).toBe('duplicate');
    expect(tracked.timeline.at(-1)!.note).toContain(original.trackingCode);
  });

  it("another parent's original is not disclosed; unknown or own code is refused (422)", async () => {
    const original = await file();
    const dup = await file();
    expect((await act('coord', dup, { action: 'mark_duplicate', originalCode: 'TS-0000-0000' })).status).toBe(422);
    expect((await act('coord', dup, { action: 'mark_duplicate', originalCode: dup.trackingCode })).status).toBe(422);
    expect((await act('coord', dup, { action: 'mark_duplicate', originalCode: 'nonsense' })).status).toBe(422);
    expect((await act('coord', dup, { action: 'mark_duplicate', originalCode: original.trackingCode })).status).toBe(200);
    expect((await lastEvent(dup.id)).publicNote).not.toContain(original.trackingCode);
  });
});

describe('ban_mobile', () => {
  it("coordinator or a handling department's head; banned with the reason, audited, not on the parent's timeline", async () => {
    const r = await file({ mobile: '13599998888' });
    expect((await act(`${lead}.handler`, r, { action: 'ban_mobile', reason: '反复提交骚扰信息' })).status).toBe(403);
    expect((await act('sysadmin', r, { action: 'ban_mobile', reason: '反复提交骚扰信息' })).status).toBe(403);
    const res = await act(`${lead}.head`, r, { action: 'ban_mobile', reason: '反复提交骚扰信息' });
    expect(res.status).toBe(200);
    const [ban] = await deps.db.read.select().from(t.bannedMobiles).where(eq(t.bannedMobiles.mobileHash, r.mobileHash!));
    expect(ban).toMatchObject({ reason: '反复提交骚扰信息' });
    expect(await lastAudit(r.id)).toMatchObject({ action: 'complaint.ban_mobile', actorRole: 'dept_head' });
    expect((await reload(r.id)).status).toBe('submitted');
    const tracked = await trackComplaint(deps, r.trackingCode, '8888', null);
    expect(tracked.timeline.map((e) => e.kind)).not.toContain('ban_mobile');
    // The coordinator may too (idempotent; the reason is updated).
    expect((await act('coord', await reload(r.id), { action: 'ban_mobile', reason: '核实为恶意投诉' })).status).toBe(200);
    expect((await deps.db.read.select().from(t.bannedMobiles).where(eq(t.bannedMobiles.mobileHash, r.mobileHash!)))[0]!.reason).toBe('核实为恶意投诉');
    // The number can no longer file.
    await expect(file({ mobile: '13599998888' })).rejects.toMatchObject({ status: 403, code: 'banned' });
  });
});

describe('redact', () => {
  it('refuses text with the parent name or a mobile number; stores the redacted narrative with an event and audit', async () => {
    const r = await file({ parentName: '诸葛明亮', consentPublication: true, description: '我是诸葛明亮，电话13577778888，机构拒绝退费，多次沟通无果。' });
    const bad1 = await act(`${lead}.handler`, r, { action: 'redact', text: '诸葛明亮反映机构拒绝退费。' });
    expect(bad1.status).toBe(422);
    expect((await act(`${lead}.handler`, r, { action: 'redact', text: '家长反映：电话13577778888，机构拒绝退费。' })).status).toBe(422);
    expect((await act(outsider, r, { action: 'redact', text: '家长反映机构拒绝退费，多次沟通无果。' })).status).toBe(404);
    const ok = await act(`${lead}.handler`, r, { action: 'redact', text: '家长反映机构拒绝退费，多次沟通无果。' });
    expect(ok.status).toBe(200);
    const after = await reload(r.id);
    expect(after.descriptionRedacted).toBe('家长反映机构拒绝退费，多次沟通无果。');
    expect(deps.pii.reveal(after.description)).toContain('诸葛明亮'); // the original stays for the handlers (encrypted)
    expect((await lastEvent(r.id)).kind).toBe('redact');
    expect(await lastAudit(r.id)).toMatchObject({ action: 'complaint.redact', detail: expect.objectContaining({ publishable: true }) });
  });
});

describe('case page: moderation forms', () => {
  const req = (path: string, cookie: string, form?: Record<string, string>): [Request, URL] => {
    const url = new URL(path, 'http://127.0.0.1:4321');
    const headers: Record<string, string> = { cookie };
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    return [new Request(url, form ? { method: 'POST', headers, body: new URLSearchParams(form).toString() } : { headers }), url];
  };

  it('offers the moderation the caller may do now, and a form post goes through the same transition', async () => {
    const r = await file();
    const path = `/admin/cases/${r.trackingCode}/`;
    const asCoord = await handleCase(deps, ...req(path, as.coord!.cookie), r.trackingCode, null, 'zh-CN');
    if (asCoord.kind !== 'page') throw new Error(asCoord.kind);
    expect(asCoord.state.view.allowedModeration).toEqual(['mark_spam', 'mark_duplicate', 'ban_mobile', 'redact']);
    const asHandler = await handleCase(deps, ...req(path, as[`${lead}.handler`]!.cookie), r.trackingCode, null, 'zh-CN');
    if (asHandler.kind !== 'page') throw new Error(asHandler.kind);
    expect(asHandler.state.view.allowedModeration).toEqual(['mark_spam', 'mark_duplicate', 'redact']);
    const asCo = await handleCase(deps, ...req(path, as['market.handler']!.cookie), r.trackingCode, null, 'zh-CN');
    if (asCo.kind !== 'page') throw new Error(asCo.kind);
    expect(asCo.state.view.allowedModeration).toEqual(['mark_spam', 'redact']);

    const posted = await handleCase(deps, ...req(path, as.coord!.cookie, { _csrf: as.coord!.csrf, action: 'mark_spam', expectedVersion: String(r.version) }), r.trackingCode, null, 'zh-CN');
    if (posted.kind !== 'response') throw new Error(posted.kind);
    expect(posted.response.status).toBe(303);
    expect(posted.response.headers.get('location')).toBe(`${path}?done=mark_spam`);
    expect((await reload(r.id)).isSpam).toBe(true);
    const after = await handleCase(deps, ...req(`${path}?done=mark_spam`, as.coord!.cookie), r.trackingCode, null, 'zh-CN');
    if (after.kind !== 'page') throw new Error(after.kind);
    expect(after.state.view.allowedModeration).toEqual([]);
  });
});
