/**
 * Tracking codes like TS-7K3M-9QXP: 8 characters from a 34-symbol alphabet without look-alikes
 * (no I, O — so 0/1 stay unambiguous), drawn from the CSPRNG: ~40 bits, unguessable, and useless
 * without the mobile number's last four digits anyway.
 */
import { randomInt } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ'.replace(/[IO]/g, '');

export function newTrackingCode(): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return `TS-${s.slice(0, 4)}-${s.slice(4)}`;
}
