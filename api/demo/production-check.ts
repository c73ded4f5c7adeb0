/**
 * `APP_MODE=production` must never run on a database that holds the demo district: its staff
 * accounts sign in with the passwords printed in the README. Whatever the seed wrote is looked
 * for — the meta flag, the is_demo rows (staff, institutions, complaints, templates) — and, in
 * case the flags were cleared by hand, any account that still answers to a demo password.
 * api/start.ts and `npm run admin:create` refuse to go on while anything is found.
 */
import { inArray, sql } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import type { Deps } from '../deps.ts';
import { verifyPassword } from '../staff/passwords.ts';
import { demoAccounts } from './staff.ts';

export async function demoDataFound(deps: Pick<Deps, 'db'>): Promise<string[]> {
  const db = deps.db.read;
  const found: string[] = [];
  const [flag] = await db.select({ value: t.meta.value }).from(t.meta).where(sql`${t.meta.key} = 'demo'`);
  if (flag?.value === 'true') found.push('the database is marked as demo data (meta.demo)');
  const counts: [string, { n: number } | undefined][] = [
    ['demo staff accounts', (await db.select({ n: sql<number>`count(*)` }).from(t.staff).where(sql`${t.staff.isDemo} = 1`))[0]],
    ['demo institutions', (await db.select({ n: sql<number>`count(*)` }).from(t.institutions).where(sql`${t.institutions.isDemo} = 1`))[0]],
    ['demo complaints', (await db.select({ n: sql<number>`count(*)` }).from(t.complaints).where(sql`${t.complaints.isDemo} = 1`))[0]],
    ['demo response templates', (await db.select({ n: sql<number>`count(*)` }).from(t.responseTemplates).where(sql`${t.responseTemplates.isDemo} = 1`))[0]],
  ];
  for (const [what, row] of counts) if (row && Number(row.n) > 0) found.push(`${Number(row.n)} ${what}`);

  // A demo username alone is no proof (a district may well call its administrator "sysadmin");
  // one that still opens with its README password is.
  const plan = demoAccounts();
  const named = await db.select({ username: t.staff.username, passwordHash: t.staff.passwordHash }).from(t.staff).where(inArray(t.staff.username, plan.map((a) => a.username)));
  const open: string[] = [];
  for (const s of named) {
    const a = plan.find((x) => x.username === s.username)!;
    if (await verifyPassword(s.passwordHash, a.password)) open.push(s.username);
  }
  if (open.length) found.push(`accounts that sign in with the README's demo passwords: ${open.join(', ')}`);
  return found;
}

/** The message start-up prints before refusing (English and Chinese: operators read either). */
export function demoRefusalMessage(found: string[]): string {
  return [
    'APP_MODE=production refuses to start: this database holds demo data (演示数据), and demo accounts sign in with the passwords published in the README.',
    ...found.map((f) => `  - ${f}`),
    'Point DATABASE_URL at a new, empty database for production, import the registry, and create the first administrator with',
    '  npm run admin:create -- --username <name> --department <code> --role sysadmin|coordinator',
    '生产模式拒绝启动：该数据库含有演示数据或演示账号（其密码已在 README 中公开）。请为生产环境使用新的空数据库。',
  ].join('\n');
}
