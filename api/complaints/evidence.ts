/**
 * Evidence files a parent attaches to a complaint (contract, receipts, chat screenshots).
 *
 * - The type is recognised from the file's first bytes (magic numbers), never from the name or the
 *   Content-Type the client claims: a renamed .exe is refused, a photo called "合同" is accepted.
 * - Images are decoded and re-encoded with sharp. Re-encoding (rather than deleting known tags) is
 *   what guarantees EXIF, GPS, XMP, IPTC and comment chunks are gone: only pixels survive. The EXIF
 *   orientation is applied first, so a phone photo does not end up sideways once the tag is gone.
 * - PDFs are stored as they are (re-writing them would need a PDF library and could alter what the
 *   parent signed); staff download them as attachments, never render them inline.
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
} as const;

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
 * Cheap checks on every file (count, size, magic bytes) without decoding anything, so a form with
 * both bad fields and a bad file reports all of them at once.
 */
export function checkEvidence(files: UploadedFile[]): EvidenceIssue[] {
  const issues: EvidenceIssue[] = [];
  if (files.length > EVIDENCE_LIMITS.maxFiles) issues.push({ path: EVIDENCE_FIELD, key: 'evidence_too_many' });
  files.forEach((f, i) => {
    const path = `${EVIDENCE_FIELD}.${i}`;
    if (f.bytes.length > EVIDENCE_LIMITS.maxFileBytes) issues.push({ path, key: 'evidence_too_large' });
    else if (!sniffEvidenceType(f.bytes)) issues.push({ path, key: 'evidence_type' });
  });
  return issues;
}

async function reencode(bytes: Uint8Array, mime: 'image/jpeg' | 'image/png'): Promise<Buffer> {
  // failOn 'error': a truncated or corrupt image is refused rather than stored half-grey.
  const img = sharp(bytes, { limitInputPixels: EVIDENCE_LIMITS.maxInputPixels, failOn: 'error', animated: false });
  const meta = await img.metadata();
  // The magic bytes said JPEG/PNG; the decoder must agree (a PNG header glued onto a GIF is not a PNG).
  if (meta.format !== (mime === 'image/jpeg' ? 'jpeg' : 'png')) throw new Error('format mismatch');
  // rotate() with no angle applies the EXIF orientation. sharp writes no metadata unless asked
  // (no withMetadata/keepMetadata here), so EXIF, GPS, XMP, IPTC and ICC are all dropped.
  const out = img.rotate();
  return mime === 'image/jpeg' ? out.jpeg({ quality: 85, mozjpeg: true }).toBuffer() : out.png({ compressionLevel: 9 }).toBuffer();
}

/**
 * Decode, clean and hash files that passed checkEvidence. Runs before the database transaction:
 * image work is CPU-heavy and must not hold the write lock.
 */
export async function prepareEvidence(files: UploadedFile[]): Promise<{ ok: true; files: EvidenceFile[] } | { ok: false; issues: EvidenceIssue[] }> {
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
