/**
 * Procedure catalogue side effects: the `procedure_versions` read model written on behalf of
 * procedureWorkflow. Each is idempotent (a retry leaves the same row).
 */
import { OPEN_DRAFT_STATUSES } from '../domain/procedures';
import { procedureStore, recordColumns } from '../db/procedure-store';
import type { AnnouncementDecision, ProcedureRecord, VersionStatus, WithdrawalDecision } from '../domain/procedures';
import type { ActivityDeps } from './deps';

export interface ProcedureStatusPatch {
  status?: VersionStatus;
  reviewed_by?: string | null;
  review_comments?: string | null;
  published_at?: string | null;
  published_on_time?: boolean | null;
}

export function procedureActivities(deps: ActivityDeps) {
  const store = procedureStore(deps.db);
  return {
    /** Saves an edited draft: the record, the decision, and the editor (who may then not review it). */
    async saveProcedureDraft(code: string, version: number, o: { record: ProcedureRecord; decision: AnnouncementDecision | null; editors: string[] }): Promise<void> {
      await store.update(code, version, { ...recordColumns(o.record), record: o.record, decision: o.decision, editors: o.editors } as never);
    },
    async setProcedureStatus(code: string, version: number, patch: ProcedureStatusPatch): Promise<void> {
      await store.update(code, version, patch as never);
    },
    /** Puts the version in force from `date` (YYYY-MM-DD); returns the version it replaced. */
    activateProcedure(code: string, version: number, date: string): Promise<{ replaced?: number }> {
      return store.activate(code, version, date);
    },
    async withdrawProcedure(code: string, version: number, w: WithdrawalDecision): Promise<void> {
      await store.withdraw(code, version, w);
    },
    /**
     * Opens the next version as a draft copied from `fromVersion` (review outcome "amend"). If a
     * draft of the code is already open (an earlier attempt, or an officer's), that one is the
     * amendment: its version is returned and nothing new is written.
     */
    async openProcedureAmendment(code: string, fromVersion: number, actor: string): Promise<{ version: number; created: boolean }> {
      return deps.db.transaction(async (trx) => {
        await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`procedure\n${code}`]);
        const open = await trx('procedure_versions').where({ code }).whereIn('status', OPEN_DRAFT_STATUSES).first<{ version: number } | undefined>('version');
        if (open) return { version: open.version, created: false };
        const from = await store.get(code, fromVersion);
        if (!from) throw new Error(`no version ${fromVersion} of ${code}`);
        const row = await store.insertDraft(trx, { record: from.record, decision: null, enteredBy: actor });
        return { version: row.version, created: true };
      });
    },
  };
}
