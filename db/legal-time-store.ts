/** Operator-loaded calendar years and published policy versions (append-only tables). */
import type { CalendarYear } from '../domain/calendar';
import type { PolicyVersion } from '../domain/policies';
import type { Db } from './knex';

interface CalendarYearRow {
  year: number;
  version: number;
  sources: CalendarYear['sources'];
  days_off: CalendarYear['daysOff'];
  worked_saturdays: CalendarYear['workedSaturdays'];
  loaded_by: string;
  loaded_at: Date;
  reason: string | null;
}

interface PolicyRow {
  version: string;
  /** `date` columns come back as 'YYYY-MM-DD' strings (see db/knex.ts). */
  effective_from: string;
  title: string;
  entries: PolicyVersion['entries'];
  published_by: string;
  published_at: Date;
}

function toYear(r: CalendarYearRow): CalendarYear & { loadedBy: string; loadedAt: string } {
  return {
    year: r.year,
    status: 'official',
    version: r.version,
    sources: r.sources,
    daysOff: r.days_off,
    workedSaturdays: r.worked_saturdays,
    loadedBy: r.loaded_by,
    loadedAt: r.loaded_at.toISOString(),
  };
}

export function legalTimeStore(db: Db) {
  return {
    /** The latest loaded version of each year. */
    async latestYears(): Promise<CalendarYear[]> {
      const rows = await db<CalendarYearRow>('calendar_years as c')
        .select('c.*')
        .whereRaw('c.version = (select max(version) from calendar_years x where x.year = c.year)');
      return rows.map(toYear);
    },
    /** A stamp that changes whenever a year is loaded (for cache invalidation across processes). */
    async yearsStamp(): Promise<string> {
      const r = await db('calendar_years').count<{ count: string }[]>('* as count').max('loaded_at as max').first();
      return `${r?.count ?? 0}:${String((r as { max?: unknown })?.max ?? '')}`;
    },
    async yearHistory(year: number) {
      const rows = await db<CalendarYearRow>('calendar_years').where({ year }).orderBy('version');
      return rows.map(toYear);
    },
    /** Inserts the next version of a year; serialised per year by an advisory lock. */
    async loadYear(y: Omit<CalendarYear, 'status' | 'version'>, actor: string, reason?: string): Promise<number> {
      return db.transaction(async (trx) => {
        await trx.raw('select pg_advisory_xact_lock(?, ?)', [20261123, y.year]);
        const max = await trx('calendar_years').where({ year: y.year }).max<{ max: number | null }>('version as max').first();
        const version = (max?.max ?? 0) + 1;
        await trx('calendar_years').insert({
          year: y.year,
          version,
          sources: JSON.stringify(y.sources),
          days_off: JSON.stringify(y.daysOff),
          worked_saturdays: JSON.stringify(y.workedSaturdays),
          loaded_by: actor,
          reason: reason ?? null,
        });
        return version;
      });
    },
    async policyVersions(): Promise<PolicyVersion[]> {
      const rows = await db<PolicyRow>('policy_versions').select('*').orderBy('effective_from');
      return rows.map((r) => ({
        version: r.version,
        effectiveFrom: r.effective_from,
        title: r.title,
        entries: r.entries,
        publishedBy: r.published_by,
        publishedAt: r.published_at.toISOString(),
      }));
    },
    /** Publishes a version; false if that version identifier exists already. */
    async publishPolicy(v: PolicyVersion, actor: string): Promise<boolean> {
      const inserted = await db('policy_versions')
        .insert({ version: v.version, effective_from: v.effectiveFrom, title: v.title, entries: JSON.stringify(v.entries), published_by: actor })
        .onConflict('version')
        .ignore()
        .returning('version');
      return inserted.length === 1;
    },
  };
}

export type LegalTimeStore = ReturnType<typeof legalTimeStore>;
