// Child process of api/ops/backup.ts: `VACUUM INTO <target>` on the local database <url>.
// The local libSQL driver is synchronous, so a copy of a large database would block the app's
// event loop for its whole duration; here it blocks only this short-lived process.
// Plain JavaScript so it runs on bare `node` in any deployment (no TypeScript loader needed).
import { createClient } from '@libsql/client';

const [url, target] = process.argv.slice(2);
const client = createClient({ url });
try {
  // Another process may hold the write lock for a moment; a reader in WAL mode does not wait for
  // it, but the first statement on a new connection may need to read the WAL index.
  await client.execute('PRAGMA busy_timeout = 5000');
  await client.execute({ sql: 'VACUUM INTO ?', args: [target] });
} catch (err) {
  process.stderr.write(String(err?.message ?? err));
  process.exitCode = 1;
} finally {
  client.close();
}
