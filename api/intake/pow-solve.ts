/**
 * Proof-of-work solver for the complaint form, run in the parent's browser (and in Node 22 tests).
 * Pure and dependency-free: only WebCrypto (`crypto.subtle.digest`) and TextEncoder, so the form
 * island may import it (no node: modules, nothing from the server).
 *
 * The work: find a nonce such that sha256(`${challenge}:${nonce}`) starts with `difficulty` zero
 * bits; the answer sent in the form's `pow` field is `${challenge}:${nonce}`. On average that takes
 * 2^difficulty hashes. subtle.digest is asynchronous and its per-call overhead dominates for such
 * short inputs, so hashes are started in batches and awaited together.
 */

/** Number of leading zero bits of a hash. Shared with the server's verifier (api/intake/pow.ts). */
export function leadingZeroBits(hash: Uint8Array): number {
  let bits = 0;
  for (const byte of hash) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

export interface SolveOptions {
  /** Stop early (the parent left the page). */
  signal?: AbortSignal;
  /** Digests started at once; 64 keeps a phone's UI responsive between batches. */
  batchSize?: number;
  /** For progress displays: called after every batch with the number of hashes tried. */
  onProgress?: (tried: number) => void;
}

/** Solves a challenge from GET /api/complaints/challenge; resolves to the `pow` field's value. */
export async function solvePow(challenge: string, difficulty: number, opts: SolveOptions = {}): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('WebCrypto is not available (the page must be served over HTTPS or from localhost)');
  const encoder = new TextEncoder();
  const batchSize = opts.batchSize ?? 64;
  const prefix = `${challenge}:`;
  for (let start = 0; ; start += batchSize) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
    const nonces = Array.from({ length: batchSize }, (_, i) => (start + i).toString(36));
    const hashes = await Promise.all(nonces.map((n) => subtle.digest('SHA-256', encoder.encode(prefix + n))));
    for (let i = 0; i < hashes.length; i++) {
      if (leadingZeroBits(new Uint8Array(hashes[i]!)) >= difficulty) return prefix + nonces[i]!;
    }
    opts.onProgress?.(start + batchSize);
  }
}
