/**
 * `npm run admin:create -- --username <name> --department <code> --role sysadmin|coordinator
 *  [--display-name <name>] [--department-name <name>]`: the first administrator (admin-create.ts).
 * Prints the one-time password once, on stdout; nothing else keeps it. Refuses, like `npm start`,
 * a production database that holds demo data.
 */
import { parseArgs } from 'node:util';
import { createDeps } from '../bootstrap.ts';
import { demoDataFound, demoRefusalMessage } from '../demo/production-check.ts';
import { loadEnv } from '../env.ts';
import { AdminCreateError, AdminCreateSchema, createAdministrator } from './admin-create.ts';

const USAGE = 'usage: npm run admin:create -- --username <name> --department <code> --role sysadmin|coordinator [--display-name <name>] [--department-name <name>]';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

let values: Record<string, string | undefined>;
try {
  values = parseArgs({
    options: { username: { type: 'string' }, department: { type: 'string' }, role: { type: 'string' }, 'display-name': { type: 'string' }, 'department-name': { type: 'string' } },
    strict: true,
  }).values;
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`);
}
const parsed = AdminCreateSchema.safeParse({
  username: values.username,
  department: values.department,
  role: values.role,
  displayName: values['display-name'],
  departmentName: values['department-name'],
});
if (!parsed.success) fail(`${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}\n${USAGE}`);

const env = loadEnv();
const deps = await createDeps(env);
try {
  if (env.APP_MODE === 'production') {
    const found = await demoDataFound(deps);
    if (found.length) fail(demoRefusalMessage(found));
  }
  const created = await createAdministrator(deps, parsed.data);
  console.log(
    [
      `Account "${created.username}" (${parsed.data.role}) created.`,
      `One-time password (shown only now): ${created.temporaryPassword}`,
      'At the first sign-in on /admin/login/ the account binds an authenticator app (TOTP) and must then choose a new password.',
      `账号 ${created.username} 已创建。一次性密码（只显示这一次）：${created.temporaryPassword}。首次登录须绑定身份验证器并修改密码。`,
    ].join('\n'),
  );
} catch (err) {
  if (err instanceof AdminCreateError) fail(err.message);
  throw err;
} finally {
  await deps.db.close();
}
