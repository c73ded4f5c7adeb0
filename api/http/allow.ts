/**
 * 405 Method Not Allowed with an `Allow` header, instead of 404, for a path that exists with
 * other methods. Built from the app's own route table, so it never disagrees with the routes.
 */
import { TrieRouter } from 'hono/router/trie-router';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** A lookup from a path to the methods routed for it ([] for a path no route has). */
export function allowedMethods(routes: readonly { method: string; path: string }[]): (path: string) => string[] {
  const router = new TrieRouter<string>();
  // Middleware (method ALL) runs for every path and says nothing about which methods exist.
  for (const r of routes) if (r.method !== 'ALL') router.add(r.method, r.path, r.method);
  return (path) => {
    const found = METHODS.filter((m) => router.match(m, path)[0].length > 0);
    if (!found.length) return [];
    // Hono answers HEAD with the GET route; every route answers OPTIONS with this same 405.
    return found.includes('GET') ? ['GET', 'HEAD', ...found.filter((m) => m !== 'GET')] : found;
  };
}
