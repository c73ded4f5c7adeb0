/**
 * Security headers for every response the process sends (API, static pages, admin pages):
 * a CSP with no inline script (islands are hydrated from bundled files), HSTS, nosniff,
 * frame-ancestors none, and a same-origin referrer policy: nothing (no path, no tracking code) is
 * ever sent to another site. Not 'no-referrer': with it, browsers send `Origin: null` on our own
 * form posts, which would defeat the same-origin check that protects them.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};
