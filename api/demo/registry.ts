/**
 * Deterministic generator of the demo district's registry: reference rows, institutions with
 * valid credit codes and license numbers, their supervisors (双主管), license history and the
 * 2021–2024 annual inspections. Every institution is flagged isDemo and named as 演示 data.
 * Rows are written in batches inside write transactions so 100,000 institutions stay fast.
 */
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import type { Category, InspectionResult, LicenseStatus } from '../../db/schema.ts';
import { makeCreditCode } from '../registry/credit-code.ts';
import { nameSearchKeys } from '../registry/search-keys.ts';
import { supervisorsFor } from '../registry/supervisors.ts';
import { DEPARTMENTS, DIVISION_CODE, TOWNS, ZONES, townDepartmentCode } from './reference.ts';
import { createRng, type Rng } from './rng.ts';

/** Stable ids: demo-0001 … (the sample notices in content/ name a few of them). */
export const demoInstitutionId = (n: number) => `demo-${String(n).padStart(4, '0')}`;

const BRANDS = [
  '华鼎', '启航', '博雅', '新星', '金色童年', '小天鹅', '七彩', '晨曦', '明德', '致远', '乐学', '童心',
  '星辰', '智慧树', '青藤', '翰墨', '齐风', '稷下', '临淄', '蓝天', '阳光', '彩虹', '远航', '卓越',
  '精英', '未来', '育才', '树人', '启明', '春雨', '鲁韵', '牛山', '淄河', '齐韵', '天成', '同心',
  '小雨点', '梦想', '百灵', '朝阳', '凌云', '鸿鹄', '悦读', '思源', '雅韵', '墨香', '飞扬', '跃动',
  '领航', '聚智', '创想', '奇点', '方圆', '博识', '善学', '知行', '弘毅', '清华苑', '英才', '满天星',
];
const FIELDS: Record<Category, readonly string[]> = {
  subject: ['文化', '学业辅导', '教育', '阅读', '学科'],
  sports: ['体育', '篮球', '跆拳道', '游泳', '足球', '武术', '乒乓球', '轮滑'],
  culture_arts: ['艺术', '美术', '舞蹈', '书法', '音乐', '钢琴', '声乐', '播音主持', '围棋'],
  science_tech: ['科技', '编程', '机器人', '创客', '航模', '科学实验'],
};
const SUFFIXES = ['培训学校', '培训中心', '学校', '培训有限公司'];
const ITEMS: Record<Category, readonly string[]> = {
  subject: ['小学语文', '初中数学', '英语阅读', '作文辅导', '物理实验'],
  sports: ['少儿篮球', '跆拳道', '游泳', '足球', '体适能', '武术套路', '乒乓球'],
  culture_arts: ['少儿美术', '书法', '中国舞', '钢琴', '声乐', '播音主持', '围棋', '素描'],
  science_tech: ['Scratch 编程', 'Python 编程', '机器人搭建', '3D 打印', '航模', '科学小实验'],
};
const BANKS = ['中国工商银行临淄支行', '中国农业银行临淄支行', '中国建设银行临淄支行', '齐商银行临淄支行', '临淄农商银行'];
const ROADS = ['临淄大道', '桓公路', '齐兴路', '晏婴路', '牛山路', '闻韶路', '雪宫路', '稷下路', '齐园路', '康平路', '太公路', '管仲路'];
/**
 * The sample notices in content/ name a few demo institutions (临时查封 in the 2024 violation
 * notice, failed 2023 inspections in the results notice); their generated data agrees with that.
 */
const NAMED_IN_NOTICES: Record<number, { status?: LicenseStatus; failed2023?: boolean }> = {
  7: { status: 'suspended' },
  23: { status: 'suspended' },
  42: { status: 'suspended', failed2023: true },
  101: { failed2023: true },
  150: { failed2023: true },
};

const FINDINGS_BY_RESULT: Record<InspectionResult, readonly (typeof t.FINDING_CODES)[number][]> = {
  pass: [],
  pass_with_remarks: ['records_incomplete', 'contract_nonstandard', 'staff_qualification', 'advertising'],
  fail: ['fire_hazard', 'prepaid_over_limit', 'no_custody_account', 'staff_qualification', 'overtime_training'],
  absent: [],
};

export interface RegistryOptions {
  institutions: number;
  seed: number;
  /** "today" for derived dates (expiry, inspection years), Beijing date YYYY-MM-DD. */
  today: string;
}

export interface GeneratedInstitution {
  row: typeof t.institutions.$inferInsert;
  supervisors: (typeof t.institutionSupervisors.$inferInsert)[];
  history: (typeof t.licenseStatusHistory.$inferInsert)[];
  inspections: { row: Omit<typeof t.inspections.$inferInsert, 'id'>; findings: Omit<typeof t.inspectionFindings.$inferInsert, 'id' | 'inspectionId'>[] }[];
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const addYears = (date: string, years: number) => `${Number(date.slice(0, 4)) + years}${date.slice(4)}`;

function randomDate(rng: Rng, fromYear: number, toYear: number): string {
  return `${rng.int(fromYear, toYear)}-${pad(rng.int(1, 12), 2)}-${pad(rng.int(1, 28), 2)}`;
}

export function generateInstitution(n: number, rng: Rng, usedNames: Set<string>, today: string): GeneratedInstitution {
  const category = rng.weighted<Category>([
    ['culture_arts', 45],
    ['sports', 22],
    ['science_tech', 18],
    ['subject', 15],
  ]);
  // The first institution carries the brand the search fixtures look for (华鼎 …艺术…).
  const brand = n === 1 ? '华鼎' : rng.pick(BRANDS);
  const field = n === 1 ? '艺术' : rng.pick(FIELDS[category]);
  const town = rng.pick(TOWNS);
  let name = `${brand}${field}${rng.pick(SUFFIXES)}`;
  if (usedNames.has(name)) name = name.replace(/(学校|中心|有限公司)$/, `（${town.nameZh.replace(/(街道|回族镇|镇)$/, '')}）$1`);
  for (let branch = 2; usedNames.has(name); branch++) name = `${brand}${field}${rng.pick(SUFFIXES)}（第${branch}分校）`;
  usedNames.add(name);

  const legalForm = category === 'subject' || rng.chance(0.6) ? 'non_enterprise' : 'company';
  const orgBody = pad(10_000_000 + n * 7 + rng.int(0, 6), 8).slice(-8);
  const creditCode = makeCreditCode(legalForm === 'non_enterprise' ? '52' : '91', DIVISION_CODE, orgBody);
  const typeDigit = { subject: 1, sports: 2, culture_arts: 3, science_tech: 4 }[category];
  const licenseNo = `教民${DIVISION_CODE}${typeDigit}${pad(n, 8)}号`;
  const issuedOn = randomDate(rng, 2016, 2024);
  const validYears = rng.weighted([[3, 1], [5, 3], [6, 1]] as const);
  let validUntil = addYears(issuedOn, validYears);
  const renewals: string[] = [];
  // Most licenses are renewed (延续) when they run out; a few lapse and show as expired.
  while (validUntil < today && rng.chance(0.92)) {
    renewals.push(validUntil);
    validUntil = addYears(validUntil, validYears);
  }

  // Drawn even when a sample notice fixes the status, so fewer later draws shift.
  const drawnStatus = rng.weighted<LicenseStatus>([
    ['valid', 88],
    ['suspended', 4],
    ['cancelled', 4],
    ['revoked', 2],
  ]);
  let status: LicenseStatus = NAMED_IN_NOTICES[n]?.status ?? drawnStatus;
  if (status === 'valid' && validUntil < today) status = 'expired';
  const history: GeneratedInstitution['history'] = [
    { institutionId: demoInstitutionId(n), status: 'valid', effectiveOn: issuedOn, reasonZh: '准予设立，核发办学许可证', reasonEn: 'License granted' },
  ];
  for (const on of renewals) {
    history.push({ institutionId: demoInstitutionId(n), status: 'valid', effectiveOn: on, reasonZh: '办学许可证延续', reasonEn: 'License renewed' });
  }
  if (status !== 'valid') {
    const reasons: Record<Exclude<LicenseStatus, 'valid'>, [string, string]> = {
      suspended: ['存在消防安全隐患，临时查封，暂停办学', 'Temporarily sealed over fire-safety hazards; operation suspended'],
      cancelled: ['机构申请终止办学，依法注销', 'Cancelled at the institution’s request'],
      revoked: ['违规开展学科类培训，吊销办学许可证', 'Revoked for unauthorised academic-subject training'],
      expired: ['办学许可证有效期届满未延续', 'License period ended without renewal'],
    };
    const [zh, en] = reasons[status];
    const effectiveOn = status === 'expired' ? validUntil : randomDate(rng, Math.max(Number(issuedOn.slice(0, 4)) + 1, 2022), 2024);
    history.push({ institutionId: demoInstitutionId(n), status, effectiveOn, reasonZh: zh, reasonEn: en });
  }

  const id = demoInstitutionId(n);
  const hasCustody = rng.chance(0.8);
  const inspections: GeneratedInstitution['inspections'] = [];
  for (let year = 2021; year <= 2024; year++) {
    if (Number(issuedOn.slice(0, 4)) > year) continue;
    const drawn = rng.weighted<InspectionResult>([
      ['pass', 78],
      ['pass_with_remarks', 13],
      ['fail', 5],
      ['absent', 4],
    ]);
    const result: InspectionResult = year === 2023 && NAMED_IN_NOTICES[n]?.failed2023 ? 'fail' : drawn;
    const codes = FINDINGS_BY_RESULT[result];
    const findings = codes.length
      ? [...new Set([rng.pick(codes), ...(rng.chance(0.4) ? [rng.pick(codes)] : [])])].map((code) => {
          const done = year < 2024 || rng.chance(0.5);
          return { code, note: null, rectification: done ? ('done' as const) : ('in_progress' as const), rectifiedOn: done ? `${year + 1}-0${rng.int(1, 3)}-15` : null };
        })
      : [];
    inspections.push({
      row: {
        institutionId: id,
        year,
        result,
        publishedOn: `${year + 1}-01-${pad(rng.int(10, 25), 2)}`,
        publishedBy: supervisorsFor(category).map((s) => s.departmentCode),
      },
      findings,
    });
  }

  const { namePinyin, nameInitials } = nameSearchKeys(name);
  const trainingItems = [...new Set([rng.pick(ITEMS[category]), rng.pick(ITEMS[category]), rng.pick(ITEMS[category])])];
  const fireSafetyPassed = status !== 'suspended' || rng.chance(0.3);
  return {
    row: {
      id,
      name,
      namePinyin,
      nameInitials,
      creditCode,
      licenseNo,
      legalForm,
      category,
      address: `淄博市临淄区${town.nameZh}${rng.pick(ROADS)}${rng.int(1, 399)}号${rng.chance(0.5) ? `${rng.int(1, 4)}楼` : ''}（演示地址）`,
      townCode: town.code,
      zoneId: ((n - 1) % 16) + 1,
      licenseStatus: status,
      licenseIssuedOn: issuedOn,
      licenseValidUntil: validUntil,
      fireSafetyPassed,
      fireSafetyDate: fireSafetyPassed ? issuedOn : null,
      custodyBank: hasCustody ? rng.pick(BANKS) : null,
      custodyAccountNo: hasCustody ? `3703${pad(rng.int(0, 99_999_999), 8)}${pad(n, 6)}` : null,
      usesModelContract: rng.chance(0.85),
      trainingItems,
      staffCount: rng.int(4, 40),
      teacherCount: rng.int(2, 25),
      phone: `0533-7${pad(rng.int(0, 999_999), 6)}`,
      isDemo: true,
      updatedAt: new Date(`${issuedOn}T09:00:00+08:00`),
    },
    supervisors: supervisorsFor(category).map((s) => ({ institutionId: id, ...s })),
    history,
    inspections,
  };
}

async function insertReference(tx: Tx): Promise<void> {
  await tx.insert(t.departments).values(DEPARTMENTS.map((d) => ({ ...d, intakeEmail: `${d.code}@intake.example.gov.cn` })));
  await tx.insert(t.departments).values(
    TOWNS.map((town, i) => ({ code: townDepartmentCode(town.code), nameZh: `${town.nameZh}办事处`.replace('镇办事处', '镇人民政府'), nameEn: town.nameEn, kind: 'town' as const, intakeEmail: null, phone: null, sortOrder: 10 + i })),
  );
  await tx.insert(t.towns).values(TOWNS.map((town) => ({ ...town, departmentCode: townDepartmentCode(town.code) })));
  await tx.insert(t.zones).values(ZONES);
}

/** Inserts reference data and `options.institutions` institutions; returns the institution ids. */
export async function seedRegistry(db: Db, options: RegistryOptions): Promise<string[]> {
  const rng = createRng(options.seed);
  await db.write(insertReference);
  const usedNames = new Set<string>();
  const ids: string[] = [];
  const BATCH = 500;
  for (let start = 1; start <= options.institutions; start += BATCH) {
    const batch: GeneratedInstitution[] = [];
    for (let n = start; n < start + BATCH && n <= options.institutions; n++) batch.push(generateInstitution(n, rng, usedNames, options.today));
    await db.write(async (tx) => {
      await tx.insert(t.institutions).values(batch.map((b) => b.row));
      await tx.insert(t.institutionSupervisors).values(batch.flatMap((b) => b.supervisors));
      await tx.insert(t.licenseStatusHistory).values(batch.flatMap((b) => b.history));
      const insRows = batch.flatMap((b) => b.inspections);
      // SQLite limits bound parameters per statement; 200 rows × 5 columns stays well inside.
      for (let i = 0; i < insRows.length; i += 200) {
        const chunk = insRows.slice(i, i + 200);
        const inserted = await tx.insert(t.inspections).values(chunk.map((c) => c.row)).returning({ id: t.inspections.id });
        const findings = chunk.flatMap((c, j) => c.findings.map((f) => ({ ...f, inspectionId: inserted[j]!.id })));
        if (findings.length) await tx.insert(t.inspectionFindings).values(findings);
      }
    });
    ids.push(...batch.map((b) => b.row.id!));
  }
  await db.write((tx) => tx.run(sql`INSERT INTO meta(key, value) VALUES ('demo', 'true') ON CONFLICT(key) DO UPDATE SET value = 'true'`));
  return ids;
}
