/**
 * 统一社会信用代码 (GB 32100-2015) and 办学许可证编号: the registry import and the institution
 * pages rely on these checks to refuse mistyped codes, so a parent never sees a wrong code
 * presented as official.
 */
import { describe, expect, it } from 'vitest';
import {
  checkCreditCode,
  creditCodeCheckChar,
  isValidCreditCode,
  isValidLicenseNo,
  LICENSE_NO_PATTERN,
  makeCreditCode,
} from '../../api/registry/credit-code.ts';

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** The example code printed in GB 32100-2015 and widely reproduced. */
const GB_EXAMPLE = '91350100M000100Y43';

// Real-looking codes: 52 = 民办非企业单位 (civil affairs), 91 = company (market supervision);
// 370305 = 临淄区.
const BUILT = [
  makeCreditCode('52', '370305', '10000070'),
  makeCreditCode('91', '370305', '10000077'),
  makeCreditCode('52', '370305', 'MA3C4D5E'),
  makeCreditCode('91', '370303', 'MA7NQ2XY'),
  makeCreditCode('12', '370000', '00418760'),
];

describe('valid codes', () => {
  it('accepts the GB 32100 example code', () => {
    expect(checkCreditCode(GB_EXAMPLE)).toBeNull();
    expect(isValidCreditCode(GB_EXAMPLE)).toBe(true);
  });

  it('makeCreditCode reproduces both check characters of the GB example', () => {
    // organisation-code check (GB 11714) '4', then the mod-31 check '3'
    expect(makeCreditCode('91', '350100', 'M000100Y')).toBe(GB_EXAMPLE);
    expect(creditCodeCheckChar(GB_EXAMPLE.slice(0, 17))).toBe('3');
  });

  it.each(BUILT)('accepts the built code %s', (code) => {
    expect(code).toHaveLength(18);
    expect(checkCreditCode(code)).toBeNull();
  });

  it('accepts lowercase and surrounding whitespace (trimmed and upper-cased)', () => {
    expect(checkCreditCode(GB_EXAMPLE.toLowerCase())).toBeNull();
    expect(checkCreditCode(`  ${GB_EXAMPLE.toLowerCase()}\t`)).toBeNull();
    for (const code of BUILT) expect(isValidCreditCode(` ${code.toLowerCase()} `)).toBe(true);
  });
});

describe('single-character typos are always caught', () => {
  for (const code of [GB_EXAMPLE, ...BUILT]) {
    it(`rejects every single-character substitution of ${code}`, () => {
      let tried = 0;
      for (let pos = 0; pos < 18; pos++) {
        for (const ch of ALPHABET) {
          if (ch === code[pos]) continue;
          const typo = code.slice(0, pos) + ch + code.slice(pos + 1);
          const problem = checkCreditCode(typo);
          // Only check-digit style problems: the typo stays within the alphabet and length.
          expect(problem, `${typo} (position ${pos + 1})`).toMatch(/^(org_check|check_digit)$/);
          tried++;
        }
      }
      expect(tried).toBe(18 * 30);
    });
  }

  it('a changed last character is reported as check_digit', () => {
    const last = GB_EXAMPLE[17]!;
    const other = last === '0' ? '1' : '0';
    expect(checkCreditCode(GB_EXAMPLE.slice(0, 17) + other)).toBe('check_digit');
  });

  it('a wrong organisation-code check with a matching final check is reported as org_check', () => {
    const first16 = GB_EXAMPLE.slice(0, 16);
    const wrongOrg = GB_EXAMPLE[16] === '5' ? '6' : '5';
    const first17 = first16 + wrongOrg;
    const code = first17 + creditCodeCheckChar(first17);
    expect(checkCreditCode(code)).toBe('org_check');
  });

  it('swapping two adjacent different characters is rejected', () => {
    for (const code of [GB_EXAMPLE, ...BUILT]) {
      for (let pos = 0; pos < 17; pos++) {
        if (code[pos] === code[pos + 1]) continue;
        const swapped = code.slice(0, pos) + code[pos + 1] + code[pos] + code.slice(pos + 2);
        expect(checkCreditCode(swapped), `${swapped} (swap ${pos + 1}/${pos + 2})`).not.toBeNull();
      }
    }
  });
});

describe('length and character set', () => {
  it.each([
    ['', 'empty'],
    [GB_EXAMPLE.slice(0, 17), '17 characters'],
    [`${GB_EXAMPLE}0`, '19 characters'],
    ['91350100M00010', '14 characters'],
    [`${GB_EXAMPLE.slice(0, 9)} ${GB_EXAMPLE.slice(9)}`, 'space in the middle (19 characters)'],
  ])('%j (%s) → length', (code) => {
    expect(checkCreditCode(code)).toBe('length');
    expect(isValidCreditCode(code)).toBe(false);
  });

  for (const bad of ['I', 'O', 'S', 'V', 'Z']) {
    it(`the excluded letter ${bad} → charset, in any position`, () => {
      for (const pos of [0, 2, 8, 12, 16, 17]) {
        const code = GB_EXAMPLE.slice(0, pos) + bad + GB_EXAMPLE.slice(pos + 1);
        expect(checkCreditCode(code)).toBe('charset');
        expect(checkCreditCode(code.toLowerCase())).toBe('charset');
      }
    });
  }

  it('punctuation and full-width characters → charset', () => {
    expect(checkCreditCode(`${GB_EXAMPLE.slice(0, 17)}-`)).toBe('charset');
    expect(checkCreditCode(`９${GB_EXAMPLE.slice(1)}`)).toBe('charset');
  });
});

describe('school-running license number (办学许可证编号)', () => {
  it('accepts 教民 + 15 digits + 号, trimmed', () => {
    expect(isValidLicenseNo('教民370305300000001号')).toBe(true);
    expect(isValidLicenseNo('  教民370305100000123号 ')).toBe(true);
    expect(LICENSE_NO_PATTERN.test('教民370305400012345号')).toBe(true);
  });

  it.each([
    ['教民37030530000001号', '14 digits'],
    ['教民3703053000000012号', '16 digits'],
    ['教民370305300000001', 'missing 号'],
    ['370305300000001号', 'missing 教民'],
    ['教字370305300000001号', 'wrong prefix'],
    ['教民37030530000000A号', 'letter among the digits'],
    ['教民370305300000001号X', 'trailing text'],
    ['', 'empty'],
  ])('rejects %j (%s)', (no) => {
    expect(isValidLicenseNo(no)).toBe(false);
  });
});
