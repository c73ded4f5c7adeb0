/** Runs before every on-demand page: methods other than GET, HEAD and POST get 405 (site/lib/page-methods.ts). */
import type { MiddlewareHandler } from 'astro';
import { methodNotAllowed } from './lib/page-methods.ts';

export const onRequest: MiddlewareHandler = (context, next) => methodNotAllowed(context.request) ?? next();
