/** `npm run audit:verify`: walks the hash chain of the audit log; exits 1 if any row was altered. */
import { createDb } from '../../db/client.ts';
import { loadEnv } from '../env.ts';
import { verifyAuditChain } from './log.ts';

const env = loadEnv();
const db = await createDb(env.DATABASE_URL, { authToken: env.DATABASE_AUTH_TOKEN });
const r = await verifyAuditChain(db);
await db.close();
console.log(JSON.stringify(r));
if (!r.ok) {
  console.error(`audit chain broken at row ${r.brokenAt}: that row or an earlier one was changed or removed`);
  process.exit(1);
}
