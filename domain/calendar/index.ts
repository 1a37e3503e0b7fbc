export * from './days';
export * from './calendar';
export { lunarToSolar } from './lunar';
export { generateDaysOff, statutoryHolidays, tetDay, hungKingsDay } from './rules';
export { OFFICIAL_YEARS, type OfficialYear, type CalendarSource } from './official-years';
