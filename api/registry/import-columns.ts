/**
 * The columns of the two import files: the header a clerk sees in the template (Chinese; the
 * English header is accepted too), the field it fills, and whether it must be present.
 * A leading or trailing * (the template marks required columns) and spaces are ignored.
 */
import type { Lang } from '../lib/messages.ts';
import type { InstitutionField } from './schema.ts';

export interface Column<F extends string> {
  field: F;
  zh: string;
  en: string;
  required: boolean;
  /** What to write, for the template's instructions sheet. */
  hintZh: string;
  hintEn: string;
}

export const INSTITUTION_COLUMNS: readonly Column<InstitutionField>[] = [
  { field: 'name', zh: '机构名称', en: 'Name', required: true, hintZh: '2到100个字', hintEn: '2 to 100 characters' },
  { field: 'creditCode', zh: '统一社会信用代码', en: 'Credit code', required: true, hintZh: '18位，含校验位；已登记的代码将更新该机构', hintEn: '18 characters with check character; a registered code updates that institution' },
  { field: 'licenseNo', zh: '办学许可证编号', en: 'License number', required: true, hintZh: '教民+15位数字+号', hintEn: '教民 + 15 digits + 号' },
  { field: 'legalForm', zh: '法人类型', en: 'Legal form', required: true, hintZh: '民办非企业单位 / 公司', hintEn: '民办非企业单位 / 公司' },
  { field: 'category', zh: '培训类别', en: 'Category', required: true, hintZh: '学科类 / 体育类 / 文化艺术类 / 科技类（主管部门据此确定）', hintEn: '学科类 / 体育类 / 文化艺术类 / 科技类 (sets the supervising departments)' },
  { field: 'town', zh: '所在镇（街道）', en: 'Town or street', required: true, hintZh: '如 辛店街道、齐都镇', hintEn: 'e.g. 辛店街道, 齐都镇' },
  { field: 'zone', zh: '督导责任区', en: 'Supervision zone', required: true, hintZh: '1到16的数字', hintEn: 'a number 1 to 16' },
  { field: 'address', zh: '地址', en: 'Address', required: true, hintZh: '详细地址', hintEn: 'full address' },
  { field: 'licenseIssuedOn', zh: '发证日期', en: 'Issued on', required: true, hintZh: '年-月-日，如 2024-03-15', hintEn: 'YYYY-MM-DD' },
  { field: 'licenseValidUntil', zh: '有效期至', en: 'Valid until', required: true, hintZh: '年-月-日', hintEn: 'YYYY-MM-DD' },
  { field: 'fireSafetyPassed', zh: '消防验收（备案）', en: 'Fire safety passed', required: true, hintZh: '是 / 否', hintEn: '是 / 否 (yes / no)' },
  { field: 'fireSafetyDate', zh: '消防通过日期', en: 'Fire safety date', required: false, hintZh: '已通过时必填', hintEn: 'required when passed' },
  { field: 'custodyBank', zh: '监管专户开户银行', en: 'Custody bank', required: false, hintZh: '无专户时留空', hintEn: 'empty when there is no custody account' },
  { field: 'custodyAccountNo', zh: '监管专户账号', en: 'Custody account number', required: false, hintZh: '8到32位数字', hintEn: '8 to 32 digits' },
  { field: 'usesModelContract', zh: '使用示范合同文本', en: 'Uses model contract', required: true, hintZh: '是 / 否（GF—2021—2604）', hintEn: '是 / 否 (GF—2021—2604)' },
  { field: 'trainingItems', zh: '培训项目', en: 'Training items', required: true, hintZh: '用顿号“、”分隔，如 少儿美术、书法', hintEn: 'separated by “、”' },
  { field: 'staffCount', zh: '从业人员数', en: 'Staff', required: true, hintZh: '整数', hintEn: 'whole number' },
  { field: 'teacherCount', zh: '教师人数', en: 'Teachers', required: true, hintZh: '整数，不多于从业人员数', hintEn: 'whole number, at most the staff count' },
  { field: 'phone', zh: '联系电话', en: 'Phone', required: false, hintZh: '可留空', hintEn: 'optional' },
];

export type InspectionField = 'year' | 'creditCode' | 'name' | 'result' | 'findings' | 'rectification' | 'rectifiedOn' | 'publishedOn' | 'note';

export const INSPECTION_COLUMNS: readonly Column<InspectionField>[] = [
  { field: 'year', zh: '年度', en: 'Year', required: true, hintZh: '四位年份；一个文件只能有一个年度', hintEn: 'four-digit year; one year per file' },
  { field: 'creditCode', zh: '统一社会信用代码', en: 'Credit code', required: true, hintZh: '须为已登记的机构', hintEn: 'must be a registered institution' },
  { field: 'name', zh: '机构名称', en: 'Name', required: false, hintZh: '填写时须与登记一致（用于核对）', hintEn: 'if given, must match the registry (a cross-check)' },
  { field: 'result', zh: '检查结果', en: 'Result', required: true, hintZh: '合格 / 基本合格 / 不合格 / 未参检', hintEn: '合格 / 基本合格 / 不合格 / 未参检' },
  { field: 'findings', zh: '发现问题', en: 'Findings', required: false, hintZh: '消防隐患、从业人员资质、预收费超限、未开设监管专户、合同不规范、违规宣传、超时培训、台账不全，用顿号分隔', hintEn: 'the Chinese names listed, separated by “、”' },
  { field: 'rectification', zh: '整改情况', en: 'Rectification', required: false, hintZh: '整改中 / 已整改（有发现问题时必填）', hintEn: '整改中 / 已整改 (required with findings)' },
  { field: 'rectifiedOn', zh: '整改完成日期', en: 'Rectified on', required: false, hintZh: '已整改时必填', hintEn: 'required when rectified' },
  { field: 'publishedOn', zh: '公布日期', en: 'Published on', required: true, hintZh: '年-月-日', hintEn: 'YYYY-MM-DD' },
  { field: 'note', zh: '备注', en: 'Note', required: false, hintZh: '可留空，最多200字', hintEn: 'optional, up to 200 characters' },
];

const normaliseHeader = (h: string) => h.normalize('NFKC').replace(/[*＊\s]/g, '').toLowerCase();

export interface HeaderMap<F extends string> {
  /** Field → index of its column in the row. */
  index: Partial<Record<F, number>>;
  problems: { column: string; kind: 'missing' | 'unknown' | 'duplicate' }[];
}

export function mapHeaders<F extends string>(columns: readonly Column<F>[], headers: readonly string[], lang: Lang): HeaderMap<F> {
  const index: Partial<Record<F, number>> = {};
  const problems: HeaderMap<F>['problems'] = [];
  headers.forEach((h, i) => {
    if (h.trim() === '') return;
    const key = normaliseHeader(h);
    const col = columns.find((c) => normaliseHeader(c.zh) === key || normaliseHeader(c.en) === key);
    if (!col) problems.push({ column: h, kind: 'unknown' });
    else if (index[col.field] !== undefined) problems.push({ column: h, kind: 'duplicate' });
    else index[col.field] = i;
  });
  for (const c of columns) if (c.required && index[c.field] === undefined) problems.push({ column: lang === 'en' ? c.en : c.zh, kind: 'missing' });
  return { index, problems };
}

export const columnLabel = <F extends string>(columns: readonly Column<F>[], field: F, lang: Lang) => {
  const c = columns.find((x) => x.field === field);
  return c ? (lang === 'en' ? c.en : c.zh) : field;
};

/** The template's header row (required columns marked with *) and its instructions sheet. */
export function templateRows<F extends string>(columns: readonly Column<F>[], lang: Lang): { header: string[]; instructions: string[][] } {
  const header = columns.map((c) => `${lang === 'en' ? c.en : c.zh}${c.required ? '*' : ''}`);
  const instructions = [lang === 'en' ? ['Column', 'Required', 'What to write'] : ['列名', '是否必填', '填写说明'], ...columns.map((c) => [lang === 'en' ? c.en : c.zh, c.required ? (lang === 'en' ? 'yes' : '必填') : lang === 'en' ? 'no' : '选填', lang === 'en' ? c.hintEn : c.hintZh])];
  return { header, instructions };
}
