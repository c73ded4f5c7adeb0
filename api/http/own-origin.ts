/**
 * Which browser origins count as this site's own for state-changing requests: PUBLIC_BASE_URL's
 * origin, and in demo mode also the same origin spelled with the other loopback name
 * (localhost ⇄ 127.0.0.1), since a demo is opened by whichever of the two the operator types.
 * Shared by the admin API's guard (api/staff/guard.ts) and the page-form check (api/server.ts).
 */
import type { Env } from '../env.ts';

const LOOPBACK = ['localhost', '127.0.0.1'];

export function ownOrigins(env: Pick<Env, 'PUBLIC_BASE_URL' | 'APP_MODE'>): Set<string> {
  const base = new URL(env.PUBLIC_BASE_URL);
  const out = new Set([base.origin]);
  if (env.APP_MODE === 'demo' && LOOPBACK.includes(base.hostname)) {
    for (const name of LOOPBACK) {
      const u = new URL(base.origin);
      u.hostname = name;
      out.add(u.origin);
    }
  }
  return out;
}

/** Whether an Origin header value names one of our own origins. */
export function isOwnOrigin(env: Pick<Env, 'PUBLIC_BASE_URL' | 'APP_MODE'>, origin: string): boolean {
  let o: string;
  try {
    o = new URL(origin).origin;
  } catch {
    return false;
  }
  return ownOrigins(env).has(o);
}
