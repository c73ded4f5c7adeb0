/**
 * The realistic complaint both intake benchmarks send (bench/intake.ts, bench/evidence-flood.ts):
 * one of the first `institutions` demo institutions and a mobile number that varies with `n`.
 */
export function benchComplaint(n: number, institutions: number): Record<string, string | number | boolean> {
  return {
    institutionId: `demo-${String(1 + (n % institutions)).padStart(4, '0')}`,
    course: '少儿美术秋季班',
    contract: 'model',
    paidOn: '2026-09-01',
    amountPaid: '3600',
    classesTotal: 48,
    classesUsed: 12,
    amountRequested: '2700.50',
    paidVia: 'custody_account',
    reason: 'refused',
    description: '机构拒绝退还剩余课时费用，多次沟通无果，要求按未上课时退费。',
    parentName: '王小明',
    mobile: `139${String(n % 100_000_000).padStart(8, '0')}`,
    consentProcessing: true,
    consentPublication: false,
  };
}
