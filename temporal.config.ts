/**
 * Temporal settings shared by the API (client), the worker and the workflows: task queue,
 * custom search attributes, activity timeouts and retry policies. Workflows import this file, so
 * it holds plain data only (no Node built-ins, no I/O).
 */
import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/common';

export const TASK_QUEUE_DEFAULT = 'motcua';

/**
 * How long the API waits for Temporal to start a case workflow before it answers 503 (the
 * client's own retries would take ≈20 s). A start whose answer was lost is made good by the intake
 * recovery pass (api/services/intake-recovery.ts).
 */
export const WORKFLOW_START_DEADLINE_MS = 5_000;

/** Custom search attributes, registered on the dev server at start-up (and by operators in production). */
export const SEARCH_ATTRIBUTES = {
  MotcuaCaseType: 'Keyword',
  MotcuaAgency: 'Keyword',
  MotcuaStatus: 'Keyword',
} as const;

/** Database and HTTP side effects: retried with back-off for as long as it takes (they are idempotent). */
export const RETRY_IO: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  nonRetryableErrorTypes: ['ValidationError'],
};

/** Anything a person receives (e-mail): idempotent on our side, and retries capped. */
export const RETRY_NOTIFY: RetryPolicy = {
  initialInterval: '5 seconds',
  backoffCoefficient: 2,
  maximumInterval: '10 minutes',
  maximumAttempts: 10,
};

export const ACTIVITY_IO: ActivityOptions = { startToCloseTimeout: '30 seconds', retry: RETRY_IO };
export const ACTIVITY_NOTIFY: ActivityOptions = { startToCloseTimeout: '1 minute', retry: RETRY_NOTIFY };
/**
 * The case kernel's short database writes (task rows, audit appends, status columns, the legal-time
 * snapshot) as local activities: run by the worker inside the workflow task, recorded as markers,
 * without a round trip through the server per write. Same retry policy as ACTIVITY_IO; past the
 * local retry threshold the back-off is a durable timer.
 */
export const LOCAL_IO: LocalActivityOptions = { startToCloseTimeout: '30 seconds', retry: RETRY_IO, localRetryThreshold: '10 seconds' };

/** Diagnostics (`motcua doctor`) must answer quickly, so it fails after a few attempts. */
export const ACTIVITY_DIAGNOSTIC: ActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumAttempts: 3 },
};
