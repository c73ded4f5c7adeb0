/**
 * Deadlines in Chinese working days (accept within 2, resolve within 15): holidays and 调休
 * make-up workdays must count correctly, staff-entered schedules must layer over the package,
 * and dates are Beijing days whatever the server's time zone. The expected dates below were
 * worked out by hand from the official schedules (State Council notices for 2025 and 2026).
 */
import { describe, expect, it } from 'vitest';
import { addCalendarDays, beijingDate, beijingMidnight, createWorkingCalendar } from '../../api/calendar/working-days.ts';

const cal = createWorkingCalendar();

describe('National Day 2025 (Oct 1–8 off; Sun Sep 28 and Sat Oct 11 are make-up workdays)', () => {
  it('knows the holiday and the make-up workdays', () => {
    for (let d = 1; d <= 8; d++) expect(cal.isWorkday(`2025-10-0${d}`), `2025-10-0${d}`).toBe(false);
    expect(cal.isWorkday('2025-09-28')).toBe(true); // Sunday, worked
    expect(cal.isWorkday('2025-10-11')).toBe(true); // Saturday, worked
    expect(cal.isWorkday('2025-10-12')).toBe(false); // ordinary Sunday
    expect(cal.isWorkday('2025-09-30')).toBe(true);
  });

  it('2 working days after Tue 2025-09-30 is Fri 2025-10-10 (Thu Oct 9 is the first)', () => {
    expect(cal.addWorkingDays('2025-09-30', 1)).toEqual({ date: '2025-10-09', unknownYears: [] });
    expect(cal.addWorkingDays('2025-09-30', 2)).toEqual({ date: '2025-10-10', unknownYears: [] });
  });

  it('a submission on the Saturday before counts the Sunday make-up workday', () => {
    // Sat Sep 27 → Sun Sep 28 (worked) is day 1, Mon Sep 29 day 2.
    expect(cal.addWorkingDays('2025-09-27', 2).date).toBe('2025-09-29');
  });

  it('a submission during the holiday: Oct 9, Oct 10, then the Saturday make-up Oct 11', () => {
    expect(cal.addWorkingDays('2025-10-03', 3).date).toBe('2025-10-11');
    expect(cal.workingDaysBetween('2025-09-30', '2025-10-11')).toBe(3);
  });
});

describe('ordinary weeks', () => {
  it('Friday + 2 working days = Tuesday', () => {
    expect(cal.addWorkingDays('2026-11-27', 2)).toEqual({ date: '2026-12-01', unknownYears: [] });
    expect(cal.addWorkingDays('2025-11-14', 2).date).toBe('2025-11-18');
  });

  it('a weekend submission: Saturday + 2 = Tuesday; the start day never counts', () => {
    expect(cal.addWorkingDays('2026-11-28', 2).date).toBe('2026-12-01');
    expect(cal.addWorkingDays('2026-11-30', 1).date).toBe('2026-12-01');
  });

  it('workingDaysBetween counts days after `from` up to and including `to`', () => {
    expect(cal.workingDaysBetween('2026-11-27', '2026-12-01')).toBe(2);
    expect(cal.workingDaysBetween('2026-12-01', '2026-12-01')).toBe(0);
    expect(cal.workingDaysBetween('2026-12-02', '2026-12-01')).toBe(0);
  });
});

describe('Spring Festival 2026 (Feb 15–23 off; Sat Feb 14 and Sat Feb 28 worked)', () => {
  it('knows the schedule', () => {
    expect(cal.isWorkday('2026-02-14')).toBe(true);
    expect(cal.isWorkday('2026-02-16')).toBe(false); // Monday, holiday
    expect(cal.isWorkday('2026-02-23')).toBe(false); // Monday, holiday
    expect(cal.isWorkday('2026-02-24')).toBe(true);
    expect(cal.isWorkday('2026-02-28')).toBe(true);
  });

  it('Fri Feb 13 + 2 = Tue Feb 24 (Sat Feb 14 is day 1)', () => {
    expect(cal.addWorkingDays('2026-02-13', 1).date).toBe('2026-02-14');
    expect(cal.addWorkingDays('2026-02-13', 2).date).toBe('2026-02-24');
  });

  it('Fri Feb 27 + 1 = Sat Feb 28 (make-up workday)', () => {
    expect(cal.addWorkingDays('2026-02-27', 1).date).toBe('2026-02-28');
  });
});

describe('15 working days across National Day 2026 (Oct 1–7 off; Sun Sep 20 and Sat Oct 10 worked)', () => {
  it('Fri 2026-09-25 + 15 = Thu 2026-10-22', () => {
    // Sep 28,29,30 (3) · Oct 8,9 (5) · Sat Oct 10 (6) · Oct 12–16 (11) · Oct 19–22 (15)
    expect(cal.addWorkingDays('2026-09-25', 15)).toEqual({ date: '2026-10-22', unknownYears: [] });
  });

  it('workingDaysBetween agrees: 15 working days from Sep 25 to Oct 22', () => {
    expect(cal.workingDaysBetween('2026-09-25', '2026-10-22')).toBe(15);
    expect(cal.workingDaysBetween('2026-09-25', '2026-10-21')).toBe(14);
  });

  it('Fri 2026-09-18 + 1 = Sun 2026-09-20 (make-up workday)', () => {
    expect(cal.addWorkingDays('2026-09-18', 1).date).toBe('2026-09-20');
  });
});

describe('years without holiday data', () => {
  it('a deadline falling in 2027 reports unknownYears [2027]', () => {
    // Thu Dec 31 is day 1; 2027-01-01 (a Friday) is treated as a plain weekday.
    expect(cal.hasYear(2026)).toBe(true);
    expect(cal.hasYear(2027)).toBe(false);
    expect(cal.addWorkingDays('2026-12-30', 2)).toEqual({ date: '2027-01-01', unknownYears: [2027] });
  });

  it('a deadline inside a known year reports nothing', () => {
    expect(cal.addWorkingDays('2026-12-28', 2).unknownYears).toEqual([]);
  });

  it('a long span reports each unknown year once', () => {
    const r = cal.addWorkingDays('2026-12-30', 300);
    expect(r.unknownYears).toEqual([2027, 2028]);
  });
});

describe('staff-entered schedule layered over the package', () => {
  const withNewYear = createWorkingCalendar([{ date: '2027-01-01', isWorkday: false }]);

  it('an entered 2027 holiday makes the year known and moves the deadline', () => {
    expect(withNewYear.hasYear(2027)).toBe(true);
    expect(withNewYear.isWorkday('2027-01-01')).toBe(false);
    // Thu Dec 31 (1), Fri Jan 1 holiday, weekend, Mon Jan 4 (2)
    expect(withNewYear.addWorkingDays('2026-12-30', 2)).toEqual({ date: '2027-01-04', unknownYears: [] });
  });

  it('an entered make-up workday on a weekend counts', () => {
    const c = createWorkingCalendar([
      { date: '2027-01-01', isWorkday: false },
      { date: '2027-01-02', isWorkday: true },
    ]);
    expect(c.addWorkingDays('2026-12-30', 2).date).toBe('2027-01-02');
  });

  it('an entry wins over the package for a known year', () => {
    const c = createWorkingCalendar([{ date: '2026-12-01', isWorkday: false }]);
    expect(c.isWorkday('2026-12-01')).toBe(false);
    expect(c.addWorkingDays('2026-11-27', 2).date).toBe('2026-12-02');
    const c2 = createWorkingCalendar([{ date: '2026-10-05', isWorkday: true }]);
    expect(c2.isWorkday('2026-10-05')).toBe(true);
  });

  it('entries do not leak into other calendars', () => {
    expect(cal.isWorkday('2027-01-01')).toBe(true);
    expect(cal.hasYear(2027)).toBe(false);
  });
});

describe('Beijing dates, whatever the server time zone', () => {
  it('16:30 UTC on Nov 27 is already Nov 28 in Beijing', () => {
    expect(beijingDate(new Date('2026-11-27T16:30:00Z'))).toBe('2026-11-28');
  });

  it('the day boundary is 16:00 UTC', () => {
    expect(beijingDate(new Date('2026-11-27T15:59:59.999Z'))).toBe('2026-11-27');
    expect(beijingDate(new Date('2026-11-27T16:00:00.000Z'))).toBe('2026-11-28');
    expect(beijingDate(new Date('2026-12-31T16:00:00Z'))).toBe('2027-01-01');
  });

  it('beijingMidnight is 16:00 UTC of the previous day and round-trips', () => {
    expect(beijingMidnight('2026-11-28').toISOString()).toBe('2026-11-27T16:00:00.000Z');
    expect(beijingDate(beijingMidnight('2026-03-01'))).toBe('2026-03-01');
  });

  it('addCalendarDays crosses months, leap days and years', () => {
    expect(addCalendarDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addCalendarDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addCalendarDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addCalendarDays('2026-03-01', -1)).toBe('2026-02-28');
  });
});
