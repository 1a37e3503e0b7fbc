/**
 * Calendar days as integers (days since 1970-01-01 of the local date) and instants in
 * Asia/Ho_Chi_Minh. Vietnam has kept UTC+7 without daylight saving since 1975, so the local date
 * of an instant is a fixed-offset computation: deterministic and independent of the host's zone.
 */
export const VN_OFFSET_MS = 7 * 3600 * 1000;
export const DAY_MS = 86_400_000;
export const TIME_ZONE = 'Asia/Ho_Chi_Minh';

export type DayNumber = number;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function dayFromYmd(y: number, m: number, d: number): DayNumber {
  return Math.floor(Date.UTC(y, m - 1, d) / DAY_MS);
}

export function parseDate(iso: string): DayNumber {
  const m = ISO_DATE.exec(iso);
  if (!m) throw new RangeError(`not a date (YYYY-MM-DD): ${iso}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = dayFromYmd(y, mo, d);
  if (formatDate(day) !== iso) throw new RangeError(`not a calendar date: ${iso}`);
  return day;
}

export function formatDate(day: DayNumber): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function ymd(day: DayNumber): { year: number; month: number; day: number } {
  const d = new Date(day * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(day: DayNumber): number {
  return (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

/** The local (Vietnam) date of an instant given in epoch milliseconds. */
export function localDay(epochMs: number): DayNumber {
  return Math.floor((epochMs + VN_OFFSET_MS) / DAY_MS);
}

/** Milliseconds since local midnight of the instant. */
export function localTimeOfDayMs(epochMs: number): number {
  return (((epochMs + VN_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS;
}

/** The instant local midnight starts `day`. */
export function startOfDay(day: DayNumber): number {
  return day * DAY_MS - VN_OFFSET_MS;
}

/** The end of `day` (24:00 local, i.e. the start of the next day): when a period ending that day expires. */
export function endOfDay(day: DayNumber): number {
  return startOfDay(day + 1);
}

/** Parses an ISO-8601 instant; requires an explicit offset or Z (no host-zone guessing). */
export function parseInstant(iso: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(iso)) {
    throw new RangeError(`not an ISO-8601 instant with offset: ${iso}`);
  }
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not a valid instant: ${iso}`);
  return ms;
}

/** An instant in Vietnam local time, e.g. 2026-11-23T14:00:00.000+07:00. */
export function formatInstantVN(epochMs: number): string {
  return new Date(epochMs + VN_OFFSET_MS).toISOString().replace('Z', '+07:00');
}

/** A local date as Vietnamese officials write it: dd/MM/yyyy. */
export function formatDateVN(day: DayNumber): string {
  const { year, month, day: d } = ymd(day);
  return `${String(d).padStart(2, '0')}/${String(month).padStart(2, '0')}/${year}`;
}

/** The due date of a period that expires at `dueAtMs` (24:00 local of its last day), as dd/MM/yyyy. */
export function formatDueDateVN(dueAtMs: number): string {
  return formatDateVN(localDay(dueAtMs - 1));
}

/** The same day of the month `months` later (clamped to the month's last day: 31/1 + 1 month = 28/2 or 29/2). */
export function addMonths(day: DayNumber, months: number): DayNumber {
  const { year, month, day: d } = ymd(day);
  const index = year * 12 + (month - 1) + months;
  const y = Math.floor(index / 12);
  const m = (index % 12) + 1;
  const last = ymd(dayFromYmd(y, m + 1, 1) - 1).day;
  return dayFromYmd(y, m, Math.min(d, last));
}
