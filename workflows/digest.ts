/** The daily digest, started every morning by a Temporal Schedule (see worker/schedules.ts). */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ACTIVITY_NOTIFY } from '../temporal.config';

const { sendDailyDigests } = proxyActivities<Activities>({ ...ACTIVITY_NOTIFY, startToCloseTimeout: '5 minutes' });

/** `atMs` defaults to the scheduled run's time (tests pass a fixed day). */
export async function dailyDigestWorkflow(input: { atMs?: number } = {}): Promise<{ date: string; sent: number; recipients: number }> {
  return sendDailyDigests(input.atMs ?? Date.now());
}
