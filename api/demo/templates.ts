/**
 * Demo response templates (演示数据): a few realistic canned texts per bureau, as a department head
 * would keep them, marked is_demo so the templates page labels them. Demo mode only.
 */
import type { Db } from '../../db/client.ts';
import { responseTemplates } from '../../db/schema.ts';
import type { TemplateStatus } from '../cases/templates.ts';

type Plan = [TemplateStatus, string, string][];

const COMMON: Plan = [
  ['submitted', '受理告知', '您的退费投诉已受理。我们将在15个工作日内联系培训机构了解情况并组织调解，办理进展可凭跟踪码随时查询。'],
  ['submitted', '不予受理（重复投诉）', '经核查，您已就同一事项提交过投诉，该投诉正在办理中。请凭原跟踪码查询进展，无需重复提交。'],
  ['accepted', '已联系机构', '我们已电话联系培训机构负责人，要求其在3个工作日内就退费事宜作出书面答复。'],
  ['in_progress', '调解进展', '已组织双方进行调解，机构表示愿意按剩余课时退费，正在核对已上课时与收费凭证。'],
  ['resolved', '结案回访', '本案已办结。如对办理结果不满意，可在7日内通过跟踪页面评价，我们将安排复核。'],
];

const BY_DEPT: Record<string, Plan> = {
  edu: [
    ...COMMON,
    ['in_progress', '核查办学许可', '已核查该机构办学许可证及年检情况，并将预收费是否进入监管专户纳入本次调查。'],
  ],
  culture: [
    ...COMMON,
    ['accepted', '文化艺术类机构约谈', '文旅局已会同教体局约谈该艺术培训机构，要求其说明停课原因并提出退费方案。'],
  ],
  science: [
    ...COMMON,
    ['accepted', '科技类机构约谈', '科技局已会同教体局约谈该科技培训机构，要求其核对学员课时并提出退费方案。'],
  ],
  market: [
    ...COMMON,
    ['in_progress', '合同审查', '市场监管局正在对培训合同条款进行审查，重点核对退费条款是否符合示范文本（GF—2021—2604）。'],
  ],
};

export async function seedDemoTemplates(db: Db, now: Date): Promise<number> {
  const rows = Object.entries(BY_DEPT).flatMap(([dept, plan]) => plan.map(([forStatus, title, body]) => ({ departmentCode: dept, forStatus, title, body, updatedAt: now, isDemo: true })));
  await db.write((tx) => tx.insert(responseTemplates).values(rows));
  return rows.length;
}
