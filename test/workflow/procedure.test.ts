/**
 * procedureWorkflow under time skipping with real activities (PostgreSQL): four-eyes review, the
 * publication limit by signer level on the official calendar, activation on the effective date
 * (the previous version answering for earlier dates), periodic review (keep, amend) and withdrawal.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { auditStore } from '../../db/audit-store';
import type { Db } from '../../db/knex';
import { procedureStore } from '../../db/procedure-store';
import { addMonths, formatDate, localDay } from '../../domain/calendar/days';
import { procedureWorkflowId, type AnnouncementDecision, type ProcedureRecord } from '../../domain/procedures';
import type { Actor } from '../../domain/roles';
import { caseViewQuery, completeTaskUpdate } from '../../workflows/lib/kernel';
import { editProcedureDraftUpdate, procedureWorkflow, withdrawProcedureUpdate } from '../../workflows/procedure';
import { DEMO_CATALOGUE } from '../../db/seed-catalogue';
import { taskOpen, timeSkipping, type TimeSkipping } from '../helpers/harness';
import { eventually } from '../helpers/system';

const officer: Actor = { sub: 'officer-stp-01', role: 'officer', agencyId: 'H99.20' };
const leader: Actor = { sub: 'supervisor-stp-01', role: 'supervisor', agencyId: 'H99.20' };
const leader2: Actor = { sub: 'supervisor-stp-02', role: 'supervisor', agencyId: 'H99.20' };
const scope = (a: Actor) => [a.agencyId!];

let n = 0;
const newCode = () => `T-${Date.now().toString(36).toUpperCase()}-${++n}`;
const recordFor = (code: string): ProcedureRecord => ({ ...DEMO_CATALOGUE[0]!.record, code, name: `Thủ tục thử nghiệm ${code}` });

describe('procedureWorkflow (time skipping, real PostgreSQL)', () => {
  let harness: TimeSkipping;
  let env: TimeSkipping['env'];
  let db: Db;
  const taskQueue = 'procedure-test';
  // A test server per test: a long env.sleep after other tests' terminated workflows was seen to hang
  // on a shared one (its time-skipping lock stays held), so each test gets its own.
  beforeEach(async () => {
    harness = await timeSkipping(taskQueue);
    ({ env, db } = harness);
  });
  afterEach(() => harness?.close());
  const withWorker = (fn: () => Promise<void>) => harness.withWorker(fn);
  const today = async () => localDay(await env.currentTimeMs());

  /** What the API does: the draft row, then the workflow. */
  async function enter(o: { code?: string; decision: AnnouncementDecision | null; by?: Actor; mode?: 'entry' | 'imported' }): Promise<{ code: string; version: number; handle: WorkflowHandle<typeof procedureWorkflow> }> {
    const code = o.code ?? newCode();
    const by = o.by ?? officer;
    const row = await db.transaction((trx) => procedureStore(db).insertDraft(trx, { record: recordFor(code), decision: o.decision, enteredBy: by.sub, status: o.mode === 'imported' ? 'published' : 'draft' }));
    const handle = await env.client.workflow.start(procedureWorkflow, {
      taskQueue,
      workflowId: procedureWorkflowId(code, row.version),
      args: [{ code, version: row.version, agencyId: 'H99.20', enteredBy: by.sub, decision: o.decision, mode: o.mode ?? 'entry' }],
    });
    harness.track(handle);
    return { code, version: row.version, handle };
  }

  async function decide(handle: WorkflowHandle, taskId: string, actor: Actor, outcome: string, payload: Record<string, unknown> = {}) {
    await taskOpen(handle, taskId);
    return handle.executeUpdate(completeTaskUpdate, { args: [{ taskId, actor, actorScope: scope(actor), outcome, payload }] });
  }
  const wid = (code: string, v: number) => procedureWorkflowId(code, v);
  const row = (code: string, v: number) => procedureStore(db).get(code, v);
  const statusIs = (code: string, v: number, status: string) => eventually(() => row(code, v), (r) => r?.status === status);

  it('four eyes: whoever entered or edited a version may not review it; returned with comments, then published on time', async () => {
    await withWorker(async () => {
      const signedOn = formatDate(await today());
      const { code, handle } = await enter({ decision: null });
      const w = wid(code, 1);
      // Submitting without the announcement decision is refused.
      await expect(decide(handle, `${w}:submit:1`, officer, 'submit')).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
      // The leader edits the draft (adds the decision): from then on an editor.
      const decision: AnnouncementDecision = { number: '77/QĐ-UBND', signerLevel: 'provincialChair', signedOn, effectiveOn: signedOn };
      await handle.executeUpdate(editProcedureDraftUpdate, { args: [{ actor: leader, actorScope: scope(leader), record: { ...recordFor(code), steps: ['Bước duy nhất'] }, decision }] });
      expect((await row(code, 1))!.record.steps).toEqual(['Bước duy nhất']);
      // An edit by another agency is refused.
      const other: Actor = { sub: 'officer-stc-01', role: 'officer', agencyId: 'H99.21' };
      await expect(handle.executeUpdate(editProcedureDraftUpdate, { args: [{ actor: other, actorScope: scope(other), record: recordFor(code), decision }] })).rejects.toMatchObject({ cause: { type: 'NotEntitled' } });

      await decide(handle, `${w}:submit:1`, officer, 'submit');
      await taskOpen(handle, `${w}:review:1`);
      await expect(decide(handle, `${w}:review:1`, leader, 'publish')).rejects.toMatchObject({ cause: { type: 'NotEntitled', message: expect.stringMatching(/Four eyes/) } });
      await expect(decide(handle, `${w}:review:1`, leader2, 'return')).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
      await decide(handle, `${w}:review:1`, leader2, 'return', { comments: 'Thời hạn giải quyết chưa khớp Quyết định 77/QĐ-UBND' });
      expect(await statusIs(code, 1, 'returned')).toMatchObject({ review_comments: 'Thời hạn giải quyết chưa khớp Quyết định 77/QĐ-UBND' });
      // Edits are allowed again while returned; then the second person publishes.
      await handle.executeUpdate(editProcedureDraftUpdate, { args: [{ actor: officer, actorScope: scope(officer), record: recordFor(code), decision }] });
      await decide(handle, `${w}:submit:2`, officer, 'submit');
      await decide(handle, `${w}:review:2`, leader2, 'publish');
      const published = await statusIs(code, 1, 'in_force');
      expect(published).toMatchObject({ reviewed_by: 'supervisor-stp-02', published_on_time: true, in_force_from: signedOn });
      expect(published!.editors.sort()).toEqual(['officer-stp-01', 'supervisor-stp-01']);
      const actions = (await eventually(() => auditStore(db).forCase('procedure', `${code}@v1`), (a) => a.some((e) => e.action === 'procedure.in_force'))).map((e) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['procedure.edited', 'procedure.returned', 'procedure.published', 'procedure.in_force']));
      expect(await auditStore(db).verify('procedure', `${code}@v1`)).toMatchObject({ ok: true });
    });
  });

  it('publication limit by signer level on the official calendar: 10 / 5 / 2 working days from signing, overdue alerts', async () => {
    await withWorker(async () => {
      // Signed Monday 2 March 2026: no day off in March 2026.
      const expected = { minister: '2026-03-16', provincialChair: '2026-03-09', shortened: '2026-03-04' } as const;
      for (const [signerLevel, dueDate] of Object.entries(expected) as Array<[AnnouncementDecision['signerLevel'], string]>) {
        const { code, handle } = await enter({ decision: { number: `9/${signerLevel}`, signerLevel, signedOn: '2026-03-02', effectiveOn: '2026-03-02' } });
        await taskOpen(handle, `${wid(code, 1)}:submit:1`);
        const clock = (await handle.query(caseViewQuery)).clocks.find((c) => c.id === 'publication')!;
        expect([signerLevel, clock.dueDate]).toEqual([signerLevel, dueDate]);
        // Months late already: every threshold passed since signing is raised at once, each exactly once.
        const alerts = await eventually(() => db('alerts').where({ case_id: `${code}@v1`, clock_id: 'publication' }), (a) => new Set(a.map((x) => x.kind)).size === 4);
        expect([...new Set(alerts.map((a) => a.kind))].sort()).toEqual(['due', 'escalation', 'overdue', 'reminder']);
        expect(new Set(alerts.map((a) => a.threshold_key)).size).toBe(alerts.length);
        expect(alerts.every((a) => a.agency_id === 'H99.20' || a.agency_id === 'H99')).toBe(true);
        await decide(handle, `${wid(code, 1)}:submit:1`, officer, 'submit');
        await decide(handle, `${wid(code, 1)}:review:1`, leader2, 'publish');
        expect(await statusIs(code, 1, 'in_force')).toMatchObject({ published_on_time: false });
      }
    });
  });

  it('a new version takes over on its effective date, not before; the previous one answers for earlier dates and ends', async () => {
    await withWorker(async () => {
      const code = newCode();
      const v1 = await enter({ code, mode: 'imported', decision: { number: '1/QĐ-UBND', signerLevel: 'provincialChair', signedOn: '2026-01-05', effectiveOn: '2026-01-15' } });
      expect(await statusIs(code, 1, 'in_force')).toMatchObject({ in_force_from: '2026-01-15' });

      const t0 = await today();
      const effective = formatDate(t0 + 30);
      const v2 = await enter({ code, decision: { number: '2/QĐ-UBND', signerLevel: 'provincialChair', signedOn: formatDate(t0), effectiveOn: effective } });
      expect(v2.version).toBe(2);
      await decide(v2.handle, `${wid(code, 2)}:submit:1`, officer, 'submit');
      await decide(v2.handle, `${wid(code, 2)}:review:1`, leader2, 'publish');
      await statusIs(code, 2, 'published');
      const store = procedureStore(db);
      expect((await store.inForceOn(code, formatDate(t0)))!.version).toBe(1);
      expect((await row(code, 1))!.status).toBe('in_force');
      await env.sleep('31 days');
      await statusIs(code, 2, 'in_force');
      expect(await row(code, 1)).toMatchObject({ status: 'superseded', in_force_to: effective });
      expect(await row(code, 2)).toMatchObject({ in_force_from: effective });
      expect((await store.inForceOn(code, formatDate(t0 + 29)))!.version).toBe(1);
      expect((await store.inForceOn(code, effective))!.version).toBe(2);
      expect((await store.inForceOn(code, '2026-01-14'))).toBeUndefined();
      expect(await v1.handle.result()).toEqual({ code, version: 1, status: 'superseded' });
    });
  });

  it('periodic review every 12 months: keep, then amend opens the next version as a draft with its own workflow', async () => {
    await withWorker(async () => {
      const t0 = await today();
      const { code, handle } = await enter({ mode: 'imported', decision: { number: '3/QĐ-UBND', signerLevel: 'minister', signedOn: formatDate(t0), effectiveOn: formatDate(t0) } });
      await statusIs(code, 1, 'in_force');
      const review = (i: number) => `${wid(code, 1)}:periodic-review:${i}`;
      await env.sleep(`${addMonths(t0, 12) - t0 + 1} days`);
      await taskOpen(handle, review(1));
      expect((await handle.query(caseViewQuery)).openTasks.map((t) => t.taskId)).toEqual([review(1)]);
      await decide(handle, review(1), leader, 'keep');
      await env.sleep(`${addMonths(t0, 24) - addMonths(t0, 12) + 1} days`);
      await expect(decide(handle, review(2), leader, 'amend')).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
      await decide(handle, review(2), leader, 'amend', { reason: 'Cắt giảm thành phần hồ sơ theo Nghị quyết của Chính phủ' });
      const v2 = await eventually(() => row(code, 2), (r) => r !== undefined);
      expect(v2).toMatchObject({ status: 'draft', entered_by: 'supervisor-stp-01', decision: null });
      expect(v2!.record).toEqual((await row(code, 1))!.record);
      const child = env.client.workflow.getHandle(wid(code, 2));
      harness.track(child);
      await taskOpen(child, `${wid(code, 2)}:submit:1`);
      // The version in force stays in force while its amendment is prepared.
      expect((await row(code, 1))!.status).toBe('in_force');
      const reviews = (await auditStore(db).forCase('procedure', `${code}@v1`)).filter((e) => e.action === 'procedure.reviewed').map((e) => (e.after as { outcome: string }).outcome);
      expect(reviews).toEqual(['keep', 'amend']);
    });
  });

  it('withdrawal: abolished at review, or by a decision from the API, on its effective date; none in force after', async () => {
    await withWorker(async () => {
      const t0 = await today();
      const a = await enter({ mode: 'imported', decision: { number: '4/QĐ-UBND', signerLevel: 'provincialChair', signedOn: formatDate(t0), effectiveOn: formatDate(t0) } });
      await statusIs(a.code, 1, 'in_force');
      await env.sleep(`${addMonths(t0, 12) - t0 + 1} days`);
      const t1 = await today();
      const review = `${wid(a.code, 1)}:periodic-review:1`;
      await expect(decide(a.handle, review, leader, 'abolish', { decisionNumber: '5/QĐ-UBND', signedOn: formatDate(t1), effectiveOn: formatDate(t1 - 3), reason: 'Bãi bỏ' })).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
      await decide(a.handle, review, leader, 'abolish', { decisionNumber: '5/QĐ-UBND', signedOn: formatDate(t1), effectiveOn: formatDate(t1 + 10), reason: 'Thủ tục không còn phù hợp' });
      expect(await a.handle.result()).toEqual({ code: a.code, version: 1, status: 'withdrawn' });
      const withdrawn = await row(a.code, 1);
      expect(withdrawn).toMatchObject({ status: 'withdrawn', in_force_to: formatDate(t1 + 10), withdrawal: { number: '5/QĐ-UBND' } });
      expect((await procedureStore(db).inForceOn(a.code, formatDate(t1 + 9)))!.version).toBe(1);
      expect(await procedureStore(db).inForceOn(a.code, formatDate(t1 + 10))).toBeUndefined();

      // From the API's update: officers may not withdraw; a supervisor may; a second withdrawal is refused.
      const t2 = await today(); // time moved on to the first withdrawal's effective date
      const b = await enter({ mode: 'imported', decision: { number: '6/QĐ-UBND', signerLevel: 'provincialChair', signedOn: formatDate(t2), effectiveOn: formatDate(t2) } });
      await statusIs(b.code, 1, 'in_force');
      const w = { number: '7/QĐ-UBND', signedOn: formatDate(t2), effectiveOn: formatDate(t2 + 5), reason: 'Hợp nhất vào thủ tục khác' };
      await expect(b.handle.executeUpdate(withdrawProcedureUpdate, { args: [{ actor: officer, actorScope: scope(officer), withdrawal: w }] })).rejects.toMatchObject({ cause: { type: 'NotEntitled' } });
      await b.handle.executeUpdate(withdrawProcedureUpdate, { args: [{ actor: leader, actorScope: scope(leader), withdrawal: w }] });
      await expect(b.handle.executeUpdate(withdrawProcedureUpdate, { args: [{ actor: leader, actorScope: scope(leader), withdrawal: w }] })).rejects.toMatchObject({ cause: { type: 'WrongStep' } });
      expect((await row(b.code, 1))!.status).toBe('in_force');
      expect(await b.handle.result()).toMatchObject({ status: 'withdrawn' });
      expect(await row(b.code, 1)).toMatchObject({ status: 'withdrawn', in_force_to: formatDate(t2 + 5) });
    });
  });
});
