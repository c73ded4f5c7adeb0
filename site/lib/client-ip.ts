/**
 * The client IP for rate limits and the audit log on on-demand pages: the API's one rule
 * (api/http/client-ip.ts). Astro.clientAddress is the socket's peer here: Astro only puts an
 * X-Forwarded-For value there for hosts in `security.allowedDomains`, which astro.config.mjs
 * does not set.
 */
import type { Deps } from '../../api/deps.ts';
import { clientIpFrom } from '../../api/http/client-ip.ts';

export function clientIp(deps: Deps, request: Request, clientAddress: string | undefined): string | null {
  return clientIpFrom({
    trustProxy: deps.env.TRUST_PROXY === 'on',
    trustedProxies: deps.env.TRUSTED_PROXIES,
    forwardedFor: request.headers.get('x-forwarded-for'),
    remoteAddress: clientAddress,
  });
}
