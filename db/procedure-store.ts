/**
 * The procedure catalogue's rows (`procedure_versions`). Intake and import insert; every later
 * change is made by procedureWorkflow's activities; the public API reads.
 */
import type { Knex } from 'knex';
import type { Db } from './knex';
import {
  ACTIVATED_STATUSES,
  OPEN_DRAFT_STATUSES,
  type AnnouncementDecision,
  type ProcedureRecord,
  type VersionStatus,
  type WithdrawalDecision,
} from '../domain/procedures';

export interface ProcedureVersionRow {
  id: string;
  code: string;
  version: number;
  status: VersionStatus;
  name: string;
  sector: string;
  level: string;
  agency_id: string;
  implementing_agency_ids: string[];
  online_level: string;
  time_limit_working_days: number | null;
  time_limit_calendar_days: number | null;
  record: ProcedureRecord;
  decision: AnnouncementDecision | null;
  entered_by: string;
  editors: string[];
  reviewed_by: string | null;
  review_comments: string | null;
  published_at: Date | null;
  published_on_time: boolean | null;
  in_force_from: string | null;
  in_force_to: string | null;
  withdrawal: WithdrawalDecision | null;
  created_at: Date;
  updated_at: Date;
}

export class ProcedureConflictError extends Error {}

/** The columns derived from a record (kept in step with the JSON). */
export function recordColumns(r: ProcedureRecord) {
  return {
    name: r.name,
    sector: r.sector,
    level: r.level,
    agency_id: r.agencyId,
    implementing_agency_ids: r.implementingAgencyIds,
    online_level: r.onlineLevel,
    time_limit_working_days: r.timeLimit.workingDays ?? null,
    time_limit_calendar_days: r.timeLimit.calendarDays ?? null,
    record: JSON.stringify(r),
  };
}

export interface CatalogueFilter {
  q?: string;
  sector?: string;
  agencyId?: string;
  level?: string;
  onlineLevel?: string;
  after?: string;
  limit: number;
}

export function procedureStore(db: Db) {
  const table = (q: Db | Knex.Transaction = db) => q<ProcedureVersionRow>('procedure_versions');
  return {
    /**
     * Inserts a new draft: the next version of `code` (version 1 for a new code). Refused while
     * another draft of the code is open (one preparation at a time; a repeated request cannot
     * make two). Locks the code so that concurrent intakes queue.
     */
    async insertDraft(trx: Knex.Transaction, o: { record: ProcedureRecord; decision: AnnouncementDecision | null; enteredBy: string; status?: VersionStatus }): Promise<ProcedureVersionRow> {
      await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`procedure\n${o.record.code}`]);
      const open = await table(trx).where({ code: o.record.code }).whereIn('status', OPEN_DRAFT_STATUSES).first('version', 'status');
      if (open) throw new ProcedureConflictError(`Version ${open.version} of ${o.record.code} is being prepared (${open.status}); finish or discard it first.`);
      const last = await table(trx).where({ code: o.record.code }).max<{ max: number | null }>('version as max').first();
      const previous = last?.max ? await table(trx).where({ code: o.record.code, version: last.max }).first('agency_id') : undefined;
      if (previous && previous.agency_id !== o.record.agencyId) throw new ProcedureConflictError(`${o.record.code} is maintained by ${previous.agency_id}.`);
      const [row] = await table(trx)
        .insert({
          code: o.record.code,
          version: (last?.max ?? 0) + 1,
          status: o.status ?? 'draft',
          ...recordColumns(o.record),
          decision: o.decision ? (JSON.stringify(o.decision) as never) : null,
          entered_by: o.enteredBy,
          editors: [o.enteredBy],
        } as never)
        .returning('*');
      return row as ProcedureVersionRow;
    },
    get(code: string, version: number): Promise<ProcedureVersionRow | undefined> {
      return table().where({ code, version }).first();
    },
    versions(code: string): Promise<ProcedureVersionRow[]> {
      return table().where({ code }).orderBy('version');
    },
    /** The version in force on a local date (YYYY-MM-DD). */
    inForceOn(code: string, date: string): Promise<ProcedureVersionRow | undefined> {
      return table()
        .where({ code })
        .whereIn('status', ACTIVATED_STATUSES)
        .where('in_force_from', '<=', date)
        .where((w) => w.whereNull('in_force_to').orWhere('in_force_to', '>', date))
        .orderBy('in_force_from', 'desc')
        .first();
    },
    /** Procedures in force, filtered, keyset-paged by code. */
    catalogue(f: CatalogueFilter): Promise<ProcedureVersionRow[]> {
      const q = table().where({ status: 'in_force' });
      if (f.q) {
        const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q.where((w) => w.whereILike('name', like).orWhereILike('code', like));
      }
      if (f.sector) q.where({ sector: f.sector });
      if (f.agencyId) {
        const agency = f.agencyId;
        q.where((w) => w.where('agency_id', agency).orWhereRaw('? = any(implementing_agency_ids)', [agency]));
      }
      if (f.level) q.where({ level: f.level });
      if (f.onlineLevel) q.where({ online_level: f.onlineLevel });
      if (f.after) q.where('code', '>', f.after);
      return q.orderBy('code').limit(f.limit);
    },
    async update(code: string, version: number, patch: Partial<Omit<ProcedureVersionRow, 'id' | 'code' | 'version'>>): Promise<void> {
      const p: Record<string, unknown> = { ...patch, updated_at: db.fn.now() };
      for (const k of ['record', 'decision', 'withdrawal'] as const) if (p[k] !== undefined && p[k] !== null) p[k] = JSON.stringify(p[k]);
      await table().where({ code, version }).update(p as never);
    },
    /**
     * Puts a version in force from `date` and retires the one it replaces (from the same day).
     * Idempotent: a retry finds it already in force. Returns the replaced version, if any.
     */
    activate(code: string, version: number, date: string): Promise<{ replaced?: number }> {
      return db.transaction(async (trx) => {
        await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`procedure\n${code}`]);
        const row = await table(trx).where({ code, version }).first('status');
        if (!row || row.status !== 'published') return {};
        const current = await table(trx).where({ code, status: 'in_force' }).first('version');
        if (current) await table(trx).where({ code, version: current.version }).update({ status: 'superseded', in_force_to: date, updated_at: trx.fn.now() } as never);
        await table(trx).where({ code, version }).update({ status: 'in_force', in_force_from: date, updated_at: trx.fn.now() } as never);
        return { replaced: current?.version };
      });
    },
    /** Ends a version on its withdrawal's effective date (a published one never comes into force). */
    async withdraw(code: string, version: number, w: WithdrawalDecision): Promise<void> {
      const row = await table().where({ code, version }).first('status', 'in_force_from');
      if (!row || (row.status !== 'in_force' && row.status !== 'published')) return;
      const patch: Record<string, unknown> = { status: 'withdrawn', withdrawal: JSON.stringify(w), updated_at: db.fn.now() };
      if (row.status === 'in_force') patch.in_force_to = w.effectiveOn;
      await table().where({ code, version }).update(patch as never);
    },
  };
}

export type ProcedureStore = ReturnType<typeof procedureStore>;
