/**
 * createApp(deps): the Hono application — middleware, error handler, routes. No I/O at import
 * time; everything it touches comes in through `deps`, so tests call `app.request()` on a fresh
 * database without starting a server.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Deps } from './deps.ts';
import { ApiError, apiErrorBody, errorBody } from './lib/errors.ts';
import { langFrom, msg, type Lang } from './lib/messages.ts';
import { complaintRoutes } from './complaints/routes.ts';
import { institutionRoutes } from './institutions/routes.ts';
import { adminRoutes } from './admin/routes.ts';
import { INTAKE_BODY_LIMITS, intakeFormat } from './complaints/intake-request.ts';
import { openApiRoutes } from './openapi/routes.ts';

export interface AppEnv {
  Variables: { deps: Deps; lang: Lang; clientIp: string | null };
}

/** JSON bodies are small; file uploads (multipart) get their own, larger limit on their route. */
export const JSON_BODY_LIMIT = 64 * 1024;

function clientIp(c: Context<AppEnv>, trustProxy: boolean): string | null {
  if (trustProxy) {
    const xff = c.req.header('x-forwarded-for');
    if (xff) return xff.split(',')[0]!.trim() || null;
  }
  try {
    return getConnInfo(c as unknown as Parameters<typeof getConnInfo>[0]).remote.address ?? null;
  } catch {
    return null; // app.request() in tests has no socket
  }
}

export function createApp(deps: Deps) {
  const app = new Hono<AppEnv>();

  app.use('*', async function context(c, next) {
    c.set('deps', deps);
    c.set('lang', langFrom(c.req.header('accept-language')));
    c.set('clientIp', clientIp(c, deps.env.TRUST_PROXY === 'on'));
    await next();
  });

  app.get('/healthz', async (c) => {
    try {
      await deps.db.readClient.execute('SELECT 1');
      return c.json({ status: 'ok', database: 'reachable' });
    } catch {
      return c.json({ status: 'error', database: 'unreachable' }, 503);
    }
  });

  const api = new Hono<AppEnv>();
  // Intake: 64 KB for JSON and forms, 5 × 10 MB + fields for multipart with evidence files.
  // Checked here before anything is read; readIntakeRequest enforces the same limits again for
  // callers without this middleware (the no-JS form page).
  const jsonLimit = bodyLimit({
    maxSize: JSON_BODY_LIMIT,
    onError: (c) => c.json(errorBody('payload_too_large', msg('payload_too_large', c.var.lang)), 413),
  });
  const multipartLimit = bodyLimit({
    maxSize: INTAKE_BODY_LIMITS.multipart,
    onError: (c) => c.json(errorBody('payload_too_large', msg('payload_too_large_files', c.var.lang)), 413),
  });
  api.use('/complaints', function intakeBodyLimit(c, next) {
    return intakeFormat(c.req.header('content-type')) === 'multipart' ? multipartLimit(c, next) : jsonLimit(c, next);
  });
  api.route('/complaints', complaintRoutes());
  api.route('/institutions', institutionRoutes());
  api.route('/admin', adminRoutes('/api/admin'));
  api.route('/', openApiRoutes());
  app.route('/api', api);

  app.notFound((c) => c.json(errorBody('not_found', msg('not_found', c.var.lang ?? 'zh-CN')), 404));

  app.onError((err, c) => {
    const lang = c.var.lang ?? 'zh-CN';
    if (err instanceof ApiError) {
      for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
      return c.json(apiErrorBody(err, lang), err.status);
    }
    // Hono's own HTTP errors (e.g. malformed requests) stay 4xx.
    const status = (err as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return c.json(errorBody('bad_request', msg('bad_json', lang)), status as 400);
    }
    deps.log.error({ err: { message: err.message, stack: err.stack }, path: c.req.path }, 'unhandled error');
    return c.json(errorBody('internal', msg('internal', lang)), 500);
  });

  return app;
}
