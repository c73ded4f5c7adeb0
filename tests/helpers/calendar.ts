/**
 * An official holiday schedule that knows only the years a test says. Tests about a year the
 * calendar package lacks inject one (api/calendar/working-days.ts `useOfficialSchedule`) instead of
 * leaning on "chinese-days does not know 2027", which breaks at the package's next release.
 */
import { afterAll, beforeAll } from 'vitest';
import { PACKAGE_SCHEDULE, useOfficialSchedule, type OfficialSchedule } from '../../api/calendar/working-days.ts';

/** The package's schedule cut off after `lastYear`: the years after it are unknown. */
export function scheduleUpTo(lastYear: number): OfficialSchedule {
  const keep = (days: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(days).filter(([d]) => Number(d.slice(0, 4)) <= lastYear));
  const s = { holidays: keep(PACKAGE_SCHEDULE.holidays), workdays: keep(PACKAGE_SCHEDULE.workdays) };
  if (!Object.keys(s.holidays).some((d) => d.startsWith(`${lastYear}-`))) throw new Error(`the package has no schedule for ${lastYear} to keep`);
  return s;
}

/** For the whole test file: the official schedule knows the package's years up to `lastYear` only. */
export function officialScheduleUpTo(lastYear: number): void {
  let restore: () => void = () => {};
  beforeAll(() => {
    restore = useOfficialSchedule(scheduleUpTo(lastYear));
  });
  afterAll(() => restore());
}
