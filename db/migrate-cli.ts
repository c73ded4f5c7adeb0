/** `npm run migrate`: bring the configured database up to the committed schema. */
import { loadEnv } from '../api/env.ts';
import { createDb } from './client.ts';
import { migrateDb } from './migrate.ts';

const env = loadEnv();
const db = await createDb(env.DATABASE_URL, { authToken: env.DATABASE_AUTH_TOKEN });
await migrateDb(db);
await db.close();
console.log(JSON.stringify({ msg: 'migrated', url: env.DATABASE_URL.replace(/\?.*$/, '') }));
