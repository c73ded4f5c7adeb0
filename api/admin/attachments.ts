/**
 * Staff download of a complaint's evidence files (contracts, receipts: personal data through and
 * through). Only staff of a handling department may open them — the same rule as the parent's
 * name and number — and every download writes an audit row. Files are always served as
 * downloads with a sandboxing CSP, never rendered inline in the admin's origin.
 */
import { and, eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { appendAudit } from '../audit/log.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../lib/errors.ts';
import { maySeePersonalData, relationOf, type Caller } from './access.ts';
import { findCaseFor } from './case-view.ts';

const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'application/pdf': 'pdf' };

export interface AttachmentDownload {
  mime: string;
  content: Buffer;
  /** Content-Disposition value: an ASCII fallback name plus the parent's original name (RFC 6266). */
  disposition: string;
}

export async function openAttachment(deps: Deps, caller: Caller, rawCode: string, rawId: string, meta: { ip: string | null }): Promise<AttachmentDownload> {
  const { row, handlers } = await findCaseFor(deps, caller, rawCode);
  if (!/^\d{1,12}$/.test(rawId)) throw new ApiError(404, 'not_found', 'not_found');
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
  const ext = EXTENSIONS[a.mime] ?? 'bin';
  // The original name may hold anything a phone put there; quotes and controls never reach the header.
  const original = a.originalName.replace(/[\u0000-\u001f\u007f"\\]/g, '_').slice(0, 150) || `evidence.${ext}`;
  return {
    mime: a.mime,
    content: a.content,
    disposition: `attachment; filename="${row.trackingCode}-${a.id}.${ext}"; filename*=UTF-8''${encodeURIComponent(original)}`,
  };
}
