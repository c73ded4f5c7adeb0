/**
 * HTTP for filing a refund complaint: the proof-of-work challenge and intake. Rules live in
 * service.ts; reading and cleaning the request body in request.ts. Tracking a filed complaint
 * (GET /api/complaints/:code) is the public side's: api/public/http.ts.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env.ts';
import { fileComplaint } from './file-complaint.ts';
import { readIntakeRequest } from './request.ts';
import { issueChallenge } from './pow.ts';

export function complaintRoutes() {
  const r = new Hono<AppEnv>();

  // Mounted before the tracking routes (api/app.ts) so "challenge" is never taken for a tracking code.
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

  return r;
}
