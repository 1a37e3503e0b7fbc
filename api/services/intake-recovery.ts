/**
 * Intake recovery. An intake writes its rows (code, case, submitter) in one transaction and then
 * starts the case workflow. When Temporal is down, or the start's answer is lost, the caller gets a
 * 503 but the rows stay: a case received and never started. This pass finds such rows — received
 * more than `olderThanMs` ago, with no `case.started` audit event, which every case workflow writes
 * first — and starts their workflows. The start is idempotent by workflow ID (a workflow already
 * running is found, not doubled), so a pass may run in every worker process. Rows older than
 * `windowMs` (7 days) are left to an operator, and so is a row whose workflow exists but closed
 * before it started the case (`closed`): starting it again is refused by the ID reuse policy.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Db } from '../../db/knex';
import { startDossierCase } from './dossier-intake';
import { startFeedbackCase } from './feedback-intake';

export interface RecoveryDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  operatorAgencyId: string;
}

export interface RecoveryResult {
  started: Array<{ caseType: 'feedback' | 'dossier'; code: string }>;
  failed: Array<{ caseType: 'feedback' | 'dossier'; code: string; error: string }>;
  closed: Array<{ caseType: 'feedback' | 'dossier'; code: string }>;
}

const KINDS = [
  { caseType: 'feedback' as const, table: 'feedback', start: startFeedbackCase },
  { caseType: 'dossier' as const, table: 'dossiers', start: startDossierCase },
];

/** `codes` limits the pass to those cases (an operator's targeted run; tests). */
export async function recoverIntakes(deps: RecoveryDeps, opts: { olderThanMs?: number; windowMs?: number; limit?: number; nowMs?: number; codes?: string[] } = {}): Promise<RecoveryResult> {
  const now = opts.nowMs ?? Date.now();
  const before = new Date(now - (opts.olderThanMs ?? 120_000));
  const since = new Date(now - (opts.windowMs ?? 7 * 86_400_000));
  const result: RecoveryResult = { started: [], failed: [], closed: [] };
  for (const kind of KINDS) {
    const codes: string[] = await deps.db(`${kind.table} as c`)
      .where('c.status', 'received')
      .where('c.received_at', '<', before)
      .where('c.received_at', '>=', since)
      .modify((q) => {
        if (opts.codes) q.whereIn('c.code', opts.codes);
      })
      .whereNotExists((q) => q.select(deps.db.raw('1')).from('audit_events as a').where('a.case_type', kind.caseType).whereRaw('a.case_id = c.code').where('a.action', 'case.started'))
      .orderBy('c.received_at')
      .limit(opts.limit ?? 100)
      .pluck('c.code');
    for (const code of codes) {
      try {
        await kind.start(deps, code);
        result.started.push({ caseType: kind.caseType, code });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) result.closed.push({ caseType: kind.caseType, code });
        else result.failed.push({ caseType: kind.caseType, code, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  return result;
}

/**
 * Runs `recoverIntakes` every `everyMs` (one pass at a time) until stopped; what it started or
 * could not start is logged.
 */
export function startIntakeRecovery(deps: RecoveryDeps & { logger: { info(o: object, m: string): void; warn(o: object, m: string): void } }, everyMs = 60_000): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = recoverIntakes(deps)
      .then((r) => {
        if (r.started.length) deps.logger.info({ started: r.started }, 'intake recovery: started cases whose start had been lost');
        if (r.failed.length) deps.logger.warn({ failed: r.failed }, 'intake recovery: could not start cases yet');
        if (r.closed.length) deps.logger.warn({ closed: r.closed }, 'intake recovery: workflow closed before the case started; an operator must look at these');
      })
      .catch((err: unknown) => deps.logger.warn({ err }, 'intake recovery pass failed'))
      .finally(() => {
        running = undefined;
      });
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
