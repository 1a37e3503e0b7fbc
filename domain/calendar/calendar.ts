/**
 * The working-day calendar of Vietnamese state agencies: Monday–Friday, less the days off, plus
 * the Saturdays worked in exchange for swapped days. Official years come from the government's
 * notices (official-years.ts, or a year an operator loaded); other years are generated from the
 * law (rules.ts) and marked provisional.
 *
 * Counting follows Civil Code 2015 Arts 147–148: the day of the event is not counted; a period of
 * N working days ends at the end (24:00, Asia/Ho_Chi_Minh) of the Nth working day after it.
 *
 * Speed: every day in [MIN_YEAR, MAX_YEAR] is indexed once (working flag, running count of working
 * days, list of working days), so each operation is O(1) array look-ups, not a day-by-day loop.
 */
import { dayFromYmd, endOfDay, formatDate, localDay, localTimeOfDayMs, weekday, ymd, type DayNumber } from './days';
import { OFFICIAL_YEARS, type CalendarSource, type OfficialYear } from './official-years';
import { generateDaysOff } from './rules';

export type YearStatus = 'official' | 'provisional';

export interface DayOffEntry {
  date: string;
  name: string;
  kind: 'holiday' | 'compensatory' | 'swap' | 'extra';
  source: string;
  note?: string;
}

export interface CalendarYear {
  year: number;
  status: YearStatus;
  /** Version of an operator-loaded year (built-in data is version 0). */
  version: number;
  sources: CalendarSource[];
  daysOff: DayOffEntry[];
  workedSaturdays: Array<{ date: string; replaces: string; source: string; note?: string }>;
}

export const MIN_YEAR = 2015;
export const MAX_YEAR = 2075;

export class CalendarRangeError extends RangeError {}

export function provisionalYear(year: number): CalendarYear {
  return {
    year,
    status: 'provisional',
    version: 0,
    sources: [{ id: 'RULES', title: 'Generated from Labour Code 2019 Arts 111.3 and 112 with documented defaults (domain/calendar/rules.ts)', issuer: 'motcua', issued: '2026-11-23' }],
    daysOff: generateDaysOff(year).map((d) => ({ date: d.date, name: d.name, kind: d.kind, source: 'RULES', note: d.rule })),
    workedSaturdays: [],
  };
}

export function officialYear(data: OfficialYear, version = 0): CalendarYear {
  return { year: data.year, status: 'official', version, sources: data.sources, daysOff: data.daysOff, workedSaturdays: data.workedSaturdays };
}

/** Checks a year's data: dates inside the year, days off on weekdays, worked days on Saturdays, known sources. */
export function validateYear(y: CalendarYear): string[] {
  const errors: string[] = [];
  const sources = new Set(y.sources.map((s) => s.id));
  const seen = new Set<string>();
  for (const [i, d] of y.daysOff.entries()) {
    let day: DayNumber;
    try {
      day = dayFromYmd(...(d.date.split('-').map(Number) as [number, number, number]));
      if (formatDate(day) !== d.date) throw new Error();
    } catch {
      errors.push(`daysOff[${i}].date: not a date: ${d.date}`);
      continue;
    }
    if (ymd(day).year !== y.year) errors.push(`daysOff[${i}].date: ${d.date} is not in ${y.year}`);
    if (weekday(day) === 0 || weekday(day) === 6) errors.push(`daysOff[${i}].date: ${d.date} is a weekend day; list only weekdays off`);
    if (seen.has(d.date)) errors.push(`daysOff[${i}].date: ${d.date} is listed twice`);
    seen.add(d.date);
    if (!sources.has(d.source)) errors.push(`daysOff[${i}].source: unknown source ${d.source}`);
  }
  for (const [i, w] of y.workedSaturdays.entries()) {
    const parts = w.date.split('-').map(Number) as [number, number, number];
    const day = dayFromYmd(...parts);
    if (formatDate(day) !== w.date || weekday(day) !== 6) errors.push(`workedSaturdays[${i}].date: ${w.date} is not a Saturday`);
    if (!sources.has(w.source)) errors.push(`workedSaturdays[${i}].source: unknown source ${w.source}`);
  }
  return errors;
}

export interface DeadlineOptions {
  /**
   * Decree 61/2018 Art 18 (policy option): something received after this local time of day
   * (milliseconds since midnight, e.g. 15:00) counts as received on the next working day.
   */
  cutoffMs?: number;
}

export class WorkingCalendar {
  private readonly base: DayNumber;
  private readonly working: Uint8Array;
  /** cum[i]: working days in [base, base + i]. */
  private readonly cum: Int32Array;
  /** Offsets (from base) of every working day, ascending. */
  private readonly workingDays: Int32Array;
  private readonly years = new Map<number, CalendarYear>();
  private readonly dayOffByDate = new Map<string, DayOffEntry>();

  /** `years` override the generated data of their year (official data, operator-loaded years). */
  constructor(years: CalendarYear[] = OFFICIAL_YEARS.map((y) => officialYear(y))) {
    for (let y = MIN_YEAR; y <= MAX_YEAR; y++) this.years.set(y, provisionalYear(y));
    for (const y of years) {
      if (y.year < MIN_YEAR || y.year > MAX_YEAR) throw new CalendarRangeError(`year ${y.year} is outside ${MIN_YEAR}–${MAX_YEAR}`);
      this.years.set(y.year, y);
    }
    this.base = dayFromYmd(MIN_YEAR, 1, 1);
    const size = dayFromYmd(MAX_YEAR + 1, 1, 1) - this.base;
    this.working = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      const wd = weekday(this.base + i);
      this.working[i] = wd === 0 || wd === 6 ? 0 : 1;
    }
    for (const y of this.years.values()) {
      for (const d of y.daysOff) {
        this.working[this.parse(d.date) - this.base] = 0;
        this.dayOffByDate.set(d.date, d);
      }
      for (const w of y.workedSaturdays) this.working[this.parse(w.date) - this.base] = 1;
    }
    this.cum = new Int32Array(size);
    let count = 0;
    for (let i = 0; i < size; i++) {
      count += this.working[i]!;
      this.cum[i] = count;
    }
    this.workingDays = new Int32Array(count);
    for (let i = 0, k = 0; i < size; i++) if (this.working[i]) this.workingDays[k++] = i;
  }

  private parse(date: string): DayNumber {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    return dayFromYmd(y, m, d);
  }

  private index(day: DayNumber): number {
    const i = day - this.base;
    if (i < 0 || i >= this.working.length) throw new CalendarRangeError(`${formatDate(day)} is outside the calendar (${MIN_YEAR}–${MAX_YEAR})`);
    return i;
  }

  year(year: number): CalendarYear {
    const y = this.years.get(year);
    if (!y) throw new CalendarRangeError(`year ${year} is outside the calendar (${MIN_YEAR}–${MAX_YEAR})`);
    return y;
  }

  statusOf(day: DayNumber): YearStatus {
    return this.year(ymd(day).year).status;
  }

  /** 'official' only if every year from `from` to `to` is official. */
  statusBetween(from: DayNumber, to: DayNumber): YearStatus {
    for (let y = ymd(Math.min(from, to)).year; y <= ymd(Math.max(from, to)).year; y++) {
      if (this.year(y).status !== 'official') return 'provisional';
    }
    return 'official';
  }

  isWorkingDay(day: DayNumber): boolean {
    return this.working[this.index(day)] === 1;
  }

  dayOff(day: DayNumber): DayOffEntry | undefined {
    return this.dayOffByDate.get(formatDate(day));
  }

  /** The first working day strictly after `day`. */
  nextWorkingDay(day: DayNumber): DayNumber {
    return this.addWorkingDays(day, 1);
  }

  /** The working day itself if `day` is one, else the next. */
  workingDayOnOrAfter(day: DayNumber): DayNumber {
    return this.isWorkingDay(day) ? day : this.nextWorkingDay(day);
  }

  /** The Nth working day after `day` (the day itself not counted); N ≥ 0 (N = 0 gives `day`). */
  addWorkingDays(day: DayNumber, n: number): DayNumber {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`working days must be a whole number ≥ 0, got ${n}`);
    if (n === 0) return day;
    const k = this.cum[this.index(day)]! + n - 1;
    if (k >= this.workingDays.length) throw new CalendarRangeError(`the result is after ${MAX_YEAR}`);
    return this.base + this.workingDays[k]!;
  }

  /** The Nth working day before `day`; N ≥ 1. */
  subtractWorkingDays(day: DayNumber, n: number): DayNumber {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`working days must be a whole number ≥ 1, got ${n}`);
    const i = this.index(day);
    const k = this.cum[i]! - (this.working[i] ? 1 : 0) - n;
    if (k < 0) throw new CalendarRangeError(`the result is before ${MIN_YEAR}`);
    return this.base + this.workingDays[k]!;
  }

  /** Working days in (from, to]: after `from`'s day, up to and including `to`'s day; negative if to < from. */
  workingDaysBetween(from: DayNumber, to: DayNumber): number {
    return this.cum[this.index(to)]! - this.cum[this.index(from)]!;
  }

  /** N calendar days after `day`; a period whose last day is off ends on the next working day (Civil Code Art 148.4). */
  addCalendarDays(day: DayNumber, n: number): DayNumber {
    return this.workingDayOnOrAfter(day + n);
  }

  /** The day from which a period starts counting for something received at `epochMs`. */
  receptionDay(epochMs: number, opts: DeadlineOptions = {}): DayNumber {
    const day = localDay(epochMs);
    if (opts.cutoffMs !== undefined && this.isWorkingDay(day) && localTimeOfDayMs(epochMs) >= opts.cutoffMs) return this.nextWorkingDay(day);
    return day;
  }

  /** The deadline of N working days from an instant: the due date and the instant it expires (24:00 local). */
  deadline(epochMs: number, workingDays: number, opts: DeadlineOptions = {}): { dueDate: DayNumber; dueAtMs: number; status: YearStatus } {
    const from = this.receptionDay(epochMs, opts);
    const due = this.addWorkingDays(from, workingDays);
    return { dueDate: due, dueAtMs: endOfDay(due), status: this.statusBetween(localDay(epochMs), due) };
  }
}

const calendars = new Map<string, WorkingCalendar>();
/**
 * The calendar of exactly these years, built once per distinct content and then shared: a
 * calendar is read-only after construction, and building one (61 years, lunar holidays included)
 * costs milliseconds and ≈200 KB. Workflows call it (through `calendarWithLoadedYears`), so every
 * cached case of a worker shares one calendar (the worker preloads this module into its reusable
 * V8 context, see worker/worker.ts).
 */
export function calendarFor(years: CalendarYear[]): WorkingCalendar {
  const key = JSON.stringify([...years].sort((a, b) => a.year - b.year));
  let c = calendars.get(key);
  if (!c) {
    c = new WorkingCalendar(years);
    if (calendars.size >= 32) calendars.clear(); // operators load a handful of year versions, not more
    calendars.set(key, c);
  }
  return c;
}

let defaultCalendar: WorkingCalendar | undefined;
/** The built-in calendar (official notices + rules), built once. */
export function builtInCalendar(): WorkingCalendar {
  return (defaultCalendar ??= new WorkingCalendar());
}

/**
 * The built-in official years with the years operators loaded laid over them (a loaded year
 * replaces that year's data); the built-in calendar when none was loaded.
 */
export function calendarWithLoadedYears(loaded: CalendarYear[]): WorkingCalendar {
  if (!loaded.length) return builtInCalendar();
  const byYear = new Map<number, CalendarYear>(OFFICIAL_YEARS.map((y) => [y.year, officialYear(y)]));
  for (const y of loaded) byYear.set(y.year, y);
  return calendarFor([...byYear.values()]);
}
