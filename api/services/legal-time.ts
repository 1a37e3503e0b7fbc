/**
 * The legal-time service: the working calendar (built-in official years, generated years, and
 * the years operators loaded) and the policy versions (built-in plus published). The calendar is
 * rebuilt only when the stored years change (checked at most once a second).
 */
import { calendarWithLoadedYears, validateYear, type CalendarYear, type WorkingCalendar } from '../../domain/calendar';
import { BUILTIN_POLICY, policyInForce, validatePolicyVersion, type PolicyVersion } from '../../domain/policies';
import type { LegalTimeStore } from '../../db/legal-time-store';
import { ConflictError, InputError } from '../errors';

export function legalTimeService(store: LegalTimeStore) {
  let cached: { stamp: string; calendar: WorkingCalendar; checkedAt: number } | undefined;

  async function calendar(): Promise<WorkingCalendar> {
    if (cached && Date.now() - cached.checkedAt < 1000) return cached.calendar;
    const stamp = await store.yearsStamp();
    if (cached?.stamp === stamp) {
      cached.checkedAt = Date.now();
      return cached.calendar;
    }
    cached = { stamp, calendar: calendarWithLoadedYears(await store.latestYears()), checkedAt: Date.now() };
    return cached.calendar;
  }

  async function policies(): Promise<PolicyVersion[]> {
    return [BUILTIN_POLICY, ...(await store.policyVersions())];
  }

  return {
    calendar,
    policies,
    async policyAt(atMs: number): Promise<PolicyVersion> {
      return policyInForce(await policies(), atMs);
    },
    async loadYear(y: Omit<CalendarYear, 'status' | 'version'>, actor: string, reason?: string): Promise<number> {
      const errors = validateYear({ ...y, status: 'official', version: 0 });
      if (errors.length) throw new InputError('The calendar year is not valid.', errors.map((e) => ({ path: `body.${e.split(':')[0]}`, message: e })));
      const version = await store.loadYear(y, actor, reason);
      cached = undefined;
      return version;
    },
    async publishPolicy(v: PolicyVersion, actor: string): Promise<void> {
      const errors = validatePolicyVersion(v, BUILTIN_POLICY);
      if (errors.length) throw new InputError('The policy version is not valid.', errors.map((e) => ({ path: `body.${e.split(':')[0]}`, message: e })));
      if (v.version === BUILTIN_POLICY.version || !(await store.publishPolicy(v, actor))) {
        throw new ConflictError(`Policy version ${v.version} exists already; versions are immutable, publish a new one.`);
      }
    },
  };
}

export type LegalTimeService = ReturnType<typeof legalTimeService>;
