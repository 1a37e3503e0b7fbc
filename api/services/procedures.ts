/**
 * The procedure catalogue's write side, shared by the API and the demo seeder: a new draft (row and
 * workflow, idempotent with an Idempotency-Key), edits and withdrawals (workflow updates), and the
 * all-or-nothing import of an existing catalogue.
 */
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { requestHash } from '../../db/intake-store';
import type { Db } from '../../db/knex';
import { procedureStore, ProcedureConflictError, type ProcedureVersionRow } from '../../db/procedure-store';
import { csvObjects, CsvError } from '../../domain/csv';
import { canonicalJson, procedureWorkflowId, type AnnouncementDecision, type ProcedureRecord, type WithdrawalDecision } from '../../domain/procedures';
import type { Actor } from '../../domain/roles';
import { editProcedureDraftUpdate, procedureWorkflow, withdrawProcedureUpdate, type ProcedureAnswer } from '../../workflows/procedure';
import { ConflictError, NotFoundError } from '../errors';
import { fieldErrors, z } from '../route';
import { CSV_COLUMNS, DecisionSchema, RecordSchema } from '../schemas/procedure';
import { refusalOf } from './refusals';

export interface ImportReport {
  total: number;
  imported: Array<{ code: string; version: number }>;
  unchanged: Array<{ code: string; version: number }>;
  rejected: Array<{ item: number; code: string | null; errors: Array<{ path: string; message: string }> }>;
}

const ImportItemSchema = z.object({ record: RecordSchema, decision: DecisionSchema });

/** One CSV record as an import item (lists split on `|`, JSON cells parsed); problems are reported per column. */
function csvItem(row: Record<string, string>): { item?: unknown; errors: Array<{ path: string; message: string }> } {
  const errors: Array<{ path: string; message: string }> = [];
  const list = (c: string) => (row[c] ?? '').split('|').map((s) => s.trim()).filter(Boolean);
  const json = (c: string) => {
    const v = (row[c] ?? '').trim();
    if (!v) return [];
    try {
      return JSON.parse(v) as unknown;
    } catch {
      errors.push({ path: c, message: 'not a JSON array' });
      return [];
    }
  };
  const int = (c: string) => {
    const v = (row[c] ?? '').trim();
    if (!v) return undefined;
    if (!/^\d+$/.test(v)) errors.push({ path: c, message: 'not a whole number' });
    return Number(v);
  };
  const item = {
    record: {
      code: row.code,
      name: row.name,
      sector: row.sector,
      level: row.level,
      agencyId: row.agencyId,
      competentAuthority: row.competentAuthority,
      implementingAgencyIds: list('implementingAgencyIds'),
      steps: list('steps'),
      submissionMethods: list('submissionMethods'),
      documents: json('documents'),
      timeLimit: { workingDays: int('timeLimitWorkingDays'), calendarDays: int('timeLimitCalendarDays'), text: row.timeLimitText },
      applicants: row.applicants,
      result: row.result,
      conditions: list('conditions'),
      fees: json('fees'),
      legalBasis: list('legalBasis'),
      onlineLevel: row.onlineLevel,
    },
    decision: { number: row.decisionNumber, signerLevel: row.signerLevel, signedOn: row.signedOn, effectiveOn: row.effectiveOn },
  };
  return { item, errors };
}

export function procedureService(deps: { db: Db; temporal: Client; taskQueue: string }) {
  const store = procedureStore(deps.db);

  function startWorkflow(row: Pick<ProcedureVersionRow, 'code' | 'version' | 'agency_id' | 'entered_by' | 'decision'>, mode: 'entry' | 'imported') {
    return deps.temporal.workflow.start(procedureWorkflow, {
      taskQueue: deps.taskQueue,
      workflowId: procedureWorkflowId(row.code, row.version),
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      args: [{ code: row.code, version: row.version, agencyId: row.agency_id, enteredBy: row.entered_by, decision: row.decision, mode }],
    });
  }

  /** Runs a workflow update of a version and maps its refusals (409/403/400). */
  async function update<T>(code: string, version: number, fn: (h: ReturnType<Client['workflow']['getHandle']>) => Promise<T>): Promise<T> {
    try {
      return await fn(deps.temporal.workflow.getHandle(procedureWorkflowId(code, version)));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new ConflictError(`Version ${version} of ${code} is closed.`);
      const refusal = refusalOf(err);
      if (refusal) throw refusal.http;
      throw err;
    }
  }

  return {
    startWorkflow,

    /**
     * Enters a new draft version (the next version when the code exists). With an Idempotency-Key
     * a repeated request gets the first answer; without one, a repeat finds the open draft (409).
     */
    async create(o: { actor: Actor; key?: string; record: ProcedureRecord; decision: AnnouncementDecision | null }): Promise<{ statusCode: number; body: ProcedureAnswer }> {
      const scope = `${o.actor.sub}:procedure`;
      const hash = requestHash({ record: o.record, decision: o.decision });
      const reserved = await deps.db.transaction(async (trx) => {
        if (o.key) {
          await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`${scope}\n${o.key}`]);
          const seen = await trx('idempotency_keys').where({ scope, key: o.key }).first<{ request_hash: string; resource: string; state: string; status_code: number | null; response: ProcedureAnswer | null }>();
          if (seen) {
            if (seen.request_hash !== hash) throw new ConflictError('This Idempotency-Key was used with a different request body.');
            return { seen };
          }
        }
        try {
          const row = await store.insertDraft(trx, { record: o.record, decision: o.decision, enteredBy: o.actor.sub });
          if (o.key) await trx('idempotency_keys').insert({ scope, key: o.key, request_hash: hash, resource: `${row.code}@v${row.version}`, state: 'pending' });
          return { row };
        } catch (err) {
          if (err instanceof ProcedureConflictError) throw new ConflictError(err.message);
          throw err;
        }
      });
      if (reserved.seen?.state === 'done') return { statusCode: reserved.seen.status_code ?? 201, body: reserved.seen.response! };
      const [code, v] = (reserved.row ? `${reserved.row.code}@v${reserved.row.version}` : reserved.seen!.resource).split('@v') as [string, string];
      const row = (await store.get(code, Number(v)))!;
      await startWorkflow(row, 'entry');
      const body: ProcedureAnswer = { code: row.code, version: row.version, status: 'draft' };
      if (o.key) await deps.db('idempotency_keys').where({ scope, key: o.key }).update({ state: 'done', status_code: 201, response: JSON.stringify(body) });
      return { statusCode: 201, body };
    },

    edit(o: { actor: Actor; scope: string[]; code: string; version: number; record: ProcedureRecord; decision: AnnouncementDecision | null }): Promise<ProcedureAnswer> {
      return update(o.code, o.version, (h) => h.executeUpdate(editProcedureDraftUpdate, { args: [{ actor: o.actor, actorScope: o.scope, record: o.record, decision: o.decision }] }));
    },

    /** Withdraws the version in force (or the published one awaiting its effective date). */
    async withdraw(o: { actor: Actor; scope: string[]; code: string; withdrawal: WithdrawalDecision }): Promise<ProcedureAnswer> {
      const target = await deps.db('procedure_versions').where({ code: o.code }).whereIn('status', ['in_force', 'published']).orderBy('version', 'desc').first<{ version: number } | undefined>('version');
      if (!target) throw new NotFoundError(`${o.code} has no published version to withdraw.`);
      return update(o.code, target.version, (h) => h.executeUpdate(withdrawProcedureUpdate, { args: [{ actor: o.actor, actorScope: o.scope, withdrawal: o.withdrawal }] }));
    },

    /**
     * Imports published procedures (JSON items or CSV text). All or nothing: when any item is
     * rejected, nothing is written and the report says which and why. An item identical to the
     * version already imported counts as unchanged, so re-running an import is harmless.
     */
    async importCatalogue(o: { actor: Actor; items?: unknown[]; csv?: string }): Promise<ImportReport> {
      const report: ImportReport = { total: 0, imported: [], unchanged: [], rejected: [] };
      let raw: Array<{ item?: unknown; errors: Array<{ path: string; message: string }> }>;
      if (o.csv !== undefined) {
        let rows: Array<Record<string, string>>;
        try {
          rows = csvObjects(o.csv);
        } catch (err) {
          if (!(err instanceof CsvError)) throw err;
          report.rejected.push({ item: 0, code: null, errors: [{ path: 'csv', message: err.message }] });
          return report;
        }
        const missing = CSV_COLUMNS.filter((c) => rows.length && !(c in rows[0]!));
        if (missing.length) {
          report.rejected.push({ item: 0, code: null, errors: [{ path: 'csv', message: `missing column(s): ${missing.join(', ')}` }] });
          return report;
        }
        raw = rows.map(csvItem);
      } else raw = (o.items ?? []).map((item) => ({ item, errors: [] }));
      report.total = raw.length;

      const agencies = new Set<string>(await deps.db('agencies').pluck('id'));
      const seen = new Set<string>();
      const accepted: Array<{ record: ProcedureRecord; decision: AnnouncementDecision; existing?: ProcedureVersionRow }> = [];
      for (const [i, r] of raw.entries()) {
        const item = i + 1;
        const parsed = ImportItemSchema.safeParse(r.item);
        const code = typeof (r.item as { record?: { code?: unknown } })?.record?.code === 'string' ? String((r.item as { record: { code: string } }).record.code) : null;
        const errors = [...r.errors, ...(parsed.success ? [] : fieldErrors(parsed.error, 'item'))];
        if (parsed.success) {
          const { record } = parsed.data;
          for (const a of [record.agencyId, ...record.implementingAgencyIds]) if (!agencies.has(a)) errors.push({ path: 'item.record.agencyId', message: `no agency ${a}` });
          if (seen.has(record.code)) errors.push({ path: 'item.record.code', message: 'appears twice in the file' });
          seen.add(record.code);
          const versions = await store.versions(record.code);
          const same = versions.find((v) => v.entered_by.startsWith('import:') && canonicalJson(v.record) === canonicalJson(record) && canonicalJson(v.decision) === canonicalJson(parsed.data.decision));
          if (versions.length && !same) errors.push({ path: 'item.record.code', message: `already in the catalogue (version ${versions.at(-1)!.version}); enter a new version with POST /procedures` });
          if (!errors.length) accepted.push({ record: record as ProcedureRecord, decision: parsed.data.decision, existing: same });
        }
        if (errors.length) report.rejected.push({ item, code, errors });
      }
      if (report.rejected.length) return report;

      const importer = `import:${o.actor.sub}`;
      const rows = await deps.db.transaction(async (trx) => {
        const out: Array<{ row: Pick<ProcedureVersionRow, 'code' | 'version' | 'agency_id' | 'entered_by' | 'decision'>; fresh: boolean }> = [];
        for (const a of accepted) {
          if (a.existing) {
            out.push({ row: a.existing, fresh: false });
            continue;
          }
          await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`procedure\n${a.record.code}`]);
          if (await trx('procedure_versions').where({ code: a.record.code }).first()) throw new ConflictError(`${a.record.code} was added to the catalogue meanwhile; nothing was imported.`);
          const row = await store.insertDraft(trx, { record: a.record, decision: a.decision, enteredBy: importer, status: 'published' });
          await trx('procedure_versions').where({ id: row.id }).update({ reviewed_by: importer, published_at: trx.fn.now() });
          out.push({ row, fresh: true });
        }
        return out;
      });
      for (const { row, fresh } of rows) {
        await startWorkflow(row, 'imported');
        (fresh ? report.imported : report.unchanged).push({ code: row.code, version: row.version });
      }
      return report;
    },
  };
}

export type ProcedureService = ReturnType<typeof procedureService>;
