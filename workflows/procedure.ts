/**
 * procedureWorkflow — one version of an administrative procedure in the national catalogue
 * (QĐ 31/2021 Art 16; Decree 63/2010 Arts 8, 15, 24, 25 as amended). ID: `procedure:<code>:v<n>`.
 *
 * 1. Draft: an agency officer enters the announcement decision and the content (edits go through
 *    the `editProcedureDraft` update), then submits it.
 * 2. Review: a second person checks it against the decision and publishes it or returns it with
 *    comments; nobody who entered or edited the version may review it (four eyes).
 * 3. The publication limit runs from the decision's signing day: 10 / 5 / 2 working days by signer
 *    level (policy); reminders and overdue alerts come from the kernel clock.
 * 4. In force on its effective date (a durable timer; never before publication), replacing the
 *    previous version from that day; the previous version's workflow is told and ends.
 * 5. Periodic review (rà soát) every `procedure.reviewInterval` months while in force: keep, amend
 *    (opens the next version as a draft) or abolish (withdrawal with its own decision and
 *    effective date). A withdrawal can also come from the API (`withdrawProcedure`).
 */
import {
  ApplicationFailure,
  ParentClosePolicy,
  condition,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  startChild,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { ACTIVITY_IO } from '../temporal.config';
import { addMonths, formatDate, localDay, parseDate, startOfDay } from '../domain/calendar/days';
import {
  decisionProblems,
  procedureCaseId,
  procedureWorkflowId,
  PUBLICATION_POLICY_KEY,
  type AnnouncementDecision,
  type ProcedureRecord,
  type WithdrawalDecision,
} from '../domain/procedures';
import type { Actor } from '../domain/roles';
import type { Refusal } from '../domain/tasks';
import { CaseKernel, updateArrived } from './lib/kernel';

const io = proxyActivities<Activities>(ACTIVITY_IO);

export interface ProcedureInput {
  code: string;
  version: number;
  /** The agency that announces and maintains the procedure. */
  agencyId: string;
  enteredBy: string;
  decision: AnnouncementDecision | null;
  /** `entry`: draft → review → publication. `imported`: published elsewhere; straight to its effective date. */
  mode: 'entry' | 'imported';
}

interface Acting {
  actor: Actor;
  /** Agencies the actor may act for, resolved by the API. */
  actorScope: string[];
}
export interface EditDraftInput extends Acting {
  record: ProcedureRecord;
  decision: AnnouncementDecision | null;
}
export interface WithdrawInput extends Acting {
  withdrawal: WithdrawalDecision;
}
export interface ProcedureAnswer {
  code: string;
  version: number;
  status: string;
}

export const editProcedureDraftUpdate = defineUpdate<ProcedureAnswer, [EditDraftInput]>('editProcedureDraft');
export const withdrawProcedureUpdate = defineUpdate<ProcedureAnswer, [WithdrawInput]>('withdrawProcedure');
/** Sent by the successor's workflow when it comes into force. */
export const procedureSupersededSignal = defineSignal<[{ by: number; on: string }]>('procedureSuperseded');

function refuse(code: Refusal['code'], message: string): never {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true });
}

/** Officials of the maintaining agency (or above it), operators and admins may act on its procedures. */
function entitled(a: Acting, agencyId: string): boolean {
  return a.actor.role === 'admin' || a.actor.role === 'operator' || (['officer', 'supervisor'].includes(a.actor.role) && a.actorScope.includes(agencyId));
}

export async function procedureWorkflow(input: ProcedureInput): Promise<ProcedureAnswer> {
  const { code, version } = input;
  const k = new CaseKernel('procedure', procedureCaseId(code, version), input.agencyId);
  let decision = input.decision;
  const editors = new Set([input.enteredBy]);
  let withdrawal: WithdrawalDecision | undefined;
  let superseded: { by: number; on: string } | undefined;
  let clockKey: string | undefined;
  let ready = false;
  const answer = (): ProcedureAnswer => ({ code, version, status: k.status });
  const setStatus = async (status: 'draft' | 'in_review' | 'returned' | 'discarded' | 'published', patch: Parameters<typeof io.setProcedureStatus>[2] = {}) => {
    k.status = status;
    await io.setProcedureStatus(code, version, { status, ...patch });
  };
  const syncData = () => {
    k.data = { code, version, decision, editors: [...editors], withdrawal: withdrawal ?? null, supersededBy: superseded?.by ?? null };
  };

  /** The publication limit runs from the signing day; a corrected decision restarts it. */
  const publicationClock = async () => {
    if (!decision) return;
    const key = `${decision.signerLevel}@${decision.signedOn}`;
    if (key === clockKey) return;
    const o = { workingDays: k.policyDays(PUBLICATION_POLICY_KEY[decision.signerLevel]), title: `Công khai thủ tục hành chính ${code} (Quyết định ${decision.number})`, atMs: startOfDay(parseDate(decision.signedOn)) };
    if (clockKey === undefined) k.startClock('publication', o);
    else await k.restartClockAt('publication', o);
    clockKey = key;
  };

  setHandler(
    editProcedureDraftUpdate,
    async (i) => {
      updateArrived();
      await condition(() => ready); // an edit may arrive before the case has pinned its policy
      editors.add(i.actor.sub);
      decision = i.decision;
      syncData();
      await io.saveProcedureDraft(code, version, { record: i.record, decision, editors: [...editors] });
      await k.audit('procedure.edited', i.actor, null, { decision });
      await publicationClock();
      return answer();
    },
    {
      validator: (i) => {
        const editableNow = input.mode === 'entry' && (!ready || k.status === 'draft' || k.status === 'returned');
        if (!editableNow) refuse('WrongStep', `Version ${version} of ${code} is ${k.status}: only a draft or a returned version can be edited.`);
        if (!entitled(i, input.agencyId)) refuse('NotEntitled', `Procedures of ${input.agencyId} are edited by that agency.`);
        if (i.record.code !== code || i.record.agencyId !== input.agencyId) refuse('InvalidPayload', 'The code and the maintaining agency of a version cannot change.');
        if (i.decision && decisionProblems(i.decision).length) refuse('InvalidPayload', decisionProblems(i.decision).join('; '));
      },
    },
  );
  setHandler(
    withdrawProcedureUpdate,
    async (i) => {
      updateArrived();
      withdrawal = i.withdrawal;
      syncData();
      await k.audit('procedure.withdrawal_decided', i.actor, null, { ...i.withdrawal });
      return answer();
    },
    {
      validator: (i) => {
        if (k.status !== 'published' && k.status !== 'in_force') refuse('WrongStep', `Version ${version} of ${code} is ${k.status}: only a published or in-force version can be withdrawn.`);
        if (withdrawal) refuse('WrongStep', `A withdrawal (Quyết định ${withdrawal.number}) is already pending.`);
        if (!entitled(i, input.agencyId) || i.actor.role === 'officer') refuse('NotEntitled', 'A withdrawal is entered by a supervisor of the maintaining agency or by the portal operator.');
        const problems = decisionProblems(i.withdrawal);
        if (problems.length) refuse('InvalidPayload', problems.join('; '));
        if (parseDate(i.withdrawal.effectiveOn) < localDay(Date.now())) refuse('InvalidPayload', 'effectiveOn: a withdrawal cannot take effect in the past.');
      },
    },
  );
  setHandler(procedureSupersededSignal, (s) => {
    superseded = s;
    syncData();
  });

  syncData();
  await k.init(Date.now(), { code, version, mode: input.mode });
  k.status = input.mode === 'entry' ? 'draft' : 'published';
  ready = true;

  // 1–3. Draft, four-eyes review, publication against the limit from the decision's signing.
  if (input.mode === 'entry') {
    await publicationClock();
    for (;;) {
      const s = await k.task({
        step: 'submit',
        title: `Nhập, trình kiểm soát thủ tục hành chính ${code}`,
        candidateRole: 'officer',
        outcomes: ['submit', 'discard'],
        clockId: decision ? 'publication' : undefined,
        check: ({ outcome }) => (outcome === 'submit' && !decision ? { code: 'InvalidPayload', message: 'Enter the announcement decision before submitting.' } : undefined),
      });
      if (s.outcome === 'discard') {
        await setStatus('discarded');
        await k.finish('discarded');
      return answer();
      }
      editors.add(s.actor.sub);
      syncData();
      await setStatus('in_review');
      const r = await k.task({
        step: 'review',
        title: `Kiểm soát, đối chiếu thủ tục hành chính ${code} với quyết định công bố`,
        candidateRole: 'supervisor',
        outcomes: ['publish', 'return'],
        clockId: 'publication',
        requires: { return: ['comments'] },
        check: ({ actor }) =>
          editors.has(actor.sub) ? { code: 'NotEntitled', message: 'Four eyes: whoever entered or edited this version may not review it.' } : undefined,
      });
      if (r.outcome === 'return') {
        await setStatus('returned', { review_comments: String(r.payload.comments) });
        await k.audit('procedure.returned', r.actor, null, { comments: String(r.payload.comments) });
        continue;
      }
      const onTime = Date.now() < k.dueAtMs('publication');
      await k.stopClock('publication');
      await setStatus('published', { reviewed_by: r.actor.sub, published_at: new Date().toISOString(), published_on_time: onTime });
      await k.audit('procedure.published', r.actor, null, { onTime, dueDate: formatDate(localDay(k.dueAtMs('publication') - 1)) });
      break;
    }
  }
  if (!decision) throw ApplicationFailure.nonRetryable('a published version needs its announcement decision');

  // 4. In force on the effective date, not before. Entered here: not before publication either (a
  //    dossier received before then followed the previous version). Imported: from its own date.
  const effectiveDay = input.mode === 'imported' ? parseDate(decision.effectiveOn) : Math.max(parseDate(decision.effectiveOn), localDay(Date.now()));
  const beforeEffect = startOfDay(effectiveDay) - Date.now();
  if (beforeEffect > 0) await condition(() => withdrawal !== undefined && parseDate(withdrawal.effectiveOn) <= effectiveDay, beforeEffect);
  if (withdrawal && parseDate(withdrawal.effectiveOn) <= effectiveDay) {
    // Withdrawn before it took effect: it never comes into force.
    await waitForDay(parseDate(withdrawal.effectiveOn));
    return retire(withdrawal);
  }
  const { replaced } = await io.activateProcedure(code, version, formatDate(effectiveDay));
  k.status = 'in_force';
  await k.audit('procedure.in_force', { sub: 'system', role: 'admin' }, null, { from: formatDate(effectiveDay), replaced: replaced ?? null });
  if (replaced !== undefined) {
    try {
      await getExternalWorkflowHandle(procedureWorkflowId(code, replaced)).signal(procedureSupersededSignal, { by: version, on: formatDate(effectiveDay) });
    } catch {
      // The replaced version has no running workflow (it ended or was imported before workflows): nothing to tell.
    }
  }

  // 5. Periodic review while in force; superseded or withdrawn ends it.
  const interval = k.policyDays('procedure.reviewInterval');
  let nextReview = addMonths(effectiveDay, interval);
  for (let round = 1; ; round++) {
    const ended = () => superseded !== undefined || withdrawal !== undefined;
    const untilReview = startOfDay(nextReview) - Date.now();
    if (untilReview > 0) await condition(ended, untilReview);
    if (superseded) {
      k.status = 'superseded';
      await k.audit('procedure.superseded', { sub: 'system', role: 'admin' }, null, { ...superseded });
      await k.finish('superseded');
      return answer();
    }
    if (withdrawal) {
      const w: WithdrawalDecision = withdrawal;
      await waitForDay(parseDate(w.effectiveOn), () => superseded !== undefined);
      if (superseded) continue;
      return retire(w);
    }
    const t = await k.openTask({
      step: 'periodic-review',
      title: `Rà soát định kỳ thủ tục hành chính ${code} (lần ${round})`,
      candidateRole: 'supervisor',
      outcomes: ['keep', 'amend', 'abolish'],
      requires: { amend: ['reason'], abolish: ['decisionNumber', 'signedOn', 'effectiveOn', 'reason'] },
      check: ({ outcome, payload }) => {
        if (outcome !== 'abolish') return undefined;
        const problems = decisionProblems({ signedOn: String(payload.signedOn), effectiveOn: String(payload.effectiveOn) });
        if (!problems.length && parseDate(String(payload.effectiveOn)) < localDay(Date.now())) problems.push('effectiveOn: a withdrawal cannot take effect in the past');
        return problems.length ? { code: 'InvalidPayload', message: problems.join('; ') } : undefined;
      },
    });
    await k.waitUntil(() => k.decisionOf(t.taskId) !== undefined || ended());
    const d = k.decisionOf(t.taskId);
    nextReview = addMonths(nextReview, interval);
    if (!d) {
      await k.cancelTask(t.taskId);
      continue;
    }
    await k.audit('procedure.reviewed', d.actor, null, { round, outcome: d.outcome, reason: d.payload.reason ?? null });
    if (d.outcome === 'amend') {
      const next = await io.openProcedureAmendment(code, version, d.actor.sub);
      try {
        await startChild(procedureWorkflow, {
          workflowId: procedureWorkflowId(code, next.version),
          parentClosePolicy: ParentClosePolicy.ABANDON,
          args: [{ code, version: next.version, agencyId: input.agencyId, enteredBy: d.actor.sub, decision: null, mode: 'entry' }],
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      await k.audit('procedure.amendment_opened', d.actor, null, { version: next.version, created: next.created });
    } else if (d.outcome === 'abolish') {
      withdrawal = { number: String(d.payload.decisionNumber), signedOn: String(d.payload.signedOn), effectiveOn: String(d.payload.effectiveOn), reason: String(d.payload.reason) };
      syncData();
    }
  }

  async function waitForDay(day: number, stop: () => boolean = () => false): Promise<void> {
    const ms = startOfDay(day) - Date.now();
    if (ms > 0) await condition(stop, ms);
  }

  async function retire(w: WithdrawalDecision): Promise<ProcedureAnswer> {
    await io.withdrawProcedure(code, version, w);
    k.status = 'withdrawn';
    await k.audit('procedure.withdrawn', { sub: 'system', role: 'admin' }, null, { ...w });
    await k.finish('withdrawn');
      return answer();
  }
}
