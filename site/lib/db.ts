/**
 * Build-time database access for the static site (server only; never imported by islands).
 * One handle per build process, opened on first use.
 */
import { createDb, type Db } from '../../db/client.ts';
import { loadEnv } from '../../api/env.ts';

let handle: Promise<Db> | null = null;

export function buildDb(): Promise<Db> {
  const env = loadEnv();
  return (handle ??= createDb(env.DATABASE_URL, { authToken: env.DATABASE_AUTH_TOKEN }));
}
