/**
 * System administration services (settings, holiday schedule, department intake mailboxes, audit
 * log viewer), shared by the admin API (http.ts) and the admin pages. Every change is one
 * write transaction with its audit row; audit details hold ids, keys and dates only.
 */
import { and, asc, count, desc, eq, gte, inArray, like, lt, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { auditLog, complaints, departments, holidayOverrides, settings as settingsTable } from '../../db/schema.ts';
import { appendAudit, verifyAuditChain } from '../audit/log.ts';
import { beijingMidnight, addCalendarDays, createWorkingCalendar, officialSchedule, officialYears } from '../calendar/working-days.ts';
import type { ErrorIssue } from '../lib/errors.ts';
import { DEFAULT_SETTINGS, SettingsSchema, type Settings } from './settings-defaults.ts';
import { loadSettings } from './settings.ts';
import type { Pii } from '../security/pii.ts';

export interface AdminActor {
  staffId: number;
  role: string;
  ip: string | null;
}

const audit = (actor: AdminActor, at: Date, action: string, objectType: string, objectId: string | null, detail: Record<string, unknown>) => ({
  at,
  actorKind: 'staff' as const,
  actorStaffId: actor.staffId,
  actorRole: actor.role,
  action,
  objectType,
  objectId,
  ip: actor.ip,
  detail,
});

// ---------------------------------------------------------------- settings

export const SETTING_KEYS = Object.keys(SettingsSchema.shape) as (keyof Settings)[];

/** A PUT may send any subset of the settings; what it leaves out keeps its current value. */
export const SettingsInputSchema = z
  .object(Object.fromEntries(SETTING_KEYS.map((k) => [k, SettingsSchema.shape[k].unwrap().optional()])) as unknown as { [K in keyof Settings]: z.ZodOptional<z.ZodType<Settings[K]>> })
  .strict();
export type SettingsInput = z.infer<typeof SettingsInputSchema>;

export async function settingsView(db: Db) {
  return { settings: await loadSettings(db), defaults: DEFAULT_SETTINGS };
}

export async function saveSettings(db: Db, input: SettingsInput, actor: AdminActor, now: Date): Promise<Settings> {
  return db.write(async (tx) => {
    const rows = await tx.select().from(settingsTable);
    const stored = Object.fromEntries(rows.map((r) => [r.key, r.value]));
    const current = SettingsSchema.safeParse(stored).success ? SettingsSchema.parse(stored) : { ...DEFAULT_SETTINGS, ...pickValid(stored) };
    const next = SettingsSchema.parse({ ...current, ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) });
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const k of SETTING_KEYS) {
      if (input[k] === undefined || current[k] === next[k]) continue;
      changes[k] = { from: current[k], to: next[k] };
      // A JSON null ("no cap") is stored as the text 'null', not SQL NULL (the column is NOT NULL).
      const value = next[k] === null ? sql`'null'` : next[k];
      await tx
        .insert(settingsTable)
        .values({ key: k, value, updatedAt: now, updatedBy: actor.staffId })
        .onConflictDoUpdate({ target: settingsTable.key, set: { value, updatedAt: now, updatedBy: actor.staffId } });
    }
    if (Object.keys(changes).length) await appendAudit(tx, audit(actor, now, 'settings.update', 'settings', null, { changes }));
    return next;
  });
}

function pickValid(stored: Record<string, unknown>): Partial<Settings> {
  return Object.fromEntries(Object.entries(stored).filter(([k, v]) => SettingsSchema.shape[k as keyof Settings]?.safeParse(v).success)) as Partial<Settings>;
}

// ---------------------------------------------------------------- holiday schedule


const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const realDate = (s: string) => {
  if (!ISO_DATE.test(s)) return false;
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
};

export interface HolidayDay {
  date: string;
  isWorkday: boolean;
  name: string;
}

export const HolidaysInputSchema = (year: number) =>
  z
    .object({
      days: z
        .array(
          z
            .object({
              date: z.string().refine(realDate, { message: 'holiday_date_invalid' }).refine((d) => d.startsWith(`${year}-`), { message: 'holiday_date_outside_year' }),
              isWorkday: z.boolean(),
              name: z.string().trim().min(1).max(40),
            })
            .strict(),
        )
        .max(366),
    })
    .strict()
    .superRefine((v, ctx) => {
      const seen = new Set<string>();
      v.days.forEach((d, i) => {
        if (seen.has(d.date)) ctx.addIssue({ code: 'custom', path: ['days', i, 'date'], message: 'holiday_date_duplicate' });
        seen.add(d.date);
      });
    });

/**
 * Open cases whose current deadline (accept-by, resolve-by, or extended-until) falls in the year: a
 * count only, for the coordination office (the sysadmin sees no complaint data, not even counts).
 */
async function openCasesWithDeadlineIn(db: Db, year: number): Promise<number> {
  const inYear = `${year}-%`;
  const [row] = await db.read
    .select({ n: count() })
    .from(complaints)
    .where(
      or(
        and(eq(complaints.status, 'submitted'), like(complaints.acceptBy, inYear)),
        and(inArray(complaints.status, ['accepted', 'in_progress']), or(like(complaints.resolveBy, inYear), like(complaints.extendedUntil, inYear))),
      ),
    );
  return row?.n ?? 0;
}

export async function holidaysOfYear(db: Db, year: number, opts: { withOpenCases?: boolean } = {}) {
  const overrides = await db.read
    .select({ date: holidayOverrides.date, isWorkday: holidayOverrides.isWorkday, name: holidayOverrides.name })
    .from(holidayOverrides)
    .where(like(holidayOverrides.date, `${year}-%`))
    .orderBy(asc(holidayOverrides.date));
  const allOverrides = await db.read.select({ date: holidayOverrides.date, isWorkday: holidayOverrides.isWorkday }).from(holidayOverrides);
  const calendar = createWorkingCalendar(allOverrides);
  const { holidays: PACKAGE_HOLIDAYS, workdays: PACKAGE_WORKDAYS } = officialSchedule();
  const PACKAGE_YEARS = officialYears();
  const zhName = (v: string) => v.split(',')[1] ?? v;
  const packageDays: HolidayDay[] = [
    ...Object.entries(PACKAGE_HOLIDAYS)
      .filter(([d]) => d.startsWith(`${year}-`))
      .map(([date, v]) => ({ date, isWorkday: false, name: zhName(v) })),
    ...Object.entries(PACKAGE_WORKDAYS)
      .filter(([d]) => d.startsWith(`${year}-`))
      .map(([date, v]) => ({ date, isWorkday: true, name: zhName(v) })),
  ].sort((a, b) => a.date.localeCompare(b.date));
  const overrideYears = [...new Set(allOverrides.map((o) => Number(o.date.slice(0, 4))))];
  const knownYears = [...new Set([...PACKAGE_YEARS, ...overrideYears])].sort((a, b) => a - b);
  return {
    year,
    known: calendar.hasYear(year),
    inPackage: PACKAGE_YEARS.includes(year),
    packageDays,
    overrides,
    knownYears,
    packageLastYear: PACKAGE_YEARS.at(-1) ?? null,
    openCasesWithDeadlines: opts.withOpenCases ? await openCasesWithDeadlineIn(db, year) : null,
  };
}

/** Replaces every override of the year with `days`, in one transaction with its audit row. */
export async function saveHolidays(db: Db, year: number, days: readonly HolidayDay[], actor: AdminActor, now: Date): Promise<void> {
  await db.write(async (tx) => {
    const before = await tx.select({ date: holidayOverrides.date, isWorkday: holidayOverrides.isWorkday, name: holidayOverrides.name }).from(holidayOverrides).where(like(holidayOverrides.date, `${year}-%`)).orderBy(asc(holidayOverrides.date));
    await tx.delete(holidayOverrides).where(like(holidayOverrides.date, `${year}-%`));
    if (days.length) await tx.insert(holidayOverrides).values(days.map((d) => ({ date: d.date, isWorkday: d.isWorkday, name: d.name, enteredBy: actor.staffId, createdAt: now })));
    const sorted = [...days].sort((a, b) => a.date.localeCompare(b.date));
    await appendAudit(tx, audit(actor, now, 'holidays.replace', 'holiday_year', String(year), { before, after: sorted }));
  });
}

/**
 * Parses pasted lines like `2027-01-01 休 元旦` / `2027-02-07 班 春节调休` (also 假 / 上班 / off / work).
 * Returns the days and, per bad line, an issue with its line number.
 */
export function parseHolidayLines(text: string): { days: HolidayDay[]; issues: { line: number; text: string }[] } {
  const days: HolidayDay[] = [];
  const issues: { line: number; text: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^(\d{4}-\d{2}-\d{2})\s+(休|假|班|上班|off|holiday|work|workday)\s*(.*)$/i.exec(line);
    if (!m) {
      issues.push({ line: i + 1, text: line });
      return;
    }
    const kind = m[2]!.toLowerCase();
    const isWorkday = kind === '班' || kind === '上班' || kind === 'work' || kind === 'workday';
    days.push({ date: m[1]!, isWorkday, name: m[3]!.trim() || (isWorkday ? '调休上班' : '休息') });
  });
  return { days, issues };
}

export const formatHolidayLines = (days: readonly HolidayDay[]) => days.map((d) => `${d.date} ${d.isWorkday ? '班' : '休'} ${d.name}`).join('\n');

// ---------------------------------------------------------------- departments

export async function listDepartments(db: Db) {
  return db.read
    .select({ code: departments.code, nameZh: departments.nameZh, nameEn: departments.nameEn, kind: departments.kind, intakeEmail: departments.intakeEmail })
    .from(departments)
    .orderBy(asc(departments.sortOrder), asc(departments.code));
}

const EMAIL = z.email();
export const DepartmentsInputSchema = z
  .object({
    departments: z
      .array(
        z
          .object({
            code: z.string().min(1).max(40),
            intakeEmail: z.union([z.literal(''), z.null(), z.string().trim().max(254).pipe(z.string().refine((s) => s === '' || EMAIL.safeParse(s).success, { message: 'email_invalid' }))]),
          })
          .strict(),
      )
      .min(1)
      .max(200),
  })
  .strict();

export async function saveDepartments(
  db: Db,
  input: readonly { code: string; intakeEmail: string | null }[],
  actor: AdminActor,
  now: Date,
): Promise<{ ok: true } | { ok: false; issues: ErrorIssue[] }> {
  return db.write(async (tx) => {
    const rows = await tx.select({ code: departments.code, intakeEmail: departments.intakeEmail }).from(departments);
    const byCode = new Map(rows.map((r) => [r.code, r.intakeEmail]));
    const issues = input.flatMap((d, i) => (byCode.has(d.code) ? [] : [{ path: `departments.${i}.code`, message: 'unknown department' }]));
    if (issues.length) return { ok: false as const, issues };
    const changes: Record<string, { from: string | null; to: string | null }> = {};
    for (const d of input) {
      const to = d.intakeEmail ? d.intakeEmail.trim() : null;
      const from = byCode.get(d.code) ?? null;
      if (from === to) continue;
      changes[d.code] = { from, to };
      await tx.update(departments).set({ intakeEmail: to }).where(eq(departments.code, d.code));
    }
    if (Object.keys(changes).length) await appendAudit(tx, audit(actor, now, 'departments.intake_email', 'department', null, { changes }));
    return { ok: true as const };
  });
}

// ---------------------------------------------------------------- audit log

const dateParam = z.string().refine(realDate, { message: 'date_invalid' });
export const AuditQuerySchema = z.object({
  action: z.string().trim().max(80).optional().transform((v) => v || undefined),
  objectType: z.string().trim().max(80).optional().transform((v) => v || undefined),
  actor: z
    .string()
    .trim()
    .regex(/^\d{0,9}$/)
    .optional()
    .transform((v) => (v ? Number(v) : undefined)),
  from: z.union([z.literal(''), dateParam]).optional().transform((v) => v || undefined),
  to: z.union([z.literal(''), dateParam]).optional().transform((v) => v || undefined),
  cursor: z
    .string()
    .regex(/^\d{1,12}$/)
    .optional()
    .transform((v) => (v ? Number(v) : undefined)),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type AuditQuery = z.infer<typeof AuditQuerySchema>;

/**
 * A parent's IP address is personal data: the viewer shows only its network part
 * (203.0.113.x → 203.0.*.*, IPv6 → first three groups). Staff and system rows keep theirs.
 */
export function maskIp(ip: string | null): string | null {
  if (!ip) return ip;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(ip);
  if (v4) return `${v4[1]}.${v4[2]}.*.*`;
  if (ip.includes(':')) return `${ip.split(':').slice(0, 3).join(':')}:*`;
  return '*';
}

/** `pii`: a parent's IP is stored encrypted (intake, rating); it is decrypted here only to be masked. */
export async function auditPage(db: Db, q: AuditQuery, pii: Pick<Pii, 'reveal'>) {
  const where: SQL[] = [];
  if (q.action) where.push(eq(auditLog.action, q.action));
  if (q.objectType) where.push(eq(auditLog.objectType, q.objectType));
  if (q.actor !== undefined) where.push(eq(auditLog.actorStaffId, q.actor));
  // from / to are Beijing calendar days, both inclusive.
  if (q.from) where.push(gte(auditLog.at, beijingMidnight(q.from)));
  if (q.to) where.push(lt(auditLog.at, beijingMidnight(addCalendarDays(q.to, 1))));
  if (q.cursor !== undefined) where.push(lt(auditLog.id, q.cursor));
  const rows = await db.read
    .select({
      id: auditLog.id,
      at: auditLog.at,
      actorKind: auditLog.actorKind,
      actorStaffId: auditLog.actorStaffId,
      actorRole: auditLog.actorRole,
      action: auditLog.action,
      objectType: auditLog.objectType,
      objectId: auditLog.objectId,
      ip: auditLog.ip,
      detail: auditLog.detail,
    })
    .from(auditLog)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(q.limit + 1);
  const more = rows.length > q.limit;
  const entries = rows.slice(0, q.limit).map((r) => ({ ...r, at: r.at.toISOString(), ip: r.actorKind === 'public' ? maskIp(pii.reveal(r.ip)) : r.ip }));
  return { entries, nextCursor: more ? String(entries.at(-1)!.id) : null, chain: await verifyAuditChain(db) };
}
