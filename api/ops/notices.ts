/**
 * Notices in the admin header, shown until acknowledged:
 *   backup_downloaded  to every coordinator: the system administrator took a copy of the whole
 *                      database (api/ops/backup.ts) — one acknowledgement clears it for all
 *   signin_failures    to the account itself: ten failed sign-ins in a row under its name
 *                      (api/staff/auth-service.ts)
 * Notices are written in the transaction of what they announce; acknowledging is audited. The
 * HTTP routes are in notices-http.ts, so that services writing a notice (sign-in, backup) do not
 * import the admin's web plumbing.
 */
import { and, desc, eq, isNull, or } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import { appendAudit } from '../audit/log.ts';
import { ApiError } from '../lib/errors.ts';

export type NoticeKind = (typeof t.ADMIN_NOTICE_KINDS)[number];

export interface AdminNotice {
  id: number;
  kind: NoticeKind;
  createdAt: string;
  detail: Record<string, unknown>;
}

interface Recipient {
  staffId: number;
  role: t.StaffRole;
}

export async function addNotice(tx: Tx, to: { staffId: number } | { role: t.StaffRole }, kind: NoticeKind, detail: Record<string, unknown>, now: Date): Promise<void> {
  await tx.insert(t.adminNotices).values({
    recipientStaffId: 'staffId' in to ? to.staffId : null,
    recipientRole: 'role' in to ? to.role : null,
    kind,
    detail,
    createdAt: now,
  });
}

const mine = (r: Recipient) => and(isNull(t.adminNotices.acknowledgedAt), or(eq(t.adminNotices.recipientStaffId, r.staffId), eq(t.adminNotices.recipientRole, r.role)));

/** The open notices of an account (its own and its role's), newest first; at most 20. */
export async function openNotices(db: Db, r: Recipient): Promise<AdminNotice[]> {
  const rows = await db.read.select().from(t.adminNotices).where(mine(r)).orderBy(desc(t.adminNotices.id)).limit(20);
  return rows.map((n) => ({ id: n.id, kind: n.kind, createdAt: n.createdAt.toISOString(), detail: n.detail }));
}

/** Acknowledges one of the caller's open notices; anyone else's (or an unknown id) is 404. */
export async function acknowledgeNotice(db: Db, id: number, r: Recipient & { ip: string | null }, now: Date): Promise<void> {
  await db.write(async (tx) => {
    const [n] = await tx.select({ id: t.adminNotices.id, kind: t.adminNotices.kind }).from(t.adminNotices).where(and(eq(t.adminNotices.id, id), mine(r)));
    if (!n) throw new ApiError(404, 'not_found', 'not_found');
    await tx.update(t.adminNotices).set({ acknowledgedAt: now, acknowledgedBy: r.staffId }).where(eq(t.adminNotices.id, id));
    await appendAudit(tx, { at: now, actorKind: 'staff', actorStaffId: r.staffId, actorRole: r.role, action: 'notice.acknowledged', objectType: 'admin_notice', objectId: String(id), ip: r.ip, detail: { kind: n.kind } });
  });
}
