/**
 * The Hono context every route of createApp (api/app.ts) runs in: the dependencies, the request's
 * language and its client IP. Its own module so that route files can name it without importing
 * the app that imports them (that was an import cycle between api/app.ts and every route file).
 */
import type { Deps } from '../deps.ts';
import type { Lang } from '../lib/messages.ts';

export interface AppEnv {
  Variables: { deps: Deps; lang: Lang; clientIp: string | null };
}
