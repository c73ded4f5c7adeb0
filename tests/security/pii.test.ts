/**
 * Personal data protection: a parent's name and mobile number are stored only encrypted,
 * looked up by a keyed hash, and shown masked (138****5678).
 */
import { describe, expect, it } from 'vitest';
import { deriveKeys } from '../../api/security/keys.ts';
import { createPii, isCiphertext, isEncryptedBytes, maskMobile, maskName, normaliseMobile } from '../../api/security/pii.ts';

const pii = createPii(deriveKeys(Buffer.alloc(32, 7)));
const otherPii = createPii(deriveKeys(Buffer.alloc(32, 8)));

/** Flip one byte inside a base64url segment of `v1.<iv>.<ct+tag>`. */
function tamper(stored: string, segment: 1 | 2, byteIndex: number): string {
  const parts = stored.split('.');
  const buf = Buffer.from(parts[segment]!, 'base64url');
  const i = byteIndex < 0 ? buf.length + byteIndex : byteIndex;
  buf[i] = buf[i]! ^ 0x01;
  parts[segment] = buf.toString('base64url');
  return parts.join('.');
}

describe('encryption at rest', () => {
  it.each(['王小明', '13912345678', '欧阳娜娜·阿依古丽', 'Li Ming', '👨‍👩‍👧 家长', ''])('round-trips %j', (plain) => {
    const stored = pii.encrypt(plain);
    expect(stored.startsWith('v1.')).toBe(true);
    expect(pii.decrypt(stored)).toBe(plain);
  });

  it('the stored form does not contain the plain text', () => {
    for (const plain of ['王小明', '13912345678']) {
      const stored = pii.encrypt(plain);
      expect(stored).not.toContain(plain);
      expect(Buffer.from(stored.split('.')[2]!, 'base64url').toString('utf8')).not.toContain(plain);
    }
  });

  it('the same input encrypts differently each time (random IV)', () => {
    const seen = new Set(Array.from({ length: 20 }, () => pii.encrypt('13912345678')));
    expect(seen.size).toBe(20);
    const ivs = new Set([...seen].map((s) => s.split('.')[1]));
    expect(ivs.size).toBe(20);
    for (const s of seen) expect(pii.decrypt(s)).toBe('13912345678');
  });

  it('a tampered ciphertext, IV or tag is refused, never decrypted to something else', () => {
    const stored = pii.encrypt('13912345678');
    expect(() => pii.decrypt(tamper(stored, 2, 0))).toThrow(); // ciphertext
    expect(() => pii.decrypt(tamper(stored, 2, -1))).toThrow(); // auth tag
    expect(() => pii.decrypt(tamper(stored, 1, 0))).toThrow(); // IV
  });

  it('a truncated or foreign-format value is refused', () => {
    const stored = pii.encrypt('王小明');
    expect(() => pii.decrypt(stored.slice(0, -4))).toThrow();
    expect(() => pii.decrypt(stored.replace(/^v1\./, 'v2.'))).toThrow();
    expect(() => pii.decrypt('13912345678')).toThrow();
    expect(() => pii.decrypt('v1..')).toThrow();
  });

  it('another key cannot decrypt', () => {
    expect(() => otherPii.decrypt(pii.encrypt('王小明'))).toThrow();
  });
});

describe('mobile lookup hash', () => {
  const h = pii.mobileHash('13812345678');

  it.each(['13812345678', '+86 138 1234 5678', '+8613812345678', '8613812345678', '138-1234-5678', ' 138 1234 5678 '])(
    '%j hashes like 13812345678',
    (form) => {
      expect(pii.mobileHash(form)).toBe(h);
    },
  );

  it('differs for a different number', () => {
    expect(pii.mobileHash('13812345679')).not.toBe(h);
  });

  it('is keyed: another key gives another hash, and it is not a plain digest of the number', () => {
    expect(otherPii.mobileHash('13812345678')).not.toBe(h);
    expect(h).not.toContain('13812345678');
  });

  it('normaliseMobile strips +86, spaces and dashes but keeps other numbers intact', () => {
    expect(normaliseMobile('+86 138-1234-5678')).toBe('13812345678');
    // 86 followed by something that is not a mobile number is left alone
    expect(normaliseMobile('861234')).toBe('861234');
  });
});

describe('masking for display', () => {
  it("maskMobile('13812345678') = '138****5678'", () => {
    expect(maskMobile('13812345678')).toBe('138****5678');
  });

  it('masks formatted numbers the same way', () => {
    expect(maskMobile('+86 138 1234 5678')).toBe('138****5678');
    expect(maskMobile('138-1234-5678')).toBe('138****5678');
  });

  it('never echoes something that is not an 11-digit number', () => {
    expect(maskMobile('12345')).toBe('****');
    expect(maskMobile('')).toBe('****');
  });

  it('maskName keeps only the first character', () => {
    expect(maskName('张小明')).toBe('张**');
    expect(maskName('王五')).toBe('王*');
    expect(maskName('欧阳娜娜·阿依古丽')).toBe('欧***');
    expect(maskName('Li Ming')).toBe('L***');
    expect(maskName('  ')).toBe('');
  });
});

describe('encryption at rest for the rest of what a parent sends (description, notes, files, IP)', () => {
  it('reveal reads both forms: our ciphertext decrypted, a plain text from before as it is', () => {
    const stored = pii.encrypt('机构拒绝退费');
    expect(isCiphertext(stored)).toBe(true);
    expect(pii.reveal(stored)).toBe('机构拒绝退费');
    expect(pii.reveal('旧版本的明文')).toBe('旧版本的明文');
    expect(pii.reveal(null)).toBeNull();
    // Ciphertext under another key is an error, never shown as if it were text.
    expect(() => otherPii.reveal(stored)).toThrow();
  });

  it('bytes round-trip, start with a marker no evidence type has, and legacy files pass through', () => {
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100, 9)]);
    const stored = pii.encryptBytes(jpeg);
    expect(isEncryptedBytes(stored)).toBe(true);
    expect(stored.includes(jpeg.subarray(4, 40))).toBe(false);
    expect(pii.revealBytes(stored)).toEqual(jpeg);
    expect(pii.revealBytes(jpeg)).toBe(jpeg);
    stored[20]! ^= 1;
    expect(() => pii.revealBytes(stored)).toThrow();
  });

  it('ipKey is a keyed hash: stable, per key, without the address in it', () => {
    expect(pii.ipKey('203.0.113.9')).toBe(pii.ipKey('203.0.113.9'));
    expect(pii.ipKey('203.0.113.9')).not.toBe(otherPii.ipKey('203.0.113.9'));
    expect(pii.ipKey('203.0.113.9')).not.toContain('203');
    expect(pii.ipKey('203.0.113.9')).not.toBe(pii.mobileHash('203.0.113.9'));
  });
});
