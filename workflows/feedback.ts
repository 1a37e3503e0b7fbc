/**
 * feedbackWorkflow — phản ánh, kiến nghị (QĐ 31/2021 Chapter VI; Decree 20/2008 as amended by
 * Decree 92/2017): receipt → classification by the portal operator → transfer to the competent
 * agency within the transfer limit from receipt (the agency may send it back; the operator
 * re-routes on the same clock) → answer drafted by an agency officer (clarification from the
 * submitter pauses the clock) and approved by the agency's leader → quality check by the operator
 * (a returned answer gets a new limit) → publication. The classifier may merge a duplicate into
 * open feedback; its submitter is then told of that case's answer. ID: the PAKN code.
 */
import { defineSignal, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ACTIVITY_IO, ACTIVITY_NOTIFY } from '../temporal.config';
import { endOfDay, localDay } from '../domain/calendar/days';
import { CaseKernel, caseDb } from './lib/kernel';

const io = proxyActivities<Activities>(ACTIVITY_IO);
const notify = proxyActivities<Activities>(ACTIVITY_NOTIFY);

export interface FeedbackInput {
  code: string;
  receivedAtMs: number;
  receivingAgencyId: string;
  /** The portal operator's agency (classification and quality check). */
  operatorAgencyId: string;
}

export const clarificationSignal = defineSignal<[{ text: string }]>('feedbackClarification');

const CLASS = { conduct: 2, within: 3, outside: 4 } as const;

export async function feedbackWorkflow(input: FeedbackInput): Promise<{ status: string }> {
  const { code, operatorAgencyId: operator } = input;
  const k = new CaseKernel('feedback', code, input.receivingAgencyId);
  const replies: string[] = [];
  setHandler(clarificationSignal, (r) => void replies.push(r.text));
  const status = async (s: string, patch: Parameters<typeof io.updateFeedback>[1] = {}) => {
    k.status = s;
    await caseDb().updateFeedback(code, { status: s, ...patch });
  };

  await k.init(input.receivedAtMs, { code });
  // The receipt e-mail goes out while classification opens (the task does not wait for SMTP); a
  // receipt still undeliverable after its retries is audited and the case goes on. The case waits
  // for it before it ends. Cases started before sent it first and failed with it.
  let receipt: Promise<unknown> = Promise.resolve();
  if (patched('feedback-receipt-alongside')) {
    receipt = notify.notifySubmitter(code, 'receipt').catch((err: unknown) =>
      k.audit('notification.failed', { sub: 'system', role: 'admin' }, null, { kind: 'receipt', error: err instanceof Error ? err.message : String(err) }),
    );
  } else {
    await notify.notifySubmitter(code, 'receipt');
  }
  const end = async (s: string) => {
    await receipt;
    return { status: (await k.finish(s)).status };
  };

  // 1. Classification and transfer, against the transfer limit counted from receipt.
  k.startClock('transfer', { workingDays: k.policyDays('feedback.transfer'), title: `Phân loại, chuyển xử lý phản ánh ${code}`, agencyId: operator, atMs: input.receivedAtMs });
  let competent = input.receivingAgencyId;
  for (;;) {
    await status('classifying');
    const c = await k.task({
      step: 'classify',
      title: 'Phân loại phản ánh, kiến nghị và chọn cơ quan có thẩm quyền',
      agencyId: operator,
      candidateRole: 'operator',
      outcomes: ['not_accepted', 'conduct', 'within', 'outside', 'merge'],
      clockId: 'transfer',
      requires: { not_accepted: ['reason'], conduct: ['competentAgencyId'], outside: ['competentAgencyId'], merge: ['intoCode'] },
    });
    if (c.outcome === 'merge') {
      const into = String(c.payload.intoCode);
      if (!(await io.mergeTargetOpen(code, into))) {
        await k.audit('feedback.merge_refused', c.actor, null, { intoCode: into, reason: 'target is not open feedback' });
        continue;
      }
      await k.stopClock('transfer');
      await status('merged', { merged_into: into });
      await notify.notifySubmitter(code, 'merged', into);
      return end('merged');
    }
    if (c.outcome === 'not_accepted') {
      const reason = String(c.payload.reason);
      await k.stopClock('transfer');
      await status('not_accepted', { class: 1, not_accepted_reason: reason });
      await notify.notifySubmitter(code, 'not_accepted', reason);
      return end('not_accepted');
    }
    competent = c.outcome === 'within' ? input.receivingAgencyId : String(c.payload.competentAgencyId);
    k.agencyId = competent;
    await status('transferring', { class: CLASS[c.outcome as keyof typeof CLASS], competent_agency_id: competent });
    const a = await k.task({
      step: 'accept',
      title: 'Tiếp nhận phản ánh, kiến nghị được chuyển đến',
      agencyId: competent,
      candidateRole: 'officer',
      outcomes: ['accept', 'send_back'],
      clockId: 'transfer',
      requires: { send_back: ['reason'] },
    });
    if (a.outcome === 'accept') break;
    await k.audit('feedback.sent_back', a.actor, { competentAgencyId: competent }, { reason: String(a.payload.reason) });
  }
  await k.stopClock('transfer');

  // 2. Answer, approval and quality check; a returned answer gets a new limit.
  let clockId = 'answer';
  k.startClock(clockId, { workingDays: k.policyDays('feedback.answer'), title: `Trả lời phản ánh ${code}`, agencyId: competent });
  let clarifications = 0;
  for (let round = 1; ; round++) {
    let answer = '';
    for (;;) {
      await status('answering');
      const d = await k.task({
        step: 'draft',
        title: 'Dự thảo trả lời phản ánh, kiến nghị',
        agencyId: competent,
        candidateRole: 'officer',
        outcomes: ['submit', 'request_clarification'],
        clockId,
        requires: { submit: ['answer'], request_clarification: ['question'] },
      });
      if (d.outcome === 'submit') {
        answer = String(d.payload.answer);
      } else {
        clarifications++;
        await k.pauseClock(clockId, 'waiting for the submitter');
        await status('awaiting_clarification');
        await notify.notifySubmitter(code, 'clarification', String(d.payload.question), clarifications);
        const now = Date.now();
        const limitMs = endOfDay(k.calendar.addWorkingDays(localDay(now), k.policyDays('feedback.clarificationWait'))) - now;
        const replied = await k.waitUntil(() => replies.length > 0, limitMs);
        await k.audit(replied ? 'feedback.clarified' : 'feedback.clarification_expired', { sub: 'system', role: 'admin' }, null, replied ? { reply: replies.join('\n') } : null);
        replies.length = 0;
        await k.resumeClock(clockId);
        continue;
      }
      await status('approving');
      const ap = await k.task({ step: 'approve', title: 'Phê duyệt trả lời phản ánh, kiến nghị', agencyId: competent, candidateRole: 'supervisor', outcomes: ['approve', 'revise'], clockId });
      if (ap.outcome === 'approve') break;
    }
    const onTime = Date.now() < k.dueAtMs(clockId);
    await k.stopClock(clockId);
    await status('checking', { answer, answered_at: new Date().toISOString(), answered_on_time: onTime });
    const q = await k.task({
      step: 'check',
      title: 'Kiểm tra chất lượng trả lời trước khi công khai',
      agencyId: operator,
      candidateRole: 'operator',
      outcomes: ['accept', 'return'],
      requires: { return: ['reason'] },
    });
    if (q.outcome === 'accept') break;
    await k.audit('feedback.answer_returned', q.actor, null, { reason: String(q.payload.reason), round });
    clockId = `reanswer-${round}`;
    k.startClock(clockId, { workingDays: k.policyDays('feedback.reanswer'), title: `Trả lời lại phản ánh ${code}`, agencyId: competent });
  }

  // 3. Publication.
  await status('published', { published_at: new Date().toISOString() });
  await notify.notifySubmitter(code, 'published');
  await notify.notifyMergedSubmitters(code);
  return end('published');
}
