/**
 * A draft risk notice (风险提示) for a cluster of refund complaints against one operator, as
 * Markdown with the front matter content/notices/*.md uses (site/content.config.ts). Staff copy
 * it into content/notices/ after checking it; nothing here publishes anything.
 *
 * Pure: the input holds only public registry data (the institution's name, id, license number,
 * address as registered) and aggregate figures (how many complaints, between which dates). It
 * has no field for a complainant's name, mobile number or narrative, so a draft cannot carry them.
 * An operator outside the registry is not named: the name a parent typed is unverified.
 *
 * Registry text is data, not Markdown: an imported name or address could hold `<img onerror=…>`,
 * `[link](…)` or `**`. In the body every ASCII punctuation character of it is backslash-escaped
 * (CommonMark lets any of them be escaped, and an escaped one is always literal text) and line
 * breaks become spaces, so it can only ever render as the text it is. The site's Markdown pipeline
 * drops raw HTML as well (site/lib/markdown-no-html.ts); this holds even without it.
 */

export interface ClusterNoticeInput {
  /** The Beijing date the draft is dated (YYYY-MM-DD). */
  today: string;
  /** Registry data; null when the operator is not in the registry. */
  institution: { id: string; name: string; licenseNo: string; address: string } | null;
  trigger: 'count' | 'closed_reason';
  complaintCount: number;
  /** Beijing dates of the first and latest complaint in the cluster. */
  firstOn: string;
  lastOn: string;
}

const yamlString = (s: string) => JSON.stringify(s);
/** Registry text as literal Markdown text (see the top of this file). */
export const markdownText = (s: string) => s.replace(/\s+/g, ' ').trim().replace(/[!-/:-@[-`{-~]/g, '\\$&');
const cnDate = (d: string) => `${Number(d.slice(0, 4))}年${Number(d.slice(5, 7))}月${Number(d.slice(8, 10))}日`;

export function clusterNoticeDraft(input: ClusterNoticeInput): string {
  const inst = input.institution;
  // In quotes: CommonMark only opens/closes `**` next to punctuation (a name like 华鼎（第2分校）
  // or one starting with an escaped `<`) when punctuation or a space is on the other side.
  const who = inst ? `“**${markdownText(inst.name)}**”` : '**一家未在本区校外培训机构名录中登记的培训机构（名称待核实）**';
  const whoEn = inst ? inst.name : 'an unregistered training operator (name to be verified)';
  const span = input.firstOn === input.lastOn ? cnDate(input.firstOn) : `${cnDate(input.firstOn)}至${cnDate(input.lastOn)}`;
  const why =
    input.trigger === 'closed_reason'
      ? '其中有家长反映该机构出现停业或无法联系的情况'
      : '短期内投诉集中，存在群体性退费风险';

  const title = inst ? `关于${inst.name}退费风险的消费提示` : '关于未登记培训机构退费风险的消费提示';
  const titleEn = `Consumer alert: refund risk at ${whoEn}`;
  const summary = `近期区"双减"工作协调机制办公室收到涉及${inst ? inst.name : '一家未登记培训机构'}的退费投诉${input.complaintCount}件，提醒家长谨慎预付费用、依法理性维权。`;
  const summaryEn = `The district coordination office has received ${input.complaintCount} refund complaints about ${whoEn}; parents should be careful with prepaid fees and keep their contracts and receipts.`;

  const front = [
    '---',
    `title: ${yamlString(title)}`,
    `titleEn: ${yamlString(titleEn)}`,
    `summary: ${yamlString(summary.slice(0, 120))}`,
    `summaryEn: ${yamlString(summaryEn)}`,
    `date: ${input.today}`,
    'kind: consumer',
    'severity: warning',
    'departments: [edu, market]',
    `institutions: [${inst ? yamlString(inst.id) : ''}]`,
    '---',
  ];

  const registry = inst
    ? [`该机构办学许可证编号为${markdownText(inst.licenseNo)}，登记地址为${markdownText(inst.address)}。家长可在本网站"机构查询"中查看其许可状态、年检结果和有关提示。`]
    : ['该经营者未在本区校外培训机构名录中登记，可能属于无证培训。家长报名前请先在本网站"机构查询"中核实机构是否持有办学许可证。'];

  const body = [
    `${span}，区"双减"工作协调机制办公室陆续收到涉及${who}的退费投诉共${input.complaintCount}件，${why}。区教育和体育局、区市场监督管理局已按照退费维权"首接负责制"介入调查处理。`,
    '',
    ...registry,
    '',
    '## 一、给家长的提示',
    '',
    '1. **暂停预付**：在情况查明之前，请暂缓向该机构缴纳新的培训费用，不参加"充值优惠""提前续费"等活动。',
    '2. **控制预收费**：按规定，校外培训机构预收费不得超过3个月或60课时，请通过预收费资金监管专户缴费，不要向个人账户转账或缴纳现金。',
    '3. **保存凭证**：请妥善保管培训合同、缴费收据、转账记录和课时记录，作为退费维权的依据。',
    '4. **依法维权**：已缴费且需要退费的家长，可通过本网站"退费投诉"在线提交，或拨打12315等渠道反映，相关部门将依法依规处理。',
    '',
    '## 二、后续处理',
    '',
    '相关部门将持续跟进该机构的经营和退费情况，依法督促其履行合同义务；发现违法违规行为的，将依法依规严肃处理，并及时向社会通报处理进展。',
    '',
    '区"双减"工作协调机制办公室',
    `${cnDate(input.today)}`,
    '',
  ];
  return [...front, '', ...body].join('\n');
}
