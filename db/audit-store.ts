/** The append-only audit log with a per-case hash chain. */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Db } from './knex';

export interface AuditEventInput {
  dedupeKey: string;
  caseType: string;
  caseId: string;
  agencyId?: string;
  workflowId: string;
  runId: string;
  actor: string;
  actorRole: string;
  action: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  at: string;
}

export interface AuditRow {
  id: string;
  dedupe_key: string;
  case_type: string;
  case_id: string;
  agency_id: string | null;
  workflow_id: string;
  run_id: string;
  actor: string;
  actor_role: string;
  action: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  at: Date;
  prev_hash: string | null;
  hash: string;
}

/** JSON with object keys sorted at every level: the same event always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj).sort().filter((k) => obj[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export function eventHash(prevHash: string | null, row: Pick<AuditRow, 'case_type' | 'case_id' | 'workflow_id' | 'run_id' | 'actor' | 'actor_role' | 'action' | 'before' | 'after'> & { at: Date | string }): string {
  const body = canonicalJson({
    case_type: row.case_type,
    case_id: row.case_id,
    workflow_id: row.workflow_id,
    run_id: row.run_id,
    actor: row.actor,
    actor_role: row.actor_role,
    action: row.action,
    before: row.before,
    after: row.after,
    at: new Date(row.at).toISOString(),
  });
  return createHash('sha256').update(`${prevHash ?? ''}\n${body}`).digest('hex');
}

function lockKey(caseType: string, caseId: string): number {
  return createHash('sha256').update(`${caseType}:${caseId}`).digest().readInt32BE(0);
}

/**
 * Appends once per dedupe key inside the caller's transaction; serialised per case (an advisory
 * lock held to the end of the transaction) so the chain never forks.
 */
export async function appendIn(trx: Knex.Transaction, e: AuditEventInput): Promise<{ id: string; hash: string; duplicate: boolean }> {
  await trx.raw('select pg_advisory_xact_lock(?, ?)', [424242, lockKey(e.caseType, e.caseId)]);
  // One round trip: the event if this key was appended before, and the case's chain head.
  const { rows } = await trx.raw<{ rows: Array<{ id: string | null; hash: string | null; last_hash: string | null }> }>(
    `select e.id, e.hash,
            (select hash from audit_events where case_type = ? and case_id = ? order by id desc limit 1) as last_hash
       from (select 1) one left join audit_events e on e.dedupe_key = ?`,
    [e.caseType, e.caseId, e.dedupeKey],
  );
  const found = rows[0]!;
  if (found.id !== null) return { id: String(found.id), hash: found.hash!, duplicate: true };
  const row = {
    dedupe_key: e.dedupeKey,
    case_type: e.caseType,
    case_id: e.caseId,
    agency_id: e.agencyId ?? null,
    workflow_id: e.workflowId,
    run_id: e.runId,
    actor: e.actor,
    actor_role: e.actorRole,
    action: e.action,
    before: e.before ?? null,
    after: e.after ?? null,
    at: new Date(e.at),
    prev_hash: found.last_hash,
  };
  const hash = eventHash(row.prev_hash, row);
  const [inserted] = await trx('audit_events')
    .insert({ ...row, before: row.before === null ? null : JSON.stringify(row.before), after: row.after === null ? null : JSON.stringify(row.after), hash })
    .returning('id');
  return { id: String((inserted as { id: string }).id), hash, duplicate: false };
}

export function auditStore(db: Db) {
  return {
    /** Appends once per dedupe key; serialised per case so the chain never forks. */
    async append(e: AuditEventInput): Promise<{ id: string; hash: string; duplicate: boolean }> {
      return db.transaction((trx) => appendIn(trx, e));
    },
    async forCase(caseType: string, caseId: string): Promise<AuditRow[]> {
      return db<AuditRow>('audit_events').where({ case_type: caseType, case_id: caseId }).orderBy('id');
    },
    /** Recomputes the chain: the first event whose hash or link does not match, if any. */
    async verify(caseType: string, caseId: string): Promise<{ ok: boolean; events: number; brokenAt?: string; reason?: string }> {
      const rows = await this.forCase(caseType, caseId);
      let prev: string | null = null;
      for (const r of rows) {
        if (r.prev_hash !== prev) return { ok: false, events: rows.length, brokenAt: r.id, reason: 'link to the previous event does not match' };
        if (eventHash(r.prev_hash, r) !== r.hash) return { ok: false, events: rows.length, brokenAt: r.id, reason: 'event content does not match its hash' };
        prev = r.hash;
      }
      return { ok: true, events: rows.length };
    },
    stream(filter: { from?: Date; to?: Date; agencyIds?: string[] }) {
      const q = db<AuditRow>('audit_events').select('*').orderBy('id');
      if (filter.from) q.where('at', '>=', filter.from);
      if (filter.to) q.where('at', '<', filter.to);
      if (filter.agencyIds) q.whereIn('agency_id', filter.agencyIds);
      return q.stream();
    },
  };
}

export type AuditStore = ReturnType<typeof auditStore>;
