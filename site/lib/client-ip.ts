/** The client IP for rate limits on on-demand pages, with the same proxy rule as the API. */
import type { Deps } from '../../api/deps.ts';

export function clientIp(deps: Deps, request: Request, clientAddress: string | undefined): string | null {
  if (deps.env.TRUST_PROXY === 'on') {
    const xff = request.headers.get('x-forwarded-for');
    if (xff) return xff.split(',')[0]!.trim() || null;
  }
  return clientAddress ?? null;
}
