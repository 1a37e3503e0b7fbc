/** The diagnostics workflow on the real dev server: PostgreSQL row written, SMTP message received. */
import { diagnosticsWorkflow } from '../../workflows';
import { mailMatching, systemContext, uniqueId, type SystemContext } from '../helpers/system';

describe('diagnostics workflow (dev server, PostgreSQL, SMTP)', () => {
  let ctx: SystemContext;
  beforeAll(async () => {
    ctx = await systemContext();
  });
  afterAll(() => ctx.close());

  it('writes to PostgreSQL, sends a real e-mail and fires a durable timer', async () => {
    const worker = await ctx.createWorker();
    const workflowId = uniqueId('doctor');
    const result = await worker.runUntil(
      ctx.client.workflow.execute(diagnosticsWorkflow, { taskQueue: ctx.taskQueue, workflowId, args: [{ mailTo: 'ops@motcua.local', timerMs: 200 }] }),
    );
    expect(result.timerMs).toBeGreaterThanOrEqual(200);
    const row = await ctx.db('diagnostics').where({ run_id: workflowId }).first();
    expect(row).toMatchObject({ run_id: workflowId, attempts: 1 });
    const mails = await mailMatching((m) => m.messageId === `<${workflowId}@motcua.local>`);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual(['ops@motcua.local']);
    expect(mails[0]!.subject).toContain('Kiểm tra hệ thống');
  });
});
