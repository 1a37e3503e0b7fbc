/**
 * Officer actions on tasks: load the row → 404 if missing or not visible → CASL object check →
 * 403 → the workflow update (whose validator has the last word: 409/403) → the new state.
 * Rejected attempts are written to the audit log, so auditors see them next to the decisions.
 */
import { ForbiddenError } from '@casl/ability';
import { asSubject } from '../ability';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Request } from 'express';
import { auditStore } from '../../db/audit-store';
import type { Db } from '../../db/knex';
import { taskStore, type TaskRow } from '../../db/task-store';
import {
  claimTaskUpdate,
  completeTaskUpdate,
  reassignTaskUpdate,
  unclaimTaskUpdate,
  type CaseView,
  type TaskActionView,
} from '../../workflows/lib/case-messages';
import { ConflictError, NotFoundError } from '../errors';
import { refusalOf } from './refusals';

export type TaskAction = 'claim' | 'unclaim' | 'complete' | 'reassign';

export interface TaskActionResult {
  task: TaskRow;
  case: CaseView;
  /** False when the action is recorded but its task row and audit event were not yet written (answer 202). */
  applied: boolean;
}

export function taskService(deps: { db: Db; temporal: Client; writesWaitMs: number }) {
  const tasks = taskStore(deps.db);
  const audit = auditStore(deps.db);

  async function visible(req: Request, id: string): Promise<TaskRow> {
    const row = await tasks.get(id);
    if (!row || !req.ability.can('read', asSubject('Task', row))) throw new NotFoundError(`No task ${id}.`);
    return row;
  }

  /**
   * A task action is answered by the case once Temporal has recorded it with its write scheduled
   * (`task-action-answers-on-record`); the officer is answered once that write is applied, so the
   * inbox and the audit log already show the action. The task row and the audit event are written
   * in one transaction (`recordTaskAction`), so the event's presence proves both. Polls 2 ms apart
   * for the first 100 ms; past `writesWaitMs` — the workers are down or behind — the action stands
   * (it is recorded and its write will be applied): the row is answered as it is, with
   * `applied: false` (202 Accepted).
   */
  async function writesApplied(req: Request, id: string, auditKeys: string[]): Promise<{ task: TaskRow; applied: boolean }> {
    const started = Date.now();
    for (let wait = 2; ; wait = Date.now() - started < 100 ? 2 : Math.min(wait * 1.5, 50)) {
      const row = await deps.db<TaskRow & { audited: number }>('tasks')
        .where({ id })
        .first('*', deps.db.raw('(select count(*)::int from audit_events a where a.dedupe_key = any(?)) as audited', [auditKeys]));
      const { audited, ...task } = row!;
      if (audited >= auditKeys.length) return { task, applied: true };
      if (Date.now() - started > deps.writesWaitMs) {
        req.log.warn({ taskId: id, auditKeys }, 'task action answered before its writes were applied');
        return { task, applied: false };
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  async function act(req: Request, id: string, action: TaskAction, input: { outcome?: string; payload?: Record<string, unknown>; assignee?: string | null }): Promise<TaskActionResult> {
    const row = await visible(req, id);
    const caslAction = action === 'unclaim' ? 'claim' : action;
    ForbiddenError.from(req.ability).throwUnlessCan(caslAction, asSubject('Task', row));
    if (row.status === 'done' || row.status === 'cancelled') throw new ConflictError(`The task is ${row.status}.`, { taskStatus: row.status });
    const handle = deps.temporal.workflow.getHandle(row.workflow_id);
    const base = { taskId: id, actor: req.user!, actorScope: req.scope };
    try {
      let view: TaskActionView;
      // The row is written just before the case makes the task decidable (a workflow task later):
      // a refusal "not open" for a row that is open is retried for up to 2 s before it is answered.
      const send = async <T>(fn: () => Promise<T>): Promise<T> => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await fn();
          } catch (err) {
            if (attempt >= 40 || refusalOf(err)?.code !== 'TaskNotOpen' || (await tasks.get(id))?.status !== 'open') throw err;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      };
      switch (action) {
        case 'claim':
          view = await send(() => handle.executeUpdate(claimTaskUpdate, { args: [base] }));
          break;
        case 'unclaim':
          view = await send(() => handle.executeUpdate(unclaimTaskUpdate, { args: [base] }));
          break;
        case 'reassign':
          view = await send(() => handle.executeUpdate(reassignTaskUpdate, { args: [{ ...base, assignee: input.assignee ?? null }] }));
          break;
        case 'complete':
          view = await send(() => handle.executeUpdate(completeTaskUpdate, { args: [{ ...base, outcome: input.outcome!, payload: input.payload }] }));
          break;
      }
      const { pendingWrites, ...caseView } = view;
      if (!pendingWrites) return { task: (await tasks.get(id))!, case: caseView, applied: true };
      return { ...(await writesApplied(req, id, pendingWrites.auditKeys)), case: caseView };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new ConflictError('The case is closed.');
      const refusal = refusalOf(err);
      if (refusal) {
        await audit.append({
          dedupeKey: `rejected:${req.id}:${id}`,
          caseType: row.case_type,
          caseId: row.case_id,
          agencyId: row.agency_id,
          workflowId: row.workflow_id,
          runId: 'api',
          actor: req.user!.sub,
          actorRole: req.user!.role,
          action: 'update.rejected',
          before: null,
          after: { taskId: id, update: action, outcome: input.outcome ?? null, refusal: refusal.code, reason: refusal.message },
          at: new Date().toISOString(),
        });
        throw refusal.http;
      }
      throw err;
    }
  }

  return { visible, act, store: tasks };
}

export type TaskService = ReturnType<typeof taskService>;
