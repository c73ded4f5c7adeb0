/**
 * Intake on its own thread (api/intake/thread.ts), as `npm start` runs it for a local
 * database file: the parent must not be able to tell. Same answers, same field errors in their
 * language, idempotent retries, evidence bytes intact, rules changed on the main thread honoured
 * by the next complaint, and no write lost or refused while both threads write at once.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { startIntakeThread, type IntakeThread } from '../../api/intake/writer.ts';
import { prepareComplaint } from '../../api/intake/service.ts';
import { ComplaintInputSchema } from '../../api/intake/schema.ts';
import { complaintBody, createSeededDeps, postJson, testApp, type TestDeps } from '../helpers/test-deps.ts';
import { expectErrorShape, jpegWithGps, postMultipart, rowCounts } from '../helpers/intake.ts';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
let thread: IntakeThread;
let crashed: Error | null = null;
let institutions: string[] = [];
let mobileSeq = 7000;
const nextMobile = () => `139${String(mobileSeq++).padStart(8, '0')}`;
/** A so-far unused institution of the 'subject' category (lead edu, co-handler market). */
const freshInstitution = () => institutions.shift()!;

beforeAll(async () => {
  deps = await createSeededDeps(400, { env: { INTAKE_RATE_LIMIT: 'off' } });
  thread = await startIntakeThread(deps.db, {
    onCrash: (err) => {
      crashed = err;
    },
  });
  deps.intakeWriter = thread;
  app = testApp(deps);
  institutions = (await deps.db.read.select({ id: t.institutions.id }).from(t.institutions).where(eq(t.institutions.category, 'subject'))).map((r) => r.id);
});
afterAll(async () => {
  await thread.stop();
  await deps.cleanup();
});

async function file(overrides: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return postJson(app, '/api/complaints', complaintBody({ institutionId: freshInstitution(), mobile: nextMobile(), ...overrides }), headers);
}

describe('complaint intake on the intake thread', () => {
  it('files a complaint: the answer, the case, its co-handler queue rows and the queue counts', async () => {
    const before = await deps.db.read.select().from(t.queueCounts);
    const res = await file();
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ status: 'submitted', lead: { code: 'edu' }, coHandlers: [{ code: 'market' }], acceptBy: '2026-12-01' });

    const [c] = await deps.db.read.select().from(t.complaints).where(eq(t.complaints.trackingCode, body.trackingCode));
    expect(c).toMatchObject({ leadDept: 'edu', status: 'submitted', acceptBy: '2026-12-01' });
    // The co-handler row carries the case's queue columns (written directly, migration 0009).
    const co = await deps.db.read.select().from(t.complaintCoHandlers).where(eq(t.complaintCoHandlers.complaintId, c!.id));
    expect(co).toHaveLength(1);
    expect(co[0]).toMatchObject({ departmentCode: 'market', status: 'submitted', dueOn: '2026-12-01', submittedAt: c!.submittedAt });

    const after = await deps.db.read.select().from(t.queueCounts);
    const n = (rows: typeof before, scope: string) => rows.find((r) => r.scope === scope && r.status === 'submitted')?.n ?? 0;
    expect(n(after, 'edu') - n(before, 'edu')).toBe(1);
    expect(n(after, 'market') - n(before, 'market')).toBe(1);
    expect(n(after, '*') - n(before, '*')).toBe(1);
  });

  it('a retry with the same Idempotency-Key gets the same answer and creates nothing', async () => {
    const body = complaintBody({ institutionId: freshInstitution(), mobile: nextMobile() });
    const first = await postJson(app, '/api/complaints', body, { 'Idempotency-Key': 'thread-retry-0001' });
    expect(first.status).toBe(201);
    const counts = await rowCounts(deps);
    const again = await postJson(app, '/api/complaints', body, { 'Idempotency-Key': 'thread-retry-0001' });
    expect(again.status).toBe(201);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    expect(await rowCounts(deps)).toEqual(counts);
  });

  it('an error found inside the transaction comes back as the same field error, in the asked language', async () => {
    const counts = await rowCounts(deps);
    const zh = await file({ institutionId: 'demo-9999' });
    const zhBody = await zh.json();
    expectErrorShape(zh.status, zhBody);
    expect(zh.status).toBe(422);
    expect(zhBody.error.issues).toEqual([{ path: 'institutionId', message: expect.stringMatching(/[\u4e00-\u9fff]/) }]);

    const en = await file({ institutionId: 'demo-9999' }, { 'Accept-Language': 'en' });
    const enBody = await en.json();
    expect(en.status).toBe(422);
    expect(enBody.error.issues[0].path).toBe('institutionId');
    expect(enBody.error.issues[0].message).toMatch(/institution/i);
    expect(await rowCounts(deps)).toEqual(counts);

    const banned = nextMobile();
    await deps.db.write((tx) => tx.insert(t.bannedMobiles).values({ mobileHash: deps.pii.mobileHash(banned), reason: '测试', addedAt: new Date() }));
    const refused = await file({ mobile: banned });
    expect(refused.status).toBe(403);
    expect((await refused.json()).error.code).toBe('banned');
  });

  it('evidence bytes cross to the thread intact', async () => {
    const res = await postMultipart(app, complaintBody({ institutionId: freshInstitution(), mobile: nextMobile() }), [{ name: '收据.jpg', bytes: await jpegWithGps(), type: 'image/jpeg' }]);
    expect(res.status).toBe(201);
    const { trackingCode } = await res.json();
    const [c] = await deps.db.read.select({ id: t.complaints.id }).from(t.complaints).where(eq(t.complaints.trackingCode, trackingCode));
    const [a] = await deps.db.read.select().from(t.attachments).where(eq(t.attachments.complaintId, c!.id));
    expect(a!.mime).toBe('image/jpeg');
    const content = deps.pii.revealBytes(a!.content); // stored encrypted
    expect(content.length).toBe(a!.size);
    expect(createHash('sha256').update(content).digest('hex')).toBe(a!.sha256);
  });

  it('a rule changed on the main thread applies to the next complaint saved on the intake thread', async () => {
    const setAccept = (days: number) =>
      deps.db.write((tx) =>
        tx.insert(t.settings).values({ key: 'acceptWorkingDays', value: days, updatedAt: new Date() }).onConflictDoUpdate({ target: t.settings.key, set: { value: days, updatedAt: new Date() } }),
      );
    await setAccept(5);
    expect((await (await file()).json()).acceptBy).toBe('2026-12-04');
    await deps.db.write((tx) => tx.delete(t.settings).where(eq(t.settings.key, 'acceptWorkingDays')));
    expect((await (await file()).json()).acceptBy).toBe('2026-12-01');
  });

  it('both threads writing at once: every complaint and every main-thread write lands, none refused', async () => {
    const before = (await deps.db.read.select({ n: sql<number>`count(*)` }).from(t.complaints))[0]!.n;
    const complaints = Array.from({ length: 40 }, () => file());
    // Meanwhile the main thread writes through its own connection (as staff and the outbox do).
    const mainWrites = Array.from({ length: 40 }, (_, i) =>
      deps.db.write((tx) => tx.insert(t.bannedMobiles).values({ mobileHash: `test-hash-${i}`, reason: '并发测试', addedAt: new Date() })),
    );
    const answers = await Promise.all(complaints);
    await Promise.all(mainWrites);
    expect(answers.map((r) => r.status)).toEqual(answers.map(() => 201));
    const codes = new Set(await Promise.all(answers.map(async (r) => (await r.json()).trackingCode as string)));
    expect(codes.size).toBe(40);
    const after = (await deps.db.read.select({ n: sql<number>`count(*)` }).from(t.complaints))[0]!.n;
    expect(after - before).toBe(40);
    const bans = await deps.db.read.select({ n: sql<number>`count(*)` }).from(t.bannedMobiles).where(sql`mobile_hash LIKE 'test-hash-%'`);
    expect(bans[0]!.n).toBe(40);
    expect(crashed).toBeNull();
  });

  it('stopping answers every complaint already sent, then refuses new ones', async () => {
    const own = await startIntakeThread(deps.db, { onCrash: () => undefined });
    const prepare = () => prepareComplaint(deps, ComplaintInputSchema.parse(complaintBody({ institutionId: freshInstitution(), mobile: nextMobile() })), { ip: null });
    const sent = Array.from({ length: 10 }, () => own.save(prepare()));
    await own.stop();
    const saved = await Promise.all(sent);
    for (const { created, result } of saved) {
      expect(created).toBe(true);
      const [c] = await deps.db.read.select({ id: t.complaints.id }).from(t.complaints).where(eq(t.complaints.trackingCode, result.trackingCode));
      expect(c).toBeDefined();
    }
    await expect(own.save(prepare())).rejects.toThrow(/stopping/);
  });
});
