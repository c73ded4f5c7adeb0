/**
 * The first administrator of a production database (there is no sign-up, and the demo accounts
 * never exist there): `npm run admin:create` (admin-create-cli.ts) creates a sysadmin or
 * coordinator account with a one-time password. Like every account given a temporary password,
 * its first sign-in enrols TOTP (no secret yet) and must change the password before anything
 * else (staff.must_change_password, api/staff/guard.ts). Audited as a system action.
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import * as t from '../../db/schema.ts';
import { temporaryPassword } from './credentials.ts';
import { appendAudit } from '../audit/log.ts';
import type { Deps } from '../deps.ts';
import { hashPassword } from './passwords.ts';

export const AdminCreateSchema = z.strictObject({
  username: z.string().trim().regex(/^[a-z0-9][a-z0-9._-]{2,63}$/, 'username: 3–64 characters, lower-case letters, digits, . _ -, starting with a letter or digit'),
  department: z.string().trim().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'department: a department code such as "edu"'),
  role: z.enum(['sysadmin', 'coordinator'], { error: 'role: sysadmin or coordinator' }),
  displayName: z.string().trim().min(1).max(40).optional(),
  /** Creates the department when the database has none of that code yet (a fresh database). */
  departmentName: z.string().trim().min(1).max(60).optional(),
});
export type AdminCreateInput = z.output<typeof AdminCreateSchema>;

export class AdminCreateError extends Error {}

export async function createAdministrator(deps: Pick<Deps, 'db' | 'clock'>, input: AdminCreateInput): Promise<{ id: number; username: string; temporaryPassword: string }> {
  const password = temporaryPassword();
  const passwordHash = await hashPassword(password);
  const now = deps.clock.now();
  return deps.db.write(async (tx) => {
    const [dept] = await tx.select({ code: t.departments.code }).from(t.departments).where(eq(t.departments.code, input.department));
    if (!dept) {
      if (!input.departmentName) {
        const known = (await tx.select({ code: t.departments.code }).from(t.departments)).map((d) => d.code);
        throw new AdminCreateError(
          known.length
            ? `unknown department "${input.department}"; known codes: ${known.join(', ')} (or add --department-name to create it)`
            : `the database has no departments yet; add --department-name "<name>" to create "${input.department}"`,
        );
      }
      await tx.insert(t.departments).values({ code: input.department, nameZh: input.departmentName, nameEn: input.departmentName, kind: 'other' });
      await appendAudit(tx, { at: now, actorKind: 'system', action: 'department.created', objectType: 'department', objectId: input.department, detail: { via: 'admin:create' } });
    }
    const [taken] = await tx.select({ id: t.staff.id }).from(t.staff).where(eq(t.staff.username, input.username));
    if (taken) throw new AdminCreateError(`username "${input.username}" is already taken`);
    const [row] = await tx
      .insert(t.staff)
      .values({
        username: input.username,
        displayName: input.displayName ?? input.username,
        departmentCode: input.department,
        role: input.role,
        passwordHash,
        totpSecretEnc: null,
        mustChangePassword: true,
        createdAt: now,
      })
      .returning({ id: t.staff.id });
    await appendAudit(tx, { at: now, actorKind: 'system', action: 'staff.created', objectType: 'staff', objectId: String(row!.id), detail: { role: input.role, departmentCode: input.department, via: 'admin:create' } });
    return { id: row!.id, username: input.username, temporaryPassword: password };
  });
}
