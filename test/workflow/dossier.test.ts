/**
 * dossierWorkflow under time skipping with real activities (PostgreSQL, SMTP sink, and a real HTTP
 * receiver standing in for the national portal): accept / supplement / refuse at intake, a
 * supplement after appraisal restarting the clock from zero (and refused after 3 working days),
 * consultation with a late agency, the apology at most once, the payment wait, early return, overdue
 * escalation — on the official calendar.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { Db } from '../../db/knex';
import { builtInCalendar, formatDate, localDay } from '../../domain/calendar';
import type { Actor } from '../../domain/roles';
import { caseViewQuery, completeTaskUpdate } from '../../workflows/lib/kernel';
import { dossierPaidSignal, dossierWorkflow, supplementSignal, type DossierInput } from '../../workflows/dossier';
import { taskOpen, timeSkipping, type TimeSkipping } from '../helpers/harness';
import { startPortalReceiver, type PortalReceiver } from '../helpers/portal-receiver';
import { eventually, mailMatching } from '../helpers/system';

const officer: Actor = { sub: 'officer-stp-01', role: 'officer', agencyId: 'H99.20' };
const leader: Actor = { sub: 'supervisor-stp-01', role: 'supervisor', agencyId: 'H99.20' };
const officer21: Actor = { sub: 'officer-stc-01', role: 'officer', agencyId: 'H99.21' };
const scope = (a: Actor) => [a.agencyId!];
const cal = builtInCalendar();

let n = 0;
const newCode = () => `T99-${Date.now().toString().slice(-6)}-${String(++n).padStart(2, '0')}${Math.floor(Math.random() * 90 + 10)}`;

describe('dossierWorkflow (time skipping, real PostgreSQL, SMTP and portal receiver)', () => {
  let harness: TimeSkipping;
  let env: TimeSkipping['env'];
  let db: Db;
  let portal: PortalReceiver;
  const taskQueue = 'dossier-test';
  beforeAll(async () => {
    portal = await startPortalReceiver();
  });
  afterAll(() => portal.close());
  // A test server per test (see procedure.test.ts).
  beforeEach(async () => {
    harness = await timeSkipping(taskQueue, { portalSyncUrl: portal.url });
    ({ env, db } = harness);
  });
  afterEach(() => harness?.close());
  const withWorker = (fn: () => Promise<void>) => harness.withWorker(fn);

  /** What the intake does: the rows (personal data stays out of the workflow), then the workflow. */
  async function submit(o: { workingDays?: number; calendarDays?: number; fee?: number } = {}): Promise<{ code: string; email: string; handle: WorkflowHandle<typeof dossierWorkflow>; receivedAtMs: number }> {
    const code = newCode();
    const email = `${code.toLowerCase()}@nguoidan.motcua.local`;
    const receivedAtMs = await env.currentTimeMs();
    await db('dossiers').insert({ code, status: 'received', agency_id: 'H99.20', procedure_code: 'H99-TP-001', procedure_version: 1, procedure_name: 'Cấp Phiếu lý lịch tư pháp', channel: 'online', paper: false, owner_sub: 'citizen-001', return_method: 'online', received_at: new Date(receivedAtMs), fee_total_vnd: o.fee ?? 0 });
    await db('dossier_applicants').insert({ code, full_name: 'Nguyễn Văn An', address: 'Số 1 đường Minh Họa', phone: '0912345678', email, documents: JSON.stringify(['Tờ khai']) });
    const input: DossierInput = { code, agencyId: 'H99.20', receivedAtMs, channel: 'online', paper: false, procedure: { code: 'H99-TP-001', version: 1, name: 'Cấp Phiếu lý lịch tư pháp', workingDays: o.calendarDays === undefined ? (o.workingDays ?? 5) : undefined, calendarDays: o.calendarDays, feeTotalVnd: o.fee ?? 0 } };
    const handle = await env.client.workflow.start(dossierWorkflow, { taskQueue, workflowId: code, args: [input] });
    harness.track(handle);
    return { code, email, handle, receivedAtMs };
  }
  async function decide(handle: WorkflowHandle, taskId: string, actor: Actor, outcome: string, payload: Record<string, unknown> = {}) {
    await taskOpen(handle, taskId);
    return handle.executeUpdate(completeTaskUpdate, { args: [{ taskId, actor, actorScope: scope(actor), outcome, payload }] });
  }
  const row = (code: string) => db('dossiers').where({ code }).first();
  const letters = (code: string) => db('dossier_letters').where({ code }).orderBy('id').pluck('form');

  it('accepted, approved, fee paid at the counter, returned early: letters, e-mails, and every status at the portal once, in order', async () => {
    await withWorker(async () => {
      portal.failNext(2); // the portal refuses the first deliveries: they are retried
      const { code, email, handle, receivedAtMs } = await submit({ workingDays: 5, fee: 200_000 });
      await decide(handle, `${code}:check:1`, officer, 'accept');
      const expected = formatDate(cal.addWorkingDays(cal.receptionDay(receivedAtMs), 5));
      expect(await eventually(() => row(code), (r) => r.status === 'processing', 'processing')).toMatchObject({ appointment_date: expected, original_appointment_date: expected });
      await decide(handle, `${code}:appraise:1`, officer, 'propose_approve', { note: 'Đủ điều kiện cấp Phiếu' });
      await decide(handle, `${code}:approve:1`, leader, 'approve');
      await eventually(() => row(code), (r) => r.status === 'awaiting_payment', 'awaiting payment');
      await expect(decide(handle, `${code}:collect_fee:1`, officer, 'paid')).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
      await decide(handle, `${code}:collect_fee:1`, officer, 'paid', { receiptNumber: 'BL-000123' });
      await decide(handle, `${code}:return:1`, officer, 'returned');
      expect(await handle.result()).toEqual({ status: 'returned' });
      expect(await row(code)).toMatchObject({ status: 'returned', timeliness: 'early', payment_reference: 'BL-000123', late_agency_id: null });
      expect(await letters(code)).toEqual(['01', 'early']);
      const mails = await mailMatching((m) => m.to.includes(email));
      expect(mails.map((m) => m.subject)).toEqual([`[Một cửa] Giấy tiếp nhận hồ sơ và hẹn trả kết quả — ${code}`, `[Một cửa] Thông báo có kết quả giải quyết hồ sơ — ${code}`]);
      expect(mails[1]!.text).toContain('sớm hơn ngày hẹn');
      expect(mails[0]!.text).not.toContain('0912345678');
      // The portal got each status exactly once, in order, despite the refused first attempts.
      const seen = portal.forCode(code).map((r) => [r.body.seq, r.body.status]);
      expect(seen).toEqual([
        [1, 'processing'],
        [2, 'approving'],
        [3, 'awaiting_payment'],
        [4, 'result_ready'],
        [5, 'returned'],
      ]);
      expect(JSON.stringify(portal.forCode(code))).not.toContain('Nguyễn Văn An');
      expect(await db('dossier_outbox').where({ code }).whereNull('delivered_at').count<{ count: string }[]>('* as count')).toEqual([{ count: '0' }]);
    });
  });

  it('intake: a supplement listing everything missing, then accepted from the complete dossier; another refused with reasons', async () => {
    await withWorker(async () => {
      const { code, email, handle } = await submit({ workingDays: 3 });
      await decide(handle, `${code}:check:1`, officer, 'supplement', { missing: 'Bản chụp căn cước\nVăn bản ủy quyền', reason: 'Thiếu giấy tờ' });
      await eventually(() => row(code), (r) => r.status === 'awaiting_supplement', 'awaiting supplement');
      await env.sleep('3 days');
      const suppliedAt = await env.currentTimeMs();
      await handle.signal(supplementSignal, { documents: ['Bản chụp căn cước', 'Văn bản ủy quyền'] });
      await decide(handle, `${code}:check:2`, officer, 'accept');
      await eventually(() => row(code), (r) => r.status === 'processing', 'processing');
      const view = await handle.query(caseViewQuery);
      expect(view.clocks.find((c) => c.id === 'processing')!.dueDate).toBe(formatDate(cal.addWorkingDays(cal.receptionDay(suppliedAt), 3)));
      expect(await letters(code)).toEqual(['02', '01']);
      const form02 = (await mailMatching((m) => m.to.includes(email) && m.subject.includes('bổ sung')))[0]!;
      expect(form02.text).toContain('1. Bản chụp căn cước\n2. Văn bản ủy quyền');
      expect((await row(code)).extra_contacts).toBe(1);

      const refused = await submit();
      await decide(refused.handle, `${refused.code}:check:1`, officer, 'refuse', { reasons: 'Thủ tục không thuộc thẩm quyền của Sở Tư pháp' });
      expect(await refused.handle.result()).toEqual({ status: 'refused' });
      expect(await letters(refused.code)).toEqual(['03']);
      expect((await row(refused.code)).status).toBe('refused');
    });
  });

  it('supplement after appraisal: allowed within 3 working days of receipt, pauses the clock, restarts it from zero; refused later', async () => {
    await withWorker(async () => {
      const { code, handle } = await submit({ workingDays: 10 });
      await decide(handle, `${code}:check:1`, officer, 'accept');
      const first = (await handle.query(caseViewQuery)).clocks.find((c) => c.id === 'processing')!.dueDate;
      await decide(handle, `${code}:appraise:1`, officer, 'request_supplement', { missing: 'Bản sao giấy khai sinh' });
      await eventually(() => row(code), (r) => r.status === 'awaiting_supplement', 'awaiting supplement');
      expect((await handle.query(caseViewQuery)).clocks.find((c) => c.id === 'processing')!.state).toBe('paused');
      await env.sleep('7 days');
      const suppliedAt = await env.currentTimeMs();
      await handle.signal(supplementSignal, { documents: ['Bản sao giấy khai sinh'] });
      await taskOpen(handle, `${code}:appraise:2`);
      const clock = (await handle.query(caseViewQuery)).clocks.find((c) => c.id === 'processing')!;
      expect(clock.dueDate).toBe(formatDate(cal.addWorkingDays(cal.receptionDay(suppliedAt), 10)));
      expect(clock.dueDate > first).toBe(true);
      const r = await eventually(() => row(code), (x) => x.restarts === 1, 'restart recorded');
      expect(r.paused_working_days).toBeGreaterThanOrEqual(4);
      expect(await letters(code)).toEqual(['01', '02', '01']);

      // Another dossier: 6 calendar days after receipt (≥ 4 working days) a supplement is refused.
      const late = await submit({ workingDays: 10 });
      await decide(late.handle, `${late.code}:check:1`, officer, 'accept');
      await taskOpen(late.handle, `${late.code}:appraise:1`);
      await env.sleep('6 days');
      await expect(decide(late.handle, `${late.code}:appraise:1`, officer, 'request_supplement', { missing: 'x' })).rejects.toMatchObject({ cause: { type: 'InvalidPayload', message: expect.stringMatching(/within 3 working days/) } });
    });
  });

  it('consultation: the other agency answers late and the lateness is attributed to it', async () => {
    await withWorker(async () => {
      const { code, handle } = await submit({ workingDays: 15 });
      await decide(handle, `${code}:check:1`, officer, 'accept');
      await decide(handle, `${code}:appraise:1`, officer, 'consult', { agencies: 'H99.21', question: 'Xác nhận tình trạng nộp thuế của người yêu cầu' });
      const child = env.client.workflow.getHandle(`${code}:consult:1`);
      harness.track(child);
      await taskOpen(child, `${code}:consult:1:opinion:1`);
      await eventually(() => row(code), (r) => r.status === 'consulting', 'consulting');
      await env.sleep('10 days'); // the consultation limit (policy: 5 working days) passes
      await decide(child, `${code}:consult:1:opinion:1`, officer21, 'agree');
      await taskOpen(handle, `${code}:appraise:2`);
      expect((await row(code)).late_agency_id).toBe('H99.21');
      const alerts = await db('alerts').where({ case_id: `${code}#1` }).pluck('kind');
      expect(alerts).toEqual(expect.arrayContaining(['overdue']));
    });
  });

  it('apology and new appointment one working day before the due date, at most once; then overdue, escalated, late', async () => {
    await withWorker(async () => {
      const { code, email, handle } = await submit({ workingDays: 3 });
      await decide(handle, `${code}:check:1`, officer, 'accept');
      const due = (await handle.query(caseViewQuery)).clocks.find((c) => c.id === 'processing')!.dueDate;
      await taskOpen(handle, `${code}:appraise:1`);
      await env.sleep('4 days');
      await taskOpen(handle, `${code}:apologize:1`);
      const newDate = formatDate(cal.addWorkingDays(localDay(Date.parse(`${due}T12:00:00+07:00`)), 5));
      await expect(decide(handle, `${code}:apologize:1`, officer, 'issue', { reason: 'Chờ kết quả xác minh', newAppointmentDate: due })).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
      await decide(handle, `${code}:apologize:1`, officer, 'issue', { reason: 'Chờ kết quả xác minh từ cơ quan công an', newAppointmentDate: newDate });
      const r = await eventually(() => row(code), (x) => x.reschedules === 1, 'rescheduled');
      expect(r.late_agency_id).toBe('H99.20');
      expect((await handle.query(caseViewQuery)).clocks.find((c) => c.id === 'processing')!.dueDate).toBe(newDate);
      const apology = (await eventually(() => mailMatching((m) => m.to.includes(email) && m.subject.includes('xin lỗi')), (m) => m.length === 1, 'apology e-mail'))[0]!;
      expect(await letters(code)).toEqual(['01', '04']);
      expect(apology.text).toContain('Chờ kết quả xác minh từ cơ quan công an');
      // Past the new date: no second apology, overdue alerts and escalation instead.
      await env.sleep('20 days');
      const view = await handle.query(caseViewQuery);
      expect(view.openTasks.map((t) => t.step)).toEqual(['appraise']);
      const kinds = new Set(await db('alerts').where({ case_id: code, clock_id: 'processing' }).pluck('kind'));
      expect([...kinds].sort()).toEqual(['due', 'escalation', 'overdue', 'reminder']);
      await decide(handle, `${code}:appraise:1`, officer, 'propose_approve');
      await decide(handle, `${code}:approve:1`, leader, 'approve');
      await decide(handle, `${code}:return:1`, officer, 'returned');
      await handle.result();
      expect(await row(code)).toMatchObject({ timeliness: 'late', late_agency_id: 'H99.20', reschedules: 1 });
    });
  });

  it('waits for the payment confirmation from the payment system; a rejection is notified and closes', async () => {
    await withWorker(async () => {
      const { code, handle } = await submit({ calendarDays: 10, fee: 200_000 });
      await decide(handle, `${code}:check:1`, officer, 'accept');
      await decide(handle, `${code}:appraise:1`, officer, 'propose_approve');
      await decide(handle, `${code}:approve:1`, leader, 'approve');
      await taskOpen(handle, `${code}:collect_fee:1`);
      await env.sleep('2 days');
      expect((await row(code)).status).toBe('awaiting_payment');
      await handle.signal(dossierPaidSignal, { reference: 'PAY-2026-000001', amountVnd: 200_000 });
      await taskOpen(handle, `${code}:return:1`);
      expect(await row(code)).toMatchObject({ status: 'result_ready', payment_reference: 'PAY-2026-000001' });
      expect((await handle.query(caseViewQuery)).openTasks.map((t) => t.step)).toEqual(['return']);

      const rejected = await submit();
      await decide(rejected.handle, `${rejected.code}:check:1`, officer, 'accept');
      await decide(rejected.handle, `${rejected.code}:appraise:1`, officer, 'propose_reject', { reason: 'Người yêu cầu không thuộc đối tượng được cấp' });
      await decide(rejected.handle, `${rejected.code}:approve:1`, leader, 'return', { reason: 'Ghi rõ căn cứ' });
      await decide(rejected.handle, `${rejected.code}:appraise:2`, officer, 'propose_reject', { reason: 'Không thuộc đối tượng theo Điều 7 Luật Lý lịch tư pháp' });
      await decide(rejected.handle, `${rejected.code}:approve:2`, leader, 'approve');
      expect(await rejected.handle.result()).toEqual({ status: 'rejected' });
      expect(await letters(rejected.code)).toEqual(['01', 'result']);
    });
  });
});
