/**
 * Helpers for intake tests: multipart requests with evidence files, sample files made on the spot
 * (a phone photo with EXIF + GPS, a screenshot PNG, a small PDF), the error-shape check and a
 * snapshot of row counts to prove a refused request left nothing behind.
 */
import sharp from 'sharp';
import { expect } from 'vitest';
import type { createApp } from '../../api/app.ts';
import type { Deps } from '../../api/deps.ts';

type App = ReturnType<typeof createApp>;

export interface FilePart {
  name: string;
  bytes: Uint8Array;
  /** What the client claims; the server must ignore it. */
  type?: string;
}

export function multipartBody(fields: Record<string, unknown>, files: FilePart[] = [], fileField = 'evidence'): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    form.append(k, String(v));
  }
  for (const f of files) form.append(fileField, new File([f.bytes as Uint8Array<ArrayBuffer>], f.name, { type: f.type ?? 'application/octet-stream' }));
  return form;
}

export function postMultipart(app: App, fields: Record<string, unknown>, files: FilePart[] = [], headers: Record<string, string> = {}) {
  return app.request('/api/complaints', { method: 'POST', body: multipartBody(fields, files), headers });
}

/** A phone photo: JPEG with camera make, EXIF orientation 6 (taken sideways) and a GPS position. */
export async function jpegWithGps(width = 64, height = 32): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#c33' } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .withExifMerge({
      IFD0: { Make: 'TestPhone', Model: 'Evidence Cam' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '36/1 49/1 12/1', GPSLongitudeRef: 'E', GPSLongitude: '118/1 18/1 0/1' },
    })
    .toBuffer();
}

/** A screenshot-like PNG carrying an eXIf chunk with a GPS position. */
export async function pngWithExif(): Promise<Buffer> {
  return sharp({ create: { width: 40, height: 30, channels: 4, background: '#3a6' } })
    .png()
    .withExifMerge({ IFD0: { Make: 'TestPhone' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '36/1 49/1 12/1' } })
    .toBuffer();
}

/**
 * The smallest PDF a viewer opens: objects, a cross-reference table, a trailer and %%EOF (intake
 * checks that skeleton, see hasPdfStructure in api/intake/evidence.ts).
 */
export function samplePdf(text = 'contract'): Buffer {
  const objects = ['<</Type/Catalog/Pages 2 0 R>>', '<</Type/Pages/Kids[3 0 R]/Count 1>>', '<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>'];
  let body = `%PDF-1.4\n% ${text}\n`;
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xrefAt = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<</Size ${objects.length + 1}/Root 1 0 R>>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** GPS IFD pointer tag (0x8825) as it appears in little- or big-endian EXIF. */
export function hasGpsPointer(exif: Buffer | undefined): boolean {
  return !!exif && (exif.includes(Buffer.from([0x25, 0x88])) || exif.includes(Buffer.from([0x88, 0x25])));
}

export interface ErrorShape {
  code: string;
  message: string;
  issues?: { path: string; message: string }[];
}

/** Every 4xx answers { error: { code, message, issues? } } and nothing else; 422 carries issue paths. */
export function expectErrorShape(status: number, body: unknown): ErrorShape {
  expect(status).toBeGreaterThanOrEqual(400);
  expect(status).toBeLessThan(500);
  expect(body).toBeTypeOf('object');
  expect(Object.keys(body as object)).toEqual(['error']);
  const e = (body as { error: ErrorShape }).error;
  expect(typeof e.code).toBe('string');
  expect(typeof e.message).toBe('string');
  expect(e.message.length).toBeGreaterThan(0);
  for (const k of Object.keys(e)) expect(['code', 'message', 'issues']).toContain(k);
  if (status === 422) {
    expect(Array.isArray(e.issues)).toBe(true);
    expect(e.issues!.length).toBeGreaterThan(0);
  }
  for (const i of e.issues ?? []) {
    expect(Object.keys(i).sort()).toEqual(['message', 'path']);
    expect(typeof i.path).toBe('string');
    expect(i.path.length).toBeGreaterThan(0);
    expect(typeof i.message).toBe('string');
  }
  return e;
}

/** Tables a complaint submission writes to. */
export const INTAKE_TABLES = ['complaints', 'complaint_events', 'complaint_co_handlers', 'outbox', 'audit_log', 'attachments', 'clusters', 'idempotency_keys', 'pow_spent', 'rate_limits'] as const;

export async function rowCounts(deps: Deps, tables: readonly string[] = INTAKE_TABLES): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of tables) {
    const r = await deps.db.readClient.execute(`SELECT count(*) AS n FROM ${table}`);
    out[table] = Number(r.rows[0]!.n);
  }
  return out;
}
