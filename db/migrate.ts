/**
 * Applies the committed drizzle-kit migrations (db/migrations) — the only way the schema changes,
 * in production and in every test database alike.
 */
import { migrate } from 'drizzle-orm/libsql/migrator';
import { drizzle } from 'drizzle-orm/libsql';
import { fileURLToPath } from 'node:url';
import type { Db } from './client.ts';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

export async function migrateDb(db: Db): Promise<void> {
  await migrate(drizzle(db.writeClient), { migrationsFolder: MIGRATIONS_FOLDER });
}
