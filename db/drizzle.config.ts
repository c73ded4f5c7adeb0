import { defineConfig } from 'drizzle-kit';

// Generates SQL migrations from db/schema.ts into db/migrations (committed, never hand-edited).
export default defineConfig({
  dialect: 'sqlite',
  schema: './db/schema.ts',
  out: './db/migrations',
});
