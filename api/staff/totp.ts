/**
 * TOTP (RFC 6238, 30 s, 6 digits) through otplib, with the step of the last accepted code kept
 * per account so a code cannot be used twice.
 */
import { generateSecret, generateSync, generateURI, verifySync, ScureBase32Plugin } from 'otplib';

export const newTotpSecret = (): string => generateSecret({ length: 20 });

export function totpAt(secret: string, at: Date): string {
  return generateSync({ secret, epoch: Math.floor(at.getTime() / 1000) });
}

/** Returns the accepted time step, or null. Allows one step of clock drift either way. */
export function checkTotp(secret: string, token: string, at: Date, lastStep: number | null): number | null {
  if (!/^\d{6}$/.test(token)) return null;
  const epoch = Math.floor(at.getTime() / 1000);
  const r = verifySync({ secret, token, epoch, epochTolerance: 30 });
  if (!r.valid) return null;
  const step = Math.floor(epoch / 30) + (r.delta ?? 0);
  return lastStep !== null && step <= lastStep ? null : step;
}

export const totpUri = (secret: string, username: string) => generateURI({ issuer: '校外培训监管平台', label: username, secret });

/** Deterministic base32 secret from bytes (demo accounts only, so the README can list them). */
export const base32Secret = (bytes: Uint8Array) => new ScureBase32Plugin().encode(bytes).replace(/=+$/, '');
