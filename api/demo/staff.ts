/**
 * Demo staff for every role and department. Credentials are deterministic (derived from the
 * username) so the README can list them; they exist only in demo mode and are also written to
 * DATA_DIR/demo-credentials.json. Production never calls this.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../../db/client.ts';
import { staff } from '../../db/schema.ts';
import type { StaffRole } from '../../db/schema.ts';
import type { Pii } from '../security/pii.ts';
import { hashPassword } from '../staff/passwords.ts';
import { base32Secret } from '../staff/totp.ts';

export interface DemoAccount {
  username: string;
  displayName: string;
  department: string;
  role: StaffRole;
  password: string;
  totpSecret: string;
}

const PLAN: [string, string, StaffRole, string][] = [
  ['coord', 'edu', 'coordinator', '双减办 协调员（演示）'],
  ['edu.handler', 'edu', 'handler', '教体局 承办人（演示）'],
  ['edu.head', 'edu', 'dept_head', '教体局 科室负责人（演示）'],
  ['culture.handler', 'culture', 'handler', '文旅局 承办人（演示）'],
  ['culture.head', 'culture', 'dept_head', '文旅局 科室负责人（演示）'],
  ['science.handler', 'science', 'handler', '科技局 承办人（演示）'],
  ['science.head', 'science', 'dept_head', '科技局 科室负责人（演示）'],
  ['market.handler', 'market', 'handler', '市场监管局 承办人（演示）'],
  ['market.head', 'market', 'dept_head', '市场监管局 科室负责人（演示）'],
  ['sysadmin', 'edu', 'sysadmin', '系统管理员（演示）'],
];

export function demoAccounts(): DemoAccount[] {
  return PLAN.map(([username, department, role, displayName]) => ({
    username,
    displayName,
    department,
    role,
    password: `Demo-${username}-2024`,
    totpSecret: base32Secret(createHash('sha256').update(`demo-totp:${username}`).digest().subarray(0, 20)),
  }));
}

export async function seedDemoStaff(db: Db, pii: Pii, now: Date): Promise<DemoAccount[]> {
  const accounts = demoAccounts();
  const rows = await Promise.all(
    accounts.map(async (a) => ({
      username: a.username,
      displayName: a.displayName,
      departmentCode: a.department,
      role: a.role,
      passwordHash: await hashPassword(a.password),
      totpSecretEnc: pii.encrypt(a.totpSecret),
      totpEnrolledAt: now,
      isDemo: true,
      passwordChangedAt: now,
      createdAt: now,
    })),
  );
  // Hash first (slow by design), then take the write lock only for the insert.
  await db.write((tx) => tx.insert(staff).values(rows));
  return accounts;
}
