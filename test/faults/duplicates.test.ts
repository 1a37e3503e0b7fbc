/**
 * Duplicates: the same request ten times at once with one Idempotency-Key, and the same decision
 * ten times at once — one effect each, counted in the database and at the SMTP sink.
 */
import request from 'supertest';
import type { ApiContext } from '../helpers/api';
import { runningSystem, type RunningSystem } from '../helpers/harness';
import { mailMatching } from '../helpers/system';

describe('the same request and the same decision ×10', () => {
  let running: RunningSystem;
  let api: ApiContext;
  beforeAll(async () => {
    running = await runningSystem();
    ({ api } = running);
  });
  afterAll(() => running.close());

  it('one case, one code, one receipt; one decision, nine conflicts, one audit event', async () => {
    const sub = `citizen-dup10-${Date.now()}`; // its own account: suites share the database
    const email = `dup.${Date.now()}@nguoidan.motcua.local`;
    const citizen = `Bearer ${await api.token('citizen', undefined, sub)}`;
    const body = { title: 'Phản ánh gửi lặp', content: 'Cùng một phản ánh được gửi mười lần cùng lúc do mạng chập chờn.', receivingAgencyId: 'H99.20', submitter: { fullName: 'Người gửi lặp', address: 'Số 10 phố Minh Họa', phone: '0912345670', email } };
    const key = `dup-${Date.now()}`;
    const answers = await Promise.all(Array.from({ length: 10 }, () => request(api.app.app).post('/feedback').set('Authorization', citizen).set('Idempotency-Key', key).send(body)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(201));
    const codes = new Set(answers.map((a) => a.body.code as string));
    expect(codes.size).toBe(1);
    const [code] = [...codes] as [string];
    expect(await api.db('feedback').where({ submitted_by: sub }).count<{ count: string }[]>('* as count')).toEqual([{ count: '1' }]);

    const operator = `Bearer ${await api.token('operator', 'VPCP', 'operator-01')}`;
    const taskId = `${code}:classify:1`;
    for (let i = 0; i < 200 && !(await api.db('tasks').where({ id: taskId }).first()); i++) await new Promise((r) => setTimeout(r, 50));
    const decisions = await Promise.all(Array.from({ length: 10 }, () => request(api.app.app).post(`/tasks/${encodeURIComponent(taskId)}/complete`).set('Authorization', operator).send({ outcome: 'within' })));
    const statuses = decisions.map((d) => d.status).sort();
    expect(statuses).toEqual([200, ...Array(9).fill(409)]);
    const completed = await api.db('audit_events').where({ case_type: 'feedback', case_id: code, action: 'task.completed' }).count<{ count: string }[]>('* as count');
    expect(completed).toEqual([{ count: '1' }]);
    expect(await api.db('tasks').where({ case_id: code, step: 'classify' }).pluck('status')).toEqual(['done']);
    const receipts = await mailMatching((m) => m.to.includes(email));
    expect(receipts).toHaveLength(1);
  });
});
