/**
 * Days off generated from the law, for years without an official notice (marked provisional).
 *
 * Labour Code 2019 Art 112.1: 1/1; Tết (5 days); Hùng Kings 10/3 lunar; 30/4; 1/5; 2/9 plus
 * one adjacent day. Art 111.3: a holiday on a weekly rest day is compensated on the next working
 * day. 24/11, Vietnamese Culture Day (Ngày Văn hóa Việt Nam), a paid day off from 2026: chosen by
 * Politburo Resolution 80-NQ/TW (7/1/2026), reported as enacted by Resolution 28/2026/QH16 — the
 * Assembly's text was not read; see the note on 2026-11-24 in official-years.ts.
 *
 * Documented defaults where the law leaves the choice to the Prime Minister each year:
 * - Tết: the last day of the old lunar year and the first four days of the new one;
 * - the day adjacent to 2/9: 3/9 when 2/9 is a Monday, otherwise 1/9;
 * - no swaps (no worked Saturdays): those are only ever announced.
 */
import { dayFromYmd, formatDate, weekday, type DayNumber } from './days';
import { lunarToSolar } from './lunar';

export interface GeneratedDayOff {
  date: string;
  name: string;
  kind: 'holiday' | 'compensatory';
  rule: string;
}

export const CULTURE_DAY_FROM_YEAR = 2026;

function solar([d, m, y]: [number, number, number]): DayNumber {
  return dayFromYmd(y, m, d);
}

export function tetDay(year: number): DayNumber {
  return solar(lunarToSolar(1, 1, year));
}

export function hungKingsDay(year: number): DayNumber {
  return solar(lunarToSolar(10, 3, year));
}

/** The statutory holidays of `year` (any weekday), before compensation. */
export function statutoryHolidays(year: number): Array<{ day: DayNumber; name: string; rule: string }> {
  const tet = tetDay(year);
  const national = dayFromYmd(year, 9, 2);
  const adjacent = weekday(national) === 1 ? national + 1 : national - 1;
  const out = [
    { day: dayFromYmd(year, 1, 1), name: 'Tết Dương lịch', rule: 'Labour Code 2019 Art 112.1.a' },
    ...[-1, 0, 1, 2, 3].map((o) => ({ day: tet + o, name: 'Tết Nguyên đán', rule: 'Labour Code 2019 Art 112.1.b; default: last day of the year + first 4 days' })),
    { day: hungKingsDay(year), name: 'Giỗ Tổ Hùng Vương (10/3 âm lịch)', rule: 'Labour Code 2019 Art 112.1.c' },
    { day: dayFromYmd(year, 4, 30), name: 'Ngày Chiến thắng (30/4)', rule: 'Labour Code 2019 Art 112.1.d' },
    { day: dayFromYmd(year, 5, 1), name: 'Ngày Quốc tế lao động (1/5)', rule: 'Labour Code 2019 Art 112.1.đ' },
    { day: national, name: 'Quốc khánh (2/9)', rule: 'Labour Code 2019 Art 112.1.e' },
    { day: adjacent, name: 'Quốc khánh (ngày liền kề)', rule: 'Labour Code 2019 Art 112.1.e; default: 3/9 if 2/9 is a Monday, else 1/9' },
  ];
  if (year >= CULTURE_DAY_FROM_YEAR) {
    out.push({ day: dayFromYmd(year, 11, 24), name: 'Ngày Văn hóa Việt Nam (24/11)', rule: 'Resolution 80-NQ/TW (2026); Resolution 28/2026/QH16 as reported' });
  }
  return out.sort((a, b) => a.day - b.day);
}

/** Weekdays off in `year` by the rules: holidays on weekdays plus compensatory days (Art 111.3). */
export function generateDaysOff(year: number): GeneratedDayOff[] {
  const holidays = statutoryHolidays(year);
  const holidaySet = new Set(holidays.map((h) => h.day));
  const off = new Map<DayNumber, GeneratedDayOff>();
  const isWeekend = (d: DayNumber) => weekday(d) === 0 || weekday(d) === 6;
  for (const h of holidays) {
    if (!isWeekend(h.day)) off.set(h.day, { date: formatDate(h.day), name: h.name, kind: 'holiday', rule: h.rule });
  }
  for (const h of holidays) {
    if (!isWeekend(h.day)) continue;
    let d = h.day + 1;
    while (isWeekend(d) || holidaySet.has(d) || off.has(d)) d++;
    off.set(d, { date: formatDate(d), name: `Nghỉ bù ${h.name}`, kind: 'compensatory', rule: 'Labour Code 2019 Art 111.3' });
  }
  return [...off.values()].sort((a, b) => a.date.localeCompare(b.date));
}
