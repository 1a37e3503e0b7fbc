/**
 * The diagnostics workflow behind `motcua doctor`: Temporal → activity → PostgreSQL write →
 * SMTP send → durable timer. Each step reports its latency.
 */
import { proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ACTIVITY_DIAGNOSTIC } from '../temporal.config';

const acts = proxyActivities<Activities>(ACTIVITY_DIAGNOSTIC);

export interface DiagnosticsInput {
  mailTo: string;
  timerMs: number;
}

export interface DiagnosticsResult {
  pgWriteMs: number;
  smtpMs: number;
  messageId: string;
  timerMs: number;
}

export async function diagnosticsWorkflow(input: DiagnosticsInput): Promise<DiagnosticsResult> {
  const { workflowId } = workflowInfo();
  const write = await acts.diagnosticWrite(workflowId);
  const mail = await acts.diagnosticMail(workflowId, input.mailTo);
  const before = Date.now();
  await sleep(input.timerMs);
  return { pgWriteMs: write.latencyMs, smtpMs: mail.latencyMs, messageId: mail.messageId, timerMs: Date.now() - before };
}
