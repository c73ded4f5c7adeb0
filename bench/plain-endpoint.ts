/**
 * The baseline for bench/intake.ts: the least a durable intake endpoint can do on this machine.
 * Plain Hono + @libsql/client, one table, one INSERT per request, durable the plain way (WAL,
 * synchronous=FULL: SQLite flushes inside each COMMIT; the product flushes after COMMIT, off the
 * thread, and answers after that, which is the same promise) — no validation, routing,
 * encryption, outbox or audit.
 *
 * Started as a child process by the bench: `tsx bench/plain-endpoint.ts <db-file>`; prints
 * {"listening":"http://127.0.0.1:PORT"} on stdout. Loopback only.
 */
import { serve } from '@hono/node-server';
import { createClient } from '@libsql/client';
import { Hono } from 'hono';

const file = process.argv[2];
if (!file) throw new Error('usage: tsx bench/plain-endpoint.ts <db-file>');

const db = createClient({ url: `file:${file}` });
await db.execute('PRAGMA journal_mode = WAL');
await db.execute('PRAGMA synchronous = FULL');
await db.execute('PRAGMA busy_timeout = 5000');
await db.execute('CREATE TABLE IF NOT EXISTS complaints (id INTEGER PRIMARY KEY, body TEXT NOT NULL, created_at INTEGER NOT NULL)');

const app = new Hono();
app.post('/insert', async (c) => {
  const body = await c.req.json();
  const r = await db.execute({ sql: 'INSERT INTO complaints (body, created_at) VALUES (?, ?)', args: [JSON.stringify(body), Date.now()] });
  return c.json({ id: Number(r.lastInsertRowid) }, 201);
});
app.onError((err, c) => c.json({ error: { code: 'internal', message: err.message } }, 500));

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${JSON.stringify({ listening: `http://127.0.0.1:${info.port}` })}\n`);
});
const stop = () => server.close(() => db.close());
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
