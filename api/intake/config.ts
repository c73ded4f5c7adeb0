/**
 * The rules intake applies — settings, the working-day calendar, the departments — kept in memory
 * between complaints instead of read and parsed again for every one (three queries, a zod parse
 * and a calendar build per request; see bench/intake.ts).
 *
 * Never stale: every change to settings, holiday_overrides or departments, by any process or
 * script, gives meta.config_version a new random value (triggers, migration
 * 0008_intake_config_version). Intake reads that value inside its own write transaction — which
 * holds the database's write lock, so nothing can change between the check and the insert — and
 * reloads, through the same transaction, whenever it differs from the cached copy's. A missing
 * version row (a database restored from before the migration) means "always reload".
 */
import type { Db, Tx } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import { createWorkingCalendar, type WorkingCalendar } from '../calendar/working-days.ts';
import type { Settings } from '../ops/settings-defaults.ts';
import { settingsFromRows } from '../ops/settings.ts';

export interface IntakeDepartment {
  code: string;
  nameZh: string;
  intakeEmail: string | null;
}

export interface IntakeConfig {
  /** meta.config_version this copy was read at; null = no version row, never reused. */
  version: string | null;
  settings: Settings;
  calendar: WorkingCalendar;
  departments: Map<string, IntakeDepartment>;
  /** The accept-by deadline for a submission day (memoised: one calendar walk per day). */
  acceptBy(today: string): { date: string; unknownYears: number[] };
}

/** The SQL intake uses to read the version inside its transaction (one column, no join). */
export const CONFIG_VERSION_SQL = "SELECT value FROM meta WHERE key = 'config_version'";

// One cached copy per database handle: tests and tools open several databases in one process.
const cached = new WeakMap<Db, IntakeConfig>();

/** The cached copy, if it was read at `version` (null: no usable copy). */
export function cachedIntakeConfig(db: Db, version: string | null): IntakeConfig | null {
  const c = cached.get(db);
  return c && version !== null && c.version === version ? c : null;
}

/** The copy intake will try first (it then checks the version inside its transaction). */
export function peekIntakeConfig(db: Db): IntakeConfig | null {
  return cached.get(db) ?? null;
}

/** Reads the rules through `tx` (inside the caller's write transaction) and caches them at `version`. */
export async function loadIntakeConfig(db: Db, tx: Tx, version: string | null): Promise<IntakeConfig> {
  const [settingRows, holidayRows, deptRows] = await Promise.all([
    tx.select({ key: t.settings.key, value: t.settings.value }).from(t.settings),
    tx.select({ date: t.holidayOverrides.date, isWorkday: t.holidayOverrides.isWorkday }).from(t.holidayOverrides),
    tx.select({ code: t.departments.code, nameZh: t.departments.nameZh, intakeEmail: t.departments.intakeEmail }).from(t.departments),
  ]);
  const settings = settingsFromRows(settingRows);
  const calendar = createWorkingCalendar(holidayRows);
  const deadlines = new Map<string, { date: string; unknownYears: number[] }>();
  const config: IntakeConfig = {
    version,
    settings,
    calendar,
    departments: new Map(deptRows.map((d) => [d.code, d])),
    acceptBy(today) {
      let d = deadlines.get(today);
      if (!d) {
        if (deadlines.size > 16) deadlines.clear();
        d = calendar.addWorkingDays(today, settings.acceptWorkingDays);
        deadlines.set(today, d);
      }
      return { date: d.date, unknownYears: [...d.unknownYears] };
    },
  };
  if (version !== null) cached.set(db, config);
  return config;
}
