/**
 * feedbackWorkflow under time skipping with real activities (PostgreSQL, SMTP sink): every path —
 * not accepted; transfer with send-back; clarification pause; returned for re-answer; published;
 * overdue with escalation — asserting rows, alerts and the e-mails actually received.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { auditStore } from '../../db/audit-store';
import type { Db } from '../../db/knex';
import type { Actor } from '../../domain/roles';
import { caseViewQuery, completeTaskUpdate } from '../../workflows/lib/kernel';
import { clarificationSignal, feedbackWorkflow } from '../../workflows/feedback';
import { taskOpen, timeSkipping, type TimeSkipping } from '../helpers/harness';
import { eventually, mailMatching, system } from '../helpers/system';
import { redeliverDue } from '../../db/mail-ledger';
import { createMailer, type Mailer } from '../../activities/mailer';
import { freePort } from '../../infra/ports';

const operator: Actor = { sub: 'operator-01', role: 'operator', agencyId: 'VPCP' };
const officer20: Actor = { sub: 'officer-stp-01', role: 'officer', agencyId: 'H99.20' };
const leader20: Actor = { sub: 'supervisor-stp-01', role: 'supervisor', agencyId: 'H99.20' };
const officer21: Actor = { sub: 'officer-stc-01', role: 'officer', agencyId: 'H99.21' };
const scope = (a: Actor) => [a.agencyId!];

let seq = 0;
const nextCode = () => `PAKN.29990101.${String(++seq + Math.floor(Math.random() * 5000)).padStart(4, '0')}`;

describe('feedbackWorkflow (time skipping, real PostgreSQL and SMTP)', () => {
  let harness: TimeSkipping;
  let env: TimeSkipping['env'];
  let db: Db;
  const taskQueue = 'feedback-test';
  beforeAll(async () => {
    harness = await timeSkipping(taskQueue);
    ({ env, db } = harness);
  });
  afterAll(() => harness?.close());
  const withWorker = (fn: () => Promise<void>) => harness.withWorker(fn);

  /** What the API does at intake: the rows (personal data kept out of workflow history), then the workflow. */
  async function submit(): Promise<{ code: string; email: string; handle: WorkflowHandle }> {
    const code = nextCode();
    const email = `${code.toLowerCase()}@nguoidan.motcua.local`;
    const receivedAtMs = await env.currentTimeMs();
    await db('feedback').insert({ code, status: 'received', channel: 'portal', submitted_by: 'citizen-001', title: 'Chậm cấp giấy phép', content: 'Hồ sơ của tôi bị chậm nhiều tuần mà không có thông báo.', receiving_agency_id: 'H99.20', received_at: new Date(receivedAtMs) });
    await db('feedback_submitters').insert({ code, full_name: 'Nguyễn Văn An', address: 'Số 1 đường Minh Họa', phone: '0912345678', email });
    const handle = await env.client.workflow.start(feedbackWorkflow, { taskQueue, workflowId: code, args: [{ code, receivedAtMs, receivingAgencyId: 'H99.20', operatorAgencyId: 'VPCP' }] });
    harness.track(handle);
    return { code, email, handle };
  }

  async function decide(handle: WorkflowHandle, taskId: string, actor: Actor, outcome: string, payload: Record<string, unknown> = {}) {
    await taskOpen(handle, taskId);
    return handle.executeUpdate(completeTaskUpdate, { args: [{ taskId, actor, actorScope: scope(actor), outcome, payload }] });
  }

  const row = (code: string) => db('feedback').where({ code }).first();
  /** A decision answers once recorded; the case's own writes for it follow (eventually). */
  async function expectRow(code: string, expected: Record<string, unknown>): Promise<void> {
    const matches = (r: unknown) => {
      try {
        expect(r).toMatchObject(expected);
        return true;
      } catch {
        return false;
      }
    };
    expect(await eventually(() => row(code), matches, `feedback ${code} to match`, 5_000).catch(() => row(code))).toMatchObject(expected);
  }
  const mailTo = (email: string) => mailMatching((m) => m.to.includes(email));

  it('not accepted: the reason goes to the submitter and the case closes', async () => {
    await withWorker(async () => {
      const { code, email, handle } = await submit();
      await expect(decide(handle, `${code}:classify:1`, operator, 'not_accepted')).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
      await decide(handle, `${code}:classify:1`, operator, 'not_accepted', { reason: 'Nội dung không thuộc phạm vi tiếp nhận' });
      expect(await handle.result()).toEqual({ status: 'not_accepted' });
      await expectRow(code, { status: 'not_accepted', class: 1, not_accepted_reason: 'Nội dung không thuộc phạm vi tiếp nhận' });
      const mails = await mailTo(email);
      expect(mails.map((m) => m.subject)).toEqual([`[Cổng Dịch vụ công] Đã tiếp nhận phản ánh, kiến nghị ${code}`, `[Cổng Dịch vụ công] Phản ánh, kiến nghị ${code} không đủ điều kiện xử lý`]);
      expect(mails[1]!.text).toContain('Nội dung không thuộc phạm vi tiếp nhận');
    });
  });

  it('transfer with send-back, clarification pause, return for re-answer, then publication', async () => {
    await withWorker(async () => {
      const { code, email, handle } = await submit();
      // Routed to the wrong department, sent back, re-routed (the same transfer clock).
      await decide(handle, `${code}:classify:1`, operator, 'outside', { competentAgencyId: 'H99.21' });
      await expectRow(code, { status: 'transferring', class: 4, competent_agency_id: 'H99.21' });
      await decide(handle, `${code}:accept:1`, officer21, 'send_back', { reason: 'Không thuộc thẩm quyền của Sở Tài chính' });
      await decide(handle, `${code}:classify:2`, operator, 'outside', { competentAgencyId: 'H99.20' });
      await decide(handle, `${code}:accept:2`, officer20, 'accept');
      const transfer = (await handle.query(caseViewQuery)).clocks.find((c) => c.id === 'transfer')!;
      expect(transfer.state).toBe('stopped');

      // Clarification: the answer clock pauses while the submitter replies (3 working days later).
      const dueBefore = (await handle.query(caseViewQuery)).clocks.find((c) => c.id === 'answer')!.dueDate;
      await decide(handle, `${code}:draft:1`, officer20, 'request_clarification', { question: 'Đề nghị cung cấp số biên nhận hồ sơ.' });
      await expectRow(code, { status: 'awaiting_clarification' });
      await env.sleep('5 days');
      await handle.signal(clarificationSignal, { text: 'Số biên nhận: H99.20-261101-0001' });
      const afterPause = (await handle.query(caseViewQuery)).clocks.find((c) => c.id === 'answer')!;
      expect(afterPause.pausedWorkingDays).toBeGreaterThan(0);
      expect(afterPause.dueDate > dueBefore).toBe(true);

      // Draft, leader asks for a revision, redraft, approve.
      await decide(handle, `${code}:draft:2`, officer20, 'submit', { answer: 'Bản nháp' });
      await decide(handle, `${code}:approve:1`, leader20, 'revise');
      await expect(decide(handle, `${code}:draft:3`, officer20, 'submit', {})).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
      await decide(handle, `${code}:draft:3`, officer20, 'submit', { answer: 'Sở Tư pháp đã xử lý hồ sơ và xin lỗi vì sự chậm trễ.' });
      await decide(handle, `${code}:approve:2`, leader20, 'approve');
      await expectRow(code, { status: 'checking', answered_on_time: true });

      // Quality check returns it once (QĐ 31 Art 46): a new limit, a new answer.
      await decide(handle, `${code}:check:1`, operator, 'return', { reason: 'Chưa trả lời đúng nội dung phản ánh' });
      await taskOpen(handle, `${code}:draft:4`);
      expect((await handle.query(caseViewQuery)).clocks.map((c) => c.id)).toContain('reanswer-1');
      await decide(handle, `${code}:draft:4`, officer20, 'submit', { answer: 'Hồ sơ số H99.20-261101-0001 đã được trả kết quả ngày 20/11/2026; Sở xin lỗi vì sự chậm trễ.' });
      await decide(handle, `${code}:approve:3`, leader20, 'approve');
      await decide(handle, `${code}:check:2`, operator, 'accept');
      expect(await handle.result()).toEqual({ status: 'published' });

      await expectRow(code, { status: 'published', answer: 'Hồ sơ số H99.20-261101-0001 đã được trả kết quả ngày 20/11/2026; Sở xin lỗi vì sự chậm trễ.', competent_agency_id: 'H99.20' });
      expect((await row(code)).published_at).not.toBeNull();
      const subjects = (await mailTo(email)).map((m) => m.subject);
      expect(subjects).toEqual([
        `[Cổng Dịch vụ công] Đã tiếp nhận phản ánh, kiến nghị ${code}`,
        `[Cổng Dịch vụ công] Đề nghị bổ sung thông tin cho phản ánh ${code}`,
        `[Cổng Dịch vụ công] Đã có trả lời phản ánh, kiến nghị ${code}`,
      ]);
      const actions = (await auditStore(db).forCase('feedback', code)).map((e) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['feedback.sent_back', 'feedback.clarified', 'feedback.answer_returned', 'case.closed']));
      expect(await auditStore(db).verify('feedback', code)).toMatchObject({ ok: true });
    });
  });

  it('overdue answer: alerts on the due day and every working day after, escalation to the province', async () => {
    await withWorker(async () => {
      const { code, handle } = await submit();
      await decide(handle, `${code}:classify:1`, operator, 'within');
      await decide(handle, `${code}:accept:1`, officer20, 'accept');
      await env.sleep('25 days');
      const alerts = await db('alerts').where({ case_id: code, clock_id: 'answer' }).orderBy('id');
      const kinds = new Set(alerts.map((a) => a.kind));
      expect([...kinds].sort()).toEqual(['due', 'escalation', 'overdue', 'reminder']);
      expect(alerts.find((a) => a.kind === 'escalation')).toMatchObject({ agency_id: 'H99' });
      expect(new Set(alerts.map((a) => a.threshold_key)).size).toBe(alerts.length);
      const province = await mailMatching((m) => m.to.includes('giamsat@ubnd.h99.motcua.local') && m.subject.includes(code));
      expect(province).toHaveLength(1);
      expect(province[0]!.subject).toMatch(/Chuyển cấp trên/);
    });
  });

  it('merges a duplicate into open feedback; its submitter hears of the answer', async () => {
    await withWorker(async () => {
      const a = await submit();
      const b = await submit();
      // A merge into something that is not open feedback is refused and classification reopens.
      await decide(b.handle, `${b.code}:classify:1`, operator, 'merge', { intoCode: 'PAKN.19990101.0001' });
      await decide(b.handle, `${b.code}:classify:2`, operator, 'merge', { intoCode: a.code });
      expect(await b.handle.result()).toEqual({ status: 'merged' });
      expect(await row(b.code)).toMatchObject({ status: 'merged', merged_into: a.code });
      await decide(a.handle, `${a.code}:classify:1`, operator, 'within');
      await decide(a.handle, `${a.code}:accept:1`, officer20, 'accept');
      await decide(a.handle, `${a.code}:draft:1`, officer20, 'submit', { answer: 'Đã xử lý.' });
      await decide(a.handle, `${a.code}:approve:1`, leader20, 'approve');
      await decide(a.handle, `${a.code}:check:1`, operator, 'accept');
      await a.handle.result();
      const subjects = (await mailTo(b.email)).map((m) => m.subject);
      expect(subjects).toEqual([
        `[Cổng Dịch vụ công] Đã tiếp nhận phản ánh, kiến nghị ${b.code}`,
        `[Cổng Dịch vụ công] Phản ánh, kiến nghị ${b.code} được gộp xử lý`,
        `[Cổng Dịch vụ công] Đã có trả lời cho phản ánh ${b.code} (gộp vào ${a.code})`,
      ]);
      expect((await auditStore(db).forCase('feedback', b.code)).map((e) => e.action)).toContain('feedback.merge_refused');
    });
  });

  it('clarification not answered within the limit: the clock resumes by itself', async () => {
    await withWorker(async () => {
      const { code, handle } = await submit();
      await decide(handle, `${code}:classify:1`, operator, 'within');
      await decide(handle, `${code}:accept:1`, officer20, 'accept');
      await decide(handle, `${code}:draft:1`, officer20, 'request_clarification', { question: 'Đề nghị cung cấp thêm thông tin.' });
      await env.sleep('14 days');
      const view = await handle.query(caseViewQuery);
      expect(view.clocks.find((c) => c.id === 'answer')!.state).toBe('running');
      expect(view.openTasks.map((t) => t.taskId)).toEqual([`${code}:draft:2`]);
      expect((await auditStore(db).forCase('feedback', code)).map((e) => e.action)).toContain('feedback.clarification_expired');
    });
  });
});

describe('feedbackWorkflow with the mail relay down (time skipping)', () => {
  let harness: TimeSkipping;
  let mailer: Mailer;
  beforeAll(async () => {
    // The real SMTP client against a port where nothing listens: every send is refused.
    mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${await freePort()}`, from: 'motcua <no-reply@motcua.local>' });
    harness = await timeSkipping('feedback-smtp-down', { mailer });
  });
  afterAll(async () => {
    await harness?.close();
    mailer?.close();
  });

  it('the receipt waits in the outbox while the relay is down; the case goes on; the redelivery pass sends it once', async () => {
    await harness.withWorker(async () => {
      const { env, db } = harness;
      const code = nextCode();
      const receivedAtMs = await env.currentTimeMs();
      await db('feedback').insert({ code, status: 'received', channel: 'portal', submitted_by: 'citizen-001', title: 'Chậm cấp giấy phép', content: 'Hồ sơ bị chậm.', receiving_agency_id: 'H99.20', received_at: new Date(receivedAtMs) });
      await db('feedback_submitters').insert({ code, full_name: 'Nguyễn Văn An', address: 'Số 1', phone: '0912345678', email: `${code.toLowerCase()}@nguoidan.motcua.local` });
      const handle = harness.track(await env.client.workflow.start(feedbackWorkflow, { taskQueue: 'feedback-smtp-down', workflowId: code, args: [{ code, receivedAtMs, receivingAgencyId: 'H99.20', operatorAgencyId: 'VPCP' }] }));
      // The classification task does not wait for the receipt.
      await taskOpen(handle, `${code}:classify:1`);
      expect((await auditStore(db).forCase('feedback', code)).map((e) => e.action)).not.toContain('notification.failed');
      await env.sleep('3 hours');
      // The receipt activity completed: the message is queued, nothing failed, the case goes on.
      const email = `${code.toLowerCase()}@nguoidan.motcua.local`;
      const key = `feedback:${code}:receipt:1:${email}`;
      const queued = await db('sent_emails').where({ dedupe_key: key }).first();
      expect(queued).toMatchObject({ status: 'queued', case_type: 'feedback', case_id: code });
      expect(queued.last_error).toMatch(/ECONNREFUSED/);
      expect((await auditStore(db).forCase('feedback', code)).map((e) => e.action)).not.toContain('notification.failed');
      const view = await handle.query(caseViewQuery);
      expect(view.status).toBe('classifying');
      expect(view.openTasks.map((t) => t.taskId)).toEqual([`${code}:classify:1`]);
      // The relay is back (the development sink): the next redelivery pass sends it, once.
      const relay = createMailer({ smtpUrl: system.smtpUrl(), from: 'motcua <no-reply@motcua.local>' });
      try {
        const claimant = { id: 'redelivery', workflowId: 'mail-redelivery', runId: '-' };
        const pass = { claimant, giveUpAfterMs: 72 * 3_600_000, keyPrefix: `feedback:${code}:`, now: new Date(Date.now() + 3_600_000) };
        expect(await redeliverDue(db, relay, pass)).toMatchObject({ sent: 1 });
        expect(await redeliverDue(db, relay, pass)).toMatchObject({ due: 0 });
      } finally {
        relay.close();
      }
      const got = await eventually(() => mailMatching((m) => m.to.includes(email)), (m) => m.length >= 1, 'the receipt');
      expect(got).toHaveLength(1);
      expect(got[0]!.subject).toContain(code);
    });
  });
});
