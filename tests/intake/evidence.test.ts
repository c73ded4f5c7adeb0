/**
 * Evidence files on intake (POST /api/complaints as multipart/form-data): what is accepted
 * (JPEG/PNG/PDF by content), what is stored (images without EXIF/GPS, PDFs byte for byte), what
 * is refused and with which field path, and that files live and die with their complaint's
 * transaction and idempotency key.
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as t from '../../db/schema.ts';
import { readIntakeRequest } from '../../api/intake/request.ts';
import { complaintBody, createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';
import { expectErrorShape, hasGpsPointer, jpegWithGps, pngWithExif, postMultipart, rowCounts, samplePdf } from '../helpers/intake.ts';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
let mobileSeq = 2000;
const fields = (overrides: Record<string, unknown> = {}) => complaintBody({ institutionId: 'demo-0002', mobile: `137${String(mobileSeq++).padStart(8, '0')}`, ...overrides });
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  deps = await createSeededDeps(10);
  app = testApp(deps);
});
afterAll(async () => {
  await deps?.cleanup();
});

async function attachmentsOf(trackingCode: string) {
  const [c] = await deps.db.read.select({ id: t.complaints.id }).from(t.complaints).where(eq(t.complaints.trackingCode, trackingCode));
  const rows = await deps.db.read.select().from(t.attachments).where(eq(t.attachments.complaintId, c!.id)).orderBy(t.attachments.id);
  // Stored encrypted (api/security/pii.ts): what staff get back is the decrypted file and name.
  return rows.map((r) => ({ ...r, originalName: deps.pii.reveal(r.originalName), content: deps.pii.revealBytes(r.content) }));
}

async function expect422(res: Response) {
  expect(res.status).toBe(422);
  return expectErrorShape(422, await res.json());
}

describe('accepted evidence', () => {
  it('a phone photo is stored re-encoded: no EXIF, no GPS, orientation applied', async () => {
    const photo = await jpegWithGps(64, 32);
    const before = await sharp(photo).metadata();
    expect(before.exif?.includes(Buffer.from('TestPhone'))).toBe(true); // the fixture really carries EXIF…
    expect(hasGpsPointer(before.exif)).toBe(true); // …and a GPS position
    expect(before.orientation).toBe(6);

    const res = await postMultipart(app, fields(), [{ name: '收据.jpg', bytes: photo, type: 'image/jpeg' }]);
    expect(res.status).toBe(201);
    const { trackingCode } = await res.json();
    const [a] = await attachmentsOf(trackingCode);
    expect(a).toMatchObject({ mime: 'image/jpeg', originalName: '收据.jpg' });
    const stored = a!.content;
    expect(a!.size).toBe(stored.length);
    expect(a!.sha256).toBe(sha(stored));
    const after = await sharp(stored).metadata();
    expect(after.format).toBe('jpeg');
    expect(after.exif).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(stored.includes(Buffer.from('TestPhone'))).toBe(false);
    expect(after.orientation).toBeUndefined();
    // taken sideways (orientation 6): the pixels are turned upright before the tag is dropped
    expect([after.width, after.height]).toEqual([32, 64]);
  });

  it('a PNG loses its eXIf chunk; a PDF is stored byte for byte — all with one complaint', async () => {
    const png = await pngWithExif();
    expect((await sharp(png).metadata()).exif).toBeDefined();
    const pdf = samplePdf('合同第3页');
    // The client's claimed types are wrong on purpose: recognition is by content.
    const res = await postMultipart(app, fields(), [
      { name: 'screenshot.png', bytes: png, type: 'application/octet-stream' },
      { name: 'contract.pdf', bytes: pdf, type: 'image/png' },
    ]);
    expect(res.status).toBe(201);
    const rows = await attachmentsOf((await res.json()).trackingCode);
    expect(rows.map((r) => r.mime)).toEqual(['image/png', 'application/pdf']);
    expect((await sharp(rows[0]!.content).metadata()).exif).toBeUndefined();
    expect(Buffer.compare(rows[1]!.content, pdf)).toBe(0);
    expect(rows[1]!.sha256).toBe(sha(pdf));
  });

  it('five files are allowed; the audit row counts them and holds no file names', async () => {
    const pdfs = Array.from({ length: 5 }, (_, i) => ({ name: `page-${i}.pdf`, bytes: samplePdf(`p${i}`) }));
    const res = await postMultipart(app, fields(), pdfs);
    expect(res.status).toBe(201);
    const { trackingCode } = await res.json();
    const rows = await attachmentsOf(trackingCode);
    expect(rows).toHaveLength(5);
    const [c] = await deps.db.read.select({ id: t.complaints.id }).from(t.complaints).where(eq(t.complaints.trackingCode, trackingCode));
    const [audit] = await deps.db.read.select().from(t.auditLog).where(eq(t.auditLog.objectId, String(c!.id)));
    expect(audit!.detail).toMatchObject({ evidenceFiles: 5 });
    expect(JSON.stringify(audit)).not.toContain('page-0');
  });

  it('an empty file input (a plain HTML form with no file chosen) is ignored', async () => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields())) form.append(k, String(v));
    form.append('evidence', new File([], '', { type: 'application/octet-stream' }));
    const res = await app.request('/api/complaints', { method: 'POST', body: form });
    expect(res.status).toBe(201);
    expect(await attachmentsOf((await res.json()).trackingCode)).toHaveLength(0);
  });

  it('file names are cleaned: no folder part, no control or bidi characters', async () => {
    const res = await postMultipart(app, fields(), [
      { name: 'C:\\fakepath\\合同.pdf', bytes: samplePdf() },
      { name: 'invoice\u202Egpj.pdf', bytes: samplePdf('b') },
    ]);
    expect(res.status).toBe(201);
    const rows = await attachmentsOf((await res.json()).trackingCode);
    expect(rows.map((r) => r.originalName)).toEqual(['合同.pdf', 'invoicegpj.pdf']);
  });
});

describe('refused evidence (422 at evidence or evidence.N, nothing stored)', () => {
  it('a program renamed to .jpg with a JPEG content type → 422 at evidence.1, naming the allowed types', async () => {
    const before = await rowCounts(deps);
    const exe = Buffer.concat([Buffer.from('MZ\x90\x00'), Buffer.alloc(200, 1)]);
    const res = await postMultipart(app, fields(), [
      { name: 'ok.pdf', bytes: samplePdf() },
      { name: 'photo.jpg', bytes: exe, type: 'image/jpeg' },
    ]);
    const e = await expect422(res);
    expect(e.code).toBe('validation_failed');
    expect(e.issues).toEqual([{ path: 'evidence.1', message: '只能上传 JPG、PNG 图片或 PDF 文件（每个不超过10 MB，最多5个）' }]);
    expect(await rowCounts(deps)).toEqual(before);
  });

  it('the message is in English with Accept-Language: en', async () => {
    const res = await postMultipart(app, fields(), [{ name: 'a.gif', bytes: Buffer.from('GIF89a....') }], { 'accept-language': 'en' });
    const e = await expect422(res);
    expect(e.issues![0]!.message).toBe('Only JPEG or PNG images or PDF files can be uploaded (up to 10 MB each, at most 5)');
  });

  it('six files → 422 at evidence', async () => {
    const six = Array.from({ length: 6 }, (_, i) => ({ name: `${i}.pdf`, bytes: samplePdf() }));
    const e = await expect422(await postMultipart(app, fields(), six));
    expect(e.issues!.map((i) => i.path)).toEqual(['evidence']);
    expect(e.issues![0]!.message).toContain('最多上传5个文件');
  });

  it('a file over 10 MB → 422 at evidence.0 with the limit in the message', async () => {
    const big = Buffer.concat([samplePdf(), Buffer.alloc(10 * 1024 * 1024, 0x20)]);
    const e = await expect422(await postMultipart(app, fields(), [{ name: 'scan.pdf', bytes: big }]));
    expect(e.issues).toEqual([{ path: 'evidence.0', message: '文件超过10 MB，请压缩后重新上传（JPG、PNG 图片或 PDF，最多5个）' }]);
  });

  it('a body over 5 × 10 MB + fields → 413 that names the limits', async () => {
    const before = await rowCounts(deps);
    const chunk = Buffer.concat([samplePdf(), Buffer.alloc(10 * 1024 * 1024 - 400, 0x20)]);
    const files = Array.from({ length: 5 }, (_, i) => ({ name: `${i}.pdf`, bytes: chunk }));
    files.push({ name: 'extra.pdf', bytes: Buffer.alloc(3 * 1024 * 1024, 0x20) });
    const res = await postMultipart(app, fields(), files);
    expect(res.status).toBe(413);
    const e = expectErrorShape(413, await res.json());
    expect(e.code).toBe('payload_too_large');
    expect(e.message).toContain('10 MB');
    expect(await rowCounts(deps)).toEqual(before);
  });

  it('a damaged JPEG (right magic bytes, garbage after) → 422 unreadable', async () => {
    const broken = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 7)]);
    const e = await expect422(await postMultipart(app, fields(), [{ name: 'x.jpg', bytes: broken }]));
    expect(e.issues).toEqual([{ path: 'evidence.0', message: '图片无法读取，可能已损坏；请重新拍照，或另存为 JPG、PNG 后上传' }]);
  });

  it('a PNG signature glued onto a JPEG is not a PNG', async () => {
    const jpeg = await jpegWithGps();
    const fake = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), jpeg]);
    const e = await expect422(await postMultipart(app, fields(), [{ name: 'x.png', bytes: fake }]));
    expect(e.issues!.map((i) => i.path)).toEqual(['evidence.0']);
  });

  it('field errors and file errors come back together', async () => {
    const e = await expect422(await postMultipart(app, fields({ mobile: '123', reason: 'because' }), [{ name: 'a.txt', bytes: Buffer.from('hello') }]));
    expect(e.issues!.map((i) => i.path).sort()).toEqual(['evidence.0', 'mobile', 'reason']);
  });

  it('a file under another field name → 422 at that field; text under evidence → 422 at evidence', async () => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields())) if (k !== 'description') form.append(k, String(v));
    form.append('description', new File([new Uint8Array(samplePdf())], 'd.pdf'));
    form.append('evidence', 'not a file');
    const e = await expect422(await app.request('/api/complaints', { method: 'POST', body: form }));
    expect(e.issues!.map((i) => i.path).sort()).toEqual(['description', 'evidence']);
  });

  it('broken multipart framing → 400 with the error shape', async () => {
    const res = await app.request('/api/complaints', { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=xyz' }, body: '--xyz\r\nContent-Disposition: form-data; name="course"\r\n\r\nabc' });
    expect(res.status).toBe(400);
    expect(expectErrorShape(400, await res.json()).code).toBe('bad_request');
  });

  it('a failing complaint (unknown institution) stores none of its files', async () => {
    const before = await rowCounts(deps);
    const e = await expect422(await postMultipart(app, fields({ institutionId: 'demo-9999' }), [{ name: 'a.pdf', bytes: samplePdf() }]));
    expect(e.issues!.map((i) => i.path)).toEqual(['institutionId']);
    expect(await rowCounts(deps)).toEqual(before);
  });
});

describe('Idempotency-Key with files', () => {
  it('a retry with the same key and the same files → same answer, files stored once', async () => {
    const body = fields();
    const photo = await jpegWithGps();
    const headers = { 'idempotency-key': 'files-retry-0001' };
    const r1 = await postMultipart(app, body, [{ name: 'a.jpg', bytes: photo }], headers);
    const r2 = await postMultipart(app, body, [{ name: 'a.jpg', bytes: photo }], headers);
    expect([r1.status, r2.status]).toEqual([201, 201]);
    const b1 = await r1.json();
    expect(await r2.json()).toEqual(b1);
    expect(r2.headers.get('idempotent-replayed')).toBe('true');
    expect(await attachmentsOf(b1.trackingCode)).toHaveLength(1);
  });

  it('the same key with a different file is a different request → 422 idempotency_conflict', async () => {
    const body = fields();
    const headers = { 'idempotency-key': 'files-retry-0002' };
    expect((await postMultipart(app, body, [{ name: 'a.pdf', bytes: samplePdf('one') }], headers)).status).toBe(201);
    const before = await rowCounts(deps);
    const res = await postMultipart(app, body, [{ name: 'a.pdf', bytes: samplePdf('two') }], headers);
    const e = await expect422(res);
    expect(e.code).toBe('idempotency_conflict');
    expect(e.issues!.map((i) => i.path)).toEqual(['Idempotency-Key']);
    expect(await rowCounts(deps)).toEqual(before);
  });
});

describe('readIntakeRequest (shared with the no-JS form page)', () => {
  const req = (body: BodyInit, type: string, headers: Record<string, string> = {}) =>
    new Request('http://localhost/complaints/new', { method: 'POST', headers: { 'content-type': type, ...headers }, body });

  it('reads a urlencoded form (what a no-JS browser sends without files)', async () => {
    const form = new URLSearchParams(Object.entries(fields({ consentProcessing: 'on', amountPaid: '3600.50' })).map(([k, v]) => [k, String(v)]));
    const r = await readIntakeRequest(req(form.toString(), 'application/x-www-form-urlencoded'), 'zh-CN');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.data.consentProcessing).toBe(true);
    expect(r.data.amountPaid).toBe(360050);
    expect(r.files).toEqual([]);
    expect(r.idempotencyKey).toBeNull();
  });

  it('a urlencoded form that had a file input sent only a name: 422 at evidence', async () => {
    const form = new URLSearchParams(Object.entries(fields()).map(([k, v]) => [k, String(v)]));
    form.append('evidence', 'IMG_0001.jpg');
    const r = await readIntakeRequest(req(form.toString(), 'application/x-www-form-urlencoded'), 'en');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe(422);
    expect(r.body.error.issues).toEqual([{ path: 'evidence', message: 'Choose a file here (JPEG or PNG image, or PDF)' }]);
  });

  it('enforces its own body limit without any middleware, even without Content-Length', async () => {
    const big = new URLSearchParams({ description: 'x'.repeat(70 * 1024) }).toString();
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const r = await readIntakeRequest(new Request('http://localhost/x', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: stream, duplex: 'half' } as RequestInit), 'zh-CN');
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.status, r.body.error.code]).toEqual([413, 'payload_too_large']);
  });

  it('refuses formats the caller did not ask for with 415', async () => {
    const r = await readIntakeRequest(req('{}', 'application/json'), 'zh-CN', { formats: ['multipart'] });
    expect(r.ok ? 0 : r.status).toBe(415);
  });
});
