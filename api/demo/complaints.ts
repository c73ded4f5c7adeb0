/**
 * Demo complaints in every state, filed through the real intake service and moved through the
 * real workflow with back-dated clocks, so routing, deadlines, clusters, events and audit rows are
 * exactly what production would have produced. Parent names and numbers are fictional (演示).
 */
import { addCalendarDays } from '../calendar/working-days.ts';
import { ComplaintInputSchema } from '../intake/schema.ts';
import { submitComplaint } from '../intake/service.ts';
import { applyAction, type Action, type Actor } from '../cases/workflow.ts';
import type { Deps } from '../deps.ts';
import { createRng } from './rng.ts';
import { demoInstitutionId } from './registry.ts';
import { eq } from 'drizzle-orm';
import { complaints } from '../../db/schema.ts';

type Plan = 'submitted' | 'rejected' | 'accepted' | 'in_progress' | 'resolved' | 'closed';

const COURSES = ['少儿美术（秋季班）', '跆拳道48课时', '机器人编程年卡', '钢琴一对一', '舞蹈考级班', '篮球训练营', '书法课程包', '英语阅读（非学科素养）'];
const STORIES = [
  '机构突然停课，门口贴了装修通知，老师电话打不通，剩余课时无法上课，要求退还剩余费用。',
  '孩子因搬家无法继续上课，申请退费时机构以“优惠课程不退”为由拒绝，合同中并无此条款。',
  '多次联系机构退费，每次都说下周处理，已经拖了两个月仍未退款。',
  '报名时承诺小班教学，实际一个班三十多人，老师也频繁更换，与宣传严重不符。',
  '原来的授课老师离职，机构安排的新老师没有相关资质，家长要求退费被拒。',
  '教室没有消防通道标识，灭火器过期，担心孩子安全，要求退还剩余课时费用。',
];
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '孙'];

function planFor(i: number): Plan {
  const plans: Plan[] = ['submitted', 'submitted', 'rejected', 'accepted', 'accepted', 'in_progress', 'in_progress', 'in_progress', 'resolved', 'closed', 'closed'];
  return plans[i % plans.length]!;
}

export async function seedDemoComplaints(deps: Deps, count: number, institutionIds: string[], seed: number): Promise<number> {
  const rng = createRng(seed + 7);
  const now = deps.clock.now();
  const todayMs = now.getTime();
  const system: Actor = { kind: 'system' };
  let made = 0;

  for (let i = 0; i < count; i++) {
    const plan = planFor(i);
    // Older cases are further along; submitted ones are recent (some already past accept-by).
    const ageDays = plan === 'submitted' ? rng.int(0, 5) : plan === 'accepted' ? rng.int(3, 12) : rng.int(8, 60);
    const submittedAt = new Date(todayMs - ageDays * 86_400_000 - rng.int(0, 8) * 3_600_000);
    const unregistered = i % 9 === 4;
    const reason = i % 13 === 0 ? 'closed' : rng.pick(['refused', 'delayed', 'misleading', 'teacher', 'safety', 'other', 'refused', 'delayed'] as const);
    const paid = rng.int(8, 60) * 100;
    const total = rng.pick([24, 36, 48, 60, 96]);
    const used = rng.int(0, Math.floor(total / 2));
    const input = ComplaintInputSchema.parse({
      ...(unregistered
        ? { institutionName: `${rng.pick(['小星星', '快乐成长', '金话筒'])}托管辅导班（演示）`, institutionAddress: '某小区底商（演示地址）', town: rng.pick(['xindian', 'jixia', 'qidu', 'jinshan']) }
        : { institutionId: i < 3 ? demoInstitutionId(7) : rng.pick(institutionIds) }),
      course: rng.pick(COURSES),
      contract: rng.weighted([['model', 6], ['other', 3], ['none', 1]] as const),
      paidOn: addCalendarDays(submittedAt.toISOString().slice(0, 10), -rng.int(20, 200)),
      amountPaid: paid,
      classesTotal: total,
      classesUsed: used,
      amountRequested: Math.round((paid * (total - used)) / total),
      paidVia: rng.pick(['custody_account', 'other_account', 'cash', 'platform'] as const),
      reason,
      description: `${STORIES[i % STORIES.length]}（演示数据）`,
      parentName: `${rng.pick(SURNAMES)}演示`,
      mobile: `1380000${String(1000 + i).padStart(4, '0')}`,
      consentProcessing: true,
      consentPublication: rng.chance(0.3),
    });
    const { result } = await submitComplaint(deps, input, { ip: null, isDemo: true, submittedAt });
    const [row] = await deps.db.read.select({ id: complaints.id, lead: complaints.leadDept }).from(complaints).where(eq(complaints.trackingCode, result.trackingCode));
    const id = row!.id;
    let at = submittedAt.getTime();
    const step = async (action: Action, actor: Actor = system) => {
      at += rng.int(1, 3) * 86_400_000;
      if (at > todayMs) at = todayMs - 3_600_000;
      await applyAction(deps, id, action, actor, { at: new Date(at) });
    };
    if (plan === 'rejected') {
      await step({ type: 'reject', reason: 'out_of_scope', note: '该纠纷属于普通消费合同争议，请拨打 12315 向市场监管部门反映。（演示）' });
    } else if (plan !== 'submitted') {
      await step({ type: 'accept', note: '已受理，承办人将在3个工作日内联系您。（演示）' });
      if (plan !== 'accepted') {
        await step({ type: 'note', staffNote: '已电话联系机构负责人，约定调解时间。（演示）', publicNote: '已联系机构，正在组织调解。（演示）' });
      }
      if (plan === 'resolved' || plan === 'closed') {
        await step({ type: 'resolve', outcome: 'partial_refund', amountRefundedFen: Math.round(input.amountRequested * 0.8), note: '经调解，机构同意退还剩余课时费用的80%，已原路退回。（演示）' });
      }
      if (plan === 'closed') {
        await step({ type: 'rate', rating: rng.pick(['satisfied', 'basically_satisfied'] as const) }, { kind: 'public' });
      }
    }
    made++;
  }
  return made;
}
