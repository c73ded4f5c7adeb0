/** `npm run seed [-- --institutions N --seed S]`: generate the demo district into an empty database. */
import { parseArgs } from 'node:util';
import { createDeps } from '../bootstrap.ts';
import { loadEnv } from '../env.ts';
import { isDatabaseEmpty, seedDemo } from './seed.ts';

const { values } = parseArgs({ options: { institutions: { type: 'string' }, seed: { type: 'string' } } });
const env = loadEnv();
const deps = await createDeps(env);
if (!(await isDatabaseEmpty(deps))) {
  deps.log.error('database is not empty; point DATABASE_URL at a new file to generate another district');
  process.exit(1);
}
const started = Date.now();
const r = await seedDemo(deps, {
  institutions: Number(values.institutions ?? env.DEMO_INSTITUTIONS),
  seed: Number(values.seed ?? 2024),
  writeCredentials: true,
});
deps.log.info({ institutions: r.institutions, complaints: r.complaints, ms: Date.now() - started }, 'demo district generated');
await deps.db.close();
