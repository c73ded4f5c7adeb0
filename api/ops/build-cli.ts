/**
 * `npm run build`: rebuild the static site from the current data and swap it in atomically.
 * Takes the same build lock as a publish from the admin (site_builds), so the two never run at
 * once; when a build is already running elsewhere, says so and exits 1.
 */
import { createDeps } from '../bootstrap.ts';
import { loadEnv } from '../env.ts';
import { claimBuild, runBuild, SYSTEM_REQUESTER as system } from './build-runs.ts';
import { buildSite } from './build.ts';

const env = loadEnv();
const deps = await createDeps(env);
let ok: boolean;
const tables = await deps.db.readClient.execute("SELECT 1 FROM sqlite_master WHERE name = 'site_builds'").catch(() => ({ rows: [] }));
if (tables.rows.length === 0) {
  // Not migrated yet: nothing to lock against, and the build will say what is missing.
  ok = (await buildSite(deps.db, env, deps.log, (s) => process.stderr.write(s))).ok;
} else {
  const claim = await claimBuild(deps.db, system, deps.clock.now());
  if (!claim.claimed) {
    process.stderr.write(`build #${claim.build.id} is already running (started ${claim.build.startedAt.toISOString()} by ${claim.build.claimedBy ?? '?'}); not starting another\n`);
    ok = false;
  } else {
    process.stderr.write(`build #${claim.build.id} started\n`);
    ok = (await runBuild(deps, claim.build, system, { onOutput: (s) => process.stderr.write(s) })).ok;
  }
}
await deps.db.close();
process.exit(ok ? 0 : 1);
