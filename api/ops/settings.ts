/** Reads the effective settings (stored values over defaults) and the holiday overrides. */
import type { Db } from '../../db/client.ts';
import { holidayOverrides, settings as settingsTable } from '../../db/schema.ts';
import { createWorkingCalendar, type WorkingCalendar } from '../calendar/working-days.ts';
import { SettingsSchema, type Settings } from './settings-defaults.ts';

export async function loadSettings(db: Db): Promise<Settings> {
  return settingsFromRows(await db.read.select().from(settingsTable));
}

/** Stored rows → effective settings (also used by intake's cached copy, config.ts). */
export function settingsFromRows(rows: readonly { key: string; value: unknown }[]): Settings {
  const stored = Object.fromEntries(rows.map((r) => [r.key, r.value]));
  // Unknown or invalid stored keys fall back to defaults instead of breaking intake.
  const parsed = SettingsSchema.safeParse(stored);
  if (parsed.success) return parsed.data;
  const clean = Object.fromEntries(
    Object.entries(stored).filter(([k, v]) => SettingsSchema.shape[k as keyof Settings]?.safeParse(v).success),
  );
  return SettingsSchema.parse(clean);
}

export async function loadCalendar(db: Db): Promise<WorkingCalendar> {
  const rows = await db.read.select({ date: holidayOverrides.date, isWorkday: holidayOverrides.isWorkday }).from(holidayOverrides);
  return createWorkingCalendar(rows);
}
