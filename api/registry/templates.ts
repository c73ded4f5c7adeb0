/** The downloadable import templates: the header row (Chinese, or English for the English pages) and, in XLSX, a sheet explaining every column. */
import type { Lang } from '../lib/messages.ts';
import { INSPECTION_COLUMNS, INSTITUTION_COLUMNS, templateRows } from './import-columns.ts';
import { csvTemplate, xlsxWorkbook } from './spreadsheet.ts';

export const TEMPLATE_KINDS = ['institutions', 'inspections'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

const NAMES: Record<TemplateKind, Record<Lang, { file: string; sheet: string; help: string }>> = {
  institutions: { 'zh-CN': { file: '机构导入模板', sheet: '机构', help: '填写说明' }, en: { file: 'institutions-template', sheet: 'Institutions', help: 'How to fill in' } },
  inspections: { 'zh-CN': { file: '年检结果导入模板', sheet: '年检结果', help: '填写说明' }, en: { file: 'inspections-template', sheet: 'Inspections', help: 'How to fill in' } },
};

export async function importTemplate(kind: TemplateKind, format: 'csv' | 'xlsx', lang: Lang) {
  const { header, instructions } = templateRows(kind === 'institutions' ? INSTITUTION_COLUMNS : INSPECTION_COLUMNS, lang);
  const n = NAMES[kind][lang];
  const bytes = format === 'csv' ? csvTemplate([header]) : await xlsxWorkbook([{ name: n.sheet, rows: [header] }, { name: n.help, rows: instructions }]);
  const file = `${n.file}.${format}`;
  return {
    bytes,
    contentType: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    // RFC 6266 / 5987: an ASCII fallback plus the UTF-8 name.
    disposition: `attachment; filename="${kind}-template.${format}"; filename*=UTF-8''${encodeURIComponent(file)}`,
  };
}
