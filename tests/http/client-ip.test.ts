/**
 * The client IP rule (api/http/client-ip.ts), used by the API and the on-demand pages alike:
 * behind a proxy the client is the right-most X-Forwarded-For address that is not one of
 * TRUSTED_PROXIES — a client that writes its own X-Forwarded-For cannot choose its rate-limit key.
 */
import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../api/env.ts';
import { clientIpFrom, normaliseIp } from '../../api/http/client-ip.ts';
import { clientIp } from '../../site/lib/client-ip.ts';
import type { Deps } from '../../api/deps.ts';

const DEFAULT = loadEnv({}).TRUSTED_PROXIES;
const ip = (forwardedFor: string | null, remoteAddress: string | null, trustedProxies = DEFAULT, trustProxy = true) => clientIpFrom({ trustProxy, trustedProxies, forwardedFor, remoteAddress });

describe('client IP behind a proxy', () => {
  it('takes the right-most untrusted address, not the left-most one the client wrote', () => {
    // The client sent "X-Forwarded-For: 6.6.6.6"; nginx on 127.0.0.1 appended the real peer.
    expect(ip('6.6.6.6, 203.0.113.7', '127.0.0.1')).toBe('203.0.113.7');
    expect(ip('6.6.6.6,203.0.113.7', '::ffff:127.0.0.1')).toBe('203.0.113.7');
    expect(ip('203.0.113.7', '::1')).toBe('203.0.113.7');
  });

  it('skips every trusted hop (addresses and CIDR ranges from TRUSTED_PROXIES)', () => {
    const proxies = '10.0.0.0/8, 192.0.2.10, 2001:db8::/32';
    expect(ip('6.6.6.6, 198.51.100.4, 10.1.2.3', '192.0.2.10', proxies)).toBe('198.51.100.4');
    expect(ip('198.51.100.4, 2001:db8::9', '10.9.9.9', proxies)).toBe('198.51.100.4');
    expect(ip('2001:db8:ffff::1', '10.9.9.9', '10.0.0.0/8')).toBe('2001:db8:ffff::1');
    // Every hop is ours: the left-most is the closest we know.
    expect(ip('10.0.0.5, 10.0.0.6', '192.0.2.10', proxies)).toBe('10.0.0.5');
  });

  it('a peer that is not a trusted proxy is the client, whatever its header says', () => {
    expect(ip('127.0.0.1', '198.51.100.77')).toBe('198.51.100.77');
    expect(ip('10.0.0.1, 127.0.0.1', '198.51.100.77', '10.0.0.0/8')).toBe('198.51.100.77');
  });

  it('garbage in the header is never taken for an address', () => {
    expect(ip('<script>, 203.0.113.7', '127.0.0.1')).toBe('203.0.113.7');
    expect(ip('203.0.113.7, not-an-ip', '127.0.0.1')).toBe('127.0.0.1');
    expect(ip('[2001:db8::5]:443, 198.51.100.1:8080', '127.0.0.1')).toBe('198.51.100.1');
  });

  it('without TRUST_PROXY the header is ignored', () => {
    expect(ip('203.0.113.7', '198.51.100.2', DEFAULT, false)).toBe('198.51.100.2');
    expect(ip(null, '::ffff:198.51.100.2', DEFAULT, false)).toBe('198.51.100.2');
  });

  it('the on-demand pages use the same rule', () => {
    const deps = { env: loadEnv({ TRUST_PROXY: 'on' }) } as Deps;
    const request = new Request('http://x/', { headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' } });
    expect(clientIp(deps, request, '127.0.0.1')).toBe('203.0.113.7');
    expect(clientIp(deps, request, '198.51.100.9')).toBe('198.51.100.9');
  });

  it('TRUSTED_PROXIES defaults to loopback and refuses an entry that is not an address or range', () => {
    expect(DEFAULT).toBe('127.0.0.1/8,::1');
    expect(loadEnv({ TRUSTED_PROXIES: '10.0.0.0/8,fd00::/8, 192.0.2.1' }).TRUSTED_PROXIES).toContain('10.0.0.0/8');
    expect(() => loadEnv({ TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(/TRUSTED_PROXIES/);
    expect(() => loadEnv({ TRUSTED_PROXIES: 'proxy.example.gov.cn' })).toThrow(/TRUSTED_PROXIES/);
    expect(normaliseIp(' ::FFFF:10.0.0.1 ')).toBe('10.0.0.1');
  });
});
