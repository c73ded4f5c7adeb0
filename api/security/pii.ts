/**
 * Personal data protection: encryption at rest, keyed lookup hashes, and masking for display.
 * Ciphertext format `v1.<iv>.<ciphertext+tag>` (base64url) so the scheme can be rotated later.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { Keys } from './keys.ts';

export interface Pii {
  encrypt(plain: string): string;
  decrypt(stored: string): string;
  /** Deterministic keyed hash of a normalised mobile number (for limits, bans, search). */
  mobileHash(mobile: string): string;
}

export function createPii(keys: Keys): Pii {
  return {
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
    mobileHash(mobile) {
      return createHmac('sha256', keys.lookup).update(normaliseMobile(mobile)).digest('base64url');
    },
  };
}

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
