/**
 * Zip-bomb guard for uploaded XLSX files (an XLSX is a zip archive), run before the spreadsheet
 * library sees a byte. The central directory is read, every entry is inflated here with a hard
 * output cap (zlib's maxOutputLength), and the local headers must sit exactly where the central
 * directory says, one after another from the start of the file — so a streaming reader walking
 * the local headers meets the same entries we measured, and declared sizes cannot lie.
 */
import { inflateRawSync } from 'node:zlib';

export interface ZipLimits {
  maxEntries: number;
  /** Sum of every entry's inflated size. */
  maxTotalBytes: number;
}
export const XLSX_LIMITS: ZipLimits = { maxEntries: 200, maxTotalBytes: 20 * 1024 * 1024 };

export type ZipProblem = 'damaged' | 'bomb';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** null when the archive is well-formed and within the limits. */
export function checkZip(buf: Buffer, limits: ZipLimits = XLSX_LIMITS): ZipProblem | null {
  try {
    // End of central directory: the last 22 bytes plus at most a 64 KB comment.
    let eocd = -1;
    for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
      if (buf.readUInt32LE(i) === EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) return 'damaged';
    const entries = buf.readUInt16LE(eocd + 10);
    const cdSize = buf.readUInt32LE(eocd + 12);
    const cdOffset = buf.readUInt32LE(eocd + 16);
    if (entries === 0xffff || cdOffset === 0xffffffff) return 'damaged'; // zip64: no spreadsheet needs it
    if (entries > limits.maxEntries) return 'bomb';
    if (cdOffset + cdSize > eocd) return 'damaged';
    const list: { offset: number; method: number; csize: number; usize: number; flags: number }[] = [];
    let p = cdOffset;
    for (let n = 0; n < entries; n++) {
      if (buf.readUInt32LE(p) !== CENTRAL) return 'damaged';
      const flags = buf.readUInt16LE(p + 8);
      const method = buf.readUInt16LE(p + 10);
      const csize = buf.readUInt32LE(p + 20);
      const usize = buf.readUInt32LE(p + 24);
      const nameLen = buf.readUInt16LE(p + 28);
      const extraLen = buf.readUInt16LE(p + 30);
      const commentLen = buf.readUInt16LE(p + 32);
      const offset = buf.readUInt32LE(p + 42);
      if (flags & 1) return 'damaged'; // encrypted
      list.push({ offset, method, csize, usize, flags });
      p += 46 + nameLen + extraLen + commentLen;
    }
    list.sort((a, b) => a.offset - b.offset);
    let expected = 0;
    let total = 0;
    for (const e of list) {
      if (e.offset !== expected || buf.readUInt32LE(e.offset) !== LOCAL) return 'damaged';
      const nameLen = buf.readUInt16LE(e.offset + 26);
      const extraLen = buf.readUInt16LE(e.offset + 28);
      const start = e.offset + 30 + nameLen + extraLen;
      const end = start + e.csize;
      if (end > cdOffset) return 'damaged';
      const data = buf.subarray(start, end);
      const remaining = limits.maxTotalBytes - total;
      let size: number;
      if (e.method === 0) size = data.length;
      else if (e.method === 8) {
        try {
          size = inflateRawSync(data, { maxOutputLength: Math.max(1, remaining) }).length;
        } catch (err) {
          return (err as Error).name === 'RangeError' || /maxOutputLength|buffer/i.test((err as Error).message) ? 'bomb' : 'damaged';
        }
      } else return 'damaged';
      if (size !== e.usize) return 'damaged';
      total += size;
      if (total > limits.maxTotalBytes) return 'bomb';
      // A data descriptor (flag bit 3) follows the data: 12 or 16 bytes (with its optional signature).
      expected = end;
      if (e.flags & 8) expected += buf.readUInt32LE(end) === 0x08074b50 ? 16 : 12;
    }
    return expected === cdOffset ? null : 'damaged';
  } catch {
    return 'damaged';
  }
}
