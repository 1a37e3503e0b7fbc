/** The supervisors' daily digest on the dev server: one e-mail per supervisor and day, scoped down the hierarchy. */
import { parseInstant } from '../../domain/calendar';
import { ensureSchedules, DAILY_DIGEST_SCHEDULE } from '../../worker/schedules';
import { dailyDigestWorkflow } from '../../workflows';
import { mailMatching, systemContext, uniqueId, type SystemContext } from '../helpers/system';

describe('daily digest', () => {
  let ctx: SystemContext;
  beforeAll(async () => {
    ctx = await systemContext();
  });
  afterAll(() => ctx.close());

  it('lists overdue and nearly due tasks per supervisor, once per day however often it runs', async () => {
    const run = uniqueId('digest');
    const at = parseInstant('2026-11-25T07:00:00+07:00'); // a Wednesday
    const rows = [
      { n: 1, agency: 'H99.20.01', due: '2026-11-20T17:00:00Z' }, // overdue, in a sub-agency of H99.20
      { n: 2, agency: 'H99.20', due: '2026-11-26T16:59:59Z' }, // due by the end of the next working day
      { n: 3, agency: 'H99.20', due: '2026-12-15T17:00:00Z' }, // later: not listed
      { n: 4, agency: 'H99.21', due: '2026-11-20T17:00:00Z' }, // another department
    ];
    for (const r of rows) {
      await ctx.db('tasks').insert({ id: `${run}:t:${r.n}`, case_type: 'test', case_id: `${run}-${r.n}`, workflow_id: 'x', step: 's', title: `Việc ${r.n}`, agency_id: r.agency, candidate_role: 'officer', status: 'open', due_at: new Date(r.due), outcomes: ['ok'] });
    }
    const worker = await ctx.createWorker();
    const first = await worker.runUntil(ctx.client.workflow.execute(dailyDigestWorkflow, { taskQueue: ctx.taskQueue, workflowId: `${run}-1`, args: [{ atMs: at }] }));
    expect(first.date).toBe('2026-11-25');
    expect(first.sent).toBeGreaterThan(0);
    const worker2 = await ctx.createWorker();
    const second = await worker2.runUntil(ctx.client.workflow.execute(dailyDigestWorkflow, { taskQueue: ctx.taskQueue, workflowId: `${run}-2`, args: [{ atMs: at }] }));
    expect(second.sent).toBe(0);

    const mails = await mailMatching((m) => m.subject.includes('2026-11-25'));
    const stp = mails.filter((m) => m.to.includes('giamsat@stp.h99.motcua.local'));
    expect(stp).toHaveLength(1);
    expect(stp[0]!.text).toContain(`${run}-1`);
    expect(stp[0]!.text).toContain(`${run}-2`);
    expect(stp[0]!.text).not.toContain(`${run}-3`);
    expect(stp[0]!.text).not.toContain(`${run}-4`);
    expect(stp[0]!.text).toMatch(/Quá hạn:[\s\S]*Sắp đến hạn:/);
    const province = mails.filter((m) => m.to.includes('giamsat@ubnd.h99.motcua.local'));
    expect(province).toHaveLength(1);
    expect(province[0]!.text).toContain(`${run}-4`);
  });

  it('sends nothing on a day off', async () => {
    const worker = await ctx.createWorker();
    const r = await worker.runUntil(ctx.client.workflow.execute(dailyDigestWorkflow, { taskQueue: ctx.taskQueue, workflowId: uniqueId('digest-off'), args: [{ atMs: parseInstant('2026-11-24T07:00:00+07:00') }] }));
    expect(r).toEqual({ date: '2026-11-24', sent: 0, recipients: 0 });
  });

  it('creates the schedule idempotently, every morning at 07:00 Hanoi time', async () => {
    await ensureSchedules(ctx.client, ctx.taskQueue);
    await ensureSchedules(ctx.client, ctx.taskQueue);
    const d = await ctx.client.schedule.getHandle(DAILY_DIGEST_SCHEDULE).describe();
    expect(d.spec.timezone).toBe('Asia/Ho_Chi_Minh');
    expect(d.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 7, end: 7, step: 1 }] });
  });
});
