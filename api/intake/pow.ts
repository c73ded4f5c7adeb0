/**
 * Self-hosted proof-of-work for complaint intake (no third-party CAPTCHA: parents in WeChat's
 * browser cannot reach most of them, and it would send their visit to an outside service).
 *
 * Issuing is stateless: a challenge is `p1.<id>.<expiresAtMs>.<difficulty>.<hmac>`, signed with
 * deps.keys.pow, so any app process can issue and verify without a database round trip. Spending
 * is not: intake records the id in pow_spent inside the complaint's own transaction, so a solved
 * challenge files one complaint only (a replay gets 422 at `pow`).
 *
 * Difficulty: measured with api/intake/pow-solve.ts (WebCrypto, batches of 64) at ~75k
 * hashes/s in desktop Chromium on the project's 2-core machine and ~32k/s in Node 22; WebCrypto's
 * per-call overhead, not SHA-256 itself, is the limit. 15 bits = 32,768 hashes on average:
 * ~0.45 s there, roughly 1 s on a mid-range phone. Raise it if abuse shows up; the difficulty is
 * part of the signed challenge, so a change applies to challenges issued from then on.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { leadingZeroBits } from './pow-solve.ts';

export const POW_DIFFICULTY = 15;
export const POW_TTL_MS = 10 * 60_000;

export interface Challenge {
  challenge: string;
  difficulty: number;
  /** ISO instant after which the challenge is refused (fetch a new one when submitting later). */
  expiresAt: string;
}

const VERSION = 'p1';
const mac = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest('base64url');

export function issueChallenge(key: Buffer, now: Date, difficulty = POW_DIFFICULTY): Challenge {
  const id = randomBytes(16).toString('base64url');
  const expiresAtMs = now.getTime() + POW_TTL_MS;
  const payload = `${VERSION}.${id}.${expiresAtMs}.${difficulty}`;
  return { challenge: `${payload}.${mac(key, payload)}`, difficulty, expiresAt: new Date(expiresAtMs).toISOString() };
}

export type PowCheck = { ok: true; challengeId: string; expiresAt: Date } | { ok: false; reason: 'missing' | 'malformed' | 'signature' | 'expired' | 'too_easy' | 'work' };

/**
 * Checks a `pow` field (`challenge:nonce`): our signature, not expired, at least the current
 * difficulty, and the hash really has the leading zero bits. Does not check spending (the caller's
 * transaction does, against pow_spent).
 */
export function verifyPow(key: Buffer, solution: string | undefined, now: Date, minDifficulty = POW_DIFFICULTY): PowCheck {
  if (!solution) return { ok: false, reason: 'missing' };
  const colon = solution.lastIndexOf(':');
  const challenge = solution.slice(0, colon);
  const nonce = solution.slice(colon + 1);
  const parts = challenge.split('.');
  if (colon < 0 || parts.length !== 5 || parts[0] !== VERSION || !/^[0-9a-z]{1,16}$/.test(nonce)) return { ok: false, reason: 'malformed' };
  const [, id, exp, diff, sig] = parts as [string, string, string, string, string];
  if (!/^[A-Za-z0-9_-]{22}$/.test(id) || !/^\d{1,15}$/.test(exp) || !/^\d{1,2}$/.test(diff)) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(mac(key, `${VERSION}.${id}.${exp}.${diff}`));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature' };
  const expiresAt = new Date(Number(exp));
  if (expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  const difficulty = Number(diff);
  if (difficulty < minDifficulty) return { ok: false, reason: 'too_easy' };
  const hash = createHash('sha256').update(`${challenge}:${nonce}`).digest();
  if (leadingZeroBits(hash) < difficulty) return { ok: false, reason: 'work' };
  return { ok: true, challengeId: id, expiresAt };
}
