/**
 * Staff download of a complaint's evidence files (contracts, receipts: personal data through and
 * through). Only staff of a handling department may open them — the same rule as the parent's
 * name and number — and every download writes an audit row. Files are always served as
 * downloads with a sandboxing CSP and nosniff, never rendered inline in the admin's origin.
 *
 * The file name a download gets is generated: `<tracking code>-<n>.<ext>`, n the file's place in
 * the case (1–5) and the extension from the type recognised at intake (jpg/png/pdf). The name the
 * parent's phone gave the file can hold anything (a child's name, "身份证.jpg.exe", control
 * characters) and is only ever shown as text on the case page, never handed to a file system.
 */
import { and, asc, eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { appendAudit } from '../audit/log.ts';
import type { Deps } from '../deps.ts';
import { evidenceDownloadName } from '../intake/evidence.ts';
import { ApiError } from '../lib/errors.ts';
import { maySeePersonalData, relationOf, type Caller } from './access.ts';
import { findCaseFor } from './case-view.ts';

export interface AttachmentDownload {
  mime: string;
  content: Buffer;
  /** Content-Disposition value: `attachment` with the generated name only. */
  disposition: string;
}

export async function openAttachment(deps: Deps, caller: Caller, rawCode: string, rawId: string, meta: { ip: string | null }): Promise<AttachmentDownload> {
  const { row, handlers } = await findCaseFor(deps, caller, rawCode);
  if (!/^\d{1,12}$/.test(rawId)) throw new ApiError(404, 'not_found', 'not_found');
  // Every file of the case in upload order: the requested one's place gives its download name.
  const files = await deps.db.read.select({ id: t.attachments.id }).from(t.attachments).where(eq(t.attachments.complaintId, row.id)).orderBy(asc(t.attachments.id));
  const position = files.findIndex((f) => f.id === Number(rawId)) + 1;
  if (!position) throw new ApiError(404, 'not_found', 'not_found');
  const [a] = await deps.db.read
    .select()
    .from(t.attachments)
    .where(and(eq(t.attachments.id, Number(rawId)), eq(t.attachments.complaintId, row.id)));
  if (!a) throw new ApiError(404, 'not_found', 'not_found');
  if (!maySeePersonalData(caller, handlers)) throw new ApiError(403, 'attachment_forbidden', 'attachment_forbidden');

  const now = deps.clock.now();
  await deps.db.write((tx) =>
    appendAudit(tx, {
      at: now,
      actorKind: 'staff',
      actorStaffId: caller.staffId,
      actorRole: caller.role,
      action: 'complaint.attachment_download',
      objectType: 'complaint',
      objectId: String(row.id),
      ip: meta.ip,
      detail: { attachmentId: a.id, relation: relationOf(caller, handlers) },
    }),
  );
  return { mime: a.mime, content: deps.pii.revealBytes(a.content), disposition: `attachment; filename="${evidenceDownloadName(row.trackingCode, position, a.mime)}"` };
}
