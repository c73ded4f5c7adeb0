/**
 * Evidence files a parent attaches to a complaint (contract, receipts, chat screenshots).
 *
 * - The type is recognised from the file's first bytes (magic numbers), never from the name or the
 *   Content-Type the client claims: a renamed .exe is refused, a photo called "合同" is accepted.
 * - Images are decoded and re-encoded with sharp. Re-encoding (rather than deleting known tags) is
 *   what guarantees EXIF, GPS, XMP, IPTC and comment chunks are gone: only pixels survive. The EXIF
 *   orientation is applied first, so a phone photo does not end up sideways once the tag is gone.
 * - PDFs are stored as they are (re-writing them would need a PDF library and could alter what the
 *   parent signed); staff download them as attachments, never render them inline. A file that
 *   starts with "%PDF-" must also have a PDF's skeleton (objects, a cross-reference table or
 *   stream, an end-of-file marker), so a renamed script or page with a PDF header is refused.
 * - Decoding is the one expensive step of intake, so it comes last and is rationed: the caller
 *   runs it only after the proof-of-work and the rate limits (fileComplaint, file-complaint.ts), after the
 *   images' dimensions were read from their headers and held to a per-request pixel budget
 *   (measureEvidence), and through one bounded queue for the whole process (evidenceDecodes).
 *
 * Limits (EVIDENCE_LIMITS) are the ones the form and every error message name.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { MessageKey } from '../lib/messages.ts';

export const EVIDENCE_LIMITS = {
  maxFiles: 5,
  maxFileBytes: 10 * 1024 * 1024,
  /**
   * Decoded pixels an image may have. 80 MP covers 48/50 MP phone cameras; beyond it a small file
   * can be a decompression bomb (a 10 MB PNG of one colour can claim billions of pixels).
   */
  maxInputPixels: 80_000_000,
  /**
   * Decoded pixels all images of one request may have together: one 80 MP photo plus a few
   * screenshots, or five ordinary 12–20 MP phone photos. Five 80 MP images would cost seconds of
   * CPU and over a gigabyte of pixel buffers for one anonymous request.
   */
  maxTotalPixels: 100_000_000,
} as const;

/**
 * How many requests may decode images at once, and how many may wait for their turn. One at a
 * time (each on one libvips thread, see sharp.concurrency below) leaves the other core of a small
 * server to answer everything else; a request that finds the queue full gets 503 + Retry-After
 * instead of a place in a queue that would grow without end.
 */
export const EVIDENCE_DECODE = { concurrent: 1, queued: 8, retryAfterSeconds: 10 } as const;

// sharp runs every pipeline on libuv's pool; by default libvips would also split one image over
// every core. One thread per image keeps a decode from taking the whole machine.
sharp.concurrency(1);

export type EvidenceMime = 'image/jpeg' | 'image/png' | 'application/pdf';

export const EVIDENCE_FIELD = 'evidence';

/** A file as it arrived: the client's name and bytes (its Content-Type is ignored). */
export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

/** A file ready to store: what the attachments table holds, plus the hash of what the client sent. */
export interface EvidenceFile {
  originalName: string;
  mime: EvidenceMime;
  /** Stored bytes: re-encoded for images, unchanged for PDFs. */
  content: Buffer;
  /** sha256 of `content`. */
  sha256: string;
  /** sha256 of the bytes as uploaded: part of the idempotency fingerprint (a retry sends the same). */
  sourceSha256: string;
}

export interface EvidenceIssue {
  path: string;
  key: MessageKey;
}

const startsWith = (b: Uint8Array, sig: number[]) => b.length >= sig.length && sig.every((v, i) => b[i] === v);

/** The type the content really is, or null. */
export function sniffEvidenceType(bytes: Uint8Array): EvidenceMime | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf'; // "%PDF-"
  return null;
}

const EXT: Record<EvidenceMime, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'application/pdf': 'pdf' };

/**
 * The only name a stored file is ever served under: `<tracking code>-<n>.<ext>`, n its place in
 * the case counted from 1, the extension from the type recognised here (never the parent's name).
 */
export const evidenceDownloadName = (trackingCode: string, position: number, mime: EvidenceMime) => `${trackingCode}-${position}.${EXT[mime]}`;

// Control characters and bidi overrides (a name like "invoice\u202Egpj.exe" must not display as .jpg).
const UNSAFE_NAME = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

/**
 * A display name that is safe to show and to put in a Content-Disposition header later: no folder
 * part (old browsers send C:\fakepath\…), no control or bidi characters, at most 100 characters.
 */
export function safeFileName(name: string, index: number, mime: EvidenceMime): string {
  const base = name.normalize('NFC').split(/[\\/]/).pop()!.replace(UNSAFE_NAME, '').trim().slice(-100);
  return base && base !== '.' && base !== '..' ? base : `evidence-${index + 1}.${EXT[mime]}`;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * Whether bytes that start like a PDF have a PDF's structure: at least one indirect object
 * ("1 0 obj"), a cross-reference table ("xref" on a line of its own) or cross-reference stream
 * ("/XRef"), and "%%EOF" near the end (readers look for it in the last kilobyte). Not a parser —
 * just enough that a script, a web page or a truncated upload with a "%PDF-" header is refused.
 */
export function hasPdfStructure(bytes: Uint8Array): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!startsWith(buf, [0x25, 0x50, 0x44, 0x46, 0x2d])) return false;
  if (buf.subarray(Math.max(0, buf.length - 1024)).indexOf('%%EOF', 0, 'latin1') < 0) return false;
  const text = buf.toString('latin1');
  const xref = /(?:^|[\r\n])xref[ \t]*[\r\n]/.test(text) || /\/Type\s*\/XRef\b/.test(text);
  return xref && hasIndirectObject(text);
}

/**
 * "<number> <generation> obj" somewhere. By hand rather than one regular expression: a pattern
 * like /\d+\s+\d+\s+obj/ backtracks quadratically over a 10 MB run of digits.
 */
function hasIndirectObject(text: string): boolean {
  const ws = (c: string | undefined) => c === ' ' || c === '\r' || c === '\n' || c === '\t';
  const digit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  for (let at = text.indexOf('obj'); at >= 0; at = text.indexOf('obj', at + 3)) {
    let i = at - 1;
    if (!ws(text[i])) continue;
    while (ws(text[i])) i--;
    if (!digit(text[i])) continue;
    while (digit(text[i])) i--;
    if (!ws(text[i])) continue;
    while (ws(text[i])) i--;
    if (digit(text[i])) return true;
  }
  return false;
}

/**
 * Cheap checks on every file (count, size, magic bytes, PDF structure) without decoding anything,
 * so a form with both bad fields and a bad file reports all of them at once.
 */
export function checkEvidence(files: UploadedFile[]): EvidenceIssue[] {
  const issues: EvidenceIssue[] = [];
  if (files.length > EVIDENCE_LIMITS.maxFiles) issues.push({ path: EVIDENCE_FIELD, key: 'evidence_too_many' });
  files.forEach((f, i) => {
    const path = `${EVIDENCE_FIELD}.${i}`;
    const mime = f.bytes.length > EVIDENCE_LIMITS.maxFileBytes ? null : sniffEvidenceType(f.bytes);
    if (f.bytes.length > EVIDENCE_LIMITS.maxFileBytes) issues.push({ path, key: 'evidence_too_large' });
    else if (!mime) issues.push({ path, key: 'evidence_type' });
    else if (mime === 'application/pdf' && !hasPdfStructure(f.bytes)) issues.push({ path, key: 'evidence_pdf_invalid' });
  });
  return issues;
}

const isImage = (m: EvidenceMime | null): m is 'image/jpeg' | 'image/png' => m === 'image/jpeg' || m === 'image/png';

/** Whether any file will be decoded (images are; PDFs are stored as sent). */
export const needsDecoding = (files: readonly UploadedFile[]) => files.some((f) => isImage(sniffEvidenceType(f.bytes)));

/**
 * The images' dimensions, read from their headers only (no pixel is decoded), against the
 * per-image and per-request pixel budgets. A header that cannot be read is reported as unreadable.
 */
export async function measureEvidence(files: readonly UploadedFile[]): Promise<EvidenceIssue[]> {
  const issues: EvidenceIssue[] = [];
  let total = 0;
  for (const [i, f] of files.entries()) {
    if (!isImage(sniffEvidenceType(f.bytes))) continue;
    const path = `${EVIDENCE_FIELD}.${i}`;
    try {
      // limitInputPixels off: here we want the dimensions of an image however large it claims to be.
      const { width, height } = await sharp(f.bytes, { limitInputPixels: false, animated: false }).metadata();
      const pixels = (width ?? 0) * (height ?? 0);
      if (!pixels) issues.push({ path, key: 'evidence_unreadable' });
      else if (pixels > EVIDENCE_LIMITS.maxInputPixels) issues.push({ path, key: 'evidence_pixels' });
      total += pixels;
    } catch {
      issues.push({ path, key: 'evidence_unreadable' });
    }
  }
  if (total > EVIDENCE_LIMITS.maxTotalPixels && !issues.some((x) => x.key === 'evidence_pixels')) issues.push({ path: EVIDENCE_FIELD, key: 'evidence_pixels' });
  return issues;
}

/** The decode queue is full: answer 503 with Retry-After (the caller's business). */
export class DecodeQueueFull extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('evidence decode queue full');
  }
}

/**
 * A counting semaphore with a bounded waiting line. `run` starts the task when fewer than
 * `concurrent` run, queues it when fewer than `queued` wait, and otherwise refuses at once with
 * DecodeQueueFull: under a flood, memory and latency stay bounded and the excess is told to retry.
 */
export class DecodePool {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** Tasks started since the pool was made (health checks, tests). */
  started = 0;

  constructor(
    readonly concurrent: number,
    readonly queued: number,
    readonly retryAfterSeconds: number = EVIDENCE_DECODE.retryAfterSeconds,
  ) {}

  stats() {
    return { active: this.active, waiting: this.waiting.length, started: this.started };
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrent) {
      if (this.waiting.length >= this.queued) throw new DecodeQueueFull(this.retryAfterSeconds);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.active++;
    // A slot is ours here: either taken above or handed over by the task that finished.
    this.started++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight on; `active` stays the same
      else this.active--;
    }
  }
}

/** The process's one decode queue (sharp's threads are per process, so is the budget). */
export const evidenceDecodes = new DecodePool(EVIDENCE_DECODE.concurrent, EVIDENCE_DECODE.queued);

async function reencode(bytes: Uint8Array, mime: 'image/jpeg' | 'image/png'): Promise<Buffer> {
  // failOn 'error': a truncated or corrupt image is refused rather than stored half-grey.
  const img = sharp(bytes, { limitInputPixels: EVIDENCE_LIMITS.maxInputPixels, failOn: 'error', animated: false });
  const meta = await img.metadata();
  // The magic bytes said JPEG/PNG; the decoder must agree (a PNG header glued onto a GIF is not a PNG).
  if (meta.format !== (mime === 'image/jpeg' ? 'jpeg' : 'png')) throw new Error('format mismatch');
  // rotate() with no angle applies the EXIF orientation. sharp writes no metadata unless asked
  // (no withMetadata/keepMetadata here), so EXIF, GPS, XMP, IPTC and ICC are all dropped.
  const out = img.rotate();
  // Plain libjpeg-turbo, not mozjpeg: mozjpeg's trellis quantisation saves ~10 % of bytes but costs
  // several times the CPU per photo, and on a two-core server that CPU is taken from everyone else
  // (bench:evidence: a normal complaint's p99 under 12 parallel 5 × 20 MP posts went from 362 ms to
  // 162–167 ms without it).
  return mime === 'image/jpeg' ? out.jpeg({ quality: 85 }).toBuffer() : out.png({ compressionLevel: 9 }).toBuffer();
}

/**
 * Decode, clean and hash files that passed checkEvidence (and, for images, measureEvidence and the
 * caller's gate). Runs before the database transaction: image work is CPU-heavy and must not hold
 * the write lock. Images are decoded through `pool` (one slot for the request's files together);
 * throws DecodeQueueFull when its queue is full.
 */
export async function prepareEvidence(
  files: readonly UploadedFile[],
  pool: DecodePool = evidenceDecodes,
): Promise<{ ok: true; files: EvidenceFile[] } | { ok: false; issues: EvidenceIssue[] }> {
  return needsDecoding(files) ? pool.run(() => cleanFiles(files)) : cleanFiles(files);
}

async function cleanFiles(files: readonly UploadedFile[]): Promise<{ ok: true; files: EvidenceFile[] } | { ok: false; issues: EvidenceIssue[] }> {
  const issues: EvidenceIssue[] = [];
  const prepared: EvidenceFile[] = [];
  for (const [i, f] of files.entries()) {
    const mime = sniffEvidenceType(f.bytes);
    if (!mime) {
      issues.push({ path: `${EVIDENCE_FIELD}.${i}`, key: 'evidence_type' });
      continue;
    }
    let content: Buffer;
    if (mime === 'application/pdf') content = Buffer.from(f.bytes);
    else {
      try {
        content = await reencode(f.bytes, mime);
      } catch {
        issues.push({ path: `${EVIDENCE_FIELD}.${i}`, key: 'evidence_unreadable' });
        continue;
      }
    }
    prepared.push({ originalName: safeFileName(f.name, i, mime), mime, content, sha256: sha256(content), sourceSha256: sha256(f.bytes) });
  }
  return issues.length ? { ok: false, issues } : { ok: true, files: prepared };
}
