/**
 * createApp(deps): the Hono application — middleware, error handler, routes. No I/O at import
 * time; everything it touches comes in through `deps`, so tests call `app.request()` on a fresh
 * database without starting a server.
 */
import { Hono, type Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Deps } from './deps.ts';
import { ApiError, apiErrorBody, errorBody } from './lib/errors.ts';
import { langFrom, msg } from './lib/messages.ts';
import { complaintRoutes } from './intake/http.ts';
import { institutionRoutes, trackingRoutes } from './public/http.ts';
import { adminRoutes } from './admin-routes.ts';
import { INTAKE_BODY_LIMITS, intakeFormat } from './intake/request.ts';
import { openApiRoutes } from './openapi/routes.ts';
import { bodyLimit, BodyTooLarge } from './http/body.ts';
import { clientIpFrom } from './http/client-ip.ts';
import { allowedMethods } from './http/allow.ts';
import type { AppEnv } from './http/app-env.ts';

/** JSON bodies are small; file uploads (multipart) get their own, larger limit on their route. */
export const JSON_BODY_LIMIT = 64 * 1024;

function clientIp(c: Context<AppEnv>, env: Deps['env']): string | null {
  let remoteAddress: string | undefined;
  let inProcess = false;
  try {
    remoteAddress = getConnInfo(c as unknown as Parameters<typeof getConnInfo>[0]).remote.address;
  } catch {
    inProcess = true; // app.request() in tests: no Node request, no socket
  }
  return clientIpFrom({ trustProxy: env.TRUST_PROXY === 'on', trustedProxies: env.TRUSTED_PROXIES, forwardedFor: c.req.header('x-forwarded-for'), remoteAddress, inProcess });
}

export function createApp(deps: Deps) {
  const app = new Hono<AppEnv>();

  app.use('*', async function context(c, next) {
    c.set('deps', deps);
    c.set('lang', langFrom(c.req.header('accept-language')));
    c.set('clientIp', clientIp(c, deps.env));
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
  // Intake: 64 KB for JSON and forms, 5 × 10 MB + fields for multipart with evidence files;
  // every other public route 64 KB; /api/admin sets its own (api/admin-routes.ts). Counted as the
  // bytes arrive (api/http/body.ts); readIntakeRequest enforces the same limits again for callers
  // without this middleware (the no-JS form page).
  api.use(
    '*',
    bodyLimit<AppEnv>(
      (c) => {
        if (/^\/api\/admin(\/|$)/.test(c.req.path)) return null;
        return c.req.path.replace(/\/+$/, '') === '/api/complaints' && intakeFormat(c.req.header('content-type')) === 'multipart' ? INTAKE_BODY_LIMITS.multipart : JSON_BODY_LIMIT;
      },
      (c) => {
        const files = intakeFormat(c.req.header('content-type')) === 'multipart';
        return c.json(errorBody('payload_too_large', msg(files ? 'payload_too_large_files' : 'payload_too_large', c.var.lang)), 413);
      },
    ),
  );
  api.route('/complaints', complaintRoutes());
  api.route('/complaints', trackingRoutes()); // after intake's GET /challenge, so that is never a code
  api.route('/institutions', institutionRoutes());
  api.route('/admin', adminRoutes('/api/admin'));
  api.route('/', openApiRoutes());
  app.route('/api', api);

  // Built on first use, when every route is registered.
  let allowed: ((path: string) => string[]) | null = null;
  app.notFound((c) => {
    const lang = c.var.lang ?? 'zh-CN';
    allowed ??= allowedMethods(app.routes);
    const methods = allowed(c.req.path);
    if (methods.length) return c.json(errorBody('method_not_allowed', msg('method_not_allowed', lang)), 405, { Allow: methods.join(', ') });
    return c.json(errorBody('not_found', msg('not_found', lang)), 404);
  });

  app.onError((err, c) => {
    const lang = c.var.lang ?? 'zh-CN';
    // A reader passed a route's body limit after its middleware had already answered (or without one).
    if (err instanceof BodyTooLarge) return c.json(errorBody('payload_too_large', msg('payload_too_large', lang)), 413);
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
