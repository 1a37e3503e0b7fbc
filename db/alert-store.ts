/** Supervisors' alert feed: one row per (case, clock, threshold). */
import type { Knex } from 'knex';
import type { Db } from './knex';

export interface AlertRow {
  id: string;
  dedupe_key: string;
  case_type: string;
  case_id: string;
  workflow_id: string;
  clock_id: string;
  threshold_key: string;
  kind: 'reminder' | 'due' | 'overdue' | 'escalation';
  agency_id: string;
  assignee: string | null;
  title: string;
  due_at: Date;
  overdue_working_days: number | null;
  raised_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
}

export function alertStore(db: Db) {
  return {
    /** Inserts the alert unless its key exists; returns the row either way. */
    async raise(row: Omit<AlertRow, 'id' | 'raised_at' | 'acknowledged_at' | 'acknowledged_by'>, at: Date): Promise<{ alert: AlertRow; created: boolean }> {
      const inserted = await db<AlertRow>('alerts').insert({ ...row, raised_at: at }).onConflict('dedupe_key').ignore().returning('*');
      if (inserted[0]) return { alert: inserted[0], created: true };
      const existing = await db<AlertRow>('alerts').where({ dedupe_key: row.dedupe_key }).first();
      return { alert: existing!, created: false };
    },
    async get(id: string): Promise<AlertRow | undefined> {
      return db<AlertRow>('alerts').where({ id }).first();
    },
    async list(f: { agencyIds?: string[]; kind?: string; state?: 'open' | 'acknowledged'; since?: Date; caseId?: string; limit: number; afterId?: string }, scope: (q: Knex.QueryBuilder) => void): Promise<AlertRow[]> {
      const q = db<AlertRow>('alerts').select('*').where(scope);
      if (f.agencyIds) q.whereIn('agency_id', f.agencyIds);
      if (f.kind) q.where('kind', f.kind);
      if (f.state === 'open') q.whereNull('acknowledged_at');
      if (f.state === 'acknowledged') q.whereNotNull('acknowledged_at');
      if (f.since) q.where('raised_at', '>=', f.since);
      if (f.caseId) q.where('case_id', f.caseId);
      if (f.afterId) q.where('id', '<', f.afterId);
      return q.orderBy('id', 'desc').limit(f.limit);
    },
    async acknowledge(id: string, by: string, at: Date): Promise<AlertRow | undefined> {
      const [row] = await db<AlertRow>('alerts').where({ id }).whereNull('acknowledged_at').update({ acknowledged_at: at, acknowledged_by: by }).returning('*');
      return row ?? (await db<AlertRow>('alerts').where({ id }).first());
    },
  };
}

export type AlertStore = ReturnType<typeof alertStore>;
