/**
 * The client's IP address, the one rule for the whole product: the API (api/app.ts) and the
 * on-demand pages (site/lib/client-ip.ts) both ask here, for rate limits and the audit log.
 *
 * Without TRUST_PROXY the socket's peer is the client. With it, X-Forwarded-For is read from the
 * right: each proxy appends the address it received the request from, so the right-most address
 * that is not one of TRUSTED_PROXIES is the first hop no proxy of ours vouches for — the client.
 * The left-most entry is whatever the client chose to write there and is never trusted on its own.
 */
import { BlockList, isIP } from 'node:net';

export interface ClientIpInput {
  trustProxy: boolean;
  /** TRUSTED_PROXIES: comma-separated addresses and CIDR ranges. */
  trustedProxies: string;
  forwardedFor: string | null | undefined;
  remoteAddress: string | null | undefined;
  /**
   * No socket at all: an in-process call (Hono's app.request(), as the API tests make). There is
   * no peer to distrust, so the header is read as if a trusted proxy had sent it. Never set for a
   * request that came over the network: a socket whose address is gone is not this.
   */
  inProcess?: boolean;
}

/** `::ffff:10.0.0.1` → `10.0.0.1`; brackets and a port dropped (`[::1]:443`, `10.0.0.1:80`). */
export function normaliseIp(raw: string): string | null {
  let a = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (bracketed) a = bracketed[1]!;
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(':'));
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(a);
  if (mapped) a = mapped[1]!;
  return isIP(a) ? a.toLowerCase() : null;
}

/** Parses TRUSTED_PROXIES; throws with the offending entry (api/env.ts reports it at start). */
export function parseTrustedProxies(spec: string): BlockList {
  const list = new BlockList();
  for (const entry of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [addr, bits, extra] = entry.split('/');
    const ip = addr ? normaliseIp(addr) : null;
    const family = ip && isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    const prefix = bits === undefined ? null : Number(bits);
    if (!ip || extra !== undefined || (prefix !== null && (!/^\d{1,3}$/.test(bits!) || prefix > (family === 'ipv6' ? 128 : 32)))) {
      throw new Error(`not an IP address or CIDR range: ${entry}`);
    }
    if (prefix === null) list.addAddress(ip, family);
    else list.addSubnet(ip, prefix, family);
  }
  return list;
}

const lists = new Map<string, BlockList>();
function trusted(spec: string): BlockList {
  let list = lists.get(spec);
  if (!list) {
    list = parseTrustedProxies(spec);
    lists.set(spec, list);
  }
  return list;
}

const isTrusted = (list: BlockList, ip: string) => list.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');

export function clientIpFrom(input: ClientIpInput): string | null {
  const peer = input.remoteAddress ? normaliseIp(input.remoteAddress) : null;
  if (!input.trustProxy || !input.forwardedFor || (!peer && !input.inProcess)) return peer;
  const list = trusted(input.trustedProxies);
  // A peer that is not one of our proxies is the client, whatever its header says.
  if (peer && !isTrusted(list, peer)) return peer;
  let client = peer;
  const hops = input.forwardedFor.split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const ip = normaliseIp(hops[i]!);
    // Not an address: written by the client, not by a proxy; the last proxy's peer is all we know.
    if (!ip) return client;
    client = ip;
    if (!isTrusted(list, ip)) return ip;
  }
  return client; // every hop is one of ours: the left-most is as close to the client as we get
}
