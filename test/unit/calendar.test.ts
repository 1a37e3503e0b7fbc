/** The working-day calendar against cases derived from the official notices, and its laws. */
import fc from 'fast-check';
import {
  builtInCalendar,
  dayFromYmd,
  formatDate,
  formatDateVN,
  formatDueDateVN,
  generateDaysOff,
  hungKingsDay,
  lunarToSolar,
  parseDate,
  parseInstant,
  tetDay,
  validateYear,
  weekday,
  WorkingCalendar,
  OFFICIAL_YEARS,
  officialYear,
} from '../../domain/calendar';

const cal = builtInCalendar();
const d = parseDate;
const add = (from: string, n: number) => formatDate(cal.addWorkingDays(d(from), n));

describe('official calendars 2024–2026', () => {
  it('2026 New Year swap (12729/VPCP-KGVX): Fri 2/1 off, Sat 10/1 worked', () => {
    expect(cal.isWorkingDay(d('2026-01-01'))).toBe(false);
    expect(cal.isWorkingDay(d('2026-01-02'))).toBe(false);
    expect(cal.isWorkingDay(d('2026-01-10'))).toBe(true);
    expect(weekday(d('2026-01-10'))).toBe(6);
    expect(add('2025-12-31', 1)).toBe('2026-01-05');
    expect(add('2026-01-09', 1)).toBe('2026-01-10');
  });

  it('Tết 2026 (9441/TB-BNV): Mon 16/2 to Fri 20/2 off', () => {
    for (const day of ['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20']) expect(cal.isWorkingDay(d(day))).toBe(false);
    expect(add('2026-02-13', 1)).toBe('2026-02-23');
    expect(cal.workingDaysBetween(d('2026-02-13'), d('2026-02-23'))).toBe(1);
  });

  it('Giỗ Tổ 2026 falls on Sunday 26/4 and is compensated on Monday 27/4', () => {
    expect(formatDate(hungKingsDay(2026))).toBe('2026-04-26');
    expect(cal.isWorkingDay(d('2026-04-27'))).toBe(false);
    expect(add('2026-04-24', 1)).toBe('2026-04-28');
  });

  it.each([
    ['2024', '2024-04-29', '2024-04-30', '2024-05-01', '2024-05-04'],
    ['2025', '2025-04-30', '2025-05-01', '2025-05-02', '2025-04-26'],
  ])('30/4–1/5 %s with its swap', (_y, a, b, c, workedSaturday) => {
    for (const day of [a, b, c]) expect(cal.isWorkingDay(d(day))).toBe(false);
    expect(cal.isWorkingDay(d(workedSaturday))).toBe(true);
  });

  it('30/4–1/5 2026 (Thu–Fri) with no swap', () => {
    expect(cal.isWorkingDay(d('2026-04-30'))).toBe(false);
    expect(cal.isWorkingDay(d('2026-05-01'))).toBe(false);
    expect(add('2026-04-29', 1)).toBe('2026-05-04');
  });

  it('2/9 in each year with its adjacent day, and the 2026 swap (Mon 31/8 off, Sat 22/8 worked)', () => {
    expect(['2024-09-02', '2024-09-03'].map((x) => cal.isWorkingDay(d(x)))).toEqual([false, false]);
    expect(['2025-09-01', '2025-09-02'].map((x) => cal.isWorkingDay(d(x)))).toEqual([false, false]);
    expect(['2026-08-31', '2026-09-01', '2026-09-02'].map((x) => cal.isWorkingDay(d(x)))).toEqual([false, false, false]);
    expect(cal.isWorkingDay(d('2026-08-22'))).toBe(true);
    expect(add('2026-08-28', 1)).toBe('2026-09-03');
  });

  it('Tết 2024 and 2025 off days', () => {
    for (const day of ['2024-02-08', '2024-02-09', '2024-02-12', '2024-02-13', '2024-02-14']) expect(cal.isWorkingDay(d(day))).toBe(false);
    for (const day of ['2025-01-27', '2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31']) expect(cal.isWorkingDay(d(day))).toBe(false);
    expect(add('2025-01-24', 1)).toBe('2025-02-03');
  });

  it('marks 2024–2026 official and other years provisional', () => {
    expect(cal.year(2024).status).toBe('official');
    expect(cal.year(2026).status).toBe('official');
    expect(cal.year(2027).status).toBe('provisional');
    expect(cal.year(2023).status).toBe('provisional');
  });

  it('built-in data is well formed (weekdays off, Saturdays worked, known sources)', () => {
    for (const y of OFFICIAL_YEARS) expect(validateYear(officialYear(y))).toEqual([]);
  });
});

describe('provisional years from the rules', () => {
  it('computes Tết and Hùng Kings for UTC+7 (2030: Vietnam Feb 2, China Feb 3)', () => {
    expect([2024, 2025, 2026, 2027, 2028, 2030].map((y) => formatDate(tetDay(y)))).toEqual([
      '2024-02-10', '2025-01-29', '2026-02-17', '2027-02-06', '2028-01-26', '2030-02-02',
    ]);
    expect(formatDate(hungKingsDay(2027))).toBe('2027-04-16');
    expect(lunarToSolar(1, 1, 2024)).toEqual([10, 2, 2024]);
  });

  it('2027: 1/5 on Saturday compensated on Monday 3/5; Tết weekend days compensated', () => {
    const off = generateDaysOff(2027);
    expect(off.find((x) => x.date === '2027-05-03')?.kind).toBe('compensatory');
    expect(off.filter((x) => x.name.includes('Tết Nguyên đán')).map((x) => x.date)).toEqual(
      expect.arrayContaining(['2027-02-05', '2027-02-08', '2027-02-09', '2027-02-10', '2027-02-11']),
    );
    for (const x of off) expect([1, 2, 3, 4, 5]).toContain(weekday(d(x.date)));
  });

  it('an operator-loaded year replaces the generated one', () => {
    const custom = new WorkingCalendar([
      { year: 2027, status: 'official', version: 1, sources: [{ id: 'S', title: 't', issuer: 'i', issued: '2026-10-01' }], daysOff: [{ date: '2027-03-03', name: 'x', kind: 'extra', source: 'S' }], workedSaturdays: [] },
    ]);
    expect(custom.isWorkingDay(d('2027-03-03'))).toBe(false);
    expect(custom.isWorkingDay(d('2027-02-08'))).toBe(true); // Tết no longer off: the loaded year is the whole truth
    expect(custom.year(2027).status).toBe('official');
  });
});

describe('counting (Civil Code Arts 147–148)', () => {
  it('does not count the day of the event and ends at 24:00 local of the last day', () => {
    const r = cal.deadline(parseInstant('2026-11-23T10:00:00+07:00'), 3);
    expect(formatDate(r.dueDate)).toBe('2026-11-27'); // 24/11 (Tuesday) is the Vietnamese Culture Day
    expect(new Date(r.dueAtMs).toISOString()).toBe('2026-11-27T17:00:00.000Z');
  });

  it('writes due dates as officials do (dd/MM/yyyy of the last day, not of the 24:00 instant)', () => {
    const r = cal.deadline(parseInstant('2026-11-23T10:00:00+07:00'), 3);
    expect(formatDueDateVN(r.dueAtMs)).toBe('27/11/2026');
    expect(formatDateVN(parseDate('2026-01-02'))).toBe('02/01/2026');
  });

  it('uses the Vietnamese date of the instant, whatever the host zone', () => {
    // 18:30Z on Friday is 01:30 Saturday in Hanoi
    const r = cal.deadline(parseInstant('2026-03-06T18:30:00Z'), 1);
    expect(formatDate(r.dueDate)).toBe('2026-03-09');
  });

  it('applies the 15:00 cut-off as an option', () => {
    const at = parseInstant('2026-03-03T15:30:00+07:00');
    expect(formatDate(cal.deadline(at, 1).dueDate)).toBe('2026-03-04');
    expect(formatDate(cal.deadline(at, 1, { cutoffMs: 15 * 3600_000 }).dueDate)).toBe('2026-03-05');
    expect(formatDate(cal.deadline(parseInstant('2026-03-03T14:59:00+07:00'), 1, { cutoffMs: 15 * 3600_000 }).dueDate)).toBe('2026-03-04');
  });

  it('calendar-day limits ending on a day off move to the next working day', () => {
    expect(formatDate(cal.addCalendarDays(d('2026-02-05'), 10))).toBe('2026-02-23');
  });

  it('reports provisional when the period reaches an unannounced year', () => {
    expect(cal.deadline(parseInstant('2026-12-28T09:00:00+07:00'), 10).status).toBe('provisional');
    expect(cal.deadline(parseInstant('2026-06-01T09:00:00+07:00'), 10).status).toBe('official');
  });
});

describe('laws of working-day arithmetic (property-based)', () => {
  const day = fc.integer({ min: dayFromYmd(2016, 1, 1), max: dayFromYmd(2070, 1, 1) });
  const n = fc.integer({ min: 0, max: 300 });

  it('adding m then n equals adding m + n', () => {
    fc.assert(fc.property(day, n, n, (x, m, k) => cal.addWorkingDays(cal.addWorkingDays(x, m), k) === cal.addWorkingDays(x, m + k)), { numRuns: 2000 });
  });

  it('the result of adding n ≥ 1 is a working day after the start, with exactly n working days between', () => {
    fc.assert(
      fc.property(day, fc.integer({ min: 1, max: 300 }), (x, k) => {
        const r = cal.addWorkingDays(x, k);
        return r > x && cal.isWorkingDay(r) && cal.workingDaysBetween(x, r) === k;
      }),
      { numRuns: 2000 },
    );
  });

  it('is monotone in the start', () => {
    fc.assert(fc.property(day, day, n, (a, b, k) => (a <= b ? cal.addWorkingDays(a, k) <= cal.addWorkingDays(b, k) : true)), { numRuns: 2000 });
  });

  it('agrees with a naive day-by-day loop', () => {
    fc.assert(
      fc.property(day, fc.integer({ min: 1, max: 60 }), (x, k) => {
        let cur = x;
        for (let i = 0; i < k; ) {
          cur++;
          if (cal.isWorkingDay(cur)) i++;
        }
        return cur === cal.addWorkingDays(x, k);
      }),
      { numRuns: 1000 },
    );
  });

  it('subtracting undoes adding on working days', () => {
    fc.assert(fc.property(day, fc.integer({ min: 1, max: 200 }), (x, k) => {
      const w = cal.workingDayOnOrAfter(x);
      return cal.subtractWorkingDays(cal.addWorkingDays(w, k), k) === w;
    }), { numRuns: 2000 });
  });
});
