import type { LicenseStatus } from '../../db/schema.ts';

/** A 'valid' license past its valid-until date is expired, whatever the stored status says. */
export function effectiveLicenseStatus(stored: LicenseStatus, validUntil: string, today: string): LicenseStatus {
  return stored === 'valid' && validUntil < today ? 'expired' : stored;
}
