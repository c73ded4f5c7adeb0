/**
 * HTTP for refund complaints: proof-of-work challenge, intake and public tracking. Rules live in
 * service.ts / api/public/tracking.ts; reading and cleaning the request body in request.ts.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env.ts';
import { ApiError, parseWith, validationError } from '../lib/errors.ts';
import { TrackQuerySchema } from './schema.ts';
import { fileComplaint } from './file-complaint.ts';
import { readIntakeRequest } from './request.ts';
import { issueChallenge } from './pow.ts';
import { trackComplaint } from '../public/tracking.ts';

export function complaintRoutes() {
  const r = new Hono<AppEnv>();

  // Registered before '/:code' so "challenge" is never taken for a tracking code.
  r.get('/challenge', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json(issueChallenge(c.var.deps.keys.pow, c.var.deps.clock.now()));
  });

  r.post('/', async (c) => {
    const { deps, lang } = c.var;
    // The API speaks JSON (the island) and multipart (with files); urlencoded is the no-JS
    // page's business and stays a 415 here, as documented in the OpenAPI description.
    const read = await readIntakeRequest(c.req.raw, lang, { formats: ['json', 'multipart'] });
    if (!read.ok) return c.json(read.body, read.status);
    const { created, result } = await fileComplaint(deps, read.data, { ip: c.var.clientIp, idempotencyKey: read.idempotencyKey }, read.files);
    c.header('Cache-Control', 'no-store');
    if (!created) c.header('Idempotent-Replayed', 'true');
    return c.json(result, 201);
  });

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
