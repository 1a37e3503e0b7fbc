/**
 * Human tasks of the case kernel: what a step asks of whom, and who may act on it. Pure: used by
 * workflow update validators and by the API's authorization alike.
 */
import type { Actor, Role } from './roles';

export type TaskStatus = 'open' | 'claimed' | 'done' | 'cancelled';

export interface TaskSpec {
  /** Deterministic: `<workflowId>:<step>:<n>` (n counts openings of that step). */
  taskId: string;
  step: string;
  title: string;
  agencyId: string;
  candidateRole: Role;
  outcomes: string[];
  priority: number;
  /** The statutory clock the task runs under, if any. */
  clockId?: string;
  /** Payload fields an outcome needs, e.g. `{ submit: ['answer'] }`. */
  requires?: Record<string, string[]>;
}

export interface OpenTask extends TaskSpec {
  status: 'open' | 'claimed';
  assignee?: string;
  openedAtMs: number;
  dueAtMs?: number;
}

export interface Decision {
  taskId: string;
  step: string;
  outcome: string;
  actor: Actor;
  payload: Record<string, unknown>;
  atMs: number;
}

export function taskId(workflowId: string, step: string, n: number): string {
  return `${workflowId}:${step}:${n}`;
}

/** Roles that may take a task offered to `candidate`: the role itself, and a supervisor of the agency. */
function roleMayTake(role: Role, candidate: Role): boolean {
  return role === candidate || (role === 'supervisor' && candidate === 'officer');
}

export type Refusal = { code: 'TaskNotOpen' | 'OutcomeNotAllowed' | 'WrongStep' | 'InvalidPayload' | 'NotEntitled'; message: string };

/** Why `actor` may not claim `task` (undefined: allowed). */
export function refuseClaim(task: OpenTask | undefined, actor: Actor, agencyScope: string[]): Refusal | undefined {
  if (!task) return { code: 'TaskNotOpen', message: 'The task is not open.' };
  if (actor.role === 'admin') return undefined;
  if (!actor.agencyId || !agencyScope.includes(task.agencyId)) return { code: 'NotEntitled', message: 'The task belongs to another agency.' };
  if (!roleMayTake(actor.role, task.candidateRole)) return { code: 'NotEntitled', message: `The task is for the ${task.candidateRole} role.` };
  if (task.status === 'claimed' && task.assignee !== actor.sub) return { code: 'NotEntitled', message: 'The task is claimed by someone else.' };
  return undefined;
}

/** Why `actor` may not complete `task` with `outcome` (undefined: allowed). */
export function refuseCompletion(task: OpenTask | undefined, actor: Actor, outcome: string, agencyScope: string[], payload: Record<string, unknown> = {}): Refusal | undefined {
  const claim = refuseClaim(task, actor, agencyScope);
  if (claim) return claim;
  if (!task!.outcomes.includes(outcome)) return { code: 'OutcomeNotAllowed', message: `Outcome "${outcome}" is not allowed here; allowed: ${task!.outcomes.join(', ')}.` };
  const missing = (task!.requires?.[outcome] ?? []).filter((f) => {
    const v = payload[f];
    return typeof v !== 'string' || !v.trim();
  });
  if (missing.length) return { code: 'InvalidPayload', message: `Outcome "${outcome}" needs payload field(s): ${missing.join(', ')}.` };
  return undefined;
}
