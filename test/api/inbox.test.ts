/**
 * The officer inbox end to end on the real dev server: a kernel test case opens a task; officers
 * list, claim, complete it through the API; refusals come back as problem documents; the case
 * history merges audit and Temporal events and its chain verifies.
 */
import request from 'supertest';
import { kernelTestWorkflow } from '../workflows/kernel-test';
import type { ApiContext } from '../helpers/api';
import { runningSystem, type RunningSystem } from '../helpers/harness';
import { uniqueId, type SystemContext } from '../helpers/system';

describe('inbox API with a running case', () => {
  let running: RunningSystem;
  let sys: SystemContext;
  let api: ApiContext;
  beforeAll(async () => {
    running = await runningSystem();
    ({ sys, api } = running);
  });
  afterAll(() => running.close());

  async function startCase(opts: { withApproval?: boolean } = {}) {
    const caseId = uniqueId('TEST');
    const handle = await sys.client.workflow.start(kernelTestWorkflow, { taskQueue: sys.taskQueue, workflowId: caseId, args: [{ caseId, agencyId: 'H99.20', workingDays: 5, ...opts }] });
    const taskId = `${caseId}:review:1`;
    for (let i = 0; i < 100 && !(await api.db('tasks').where({ id: taskId }).first()); i++) await new Promise((r) => setTimeout(r, 50));
    return { caseId, handle, taskId };
  }

  it('lists, claims and completes a task; the case history merges audit and Temporal events', async () => {
    const { caseId, handle, taskId } = await startCase({ withApproval: true });
    const officer = `Bearer ${await api.token('officer', 'H99.20', 'officer-stp-01')}`;
    const colleague = `Bearer ${await api.token('officer', 'H99.20', 'officer-stp-02')}`;
    const outsider = `Bearer ${await api.token('officer', 'H99.21', 'officer-stc-09')}`;

    const inbox = await request(api.app.app).get('/tasks').query({ caseType: 'test', limit: 100 }).set('Authorization', officer).expect(200);
    const item = inbox.body.items.find((t: { id: string }) => t.id === taskId);
    expect(item).toMatchObject({ caseId, step: 'review', status: 'open', assignee: null, agencyId: 'H99.20', outcomes: ['approve', 'reject'] });
    expect(Date.parse(item.dueAt)).toBeGreaterThan(Date.now());
    // Another agency's officer neither lists nor sees it.
    const other = await request(api.app.app).get('/tasks').query({ caseType: 'test', limit: 100 }).set('Authorization', outsider).expect(200);
    expect(other.body.items.map((t: { id: string }) => t.id)).not.toContain(taskId);
    await request(api.app.app).get(`/tasks/${taskId}`).set('Authorization', outsider).expect(404);

    const claimed = await request(api.app.app).post(`/tasks/${taskId}/claim`).set('Authorization', officer).expect(200);
    expect(claimed.body.task).toMatchObject({ status: 'claimed', assignee: 'officer-stp-01' });
    // The colleague no longer sees it (assigned to someone else) and cannot take it.
    await request(api.app.app).post(`/tasks/${taskId}/claim`).set('Authorization', colleague).expect(404);

    const wrong = await request(api.app.app).post(`/tasks/${taskId}/complete`).set('Authorization', officer).send({ outcome: 'maybe' }).expect(409);
    expect(wrong.headers['content-type']).toMatch(/problem\+json/);
    expect(wrong.body).toMatchObject({ refusal: 'OutcomeNotAllowed' });
    await request(api.app.app).post(`/tasks/${taskId}/complete`).set('Authorization', officer).send({}).expect(400);

    const done = await request(api.app.app).post(`/tasks/${taskId}/complete`).set('Authorization', officer).send({ outcome: 'approve', payload: { note: 'Đủ điều kiện' } }).expect(200);
    expect(done.body.task).toMatchObject({ status: 'done', outcome: 'approve', completedBy: 'officer-stp-01' });
    expect(done.body.case.decisions).toEqual([expect.objectContaining({ step: 'review', outcome: 'approve' })]);
    const again = await request(api.app.app).post(`/tasks/${taskId}/complete`).set('Authorization', officer).send({ outcome: 'approve' }).expect(409);
    expect(again.body.detail).toMatch(/done/);

    // The approval step is for the supervisor; the officer is refused by the workflow's validator.
    const approveId = `${caseId}:approve:1`;
    for (let i = 0; i < 100 && !(await api.db('tasks').where({ id: approveId }).first()); i++) await new Promise((r) => setTimeout(r, 50));
    const refused = await request(api.app.app).post(`/tasks/${approveId}/complete`).set('Authorization', officer).send({ outcome: 'sign' }).expect(403);
    expect(refused.body.refusal).toBe('NotEntitled');
    const supervisor = `Bearer ${await api.token('supervisor', 'H99', 'supervisor-h99')}`; // the province, above H99.20
    await request(api.app.app).post(`/tasks/${approveId}/complete`).set('Authorization', supervisor).send({ outcome: 'sign' }).expect(200);
    expect((await handle.result()).status).toBe('approved');

    const auditor = `Bearer ${await api.token('auditor', 'H99')}`;
    const history = await request(api.app.app).get(`/cases/test/${caseId}/history`).set('Authorization', auditor).expect(200);
    const types = history.body.entries.map((e: { source: string; type: string }) => `${e.source}:${e.type}`);
    expect(types).toEqual(expect.arrayContaining(['audit:case.started', 'audit:task.claimed', 'audit:update.rejected', 'audit:task.completed', 'audit:case.closed', 'temporal:workflow_execution_started', 'temporal:workflow_execution_update_accepted', 'temporal:local_activity_completed', 'temporal:workflow_execution_completed']));
    // The kernel's database writes are local activities (the timeline names each one), except an
    // officer's action, whose task row and audit event wait for the update to be recorded: one
    // scheduled activity each (the claim and the decision).
    const local = history.body.entries.filter((e: { type: string }) => e.type === 'local_activity_completed').map((e: { detail: { activity: string } }) => e.detail.activity);
    expect(local).toEqual(expect.arrayContaining(['legalTimeSnapshot', 'openTask', 'appendAudit']));
    expect(local).not.toContain('finishTask');
    expect(local).not.toContain('recordTaskAction');
    const scheduled = history.body.entries.filter((e: { type: string }) => e.type === 'activity_task_completed').map((e: { detail: { activity: string } }) => e.detail.activity);
    expect(scheduled.filter((a: string) => a === 'recordTaskAction').length).toBeGreaterThanOrEqual(2);
    expect(history.body.entries.find((e: { type: string }) => e.type === 'update.rejected').detail.after).toMatchObject({ refusal: 'OutcomeNotAllowed', update: 'complete' });
    const verify = await request(api.app.app).get(`/cases/test/${caseId}/history/verify`).set('Authorization', auditor).expect(200);
    expect(verify.body.ok).toBe(true);
    // The other province's auditor cannot see the case at all.
    await request(api.app.app).get(`/cases/test/${caseId}/history`).set('Authorization', `Bearer ${await api.token('auditor', 'H99.21')}`).expect(404);
  });

  it('supervisors reassign and bulk-claim with per-item results', async () => {
    const a = await startCase();
    const b = await startCase();
    const supervisor = `Bearer ${await api.token('supervisor', 'H99.20', 'supervisor-stp-01')}`;
    const reassigned = await request(api.app.app).post(`/tasks/${a.taskId}/reassign`).set('Authorization', supervisor).send({ assignee: 'officer-stp-02' }).expect(200);
    expect(reassigned.body.task.assignee).toBe('officer-stp-02');
    const officer = `Bearer ${await api.token('officer', 'H99.20', 'officer-stp-01')}`;
    await request(api.app.app).post(`/tasks/${a.taskId}/reassign`).set('Authorization', officer).send({ assignee: 'officer-stp-01' }).expect(404); // not visible: assigned to another

    const bulk = await request(api.app.app)
      .post('/tasks/bulk')
      .set('Authorization', officer)
      .send({ action: 'claim', taskIds: [b.taskId, a.taskId, 'nope:x:1'] })
      .expect(200);
    expect(bulk.body.results.map((r: { taskId: string; status: number }) => [r.taskId, r.status])).toEqual([
      [b.taskId, 200],
      [a.taskId, 404],
      ['nope:x:1', 404],
    ]);
    for (const c of [a, b]) await c.handle.terminate('test over');
  });

  it('pages the inbox with an opaque cursor, sorted by due instant', async () => {
    const cases = [await startCase(), await startCase(), await startCase()];
    const supervisor = `Bearer ${await api.token('supervisor', 'H99.20')}`;
    const seen: string[] = [];
    let cursor: string | null = null;
    let last = '';
    do {
      const res: request.Response = await request(api.app.app).get('/tasks').query({ caseType: 'test', limit: 2, ...(cursor ? { cursor } : {}) }).set('Authorization', supervisor).expect(200);
      for (const t of res.body.items) {
        expect(`${t.dueAt}|${t.id}` >= last).toBe(true);
        last = `${t.dueAt}|${t.id}`;
        seen.push(t.id);
      }
      cursor = res.body.nextCursor;
    } while (cursor);
    for (const c of cases) expect(seen).toContain(c.taskId);
    expect(new Set(seen).size).toBe(seen.length);
    await request(api.app.app).get('/tasks').query({ cursor: 'garbage' }).set('Authorization', supervisor).expect(400);
    for (const c of cases) await c.handle.terminate('test over');
  });
});
