/**
 * The case kernel under time skipping, with real activities against PostgreSQL and the SMTP sink:
 * a deadline crossing every threshold raises exactly one alert and one e-mail per recipient and
 * threshold; updates are validated; decisions are audited in a verifiable chain.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { auditStore } from '../../db/audit-store';
import type { Db } from '../../db/knex';
import { builtInCalendar } from '../../domain/calendar';
import { startClock, thresholdsBetween } from '../../domain/clock';
import { BUILTIN_POLICY, policyNumber } from '../../domain/policies';
import type { Actor } from '../../domain/roles';
import { caseViewQuery, claimTaskUpdate, completeTaskUpdate, reassignTaskUpdate } from '../../workflows/lib/kernel';
import { extendSignal, kernelTestWorkflow } from '../workflows/kernel-test';
import { taskOpen, timeSkipping, type TimeSkipping } from '../helpers/harness';
import { eventually, mailMatching, uniqueId } from '../helpers/system';

const officer: Actor = { sub: 'officer-stp-01', role: 'officer', agencyId: 'H99.20' };
const otherOfficer: Actor = { sub: 'officer-stc-09', role: 'officer', agencyId: 'H99.21' };
const supervisor: Actor = { sub: 'supervisor-stp-01', role: 'supervisor', agencyId: 'H99.20' };
const EventType = temporal.api.enums.v1.EventType;
const scope = { 'H99.20': ['H99.20', 'H99.20.01'], 'H99.21': ['H99.21'] };

describe('case kernel (time skipping, real PostgreSQL and SMTP)', () => {
  let harness: TimeSkipping;
  let env: TimeSkipping['env'];
  let db: Db;
  const taskQueue = uniqueId('kernel');
  beforeAll(async () => {
    harness = await timeSkipping(taskQueue);
    ({ env, db } = harness);
  });
  afterAll(() => harness?.close());
  const withWorker = (fn: () => Promise<void>) => harness.withWorker(fn);

  it('raises each threshold exactly once (alert row + one e-mail per recipient) and escalates to the parent agency', async () => {
    await withWorker(async () => {
      const caseId = uniqueId('TEST');
      const handle = await env.client.workflow.start(kernelTestWorkflow, { taskQueue, workflowId: caseId, args: [{ caseId, agencyId: 'H99.20', workingDays: 3 }] });
      const startedAt = (await handle.describe()).startTime.getTime();
      // The officer claims the task (so reminders also go to them), then nobody decides for 20 days.
      await taskOpen(handle, `${caseId}:review:1`);
      await handle.executeUpdate(claimTaskUpdate, { args: [{ taskId: `${caseId}:review:1`, actor: officer, actorScope: scope['H99.20'] }] });
      await env.sleep('20 days');
      const view = await handle.query(caseViewQuery);
      expect(view.clocks[0]).toMatchObject({ id: 'handling', overdue: true });

      // Expected thresholds, computed by the (separately unit-tested) clock over the same window.
      const cal = builtInCalendar();
      const clock = startClock(cal, {
        id: 'handling',
        atMs: startedAt,
        workingDays: 3,
        thresholds: [{ kind: 'before', workingDays: 1 }, { kind: 'due' }, { kind: 'overdue' }, { kind: 'escalate', afterWorkingDays: policyNumber(BUILTIN_POLICY, 'escalation.afterOverdue') }],
      });
      const now = await env.currentTimeMs();
      const expected = thresholdsBetween(cal, clock, startedAt, now).map((h) => h.key);
      expect(expected).toEqual(expect.arrayContaining(['g0:before-1', 'g0:due', 'g0:overdue-1', 'g0:escalate-3']));

      const alerts = await db('alerts').where({ case_id: caseId }).orderBy('id');
      expect(alerts.map((a) => a.threshold_key).sort()).toEqual([...expected].sort());
      expect(alerts.find((a) => a.threshold_key === 'g0:escalate-3')).toMatchObject({ kind: 'escalation', agency_id: 'H99' });
      expect(alerts.find((a) => a.threshold_key === 'g0:due')).toMatchObject({ kind: 'due', agency_id: 'H99.20', assignee: officer.sub });

      const mails = await mailMatching((m) => m.subject.includes(caseId));
      const byRecipientAndSubject = new Map<string, number>();
      for (const m of mails) for (const to of m.to) byRecipientAndSubject.set(`${to}|${m.messageId}`, (byRecipientAndSubject.get(`${to}|${m.messageId}`) ?? 0) + 1);
      expect([...byRecipientAndSubject.values()].every((n) => n === 1)).toBe(true);
      const to = (r: string) => mails.filter((m) => m.to.includes(r));
      // Supervisors of H99.20 get every threshold but the escalation, which goes to the province (H99).
      expect(to('giamsat@stp.h99.motcua.local')).toHaveLength(expected.length - 1);
      expect(to('giamsat@ubnd.h99.motcua.local')).toHaveLength(1);
      expect(to('officer-stp-01@motcua.local')).toHaveLength(1); // the reminder before the due day
      expect(to('giamsat@ubnd.h99.motcua.local')[0]!.text).toContain('Chuyển cấp trên');
      expect(to('officer-stp-01@motcua.local')[0]!.subject).toMatch(/^\[motcua\] Nhắc hạn: /);

      await handle.executeUpdate(completeTaskUpdate, { args: [{ taskId: `${caseId}:review:1`, actor: officer, actorScope: scope['H99.20'], outcome: 'reject' }] });
      expect((await handle.result()).status).toBe('rejected');
      // No more alerts after the clock stopped, however long we wait.
      await env.sleep('5 days');
      expect(await db('alerts').where({ case_id: caseId }).count<{ count: string }[]>('* as count')).toEqual([{ count: String(expected.length) }]);
    });
  });

  it('validates updates: wrong outcome, other agency, not open; supervisor reassigns; decisions audited in a verifiable chain', async () => {
    await withWorker(async () => {
      const caseId = uniqueId('TEST');
      const handle = await env.client.workflow.start(kernelTestWorkflow, { taskQueue, workflowId: caseId, args: [{ caseId, agencyId: 'H99.20', workingDays: 10, withApproval: true }] });
      const review = `${caseId}:review:1`;
      await taskOpen(handle, review);
      const reject = (input: object, update: typeof completeTaskUpdate | typeof reassignTaskUpdate = completeTaskUpdate) =>
        handle.executeUpdate(update as typeof completeTaskUpdate, { args: [input as never] }).then(
          () => undefined,
          (e: unknown) => (e as WorkflowUpdateFailedError).cause,
        );
      expect(await reject({ taskId: review, actor: officer, actorScope: scope['H99.20'], outcome: 'frobnicate' })).toMatchObject({ type: 'OutcomeNotAllowed' });
      expect(await reject({ taskId: review, actor: otherOfficer, actorScope: scope['H99.21'], outcome: 'approve' })).toMatchObject({ type: 'NotEntitled' });
      expect(await reject({ taskId: `${caseId}:nope:1`, actor: officer, actorScope: scope['H99.20'], outcome: 'approve' })).toMatchObject({ type: 'TaskNotOpen' });
      expect(await reject({ taskId: review, actor: officer, actorScope: scope['H99.20'], assignee: 'x' }, reassignTaskUpdate)).toMatchObject({ type: 'NotEntitled' });

      const reassigned = await handle.executeUpdate(reassignTaskUpdate, { args: [{ taskId: review, actor: supervisor, actorScope: scope['H99.20'], assignee: 'officer-stp-02' }] });
      expect(reassigned.openTasks[0]).toMatchObject({ taskId: review, status: 'claimed', assignee: 'officer-stp-02' });
      // The update answers once it is recorded with its write scheduled: the row follows.
      expect(await eventually(() => db('tasks').where({ id: review }).first(), (r) => r?.assignee === 'officer-stp-02', 'the reassigned row')).toMatchObject({ status: 'claimed', assignee: 'officer-stp-02' });
      // Claimed by someone else: the first officer may not decide.
      expect(await reject({ taskId: review, actor: officer, actorScope: scope['H99.20'], outcome: 'approve' })).toMatchObject({ type: 'NotEntitled' });

      const afterReview = await handle.executeUpdate(completeTaskUpdate, { args: [{ taskId: review, actor: { ...officer, sub: 'officer-stp-02' }, actorScope: scope['H99.20'], outcome: 'approve' }] });
      expect(afterReview.decisions).toEqual([expect.objectContaining({ step: 'review', outcome: 'approve', actor: 'officer-stp-02' })]);
      // A second decision on the same task is refused.
      expect(await reject({ taskId: review, actor: { ...officer, sub: 'officer-stp-02' }, actorScope: scope['H99.20'], outcome: 'approve' })).toMatchObject({ type: 'TaskNotOpen' });

      // The approval task is for supervisors only.
      const approve = `${caseId}:approve:1`;
      await taskOpen(handle, approve);
      expect(await reject({ taskId: approve, actor: officer, actorScope: scope['H99.20'], outcome: 'sign' })).toMatchObject({ type: 'NotEntitled' });
      await handle.executeUpdate(completeTaskUpdate, { args: [{ taskId: approve, actor: supervisor, actorScope: scope['H99.20'], outcome: 'sign' }] });
      expect((await handle.result()).status).toBe('approved');

      expect(await db('tasks').where({ case_id: caseId }).orderBy('id').select('id', 'status', 'outcome', 'completed_by')).toEqual([
        { id: approve, status: 'done', outcome: 'sign', completed_by: supervisor.sub },
        { id: review, status: 'done', outcome: 'approve', completed_by: 'officer-stp-02' },
      ]);
      const events = await auditStore(db).forCase('test', caseId);
      expect(events.map((e) => e.action)).toEqual(['case.started', 'task.opened', 'task.reassigned', 'task.completed', 'task.opened', 'task.completed', 'case.closed']);
      expect(events[3]).toMatchObject({ actor: 'officer-stp-02', actor_role: 'officer', after: expect.objectContaining({ outcome: 'approve' }) });
      expect(await auditStore(db).verify('test', caseId)).toEqual({ ok: true, events: 7 });

      // No write happens in the workflow task that accepts an update: that task could still be
      // lost (a server crash) with the update, so its writes are scheduled activities, recorded
      // with the acceptance, never local activities run before it (update-writes-after-record).
      const history = (await handle.fetchHistory()).events ?? [];
      const type = (e: (typeof history)[number]) => String(e.eventType);
      const accepted = history.map((e, i) => [e, i] as const).filter(([e]) => type(e) === String(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED));
      expect(accepted).toHaveLength(3); // reassign, review, approve
      for (const [, i] of accepted) {
        let from = i;
        while (type(history[from - 1]!) !== String(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)) from--;
        let to = i;
        while (to < history.length && type(history[to]!) !== String(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)) to++;
        const sameTask = history.slice(from, to);
        expect(sameTask.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toEqual([]);
        expect(sameTask.some((e) => type(e) === String(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED))).toBe(true);
        // …and the update completes in that same workflow task (task-action-answers-on-record).
        expect(sameTask.some((e) => type(e) === String(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED))).toBe(true);
      }
    });
  });

  it('allows one extension of the clock; the second is refused and audited', async () => {
    await withWorker(async () => {
      const caseId = uniqueId('TEST');
      const handle = await env.client.workflow.start(kernelTestWorkflow, { taskQueue, workflowId: caseId, args: [{ caseId, agencyId: 'H99.20', workingDays: 5 }] });
      await taskOpen(handle, `${caseId}:review:1`);
      const before = (await handle.query(caseViewQuery)).clocks[0]!.dueDate;
      await handle.signal(extendSignal, { byWorkingDays: 2, reason: 'Cần xác minh thêm' });
      await env.sleep('1 minute');
      const after = (await handle.query(caseViewQuery)).clocks[0]!;
      expect(after.extensionsUsed).toBe(1);
      expect(builtInCalendar().workingDaysBetween(Date.parse(before) / 86_400_000, Date.parse(after.dueDate) / 86_400_000)).toBe(2);
      expect((await db('tasks').where({ id: `${caseId}:review:1` }).first()).due_at.toISOString()).toBe(after.dueAt);
      await handle.signal(extendSignal, { byWorkingDays: 2, reason: 'again' });
      await env.sleep('1 minute');
      expect((await handle.query(caseViewQuery)).clocks[0]!.dueDate).toBe(after.dueDate);
      await handle.executeUpdate(completeTaskUpdate, { args: [{ taskId: `${caseId}:review:1`, actor: officer, actorScope: scope['H99.20'], outcome: 'approve' }] });
      await handle.result();
      expect((await auditStore(db).forCase('test', caseId)).map((e) => e.action)).toContain('clock.extension.refused');
    });
  });
});
