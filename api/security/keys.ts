/**
 * Key material. One 32-byte DATA_KEY (env) is expanded with HKDF into independent keys per use,
 * so rotating or leaking one derived key does not expose the others. In demo mode without a
 * DATA_KEY, a random dev key is generated once into DATA_DIR/dev-data-key (0600) and reused.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Env } from '../env.ts';

export interface Keys {
  /** AES-256-GCM key for personal data at rest. */
  pii: Buffer;
  /** HMAC key for lookup hashes of mobile numbers. */
  lookup: Buffer;
  /** HMAC key for proof-of-work challenges. */
  pow: Buffer;
}

export function deriveKeys(master: Buffer): Keys {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
  return { pii: derive('pii-aes-gcm-v1'), lookup: derive('mobile-lookup-hmac-v1'), pow: derive('intake-pow-hmac-v1') };
}

export function loadMasterKey(env: Pick<Env, 'DATA_KEY' | 'APP_MODE' | 'DATA_DIR'>): Buffer {
  if (env.DATA_KEY) return Buffer.from(env.DATA_KEY, 'base64');
  if (env.APP_MODE === 'production') throw new Error('DATA_KEY is required in production');
  const file = join(env.DATA_DIR, 'dev-data-key');
  if (!existsSync(file)) {
    mkdirSync(env.DATA_DIR, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  // A key file left readable by others (an older version, a copy) is narrowed to the owner.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}
