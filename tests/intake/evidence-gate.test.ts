/**
 * Image decoding is the expensive part of intake, so nothing is decoded before the request has
 * passed the cheap gates: the proof-of-work, the per-mobile / per-IP counters (and the no-JS
 * form's own limit), the per-request pixel budget read from the images' headers. Decoding then
 * goes through one bounded queue; when it is full the answer is 503 with Retry-After.
 *
 * "Not decoded" is observed two ways: the process's decode queue (evidenceDecodes) started no
 * task, and the answer is the gate's refusal rather than what decoding the file would have said
 * (the images here have valid headers but truncated pixel data, which only a decode notices).
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecodePool, DecodeQueueFull, EVIDENCE_DECODE, evidenceDecodes } from '../../api/intake/evidence.ts';
import { INTAKE_LIMITS } from '../../api/intake/service.ts';
import { handleComplaintForm, NO_POW_FORM_LIMIT } from '../../api/intake/page.ts';
import { complaintBody, createSeededDeps, postJson, testApp, type TestDeps } from '../helpers/test-deps.ts';
import { expectErrorShape, postMultipart } from '../helpers/intake.ts';

let withPow: TestDeps;
let noPow: TestDeps;
let mobileSeq = 1000;
const nextMobile = () => `135${String(mobileSeq++).padStart(8, '0')}`;

/** A JPEG whose header is fine (dimensions readable) but whose pixel data stops half-way. */
let truncated: Buffer;
/** A small image that decodes. */
let photo: Buffer;

beforeAll(async () => {
  [withPow, noPow] = await Promise.all([createSeededDeps(10, { env: { INTAKE_POW: 'on' } }), createSeededDeps(10)]);
  const noisy = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg().toBuffer();
  truncated = noisy.subarray(0, Math.floor(noisy.length / 2));
  photo = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#36c' } }).jpeg().toBuffer();
});
afterAll(async () => {
  await Promise.all([withPow?.cleanup(), noPow?.cleanup()]);
});

const solid = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#888' } }).jpeg({ quality: 50 }).toBuffer();

describe('the gate comes before decoding', () => {
  it('a bad proof-of-work with an image is refused for the proof-of-work, and nothing is decoded', async () => {
    const started = evidenceDecodes.stats().started;
    const res = await postMultipart(testApp(withPow), complaintBody({ mobile: nextMobile(), pow: 'p1.forged.0.15.sig:abc' }), [{ name: 'receipt.jpg', bytes: truncated }]);
    expect(res.status).toBe(422);
    const e = expectErrorShape(422, await res.json());
    expect(e.code).toBe('pow_required');
    expect(e.issues!.map((i) => i.path)).toEqual(['pow']);
    expect(evidenceDecodes.stats().started).toBe(started);
  });

  it('over the per-mobile limit → 429 with Retry-After, before the image is decoded', async () => {
    const app = testApp(noPow);
    const mobile = nextMobile();
    for (let i = 0; i < INTAKE_LIMITS.perMobile.limit; i++) expect((await postJson(app, '/api/complaints', complaintBody({ mobile }))).status).toBe(201);
    const started = evidenceDecodes.stats().started;
    const res = await postMultipart(app, complaintBody({ mobile }), [{ name: 'receipt.jpg', bytes: truncated }]);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(expectErrorShape(429, await res.json()).code).toBe('rate_limited');
    expect(evidenceDecodes.stats().started).toBe(started);
  });

  it('the no-JS form takes its 10-an-hour limit before decoding: the 11th post is told to wait, not that its image is damaged', async () => {
    const url = new URL('http://localhost/complaints/new/');
    const post = (n: number, files: { name: string; bytes: Buffer }[] = []) => {
      const form = new FormData();
      const fields = complaintBody({ institutionId: 'demo-0003', mobile: nextMobile(), consentProcessing: 'true', consentPublication: 'false' });
      for (const [k, v] of Object.entries(fields)) form.append(k, String(v));
      form.append('formKey', `${String(n).padStart(8, '0')}-1f2d-4e5f-9a8b-7c6d5e4f3a2b`);
      for (const f of files) form.append('evidence', new Blob([new Uint8Array(f.bytes)]), f.name);
      return new Request(url, { method: 'POST', body: form });
    };
    const ip = '198.51.100.23';
    for (let n = 0; n < NO_POW_FORM_LIMIT.limit; n++) {
      const ok = await handleComplaintForm(withPow, post(n), url, ip, 'zh-CN');
      expect(ok.errors).toEqual([]);
    }
    const started = evidenceDecodes.stats().started;
    const state = await handleComplaintForm(withPow, post(99, [{ name: 'receipt.jpg', bytes: truncated }]), url, ip, 'en');
    expect(state.result).toBeNull();
    expect(state.errors).toEqual([{ path: '(body)', message: 'Too many requests. Please try again later.' }]);
    expect(state.refusal?.status).toBe(429);
    expect(evidenceDecodes.stats().started).toBe(started);
  });
});

describe('pixel budget, read from the headers', () => {
  it('one image over 80 megapixels → 422 at evidence.0 naming the limits, in the user’s language', async () => {
    const started = evidenceDecodes.stats().started;
    const res = await postMultipart(testApp(noPow), complaintBody({ mobile: nextMobile() }), [{ name: 'huge.jpg', bytes: await solid(9000, 9000) }], { 'accept-language': 'en' });
    const e = expectErrorShape(422, await res.json());
    expect(res.status).toBe(422);
    expect(e.issues).toEqual([
      { path: 'evidence.0', message: 'These images have too many pixels: at most 80 megapixels each and 100 megapixels in all; make the photos smaller and upload them again' },
    ]);
    expect(evidenceDecodes.stats().started).toBe(started);
  });

  it('images under 80 megapixels each but over 100 together → 422 at evidence, nothing decoded or stored', async () => {
    const started = evidenceDecodes.stats().started;
    const big = await solid(8000, 6500); // 52 MP
    const res = await postMultipart(testApp(noPow), complaintBody({ mobile: nextMobile() }), [
      { name: 'a.jpg', bytes: big },
      { name: 'b.jpg', bytes: big },
    ]);
    expect(res.status).toBe(422);
    expect(expectErrorShape(422, await res.json()).issues).toEqual([{ path: 'evidence', message: '图片像素过多：每张不超过8000万像素，所有图片合计不超过1亿像素；请把照片缩小后重新上传' }]);
    expect(evidenceDecodes.stats().started).toBe(started);
  });
});

describe('the decode queue is bounded', () => {
  it('runs at most `concurrent` tasks, queues at most `queued`, refuses the rest at once', async () => {
    const pool = new DecodePool(1, 1, 7);
    const releases: (() => void)[] = [];
    const blocker = () => new Promise<string>((r) => releases.push(() => r('done')));
    const a = pool.run(blocker);
    const b = pool.run(blocker);
    await Promise.resolve();
    expect(pool.stats()).toEqual({ active: 1, waiting: 1, started: 1 });
    await expect(pool.run(blocker)).rejects.toBeInstanceOf(DecodeQueueFull);
    releases.shift()!();
    expect(await a).toBe('done');
    await new Promise((r) => setImmediate(r));
    expect(pool.stats()).toEqual({ active: 1, waiting: 0, started: 2 });
    releases.shift()!();
    expect(await b).toBe('done');
    expect(pool.stats()).toEqual({ active: 0, waiting: 0, started: 2 });
    // A failing task frees its slot too.
    await expect(pool.run(() => Promise.reject(new Error('bad image')))).rejects.toThrow('bad image');
    expect(pool.stats().active).toBe(0);
  });

  it('a complaint with an image that finds the queue full → 503 with Retry-After; one without images is filed meanwhile', async () => {
    const app = testApp(noPow);
    // Occupy every running and waiting place of the process's queue.
    const releases: (() => void)[] = [];
    const held = Array.from({ length: EVIDENCE_DECODE.concurrent + EVIDENCE_DECODE.queued }, () => evidenceDecodes.run(() => new Promise<void>((r) => releases.push(r))));
    try {
      const res = await postMultipart(app, complaintBody({ mobile: nextMobile() }), [{ name: 'photo.jpg', bytes: photo }]);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe(String(EVIDENCE_DECODE.retryAfterSeconds));
      expect(await res.json()).toEqual({ error: { code: 'busy', message: '当前上传图片的人较多，请稍后再提交（已填写的内容不会丢失）。' } });
      expect((await postJson(app, '/api/complaints', complaintBody({ mobile: nextMobile() }))).status).toBe(201);
    } finally {
      while (releases.length || evidenceDecodes.stats().active) {
        releases.splice(0).forEach((r) => r());
        await new Promise((r) => setImmediate(r));
      }
      await Promise.all(held);
    }
    const res = await postMultipart(app, complaintBody({ mobile: nextMobile() }), [{ name: 'photo.jpg', bytes: photo }]);
    expect(res.status).toBe(201);
  });
});
