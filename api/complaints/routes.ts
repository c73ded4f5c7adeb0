/** HTTP for refund complaints: intake and public tracking. Rules live in intake.ts / tracking.ts. */
import { Hono } from 'hono';
import type { AppEnv } from '../app.ts';
import { ApiError, parseWith, validationError } from '../lib/errors.ts';
import { ComplaintInputSchema, TrackQuerySchema } from './schema.ts';
import { submitComplaint } from './intake.ts';
import { trackComplaint } from './tracking.ts';

export function complaintRoutes() {
  const r = new Hono<AppEnv>();

  r.post('/', async (c) => {
    const { deps, lang } = c.var;
    const type = c.req.header('content-type') ?? '';
    let body: unknown;
    if (type.startsWith('application/json')) {
      try {
        body = await c.req.json();
      } catch {
        throw new ApiError(400, 'bad_json', 'bad_json');
      }
    } else {
      throw new ApiError(415, 'unsupported_media', 'unsupported_media');
    }
    const parsed = parseWith(ComplaintInputSchema, body, lang);
    if (!parsed.ok) return c.json(validationError(parsed.issues, lang), 422);
    const key = c.req.header('idempotency-key') ?? null;
    if (key !== null && !/^[A-Za-z0-9_-]{8,128}$/.test(key)) {
      return c.json(validationError([{ path: 'Idempotency-Key', message: lang === 'en' ? 'Use 8–128 letters, digits, - or _' : '请求编号应为8到128位字母、数字、-或_' }], lang), 422);
    }
    const { created, result } = await submitComplaint(deps, parsed.data, { ip: c.var.clientIp, idempotencyKey: key });
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
