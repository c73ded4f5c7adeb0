/**
 * The public API beside the static site: the complaint form's institution picker, the live licence
 * status for the badge on institution pages (small, cacheable, with an ETag), and a parent
 * tracking their complaint with code + last four digits.
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { institutions } from '../../db/schema.ts';
import type { AppEnv } from '../http/app-env.ts';
import { beijingDate } from '../calendar/working-days.ts';
import { ApiError, parseWith, validationError } from '../lib/errors.ts';
import { TrackQuerySchema } from '../intake/schema.ts';
import { effectiveLicenseStatus } from '../registry/license-status.ts';
import { lookupInstitutions } from './institution-lookup.ts';
import { trackComplaint } from './tracking.ts';

export function institutionRoutes() {
  const r = new Hono<AppEnv>();
  // The complaint form's institution picker.
  r.get('/lookup', async (c) => {
    const items = await lookupInstitutions(c.var.deps.db, c.req.query('q') ?? '');
    c.header('Cache-Control', 'public, max-age=300');
    return c.json({ items });
  });
  r.get('/:id/status', async (c) => {
    const { deps } = c.var;
    const id = c.req.param('id');
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new ApiError(404, 'not_found', 'not_found');
    const [row] = await deps.db.read
      .select({ status: institutions.licenseStatus, validUntil: institutions.licenseValidUntil, updatedAt: institutions.updatedAt })
      .from(institutions)
      .where(eq(institutions.id, id));
    if (!row) throw new ApiError(404, 'not_found', 'not_found');
    const today = beijingDate(deps.clock.now());
    const body = { id, licenseStatus: effectiveLicenseStatus(row.status, row.validUntil, today), licenseValidUntil: row.validUntil, asOf: today };
    const etag = `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 22)}"`;
    c.header('ETag', etag);
    c.header('Cache-Control', 'public, max-age=60, must-revalidate');
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    return c.json(body);
  });
  return r;
}

/** GET /api/complaints/:code?last4=: what the parent sees of their complaint. */
export function trackingRoutes() {
  const r = new Hono<AppEnv>();

  r.get('/:code', async (c) => {
    const { deps, lang } = c.var;
    const parsed = parseWith(TrackQuerySchema, { code: c.req.param('code'), last4: c.req.query('last4') ?? '' }, lang);
    // A malformed code answers like an unknown one; only a malformed last4 is a field error.
    if (!parsed.ok) {
      if (parsed.issues.some((i) => i.path === 'last4')) return c.json(validationError(parsed.issues.filter((i) => i.path === 'last4'), lang), 422);
      throw new ApiError(404, 'not_found', 'complaint_not_found');
    }
    const view = await trackComplaint(deps, parsed.data.code, parsed.data.last4, c.var.clientIp);
    c.header('Cache-Control', 'no-store');
    return c.json(view);
  });

  return r;
}
