/**
 * `npm run migrate`: bring the configured database up to the committed schema. Lives in api/, not
 * db/, because it reads the configuration (api/env.ts) and db/ depends on nothing above it.
 */
import { createDb } from '../db/client.ts';
import { migrateDb } from '../db/migrate.ts';
import { loadEnv } from './env.ts';

const env = loadEnv();
const db = await createDb(env.DATABASE_URL, { authToken: env.DATABASE_AUTH_TOKEN });
await migrateDb(db);
await db.close();
console.log(JSON.stringify({ msg: 'migrated', url: env.DATABASE_URL.replace(/\?.*$/, '') }));
