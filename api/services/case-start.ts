/**
 * How every intake starts its case workflow: the case code is the workflow ID, a second start
 * finds the first (never a second case), and the caller waits at most WORKFLOW_START_DEADLINE_MS
 * before it answers 503 — a start whose answer was lost is made good by the intake recovery pass
 * (intake-recovery.ts).
 */
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { WORKFLOW_START_DEADLINE_MS } from '../../temporal.config';

export async function startCaseWorkflow<I>(deps: { temporal: Client; taskQueue: string }, workflow: (input: I) => Promise<unknown>, code: string, input: I): Promise<void> {
  await deps.temporal.withDeadline(Date.now() + WORKFLOW_START_DEADLINE_MS, () =>
    deps.temporal.workflow.start(workflow, {
      taskQueue: deps.taskQueue,
      workflowId: code,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      args: [input],
    }),
  );
}
