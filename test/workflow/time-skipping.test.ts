/** Temporal's Java time-skipping test server, built by the project from Maven Central. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { diagnosticsWorkflow } from '../../workflows';
import { workflowsPath } from '../../worker/worker';
import { system } from '../helpers/system';

describe('time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: system.testServerPath() } } });
  });
  afterAll(() => env?.teardown());

  it('completes a 30-day durable timer in seconds of test time', async () => {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'ts',
      workflowsPath: workflowsPath(),
      // Activities faked: this test is about the timer, not the side effects.
      activities: {
        diagnosticWrite: async () => ({ latencyMs: 1 }),
        diagnosticMail: async () => ({ latencyMs: 1, messageId: '<x@test>' }),
      },
    });
    const thirtyDays = 30 * 24 * 3600 * 1000;
    const startedAt = Date.now();
    const result = await worker.runUntil(
      env.client.workflow.execute(diagnosticsWorkflow, { taskQueue: 'ts', workflowId: 'thirty-days', args: [{ mailTo: 'x@test', timerMs: thirtyDays }] }),
    );
    expect(result.timerMs).toBeGreaterThanOrEqual(thirtyDays);
    // Workflow time moved 30 days while far less real time passed (no wall-clock bound asserted).
    expect(Date.now() - startedAt).toBeLessThan(thirtyDays);
  });
});
