/**
 * The outbox side of every e-mail activity: who is sending (the running activity, so its next
 * attempt may take its own claim back at once) and the redelivery run the schedule starts.
 */
import { Context } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import { redeliverDue, type MailClaimant, type RedeliveryResult } from '../db/mail-ledger';

/** The activity that is sending; outside an activity (scripts, tests) a fixed claimant. */
export function activityClaimant(fallback = 'direct'): MailClaimant {
  try {
    const info = Context.current().info;
    const { workflowId, runId } = info.workflowExecution ?? { workflowId: 'standalone', runId: '-' };
    return { id: `${workflowId}/${info.activityId}`, workflowId, runId };
  } catch {
    return { id: fallback, workflowId: 'mail', runId: '-' };
  }
}

/** Operator setting: how long an undelivered message is retried before it is given up. */
export const DEFAULT_MAIL_GIVE_UP_HOURS = 72;

export function mailOutboxActivities(deps: ActivityDeps) {
  return {
    /** One redelivery run: every due queued message, oldest first. `nowMs` lets a test move the clock. */
    async redeliverMail(input: { nowMs?: number; limit?: number; keyPrefix?: string } = {}): Promise<RedeliveryResult> {
      const giveUpAfterMs = (deps.mailGiveUpAfterHours ?? DEFAULT_MAIL_GIVE_UP_HOURS) * 3_600_000;
      return redeliverDue(deps.db, deps.mailer, { claimant: activityClaimant('redelivery'), giveUpAfterMs, limit: input.limit, keyPrefix: input.keyPrefix, now: input.nowMs === undefined ? undefined : new Date(input.nowMs) });
    },
  };
}
