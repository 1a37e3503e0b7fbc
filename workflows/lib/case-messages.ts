/**
 * The messages of every case workflow — updates officers act through and the case view query —
 * defined once and imported by the workflows and the API alike. No workflow-only APIs here.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { describeClock } from '../../domain/clock';
import type { Actor, Role } from '../../domain/roles';
import type { Refusal } from '../../domain/tasks';

export interface TaskActionInput {
  taskId: string;
  actor: Actor;
  /** Agencies the actor may act for (own agency and, for supervisors, those below it), resolved by the API. */
  actorScope: string[];
}
export interface CompleteTaskInput extends TaskActionInput {
  outcome: string;
  payload?: Record<string, unknown>;
}
export interface ReassignTaskInput extends TaskActionInput {
  assignee: string | null;
}

export interface CaseView {
  caseType: string;
  caseId: string;
  agencyId: string;
  status: string;
  policyVersion?: string;
  openTasks: Array<{ taskId: string; step: string; title: string; status: string; assignee?: string; candidateRole: Role; outcomes: string[]; agencyId: string; dueAt?: string }>;
  decisions: Array<{ taskId: string; step: string; outcome: string; actor: string; role: Role; at: string }>;
  clocks: Array<ReturnType<typeof describeClock>>;
  data: Record<string, unknown>;
}

/**
 * A task action's answer: the case state after it, and the writes the action scheduled that were
 * not yet applied when it answered (the API waits for them before answering the officer).
 */
export interface TaskActionView extends CaseView {
  pendingWrites?: { auditKeys: string[] };
}

export const completeTaskUpdate = defineUpdate<TaskActionView, [CompleteTaskInput]>('completeTask');
export const claimTaskUpdate = defineUpdate<TaskActionView, [TaskActionInput]>('claimTask');
export const unclaimTaskUpdate = defineUpdate<TaskActionView, [TaskActionInput]>('unclaimTask');
export const reassignTaskUpdate = defineUpdate<TaskActionView, [ReassignTaskInput]>('reassignTask');
export const caseViewQuery = defineQuery<CaseView>('caseView');

/** Failure types the API maps to HTTP statuses. */
export const REFUSAL_STATUS: Record<Refusal['code'], number> = { TaskNotOpen: 409, WrongStep: 409, OutcomeNotAllowed: 409, InvalidPayload: 400, NotEntitled: 403 };

