/**
 * Texts of outgoing notifications. Department mail carries the case summary and a link to the
 * admin case page — never the parent's name or number (mail leaves our systems).
 */
const REASONS: Record<string, string> = {
  closed: '机构停业或失联', refused: '拒绝退费', delayed: '拖延退费', misleading: '与宣传不符',
  teacher: '师资变动', safety: '安全问题', other: '其他',
};

export interface CaseSummary {
  complaintId: number;
  trackingCode: string;
  institutionName: string;
  registered: boolean;
  reason: string;
  amountRequestedFen: number;
  lead: string;
  acceptBy: string;
  alertReasons?: string[];
  clusterId?: number | null;
}

export function departmentMail(topic: string, c: CaseSummary, baseUrl: string): { subject: string; text: string } {
  const link = `${baseUrl}/admin/cases/${c.trackingCode}/`;
  const lines = [
    `跟踪码：${c.trackingCode}`,
    `机构：${c.institutionName}${c.registered ? '' : '（未在登记名录中，疑似无证培训）'}`,
    `投诉事由：${REASONS[c.reason] ?? c.reason}`,
    `申请退还金额：${(c.amountRequestedFen / 100).toFixed(2)} 元`,
    `受理截止：${c.acceptBy}（2个工作日内）`,
    `办理页面：${link}`,
    '',
    '投诉人个人信息仅在办理页面显示，请登录查看。',
  ];
  if (topic === 'coordination_alert') {
    const why = (c.alertReasons ?? []).map((r) => (r === 'cluster' ? '同一机构短期内多起投诉（群体性退费风险）' : '机构停业或失联')).join('；');
    return { subject: `【预警】${c.institutionName}：${why}（${c.trackingCode}）`, text: [`预警原因：${why}`, ...lines].join('\n') };
  }
  const role = topic === 'case_new_lead' ? '首接负责（主办）' : '协办';
  return { subject: `【新投诉·${role}】${c.institutionName} ${c.trackingCode}，${c.acceptBy}前受理`, text: [`贵单位为本件${role}部门。`, ...lines].join('\n') };
}

export function parentAckSms(trackingCode: string, acceptBy: string): string {
  return `【校外培训监管】您的退费投诉已提交，跟踪码 ${trackingCode}，将于 ${acceptBy} 前受理。凭跟踪码和手机号后四位可查询进度。`;
}
