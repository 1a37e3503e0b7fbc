/**
 * Statutory numbers as versioned data. Each entry carries its legal citation; a version has an
 * effective date; a case pins the version in force when it started, so publishing a new version
 * changes new cases only.
 */
import { localDay, parseDate } from '../calendar/days';

export type PolicyUnit = 'workingDays' | 'calendarDays' | 'months' | 'count' | 'timeOfDay' | 'percent' | 'boolean';

export interface PolicyEntry {
  value: number | boolean | string;
  unit: PolicyUnit;
  citation: string;
  note?: string;
}

export interface PolicyVersion {
  version: string;
  effectiveFrom: string;
  title: string;
  entries: Record<string, PolicyEntry>;
  publishedBy?: string;
  publishedAt?: string;
}

export class PolicyError extends Error {}

/** The version in force at an instant: the latest whose effective date is on or before the instant's local date. */
export function policyInForce(versions: PolicyVersion[], atMs: number): PolicyVersion {
  const today = localDay(atMs);
  let best: PolicyVersion | undefined;
  for (const v of versions) {
    const from = parseDate(v.effectiveFrom);
    if (from <= today && (!best || from > parseDate(best.effectiveFrom) || (from === parseDate(best.effectiveFrom) && v.version > best.version))) best = v;
  }
  if (!best) throw new PolicyError(`no policy version in force on ${new Date(atMs).toISOString()}`);
  return best;
}

export function policyNumber(p: PolicyVersion, key: string): number {
  const e = p.entries[key];
  if (!e || typeof e.value !== 'number') throw new PolicyError(`policy ${p.version} has no number ${key}`);
  return e.value;
}

export function policyBoolean(p: PolicyVersion, key: string): boolean {
  const e = p.entries[key];
  if (!e || typeof e.value !== 'boolean') throw new PolicyError(`policy ${p.version} has no flag ${key}`);
  return e.value;
}

/** A time-of-day entry ("15:00") as milliseconds since local midnight. */
export function policyTimeOfDayMs(p: PolicyVersion, key: string): number {
  const e = p.entries[key];
  const m = e && typeof e.value === 'string' ? /^(\d{2}):(\d{2})$/.exec(e.value) : null;
  if (!m) throw new PolicyError(`policy ${p.version} has no time of day ${key}`);
  return (Number(m[1]) * 60 + Number(m[2])) * 60_000;
}

/** Checks a new version: every key of the base version present with the same unit, values sane. */
export function validatePolicyVersion(v: PolicyVersion, base: PolicyVersion): string[] {
  const errors: string[] = [];
  try {
    parseDate(v.effectiveFrom);
  } catch {
    errors.push(`effectiveFrom: not a date: ${v.effectiveFrom}`);
  }
  for (const [key, e] of Object.entries(base.entries)) {
    const n = v.entries[key];
    if (!n) errors.push(`entries.${key}: missing`);
    else if (n.unit !== e.unit) errors.push(`entries.${key}.unit: must be ${e.unit}`);
  }
  for (const [key, e] of Object.entries(v.entries)) {
    if (!e.citation?.trim()) errors.push(`entries.${key}.citation: a legal citation is required`);
    if (['workingDays', 'calendarDays', 'months', 'count', 'percent'].includes(e.unit) && (typeof e.value !== 'number' || e.value < 0 || !Number.isFinite(e.value))) {
      errors.push(`entries.${key}.value: must be a number ≥ 0`);
    }
    if (e.unit === 'boolean' && typeof e.value !== 'boolean') errors.push(`entries.${key}.value: must be true or false`);
    if (e.unit === 'timeOfDay' && (typeof e.value !== 'string' || !/^([01]\d|2[0-3]):[0-5]\d$/.test(e.value))) errors.push(`entries.${key}.value: must be HH:MM`);
  }
  return errors;
}
