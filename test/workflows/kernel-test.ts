/**
 * A test workflow (not a product feature) that exercises the case kernel: one clock, a review
 * task during which the clock may be extended once (by signal), then optionally an approval task
 * for a supervisor.
 */
import { defineSignal, setHandler } from '@temporalio/workflow';
import { CaseKernel } from '../../workflows/lib/kernel';

export interface KernelTestInput {
  caseId: string;
  agencyId: string;
  workingDays: number;
  withApproval?: boolean;
}

export const extendSignal = defineSignal<[{ byWorkingDays: number; reason: string }]>('extendTestClock');

export async function kernelTestWorkflow(input: KernelTestInput) {
  const k = new CaseKernel('test', input.caseId, input.agencyId);
  const extensions: Array<{ byWorkingDays: number; reason: string }> = [];
  setHandler(extendSignal, (e) => void extensions.push(e));
  await k.init(Date.now(), { caseId: input.caseId });
  k.startClock('handling', { workingDays: input.workingDays, title: `Xử lý hồ sơ thử nghiệm ${input.caseId}`, maxExtensions: 1 });
  const review = await k.openTask({ step: 'review', title: 'Xem xét hồ sơ thử nghiệm', candidateRole: 'officer', outcomes: ['approve', 'reject'], clockId: 'handling' });
  for (;;) {
    await k.waitUntil(() => k.decisionOf(review.taskId) !== undefined || extensions.length > 0);
    const e = extensions.shift();
    if (!e) break;
    if (k.canExtendClock('handling')) await k.extendClock('handling', { byWorkingDays: e.byWorkingDays, reason: e.reason });
    else await k.audit('clock.extension.refused', { sub: 'system', role: 'admin' }, null, { clock: 'handling', reason: e.reason });
  }
  const decision = k.decisionOf(review.taskId)!;
  if (decision.outcome === 'approve' && input.withApproval) {
    await k.task({ step: 'approve', title: 'Phê duyệt hồ sơ thử nghiệm', candidateRole: 'supervisor', outcomes: ['sign', 'return'] });
  }
  await k.stopClock('handling');
  return k.finish(decision.outcome === 'approve' ? 'approved' : 'rejected');
}
