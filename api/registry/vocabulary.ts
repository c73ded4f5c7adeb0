/**
 * The words a clerk types in an import file or sees in the template for coded values. They are
 * part of the file format (the template's Chinese vocabulary), so both the codes and these labels
 * are accepted; English labels are accepted too for the English template.
 */
import { CATEGORIES, FINDING_CODES, INSPECTION_RESULTS, LEGAL_FORMS, RECTIFICATION } from '../../db/schema.ts';

type Vocab<K extends string> = Record<K, readonly string[]>;

export const CATEGORY_WORDS: Vocab<(typeof CATEGORIES)[number]> = {
  subject: ['学科类', 'subject'],
  sports: ['体育类', 'sports'],
  culture_arts: ['文化艺术类', 'culture_arts', 'culture & arts'],
  science_tech: ['科技类', 'science_tech', 'science & technology'],
};
export const LEGAL_FORM_WORDS: Vocab<(typeof LEGAL_FORMS)[number]> = {
  non_enterprise: ['民办非企业单位', 'non_enterprise', 'non-enterprise'],
  company: ['公司', 'company'],
};
export const RESULT_WORDS: Vocab<(typeof INSPECTION_RESULTS)[number]> = {
  pass: ['合格', 'pass'],
  pass_with_remarks: ['基本合格', 'pass_with_remarks', 'pass with remarks'],
  fail: ['不合格', 'fail'],
  absent: ['未参检', 'absent'],
};
export const FINDING_WORDS: Vocab<(typeof FINDING_CODES)[number]> = {
  fire_hazard: ['消防隐患', 'fire_hazard'],
  staff_qualification: ['从业人员资质', 'staff_qualification'],
  prepaid_over_limit: ['预收费超限', 'prepaid_over_limit'],
  no_custody_account: ['未开设监管专户', 'no_custody_account'],
  contract_nonstandard: ['合同不规范', 'contract_nonstandard'],
  advertising: ['违规宣传', 'advertising'],
  overtime_training: ['超时培训', 'overtime_training'],
  records_incomplete: ['台账不全', 'records_incomplete'],
};
export const RECTIFICATION_WORDS: Vocab<(typeof RECTIFICATION)[number]> = {
  in_progress: ['整改中', 'in_progress', 'in progress'],
  done: ['已整改', 'done'],
};
export const YES = ['是', '有', 'y', 'yes', 'true', '1', 'on'];
export const NO = ['否', '无', 'n', 'no', 'false', '0', 'off', ''];

/** The code a word stands for, or null (case-insensitive, surrounding spaces ignored). */
export function codeOf<K extends string>(vocab: Vocab<K>, raw: string): K | null {
  const w = raw.trim().toLowerCase();
  for (const [code, words] of Object.entries(vocab) as [K, readonly string[]][]) if (words.some((x) => x.toLowerCase() === w)) return code;
  return null;
}

/** The Chinese word of a code (what the template and exports write). */
export const wordOf = <K extends string>(vocab: Vocab<K>, code: K): string => vocab[code][0]!;

/** Lists in a cell: 、 ， , ； ; or new lines. */
export const splitList = (raw: string) =>
  raw
    .split(/[、，,；;\n]+/)
    .map((s) => s.trim())
    .filter(Boolean);
