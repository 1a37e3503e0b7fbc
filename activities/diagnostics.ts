/** Activities of the diagnostics workflow behind `motcua doctor`. */
import type { ActivityDeps } from './deps';

export function diagnosticActivities(deps: ActivityDeps) {
  return {
    /** Upserts a row for this run and reads it back: proves the worker reaches PostgreSQL. */
    async diagnosticWrite(runId: string): Promise<{ latencyMs: number }> {
      const started = performance.now();
      await deps.db('diagnostics')
        .insert({ run_id: runId })
        .onConflict('run_id')
        .merge({ attempts: deps.db.raw('diagnostics.attempts + 1'), written_at: deps.db.fn.now() });
      const row = await deps.db('diagnostics').where({ run_id: runId }).first();
      if (!row) throw new Error('diagnostics row not found after write');
      return { latencyMs: performance.now() - started };
    },
    /** Sends one message through the configured SMTP server. */
    async diagnosticMail(runId: string, to: string): Promise<{ latencyMs: number; messageId: string }> {
      const started = performance.now();
      const { messageId } = await deps.mailer.send({
        to: [to],
        subject: `[motcua] Kiểm tra hệ thống ${runId}`,
        text: `Thư kiểm tra từ lệnh "motcua doctor" (mã lần chạy ${runId}). Không cần trả lời thư này.`,
        messageId: `<${runId}@motcua.local>`,
      });
      return { latencyMs: performance.now() - started, messageId };
    },
  };
}
