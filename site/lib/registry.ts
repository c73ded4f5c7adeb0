/**
 * Build-time view of the public registry: every institution with its supervisors, license
 * history, inspections and findings, plus departments, towns and zones. Loaded with a handful of
 * bulk queries once per build (not one query per page), so 100,000 institutions build in minutes.
 * Only public registry data: nothing from complaints is read here.
 */
import { asc, gt, sql } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import type { Category, InspectionResult, LicenseStatus } from '../../db/schema.ts';
import { beijingDate } from '../../api/calendar/working-days.ts';
import { effectiveLicenseStatus } from '../../api/registry/license-status.ts';
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

/** Rows per query: bounds the memory a load holds at once (raw rows become garbage per chunk). */
const CHUNK = 4000;

/**
 * Reads the registry in chunks (keyset on the primary key) instead of whole tables at once: whole
 * tables at 100,000 institutions meant ~1.3 GB of raw rows alive together before they were turned
 * into the objects below, and a V8 heap that never shrank back for the rest of the build.
 * One read transaction, so every chunk sees the same snapshot.
 */
async function load(): Promise<Registry> {
  const db = await buildDb();
  const builtOn = beijingDate(new Date());
  return db.read.transaction(async (tx) => {
    const [depts, towns, zones] = await Promise.all([
      tx.select().from(t.departments).orderBy(asc(t.departments.sortOrder)),
      tx.select().from(t.towns),
      tx.select().from(t.zones),
    ]);
    const departments = new Map(depts.map((d) => [d.code, d]));
    const townMap = new Map(towns.map((x) => [x.code, x]));
    const zoneMap = new Map(zones.map((z) => [z.id, z]));
    // Dates and code lists repeat across thousands of rows: one string / array each.
    const intern = interner();
    const lists = new Map<string, string[]>();

    const institutions: Institution[] = [];
    const byId = new Map<string, Institution>();
    for (let after = ''; ; ) {
      const rows = await tx.select().from(t.institutions).where(gt(t.institutions.id, after)).orderBy(asc(t.institutions.id)).limit(CHUNK);
      for (const r of rows) {
        const inst: Institution = {
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
          licenseIssuedOn: intern(r.licenseIssuedOn),
          licenseValidUntil: intern(r.licenseValidUntil),
          fireSafetyPassed: r.fireSafetyPassed,
          fireSafetyDate: r.fireSafetyDate && intern(r.fireSafetyDate),
          custodyBank: r.custodyBank && intern(r.custodyBank),
          hasCustodyAccount: !!r.custodyAccountNo,
          usesModelContract: r.usesModelContract,
          trainingItems: internList(intern, lists, r.trainingItems),
          staffCount: r.staffCount,
          teacherCount: r.teacherCount,
          phone: r.phone,
          supervisors: [],
          history: [],
          inspections: [],
        };
        institutions.push(inst);
        byId.set(inst.id, inst);
      }
      if (rows.length < CHUNK) break;
      after = rows[rows.length - 1]!.id;
    }

    // Child tables in rowid order, chunk by chunk; each row goes straight onto its institution.
    for (let after = 0; ; ) {
      const rows = await tx
        .select({ rowid: sql<number>`rowid`, institutionId: t.institutionSupervisors.institutionId, departmentCode: t.institutionSupervisors.departmentCode, role: t.institutionSupervisors.role })
        .from(t.institutionSupervisors)
        .where(sql`rowid > ${after}`)
        .orderBy(sql`rowid`)
        .limit(CHUNK);
      for (const s of rows) byId.get(s.institutionId)?.supervisors.push({ department: departments.get(s.departmentCode)!, role: s.role });
      if (rows.length < CHUNK) break;
      after = rows[rows.length - 1]!.rowid;
    }
    for (let after = 0; ; ) {
      const rows = await tx.select().from(t.licenseStatusHistory).where(gt(t.licenseStatusHistory.id, after)).orderBy(asc(t.licenseStatusHistory.id)).limit(CHUNK);
      for (const h of rows) {
        byId.get(h.institutionId)?.history.push({ status: h.status, effectiveOn: intern(h.effectiveOn), reasonZh: h.reasonZh && intern(h.reasonZh), reasonEn: h.reasonEn && intern(h.reasonEn) });
      }
      if (rows.length < CHUNK) break;
      after = rows[rows.length - 1]!.id;
    }
    const inspectionById = new Map<number, Inspection>();
    const years = new Set<number>();
    for (let after = 0; ; ) {
      const rows = await tx.select().from(t.inspections).where(gt(t.inspections.id, after)).orderBy(asc(t.inspections.id)).limit(CHUNK);
      for (const i of rows) {
        const inst = byId.get(i.institutionId);
        if (!inst) continue;
        const inspection: Inspection = { year: i.year, result: i.result, publishedOn: intern(i.publishedOn), publishedBy: internList(intern, lists, i.publishedBy), findings: [] };
        inst.inspections.push(inspection);
        inspectionById.set(i.id, inspection);
        years.add(i.year);
      }
      if (rows.length < CHUNK) break;
      after = rows[rows.length - 1]!.id;
    }
    for (let after = 0; ; ) {
      const rows = await tx.select().from(t.inspectionFindings).where(gt(t.inspectionFindings.id, after)).orderBy(asc(t.inspectionFindings.id)).limit(CHUNK);
      for (const f of rows) {
        inspectionById.get(f.inspectionId)?.findings.push({ code: f.code, note: f.note && intern(f.note), rectification: f.rectification, rectifiedOn: f.rectifiedOn && intern(f.rectifiedOn) });
      }
      if (rows.length < CHUNK) break;
      after = rows[rows.length - 1]!.id;
    }
    for (const inst of institutions) {
      // Primary supervisor first; history oldest first (rows came in id order, sort is stable);
      // inspections newest first.
      inst.supervisors.sort((a, b) => (a.role === b.role ? 0 : a.role === 'primary' ? -1 : 1));
      inst.history.sort((a, b) => (a.effectiveOn < b.effectiveOn ? -1 : a.effectiveOn > b.effectiveOn ? 1 : 0));
      inst.inspections.sort((a, b) => b.year - a.year);
    }
    return {
      builtOn,
      departments,
      towns: [...towns].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'street' ? -1 : 1)),
      zones: zoneMap,
      institutions,
      byId,
      years: [...years].sort((a, b) => b - a),
    };
  }, { behavior: 'deferred' });
}

function interner(): (s: string) => string {
  const seen = new Map<string, string>();
  return (s) => {
    const had = seen.get(s);
    if (had !== undefined) return had;
    seen.set(s, s);
    return s;
  };
}

/** One shared array per distinct list (they are only read). */
function internList(intern: (s: string) => string, lists: Map<string, string[]>, list: string[]): string[] {
  const key = intern(`\u0000${list.join('\u0000')}`);
  let shared = lists.get(key);
  if (!shared) lists.set(key, (shared = list.map(intern)));
  return shared;
}
