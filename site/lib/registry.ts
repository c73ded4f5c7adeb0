/**
 * Build-time view of the public registry: every institution with its supervisors, license
 * history, inspections and findings, plus departments, towns and zones. Loaded with a handful of
 * bulk queries once per build (not one query per page), so 100,000 institutions build in minutes.
 * Only public registry data: nothing from complaints is read here.
 */
import { asc } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import type { Category, InspectionResult, LicenseStatus } from '../../db/schema.ts';
import { beijingDate } from '../../api/calendar/working-days.ts';
import { effectiveLicenseStatus } from '../../api/institutions/status.ts';
import { buildDb } from './db.ts';

export interface Department { code: string; nameZh: string; nameEn: string; kind: string; phone: string | null }
export interface Town { code: string; nameZh: string; nameEn: string; kind: 'street' | 'town' }
export interface Zone { id: number; nameZh: string; nameEn: string; inspectorName: string; inspectorPhone: string | null }
export interface Finding { code: (typeof t.FINDING_CODES)[number]; note: string | null; rectification: 'in_progress' | 'done' | null; rectifiedOn: string | null }
export interface Inspection { year: number; result: InspectionResult; publishedOn: string; publishedBy: string[]; findings: Finding[] }
export interface HistoryEntry { status: LicenseStatus; effectiveOn: string; reasonZh: string | null; reasonEn: string | null }

export interface Institution {
  id: string;
  name: string;
  creditCode: string;
  licenseNo: string;
  legalForm: 'non_enterprise' | 'company';
  category: Category;
  address: string;
  town: Town;
  zone: Zone;
  /** Effective status on the build date ('valid' past its date shows as 'expired'). */
  status: LicenseStatus;
  licenseIssuedOn: string;
  licenseValidUntil: string;
  fireSafetyPassed: boolean;
  fireSafetyDate: string | null;
  custodyBank: string | null;
  hasCustodyAccount: boolean;
  usesModelContract: boolean;
  trainingItems: string[];
  staffCount: number;
  teacherCount: number;
  phone: string | null;
  supervisors: { department: Department; role: 'primary' | 'co' }[];
  history: HistoryEntry[];
  /** Newest first. */
  inspections: Inspection[];
}

export interface Registry {
  builtOn: string;
  departments: Map<string, Department>;
  towns: Town[];
  zones: Map<number, Zone>;
  institutions: Institution[];
  byId: Map<string, Institution>;
  years: number[];
}

let cached: Promise<Registry> | null = null;

export function loadRegistry(): Promise<Registry> {
  return (cached ??= load());
}

async function load(): Promise<Registry> {
  const db = await buildDb();
  const builtOn = beijingDate(new Date());
  const [depts, towns, zones, rows, sups, hist, insp, finds] = await Promise.all([
    db.read.select().from(t.departments).orderBy(asc(t.departments.sortOrder)),
    db.read.select().from(t.towns),
    db.read.select().from(t.zones),
    db.read.select().from(t.institutions).orderBy(asc(t.institutions.id)),
    db.read.select().from(t.institutionSupervisors),
    db.read.select().from(t.licenseStatusHistory).orderBy(asc(t.licenseStatusHistory.effectiveOn), asc(t.licenseStatusHistory.id)),
    db.read.select().from(t.inspections).orderBy(asc(t.inspections.year)),
    db.read.select().from(t.inspectionFindings),
  ]);
  const departments = new Map(depts.map((d) => [d.code, d]));
  const townMap = new Map(towns.map((x) => [x.code, x]));
  const zoneMap = new Map(zones.map((z) => [z.id, z]));

  const supsBy = groupBy(sups, (s) => s.institutionId);
  const histBy = groupBy(hist, (h) => h.institutionId);
  const findsBy = groupBy(finds, (f) => f.inspectionId);
  const inspBy = groupBy(insp, (i) => i.institutionId);

  const institutions: Institution[] = rows.map((r) => ({
    id: r.id,
    name: r.name,
    creditCode: r.creditCode,
    licenseNo: r.licenseNo,
    legalForm: r.legalForm,
    category: r.category,
    address: r.address,
    town: townMap.get(r.townCode)!,
    zone: zoneMap.get(r.zoneId)!,
    status: effectiveLicenseStatus(r.licenseStatus, r.licenseValidUntil, builtOn),
    licenseIssuedOn: r.licenseIssuedOn,
    licenseValidUntil: r.licenseValidUntil,
    fireSafetyPassed: r.fireSafetyPassed,
    fireSafetyDate: r.fireSafetyDate,
    custodyBank: r.custodyBank,
    hasCustodyAccount: !!r.custodyAccountNo,
    usesModelContract: r.usesModelContract,
    trainingItems: r.trainingItems,
    staffCount: r.staffCount,
    teacherCount: r.teacherCount,
    phone: r.phone,
    supervisors: (supsBy.get(r.id) ?? [])
      .sort((a, b) => (a.role === b.role ? 0 : a.role === 'primary' ? -1 : 1))
      .map((s) => ({ department: departments.get(s.departmentCode)!, role: s.role })),
    history: (histBy.get(r.id) ?? []).map((h) => ({ status: h.status, effectiveOn: h.effectiveOn, reasonZh: h.reasonZh, reasonEn: h.reasonEn })),
    inspections: (inspBy.get(r.id) ?? [])
      .map((i) => ({
        year: i.year,
        result: i.result,
        publishedOn: i.publishedOn,
        publishedBy: i.publishedBy,
        findings: (findsBy.get(i.id) ?? []).map((f) => ({ code: f.code, note: f.note, rectification: f.rectification, rectifiedOn: f.rectifiedOn })),
      }))
      .sort((a, b) => b.year - a.year),
  }));
  const years = [...new Set(insp.map((i) => i.year))].sort((a, b) => b - a);
  return {
    builtOn,
    departments,
    towns: [...towns].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'street' ? -1 : 1)),
    zones: zoneMap,
    institutions,
    byId: new Map(institutions.map((i) => [i.id, i])),
    years,
  };
}

function groupBy<T, K>(items: T[], key: (t: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}
