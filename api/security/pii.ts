/**
 * Personal data protection: encryption at rest, keyed lookup hashes, and masking for display.
 * Text ciphertext format `v1.<iv>.<ciphertext+tag>` (base64url) so the scheme can be rotated later;
 * bytes (evidence files) are `enc1` + iv + ciphertext + tag, a prefix no stored file type starts with.
 *
 * What is encrypted at rest (AES-256-GCM, one operation per field): the parent's name and number,
 * the complaint's description, timeline notes (to the parent and internal), evidence files and
 * their original names, and the client IP of the parent's requests in the audit log. Where a limit
 * needs an IP it counts by a keyed hash of it (ipKey), never the address.
 *
 * `reveal`/`revealBytes` read both forms: rows written before this encryption existed are plain
 * until the start-up step (pii-at-rest.ts) has converted them, and a process of the previous
 * version may still write a few during a rolling restart. Telling them apart is safe: only our
 * key produces a value that passes GCM's authentication, so plain text is never mistaken for
 * ciphertext, and a ciphertext that fails it is an error, not "plain text".
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { Keys } from './keys.ts';

export interface Pii {
  encrypt(plain: string): string;
  decrypt(stored: string): string;
  /** A stored text that may predate encryption: decrypted if it is our ciphertext, as is otherwise. */
  reveal<T extends string | null | undefined>(stored: T): T;
  encryptBytes(plain: Uint8Array): Buffer;
  /** Stored bytes that may predate encryption (legacy evidence files start with their own magic). */
  revealBytes(stored: Buffer): Buffer;
  /** Keyed hash of a client IP, for rate-limit keys (the address itself is never stored there). */
  ipKey(ip: string): string;
  /** Deterministic keyed hash of a normalised mobile number (for limits, bans, search). */
  mobileHash(mobile: string): string;
}

export function createPii(keys: Keys): Pii {
  const pii: Pii = {
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keys.pii, iv);
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `v1.${iv.toString('base64url')}.${ct.toString('base64url')}`;
    },
    decrypt(stored) {
      const [v, ivB64, ctB64] = stored.split('.');
      if (v !== 'v1' || !ivB64 || !ctB64) throw new Error('unknown ciphertext format');
      const data = Buffer.from(ctB64, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', keys.pii, Buffer.from(ivB64, 'base64url'));
      decipher.setAuthTag(data.subarray(data.length - 16));
      return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
    },
    reveal<T extends string | null | undefined>(stored: T): T {
      return (typeof stored === 'string' && isCiphertext(stored) ? pii.decrypt(stored) : stored) as T;
    },
    encryptBytes(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keys.pii, iv);
      return Buffer.concat([BYTES_MAGIC, iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    },
    revealBytes(stored) {
      if (!isEncryptedBytes(stored)) return stored;
      const iv = stored.subarray(4, 16);
      const decipher = createDecipheriv('aes-256-gcm', keys.pii, iv);
      decipher.setAuthTag(stored.subarray(stored.length - 16));
      return Buffer.concat([decipher.update(stored.subarray(16, stored.length - 16)), decipher.final()]);
    },
    mobileHash(mobile) {
      return createHmac('sha256', keys.lookup).update(normaliseMobile(mobile)).digest('base64url');
    },
    ipKey(ip) {
      return createHmac('sha256', keys.lookup).update(`ip\0${ip}`).digest('base64url');
    },
  };
  return pii;
}

const CIPHERTEXT = /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$/;
/** Whether a stored text has the shape of our ciphertext (12-byte IV, at least the 16-byte tag). */
export const isCiphertext = (stored: string) => CIPHERTEXT.test(stored);

const BYTES_MAGIC = Buffer.from('enc1', 'latin1');
/** Whether stored bytes are our ciphertext (evidence files start with JPEG/PNG/PDF magic instead). */
export const isEncryptedBytes = (stored: Uint8Array) => stored.length >= 32 && BYTES_MAGIC.every((b, i) => stored[i] === b);

/** +86 138 0013 8000 → 13800138000 */
export function normaliseMobile(raw: string): string {
  return raw.replace(/[\s-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, '');
}

/** 13812345678 → 138****5678 */
export function maskMobile(mobile: string): string {
  const m = normaliseMobile(mobile);
  return m.length === 11 ? `${m.slice(0, 3)}****${m.slice(7)}` : '****';
}

/** 张小明 → 张** ; Li Ming → L*** */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length === 0) return '';
  return chars[0] + '*'.repeat(Math.max(1, Math.min(chars.length - 1, 3)));
}
