/**
 * Unified social credit code (统一社会信用代码), GB 32100-2015.
 * 18 characters from a 31-symbol alphabet (no I, O, S, V, Z); the last is a mod-31 check
 * character over the first 17 with weights 3^i mod 31. Positions 9–17 embed the organisation
 * code of GB 11714, whose own mod-11 check we verify too: real codes satisfy both.
 * Pure functions: used by the API, the import dry-run, the seed and the browser form.
 */
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];

export type CreditCodeProblem = 'length' | 'charset' | 'org_check' | 'check_digit';

function orgCheckChar(first8: string): string | null {
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const ch = first8[i]!;
    const v = /[0-9]/.test(ch) ? Number(ch) : /[A-Z]/.test(ch) ? ch.charCodeAt(0) - 55 : NaN;
    if (Number.isNaN(v)) return null;
    sum += v * ORG_WEIGHTS[i]!;
  }
  const c = 11 - (sum % 11);
  return c === 10 ? 'X' : c === 11 ? '0' : String(c);
}

export function creditCodeCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ALPHABET.indexOf(first17[i]!) * WEIGHTS[i]!;
  return ALPHABET[(31 - (sum % 31)) % 31]!;
}

/** Returns null when valid, else what is wrong (so forms can say which rule failed). */
export function checkCreditCode(raw: string): CreditCodeProblem | null {
  const code = raw.trim().toUpperCase();
  if (code.length !== 18) return 'length';
  for (const ch of code) if (!ALPHABET.includes(ch)) return 'charset';
  if (orgCheckChar(code.slice(8, 16)) !== code[16]) return 'org_check';
  if (creditCodeCheckChar(code.slice(0, 17)) !== code[17]) return 'check_digit';
  return null;
}

export const isValidCreditCode = (raw: string): boolean => checkCreditCode(raw) === null;

/**
 * Builds a valid code from its parts (used by the demo generator): registration authority +
 * type (e.g. '52' 民办非企业单位 registered with civil affairs, '91' company), 6-digit division
 * code, and an 8-character organisation body; both check characters are computed.
 */
export function makeCreditCode(authorityAndType: string, division: string, orgBody8: string): string {
  const org = orgCheckChar(orgBody8);
  if (!org || !ALPHABET.includes(org)) throw new Error(`invalid organisation body ${orgBody8}`);
  const first17 = `${authorityAndType}${division}${orgBody8}${org}`;
  return first17 + creditCodeCheckChar(first17);
}

/** 办学许可证编号: 教民 + 15 digits (6-digit division code, 1-digit type, 8-digit serial) + 号. */
export const LICENSE_NO_PATTERN = /^教民\d{15}号$/;
export const isValidLicenseNo = (raw: string): boolean => LICENSE_NO_PATTERN.test(raw.trim());
