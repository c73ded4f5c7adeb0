/**
 * The shapes intake passes between its steps and threads: a complaint prepared for saving (all
 * personal data already encrypted), what saving it answers, and the writer that saves it
 * elsewhere (api/intake/thread.ts). Types only, so api/deps.ts can name the writer
 * without importing intake itself (which needs Deps: that was an import cycle).
 */
import type { EvidenceFile } from './evidence.ts';
import type { PowCheck } from './pow.ts';
import type { ComplaintData } from './schema.ts';

/** What the parent is answered: the tracking code, who leads, who co-handles, the accept-by date. */
export interface IntakeResult {
  trackingCode: string;
  status: 'submitted';
  lead: { code: string; name: string };
  coHandlers: { code: string; name: string }[];
  acceptBy: string;
  /** Years the deadline crosses without an official holiday schedule (deadline may move). */
  calendarWarning?: { unknownYears: number[] };
}

/** A complaint ready to be saved, as plain data that may cross to the intake thread (prepareComplaint, service.ts). */
export interface PreparedComplaint {
  data: ComplaintData;
  /** Evidence as it is stored: content and original name encrypted, size and hash of the plain file. */
  files: readonly StoredEvidence[];
  /** Keyed hash of the client IP (the per-IP counter's key) and the IP encrypted (the audit row). */
  ipKey: string | null;
  ipEnc: string | null;
  isDemo: boolean;
  nowMs: number;
  today: string;
  mobileHash: string;
  fingerprint: string;
  parentNameEnc: string;
  mobileEnc: string;
  descriptionEnc: string | null;
  idemKey: string | null;
  institutionKey: string;
  /** null: not checked (switched off, demo, or the no-JS form); otherwise the verdict, used after the replay check. */
  pow: PowCheck | null;
  checkLimits: boolean;
}

/** An evidence file as the attachments table holds it (see PreparedComplaint.files). */
export interface StoredEvidence {
  mime: EvidenceFile['mime'];
  originalNameEnc: string;
  size: number;
  sha256: string;
  contentEnc: Buffer;
}

/** A saved complaint, or the stored answer to an earlier request with the same Idempotency-Key. */
export interface SavedComplaint {
  created: boolean;
  result: IntakeResult;
}

/** Saves prepared complaints somewhere else than this thread's write path. */
export interface IntakeWriter {
  save(prepared: PreparedComplaint): Promise<SavedComplaint>;
}
