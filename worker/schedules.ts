/** Temporal Schedules the system needs, created idempotently when the worker starts. */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { dailyDigestWorkflow } from '../workflows';

export const DAILY_DIGEST_SCHEDULE = 'motcua-daily-digest';

export async function ensureSchedules(client: Client, taskQueue: string): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: DAILY_DIGEST_SCHEDULE,
      spec: { calendars: [{ hour: 7, minute: 0 }], timezone: 'Asia/Ho_Chi_Minh' }, // days off are skipped by the activity
      action: { type: 'startWorkflow', workflowType: dailyDigestWorkflow, taskQueue, workflowId: 'daily-digest' },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '6 hours' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
