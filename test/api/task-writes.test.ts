/**
 * A task action is recorded by the case before its task row and audit event are written (one
 * activity, scheduled with the update's acceptance). The API answers 200 once they are written;
 * when they are not written in time (here: the write fails until released), it answers 202: the
 * action stands, and the inbox and audit log show it once the write succeeds.
 */
import request from 'supertest';
import { createActivities } from '../../activities';
import { auditStore } from '../../db/audit-store';
import { kernelTestWorkflow } from '../workflows/kernel-test';
import { apiContext, type ApiContext } from '../helpers/api';
import { eventually, systemContext, uniqueId, type SystemContext } from '../helpers/system';

describe('task actions whose writes are late', () => {
  let sys: SystemContext;
  let api: ApiContext;
  let stop: () => Promise<void>;
  let held = false;
  let refusedWrites = 0;
  beforeAll(async () => {
    sys = await systemContext();
    api = await apiContext({ taskQueue: sys.taskQueue, taskWritesWaitMs: 500 });
    const activities = createActivities({ db: sys.db, mailer: sys.mailer, publicUrl: 'http://localhost:3000' });
    const worker = await sys.createWorker({
      activities: {
        ...activities,
        async recordTaskAction(i: Parameters<typeof activities.recordTaskAction>[0]) {
          if (held) {
            refusedWrites++;
            throw new Error('database write held by the test');
          }
          return activities.recordTaskAction(i);
        },
      },
    });
    const running = worker.run();
    stop = async () => {
      worker.shutdown();
      await running;
    };
  });
  afterAll(async () => {
    await stop();
    await api.close();
    await sys.close();
  });

  it('answers 202 while the write is held, 200 once writes go through; the row and audit follow', async () => {
    const caseId = uniqueId('TEST');
    await sys.client.workflow.start(kernelTestWorkflow, { taskQueue: sys.taskQueue, workflowId: caseId, args: [{ caseId, agencyId: 'H99.20', workingDays: 5 }] });
    const taskId = `${caseId}:review:1`;
    await eventually(() => api.db('tasks').where({ id: taskId }).first(), (r) => !!r, 'the task row');
    const officer = `Bearer ${await api.token('officer', 'H99.20', 'officer-stp-01')}`;

    held = true;
    const claimed = await request(api.app.app).post(`/tasks/${taskId}/claim`).set('Authorization', officer).expect(202);
    expect(claimed.body.task).toMatchObject({ id: taskId, status: 'open', assignee: null }); // the row as it is
    expect(claimed.body.case.openTasks[0]).toMatchObject({ taskId, status: 'claimed', assignee: 'officer-stp-01' }); // the case's state
    expect(refusedWrites).toBeGreaterThan(0);
    // The action stands: a second claim is refused by the case, not taken twice.
    const again = await request(api.app.app).post(`/tasks/${taskId}/claim`).set('Authorization', `Bearer ${await api.token('officer', 'H99.20', 'officer-stp-02')}`).expect(403);
    expect(again.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(again.body).toMatchObject({ refusal: 'NotEntitled', detail: expect.stringMatching(/claimed by someone else/) });

    held = false;
    await eventually(() => api.db('tasks').where({ id: taskId }).first(), (r) => r.assignee === 'officer-stp-01', 'the claim written by a retry');
    const done = await request(api.app.app).post(`/tasks/${taskId}/complete`).set('Authorization', officer).send({ outcome: 'approve' }).expect(200);
    expect(done.body.task).toMatchObject({ status: 'done', outcome: 'approve' });
    const actions = (await auditStore(api.db).forCase('test', caseId)).map((e) => e.action);
    expect(actions.filter((a) => a === 'task.claimed')).toHaveLength(1);
    expect(actions).toContain('task.completed');
  });
});
