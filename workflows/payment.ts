/**
 * Online payments (QĐ 31/2021 Chapter V).
 *
 * - `paymentWorkflow`, one per payment request (ID `payment:<reference>`): sends the request to the
 *   provider the payer chose (update-with-start, so the API answers with the payment page at once),
 *   then takes the provider's verified callbacks in any order and any number of times — a payment
 *   is paid once, a late "failed" after "paid" changes nothing — and tells the waiting dossier.
 *   Unpaid at the end of its validity it expires; paid, it can be refunded for a while.
 * - `reconciliationWorkflow`, per provider per business day (a Temporal Schedule starts it daily
 *   for the previous day; an operator or a late statement re-runs it): fetches and reconciles the
 *   statement, waits (with supervisors alerted by the close-by clock) while the statement is
 *   missing or malformed, and opens one `paymentInquiryWorkflow` per exception.
 * - `paymentInquiryWorkflow` (tra soát), ID `inquiry:<provider>:<date>:<kind>:<key>`: an officer
 *   task with a deadline (policy, working days) and the kernel's escalation; resolved with
 *   evidence, or cleared when a re-run no longer finds the difference.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Activities } from '../activities';
import type { ReconcileResult } from '../activities/payments';
import { ACTIVITY_IO } from '../temporal.config';
import { DAY_MS } from '../domain/calendar/days';
import { policyTimeOfDayMs } from '../domain/policies';
import {
  INQUIRY_RESOLUTIONS,
  previousBusinessDate,
  reconciliationWindow,
  type CallbackOutcome,
  type ExceptionKind,
  type PaymentStatus,
} from '../domain/payments';
import type { Actor } from '../domain/roles';
import { dossierPaidSignal } from './dossier';
import { CaseKernel, updateArrived } from './lib/kernel';

const io = proxyActivities<Activities>(ACTIVITY_IO);
/** Statement fetching and matching can take minutes on a large day. */
const reconcile = proxyActivities<Activities>({ ...ACTIVITY_IO, startToCloseTimeout: '30 minutes' });
/** The payer is waiting for the payment page: a few quick attempts, then the API answers 503. */
const checkoutIo = proxyActivities<Activities>({ startToCloseTimeout: '15 seconds', retry: { initialInterval: '500 milliseconds', maximumAttempts: 3 } });

// ---- paymentWorkflow ---------------------------------------------------------------------------

export interface PaymentInput {
  reference: string;
  provider: string;
  agencyId: string;
  amountVnd: number;
  dossierCode?: string;
  createdAtMs: number;
}

/** A provider callback the API verified (signature, freshness, replay) and recorded. */
export interface ProviderCallback {
  callbackId: number;
  outcome: CallbackOutcome;
  providerTxnId: string;
  amountVnd: number;
  atMs: number;
}

export interface PaymentView {
  reference: string;
  status: PaymentStatus;
  payUrl?: string;
  providerTxnId?: string;
  paidAt?: string;
  expiresAt: string;
}

export const paymentCheckoutUpdate = defineUpdate<{ payUrl: string; providerTxnId: string }, []>('paymentCheckout');
export const paymentCallbackSignal = defineSignal<[ProviderCallback]>('paymentCallback');
export const paymentRefundUpdate = defineUpdate<PaymentView, [{ actor: Actor; reason: string }]>('paymentRefund');
export const paymentViewQuery = defineQuery<PaymentView>('paymentView');

export async function paymentWorkflow(input: PaymentInput): Promise<PaymentView> {
  const { reference } = input;
  const k = new CaseKernel('payment', reference, input.agencyId);
  let status: PaymentStatus = 'pending';
  let checkout: Promise<{ payUrl: string; providerTxnId: string }> | undefined;
  let payUrl: string | undefined;
  let providerTxnId: string | undefined;
  let paidAtMs: number | undefined;
  let expiresAtMs = input.createdAtMs + DAY_MS; // replaced from the pinned policy at init
  const callbacks: ProviderCallback[] = [];
  let refund: { actor: Actor; reason: string } | undefined;
  let refundError: string | undefined;

  const view = (): PaymentView => ({
    reference,
    status,
    payUrl,
    providerTxnId,
    paidAt: paidAtMs !== undefined ? new Date(paidAtMs).toISOString() : undefined,
    expiresAt: new Date(expiresAtMs).toISOString(),
  });
  setHandler(paymentViewQuery, view);
  setHandler(paymentCallbackSignal, (c) => void callbacks.push(c));
  setHandler(paymentCheckoutUpdate, async () => {
    updateArrived();
    await condition(() => k.policy !== undefined);
    checkout ??= checkoutIo.requestCheckout(reference).then(
      (r) => {
        payUrl = r.payUrl;
        providerTxnId ??= r.providerTxnId;
        return r;
      },
      (err: unknown) => {
        checkout = undefined; // the next attempt asks the provider again
        throw ApplicationFailure.create({ type: 'ProviderUnavailable', message: `The payment provider did not answer: ${String(err)}`, nonRetryable: true });
      },
    );
    return checkout;
  }, {
    validator: () => {
      if (status !== 'pending' && status !== 'failed') throw ApplicationFailure.create({ type: 'WrongStep', message: `The payment is ${status}.`, nonRetryable: true });
    },
  });
  setHandler(
    paymentRefundUpdate,
    async (r) => {
      updateArrived();
      refund = r;
      await condition(() => status !== 'paid' || refundError !== undefined);
      if (refundError) throw ApplicationFailure.create({ type: 'WrongStep', message: `The provider refused the refund: ${refundError}`, nonRetryable: true });
      return view();
    },
    {
      validator: (_r) => {
        if (status !== 'paid' || refund) throw ApplicationFailure.create({ type: 'WrongStep', message: `Only a paid payment can be refunded; this one is ${status}${refund ? ' (refund requested)' : ''}.`, nonRetryable: true });
      },
    },
  );

  await k.init(input.createdAtMs, { reference, provider: input.provider, amountVnd: input.amountVnd, dossierCode: input.dossierCode ?? null });
  expiresAtMs = input.createdAtMs + k.policyDays('payment.requestValidity') * DAY_MS;
  k.status = status;

  /** Applies the callbacks received so far, in arrival order; each changes the state at most once. */
  const apply = async () => {
    while (callbacks.length) {
      const c = callbacks.shift()!;
      const before = status;
      if (c.outcome === 'paid' && (status === 'pending' || status === 'failed' || status === 'expired')) {
        status = 'paid';
        paidAtMs = c.atMs;
        providerTxnId = c.providerTxnId;
        await io.recordPayment({ reference, status, providerTxnId, paidAtMs });
        await k.audit('payment.paid', { sub: `provider:${input.provider}`, role: 'admin' }, { status: before }, { status, providerTxnId, callbackId: c.callbackId, amountVnd: c.amountVnd });
        if (input.dossierCode) {
          try {
            await getExternalWorkflowHandle(input.dossierCode).signal(dossierPaidSignal, { reference, amountVnd: c.amountVnd });
          } catch (err) {
            await k.audit('payment.dossier_not_waiting', { sub: 'system', role: 'admin' }, null, { dossierCode: input.dossierCode, error: String(err) });
          }
        }
      } else if (c.outcome === 'failed' && status === 'pending') {
        status = 'failed';
        await io.recordPayment({ reference, status });
        await k.audit('payment.failed', { sub: `provider:${input.provider}`, role: 'admin' }, { status: before }, { status, callbackId: c.callbackId });
      } else if (c.outcome === 'refunded' && (status === 'paid' || status === 'refund_requested')) {
        status = 'refunded';
        await io.recordPayment({ reference, status, refundedAtMs: c.atMs });
        await k.audit('payment.refunded', { sub: `provider:${input.provider}`, role: 'admin' }, { status: before }, { status, callbackId: c.callbackId });
      } else {
        await k.audit('payment.callback_ignored', { sub: `provider:${input.provider}`, role: 'admin' }, null, { status, outcome: c.outcome, callbackId: c.callbackId });
      }
      k.status = status;
    }
  };

  // Pending: until paid or expired (a "failed" may still be followed by a "paid": keep listening).
  await k.waitUntil(() => callbacks.length > 0 || status === 'paid', Math.max(0, expiresAtMs - Date.now()));
  const paid = () => status === 'paid'; // (a function: the handlers change `status` behind the compiler's back)
  for (;;) {
    await apply();
    if (paid() || Date.now() >= expiresAtMs) break;
    await k.waitUntil(() => callbacks.length > 0, Math.max(0, expiresAtMs - Date.now()));
  }
  if (!paid()) {
    if ((status as PaymentStatus) === 'pending') {
      status = 'expired';
      k.status = status;
      await io.recordPayment({ reference, status });
      await k.audit('payment.expired', { sub: 'system', role: 'admin' }, { status: 'pending' }, { status });
    }
    await k.finish(status);
    return view();
  }

  // Paid: refundable through the portal for the refund window.
  const refundUntil = paidAtMs! + k.policyDays('payment.refundWindow') * DAY_MS;
  for (;;) {
    await k.waitUntil(() => refund !== undefined || callbacks.length > 0, Math.max(0, refundUntil - Date.now()));
    await apply();
    if (refund || !paid() || Date.now() >= refundUntil) break;
  }
  if (refund && paid()) {
    try {
      await io.requestRefund(reference);
    } catch (err) {
      refundError = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause.message : String(err);
      await k.audit('payment.refund_refused', refund.actor, null, { reason: refund.reason, error: refundError });
    }
    if (!refundError) {
      status = 'refund_requested';
      k.status = status;
      await io.recordPayment({ reference, status });
      await k.audit('payment.refund_requested', refund.actor, { status: 'paid' }, { status, reason: refund.reason });
      // The provider confirms by a callback; reconciliation catches one that never comes.
      const until = Date.now() + 7 * DAY_MS;
      while ((status as PaymentStatus) === 'refund_requested' && Date.now() < until) {
        await k.waitUntil(() => callbacks.length > 0, until - Date.now());
        await apply();
      }
    }
  }
  await k.finish(status);
  return view();
}

// ---- paymentInquiryWorkflow -----------------------------------------------------------------

export interface InquiryInput {
  inquiryId: string;
  provider: string;
  businessDate: string;
  kind: ExceptionKind;
  key: string;
  agencyId: string;
  detail: string;
  reference?: string;
}

/** A re-run of the day no longer finds the difference. */
export const inquiryClearedSignal = defineSignal('inquiryCleared');

const KIND_VN: Record<ExceptionKind, string> = {
  unknown_to_portal: 'có tại ngân hàng, không có trên Cổng',
  missing_from_statement: 'có trên Cổng, không có trong sao kê',
  amount_mismatch: 'lệch số tiền',
  duplicate: 'trùng giao dịch',
  status_mismatch: 'lệch trạng thái',
  late: 'ngoài thời điểm chốt số liệu',
};

export async function paymentInquiryWorkflow(input: InquiryInput): Promise<{ status: string; resolution?: string }> {
  const k = new CaseKernel('payment_inquiry', input.inquiryId, input.agencyId);
  let cleared = false;
  setHandler(inquiryClearedSignal, () => void (cleared = true));
  await k.init(Date.now(), { ...input });
  k.data = { provider: input.provider, businessDate: input.businessDate, kind: input.kind, key: input.key, detail: input.detail, reference: input.reference ?? null };
  k.status = 'open';
  k.startClock('inquiry', { workingDays: k.policyDays('reconciliation.inquiry'), title: `Tra soát giao dịch ${input.key}` });
  const t = await k.openTask({
    step: 'resolve_inquiry',
    title: `Tra soát giao dịch ${input.key} (${input.provider}, ngày ${input.businessDate}): ${KIND_VN[input.kind]}`,
    candidateRole: 'officer',
    outcomes: [...INQUIRY_RESOLUTIONS],
    clockId: 'inquiry',
    requires: Object.fromEntries(INQUIRY_RESOLUTIONS.map((r) => [r, ['evidence']])),
  });
  await k.waitUntil(() => cleared || k.decisionOf(t.taskId) !== undefined);
  const d = k.decisionOf(t.taskId);
  if (!d) {
    await k.cancelTask(t.taskId);
    await k.audit('inquiry.cleared', { sub: 'system', role: 'admin' }, null, { reason: 'a re-run of the day no longer finds the difference' });
    await k.finish('cleared');
    return { status: 'cleared' };
  }
  await io.resolveReconciliationException({ inquiryId: input.inquiryId, resolution: d.outcome, evidence: String(d.payload.evidence), resolvedBy: d.actor.sub, atMs: d.atMs });
  await k.audit('inquiry.resolved', d.actor, null, { resolution: d.outcome, evidence: String(d.payload.evidence) });
  await k.finish('resolved');
  return { status: 'resolved', resolution: d.outcome };
}

// ---- reconciliationWorkflow -----------------------------------------------------------------

export interface ReconciliationInput {
  provider: string;
  /** The business day; absent when a schedule starts it: the local day before the start. */
  businessDate?: string;
}

/** Re-run the day now (an operator, or a statement that arrived late). */
export const reconciliationRerunSignal = defineSignal('reconciliationRerun');

/** How often a day waiting for its statement looks again, and for how long before it gives up (a re-run resumes it). */
const STATEMENT_POLL_MS = 3600_000;
const MAX_STATEMENT_POLLS = 7 * 24;

export async function reconciliationWorkflow(input: ReconciliationInput): Promise<{ status: string; businessDate: string; matched?: number; exceptions?: number }> {
  // A schedule names its runs `<workflow ID>-<scheduled time>`: the day follows the scheduled time,
  // not the start (a run caught up late still reconciles its own day).
  const scheduled = /-(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)$/.exec(workflowInfo().workflowId);
  const businessDate = input.businessDate ?? previousBusinessDate(scheduled ? Date.parse(scheduled[1]!) : Date.now());
  const agency = await io.operatorAgency();
  const k = new CaseKernel('reconciliation', `${input.provider}:${businessDate}`, agency);
  let rerun = false;
  setHandler(reconciliationRerunSignal, () => void (rerun = true));
  await k.init(Date.now(), { provider: input.provider, businessDate });
  const window = reconciliationWindow(businessDate, policyTimeOfDayMs(k.policy!, 'reconciliation.cutoff'));
  k.startClock('close', {
    workingDays: k.policyDays('reconciliation.closeBy'),
    title: `Đối soát giao dịch thanh toán ${input.provider} ngày ${businessDate}`,
    thresholds: [{ kind: 'due' }, { kind: 'overdue' }, { kind: 'escalate', afterWorkingDays: k.policyDays('escalation.afterOverdue') }],
  });
  const request = { provider: input.provider, businessDate, ...window };

  /** Reconciles until the statement is there and well-formed; undefined: gave up waiting. */
  const reconciled = async (): Promise<Extract<ReconcileResult, { kind: 'reconciled' }> | undefined> => {
    for (let poll = 0; ; poll++) {
      rerun = false;
      const r = await reconcile.reconcileStatement(request);
      if (r.kind === 'reconciled') return r;
      k.status = r.kind === 'rejected' ? 'statement_rejected' : 'waiting_statement';
      k.data = { businessDate, problems: r.kind === 'rejected' ? r.problems.slice(0, 20) : undefined, detail: r.kind === 'unavailable' ? r.detail : undefined };
      if (r.kind === 'unavailable') await io.markReconciliationWaiting(request);
      if (poll === 0 || r.kind === 'rejected') await k.audit(`reconciliation.${k.status}`, { sub: 'system', role: 'admin' }, null, { problems: r.kind === 'rejected' ? r.problems.length : 0 });
      if (poll >= MAX_STATEMENT_POLLS) return undefined;
      await k.waitUntil(() => rerun, STATEMENT_POLL_MS);
    }
  };

  // A re-run asked for while a run is being processed runs once more before the workflow ends.
  let result: Extract<ReconcileResult, { kind: 'reconciled' }> | undefined;
  do {
    result = await reconciled();
    if (!result) {
      await k.finish('not_closed');
      return { status: 'not_closed', businessDate };
    }
    if (k.clock('close').stoppedAtMs === undefined) await k.stopClock('close');
    for (const e of result.exceptions) {
      try {
        await startChild(paymentInquiryWorkflow, {
          workflowId: e.inquiryId,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          parentClosePolicy: ParentClosePolicy.ABANDON,
          args: [{ inquiryId: e.inquiryId, provider: input.provider, businessDate, kind: e.kind, key: e.key, agencyId: e.agencyId, detail: e.detail, reference: e.reference }],
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err; // opened by an earlier run of the day
      }
    }
    for (const id of result.cleared) {
      try {
        await getExternalWorkflowHandle(id).signal(inquiryClearedSignal);
      } catch {
        // Already resolved and closed: the resolution stands.
      }
    }
    k.data = { businessDate, lines: result.lines, matched: result.matched, exceptions: result.exceptions.length, cleared: result.cleared.length, unchanged: result.unchanged };
    await k.audit('reconciliation.closed', { sub: 'system', role: 'admin' }, null, { ...k.data });
  } while (rerun);
  const status = result.exceptions.length ? 'closed_with_exceptions' : 'closed';
  await k.finish(status);
  return { status, businessDate, matched: result.matched, exceptions: result.exceptions.length };
}
