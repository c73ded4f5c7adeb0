/**
 * Password hashing with argon2id through @node-rs/argon2 (maintained Rust binding with prebuilt
 * binaries for every platform, no node-gyp; parameters per OWASP's argon2id recommendation).
 */
import { hash, verify } from '@node-rs/argon2';

/** `Algorithm.Argon2id` — the package exports a const enum, which isolated modules cannot read. */
const ARGON2ID = 2;

const PARAMS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string): Promise<string> => hash(password, PARAMS);

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** A hash to verify against when the username is unknown, so timing does not reveal accounts. */
let dummy: Promise<string> | null = null;
export const dummyHash = () => (dummy ??= hashPassword('not-a-real-password-0000'));
