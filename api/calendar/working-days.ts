/**
 * Chinese working days. The official holiday schedule (holidays and 调休 make-up workdays) comes
 * from the maintained `chinese-days` package; staff-entered overrides (holiday_overrides table)
 * layer on top for years the package does not know yet — the State Council publishes the next
 * year's schedule only in late autumn. Years with neither are computed Monday–Friday and reported
 * back, so callers can warn that a deadline rests on an unconfirmed calendar.
 *
 * Every date is a Beijing calendar day (Asia/Shanghai, UTC+8 all year: no DST since 1991),
 * whatever time zone the server runs in.
 */
import data from 'chinese-days/dist/chinese-days.json' with { type: 'json' };

const BEIJING_OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 86_400_000;

/** An official schedule: holidays and make-up workdays by date (values: the package's labels). */
export interface OfficialSchedule {
  holidays: Readonly<Record<string, string>>;
  workdays: Readonly<Record<string, string>>;
}

/** The schedule the `chinese-days` package ships; what production always uses. */
export const PACKAGE_SCHEDULE: OfficialSchedule = { holidays: data.holidays as Record<string, string>, workdays: data.workdays as Record<string, string> };

let schedule: OfficialSchedule = PACKAGE_SCHEDULE;
let scheduleYears = yearsOf(schedule);

function yearsOf(s: OfficialSchedule): Set<number> {
  return new Set(Object.keys(s.holidays).map((d) => Number(d.slice(0, 4))));
}

/** The official schedule in force (the package's, unless a test put another in place). */
export function officialSchedule(): OfficialSchedule {
  return schedule;
}

/** The years the official schedule in force covers, ascending. */
export function officialYears(): number[] {
  return [...scheduleYears].sort((a, b) => a - b);
}

/**
 * Puts another official schedule in place, and returns the function that puts the previous one
 * back. For tests about years the package lacks: the package learns a new year every autumn, so
 * a test that leaned on "the package does not know 2027" would break at its next release.
 */
export function useOfficialSchedule(next: OfficialSchedule): () => void {
  const previous = schedule;
  schedule = next;
  scheduleYears = yearsOf(next);
  return () => {
    schedule = previous;
    scheduleYears = yearsOf(previous);
  };
}

/** The Beijing calendar date of an instant, as YYYY-MM-DD. */
export function beijingDate(instant: Date): string {
  return new Date(instant.getTime() + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** 00:00 Beijing time of a calendar date, as an instant. */
export function beijingMidnight(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - BEIJING_OFFSET_MS);
}

export function addCalendarDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export interface HolidayOverride {
  date: string;
  isWorkday: boolean;
}

export interface WorkingCalendar {
  isWorkday(date: string): boolean;
  /** Whether the official schedule for this year is known (package or staff entry). */
  hasYear(year: number): boolean;
  /**
   * The date `n` working days after `start` (the start day itself does not count, as with
   * "within 2 working days of submission"). Reports years crossed that lack holiday data.
   */
  addWorkingDays(start: string, n: number): { date: string; unknownYears: number[] };
  /** Working days strictly after `from` up to and including `to` (0 when to <= from). */
  workingDaysBetween(from: string, to: string): number;
}

export function createWorkingCalendar(overrides: readonly HolidayOverride[] = []): WorkingCalendar {
  const overrideMap = new Map(overrides.map((o) => [o.date, o.isWorkday]));
  const overrideYears = new Set(overrides.map((o) => Number(o.date.slice(0, 4))));
  const { holidays, workdays } = schedule;
  const packageYears = scheduleYears;

  const isWorkday = (date: string): boolean => {
    const o = overrideMap.get(date);
    if (o !== undefined) return o;
    if (date in holidays) return false;
    if (date in workdays) return true;
    const dow = new Date(`${date}T00:00:00Z`).getUTCDay();
    return dow !== 0 && dow !== 6;
  };
  const hasYear = (year: number) => packageYears.has(year) || overrideYears.has(year);

  return {
    isWorkday,
    hasYear,
    addWorkingDays(start, n) {
      const unknown = new Set<number>();
      let d = start;
      let left = n;
      while (left > 0) {
        d = addCalendarDays(d, 1);
        if (!hasYear(Number(d.slice(0, 4)))) unknown.add(Number(d.slice(0, 4)));
        if (isWorkday(d)) left--;
      }
      return { date: d, unknownYears: [...unknown] };
    },
    workingDaysBetween(from, to) {
      let count = 0;
      for (let d = addCalendarDays(from, 1); d <= to; d = addCalendarDays(d, 1)) if (isWorkday(d)) count++;
      return count;
    },
  };
}
