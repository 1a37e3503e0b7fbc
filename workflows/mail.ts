/**
 * Mail redelivery, started every minute by a Temporal Schedule (see worker/schedules.ts): e-mails
 * the relay refused wait in the outbox (`sent_emails`) and are tried again here with back-off
 * until delivered, or given up and audited on their case.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ACTIVITY_IO } from '../temporal.config';

// Each run is one pass; the next minute's run is the retry, so a failed pass is not retried long.
const { redeliverMail } = proxyActivities<Activities>({ ...ACTIVITY_IO, startToCloseTimeout: '10 minutes', retry: { ...ACTIVITY_IO.retry, maximumAttempts: 3 } });

export async function mailRedeliveryWorkflow(): Promise<Awaited<ReturnType<Activities['redeliverMail']>>> {
  return redeliverMail({});
}
