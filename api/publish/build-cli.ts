/** `npm run build`: rebuild the static site from the current data and swap it in atomically. */
import { createDeps } from '../bootstrap.ts';
import { loadEnv } from '../env.ts';
import { buildSite } from './build.ts';

const env = loadEnv();
const deps = await createDeps(env);
const r = await buildSite(deps.db, env, deps.log, (s) => process.stderr.write(s));
await deps.db.close();
process.exit(r.ok ? 0 : 1);
