/** Temporal Schedules the system needs, created idempotently when the worker starts. */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { dailyDigestWorkflow, mailRedeliveryWorkflow, reconciliationWorkflow } from '../workflows';

export const DAILY_DIGEST_SCHEDULE = 'motcua-daily-digest';
export const MAIL_REDELIVERY_SCHEDULE = 'motcua-mail-redelivery';

export const reconciliationScheduleId = (provider: string) => `motcua-reconcile-${provider}`;

/** Creates a schedule unless one with its ID exists (every worker start calls this). */
async function ensureSchedule(client: Client, options: ScheduleOptions): Promise<void> {
  try {
    await client.schedule.create(options);
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}

/**
 * Daily reconciliation of one provider (QĐ 31/2021 Art 36.2): at 06:00 local time, the previous
 * business day. Days never overlap each other's IDs (the run ID carries the scheduled time), and
 * a worker down for a weekend catches the missed days up.
 */
export async function ensureReconciliationSchedule(client: Client, taskQueue: string, provider: string): Promise<void> {
  await ensureSchedule(client, {
    scheduleId: reconciliationScheduleId(provider),
    spec: { calendars: [{ hour: 6, minute: 0 }], timezone: 'Asia/Ho_Chi_Minh' },
    action: { type: 'startWorkflow', workflowType: reconciliationWorkflow, taskQueue, workflowId: `reconciliation:${provider}`, args: [{ provider }] },
    policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: '7 days' },
  });
}

export async function ensureSchedules(client: Client, taskQueue: string, providers: string[] = []): Promise<void> {
  for (const p of providers) await ensureReconciliationSchedule(client, taskQueue, p);
  await ensureSchedule(client, {
    scheduleId: DAILY_DIGEST_SCHEDULE,
    spec: { calendars: [{ hour: 7, minute: 0 }], timezone: 'Asia/Ho_Chi_Minh' }, // days off are skipped by the activity
    action: { type: 'startWorkflow', workflowType: dailyDigestWorkflow, taskQueue, workflowId: 'daily-digest' },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '6 hours' },
  });
  await ensureMailRedeliverySchedule(client, taskQueue);
}

/**
 * Mail redelivery every minute. A run still going when the next is due makes that one skip (one
 * sender pass at a time); runs missed while the system was down are not caught up (the next one
 * covers them).
 */
export async function ensureMailRedeliverySchedule(client: Client, taskQueue: string, scheduleId = MAIL_REDELIVERY_SCHEDULE): Promise<void> {
  await ensureSchedule(client, {
    scheduleId,
    spec: { intervals: [{ every: '1 minute' }] },
    action: { type: 'startWorkflow', workflowType: mailRedeliveryWorkflow, taskQueue, workflowId: scheduleId },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
  });
}
