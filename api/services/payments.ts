/**
 * Payment requests and provider callbacks.
 *
 * A request: the reference and the row are written in one transaction with the Idempotency-Key
 * (a retried request gets the same payment), then `paymentWorkflow` is started and asked for the
 * payment page in one call (update-with-start), so the payer is redirected at once.
 *
 * A callback is verified before anything else: known provider, HMAC-SHA256 over
 * `<timestamp>.<nonce>.<raw body>` with the provider's secret (constant-time compare), timestamp
 * within the tolerance, nonce never seen (replay), known payment, amount equal to the request.
 * Every callback is recorded with its verdict; only accepted ones reach the workflow, which
 * applies each outcome at most once whatever the order.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowIdConflictPolicy, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { intakeStore, requestHash } from '../../db/intake-store';
import type { Db } from '../../db/knex';
import { paymentStore, type CallbackVerdict } from '../../db/payment-store';
import { DAY_MS, formatDate, localDay } from '../../domain/calendar/days';
import { policyNumber } from '../../domain/policies';
import { callbackSigningInput, paymentWorkflowId } from '../../domain/payments';
import { paymentCallbackSignal, paymentCheckoutUpdate, paymentWorkflow } from '../../workflows/payment';
import { InputError, UnavailableError } from '../errors';
import type { LegalTimeService } from './legal-time';
import { refusalOf } from './refusals';

export interface PaymentRequestBody {
  provider: string;
  agencyId: string;
  transactionType: string;
  amountVnd: number;
  description: string;
  dossierCode?: string;
}

export interface PaymentAnswer {
  reference: string;
  status: string;
  amountVnd: number;
  provider: string;
  payUrl: string;
  expiresAt: string;
}

const BASE32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function randomSuffix(): string {
  return [...randomBytes(6)].map((b) => BASE32[b % 32]).join('');
}

export function paymentService(deps: { db: Db; temporal: Client; taskQueue: string; legalTime: LegalTimeService; callbackToleranceSeconds: number }) {
  const store = paymentStore(deps.db);
  const intake = intakeStore(deps.db);

  return {
    async create(o: { actorSub: string; key?: string; body: PaymentRequestBody; nowMs?: number }): Promise<{ statusCode: number; body: PaymentAnswer }> {
      const now = o.nowMs ?? Date.now();
      const { body } = o;
      const provider = await store.provider(body.provider);
      if (!provider?.active) throw new InputError('Unknown payment provider.', [{ path: 'body.provider', message: 'not offered' }]);
      if (!(await deps.db('agencies').where({ id: body.agencyId }).first('id'))) throw new InputError('Unknown agency.', [{ path: 'body.agencyId', message: 'no such agency' }]);
      const policy = await deps.legalTime.policyAt(now);
      const expiresAtMs = now + policyNumber(policy, 'payment.requestValidity') * DAY_MS;
      const day = localDay(now);
      const scope = `${o.actorSub}:payment`;
      const reservation = await intake.reserve({
        series: 'payment',
        day,
        scope,
        key: o.key,
        hash: requestHash(body),
        makeCode: (n) => `PAY${formatDate(day).replace(/-/g, '')}${String(n).padStart(6, '0')}${randomSuffix()}`,
        onNew: (trx, reference) =>
          store.insertRequest(trx, {
            reference,
            provider: body.provider,
            agency_id: body.agencyId,
            transaction_type: body.transactionType,
            amount_vnd: body.amountVnd,
            dossier_code: body.dossierCode ?? null,
            description: body.description,
            payer_sub: o.actorSub,
            created_at: new Date(now),
            expires_at: new Date(expiresAtMs),
          }),
      });
      if (reservation.kind === 'done') return { statusCode: reservation.statusCode, body: reservation.response as PaymentAnswer };
      const row = (await store.get(reservation.code))!;
      let checkout: { payUrl: string; providerTxnId: string };
      try {
        checkout = await deps.temporal.workflow.executeUpdateWithStart(paymentCheckoutUpdate, {
          args: [],
          startWorkflowOperation: new WithStartWorkflowOperation(paymentWorkflow, {
            taskQueue: deps.taskQueue,
            workflowId: paymentWorkflowId(row.reference),
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
            args: [{ reference: row.reference, provider: row.provider, agencyId: row.agency_id, amountVnd: Number(row.amount_vnd), dossierCode: row.dossier_code ?? undefined, createdAtMs: row.created_at.getTime() }],
          }),
        });
      } catch (err) {
        const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
        if (cause instanceof ApplicationFailure && cause.type === 'ProviderUnavailable') throw new UnavailableError(`Payment provider ${row.provider} is not answering; try again shortly (the same Idempotency-Key gets the same payment).`);
        throw refusalOf(err)?.http ?? err;
      }
      const answer: PaymentAnswer = { reference: row.reference, status: 'pending', amountVnd: Number(row.amount_vnd), provider: row.provider, payUrl: checkout.payUrl, expiresAt: row.expires_at.toISOString() };
      await intake.complete({ scope, key: o.key, statusCode: 201, response: answer });
      return { statusCode: 201, body: answer };
    },

    /** Verifies, records and forwards one provider callback; answers what the provider is told. */
    async callback(providerId: string, headers: { timestamp?: string; nonce?: string; signature?: string }, raw: Buffer): Promise<{ status: number; verdict: CallbackVerdict; detail: string }> {
      const text = raw.toString('utf8');
      let parsed: { reference?: unknown; providerTxnId?: unknown; outcome?: unknown; amountVnd?: unknown; at?: unknown } = {};
      try {
        const value: unknown = JSON.parse(text);
        if (value && typeof value === 'object') parsed = value as typeof parsed; // not `null`, 42 or "text"
      } catch {
        parsed = {};
      }
      const str = (v: unknown) => (typeof v === 'string' && v.length <= 100 && !v.includes('\u0000') ? v : null);
      const record = (verdict: CallbackVerdict, nonce: string | null = null) =>
        store.recordCallback({ provider: providerId, nonce, reference: str(parsed.reference), providerTxnId: str(parsed.providerTxnId), outcome: str(parsed.outcome), verdict, body: text.replaceAll('\u0000', '\\u0000') }); // PostgreSQL text cannot hold U+0000
      const refuse = async (status: number, verdict: CallbackVerdict, detail: string, nonce: string | null = null) => {
        const r = await record(verdict, nonce);
        return { status: r.verdict === 'replay' ? 409 : status, verdict: r.verdict, detail: r.verdict === 'replay' ? 'This callback was received before (replay).' : detail };
      };

      const provider = await store.provider(providerId);
      if (!provider) return refuse(404, 'unknown_provider', 'Unknown provider.');
      const { timestamp, nonce, signature } = headers;
      if (!timestamp || !nonce || !signature || !/^\d{1,12}$/.test(timestamp) || !/^[\w-]{8,100}$/.test(nonce) || !/^[0-9a-f]{64}$/i.test(signature)) {
        return refuse(401, 'bad_signature', 'X-Provider-Timestamp, X-Provider-Nonce and X-Provider-Signature (hex HMAC-SHA256) are required.');
      }
      const expected = createHmac('sha256', provider.hmac_secret).update(callbackSigningInput(timestamp, nonce, text)).digest();
      if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return refuse(401, 'bad_signature', 'The signature does not match.');
      if (Math.abs(Date.now() / 1000 - Number(timestamp)) > deps.callbackToleranceSeconds) return refuse(401, 'stale', `The signed timestamp is more than ${deps.callbackToleranceSeconds} s away from now.`);

      const reference = str(parsed.reference);
      const providerTxnId = str(parsed.providerTxnId);
      const outcome = parsed.outcome;
      const amountVnd = parsed.amountVnd;
      const atMs = typeof parsed.at === 'string' ? Date.parse(parsed.at) : NaN;
      if (!reference || !providerTxnId || (outcome !== 'paid' && outcome !== 'failed' && outcome !== 'refunded') || typeof amountVnd !== 'number' || !Number.isInteger(amountVnd) || Number.isNaN(atMs)) {
        return refuse(400, 'invalid', 'The body needs reference, providerTxnId, outcome (paid | failed | refunded), amountVnd (integer) and at (ISO instant).', nonce);
      }
      const payment = await store.get(reference);
      if (!payment || payment.provider !== provider.id) return refuse(404, 'unknown_payment', `No payment ${reference} with this provider.`, nonce);
      if (amountVnd !== Number(payment.amount_vnd)) return refuse(422, 'amount_mismatch', `Amount ${amountVnd} differs from the request (${payment.amount_vnd}); the payment is left to reconciliation.`, nonce);
      const duplicate = await store.seenOutcome(provider.id, reference, providerTxnId, outcome);
      const r = await record(duplicate ? 'duplicate' : 'accepted', nonce);
      if (r.verdict === 'replay') return { status: 409, verdict: 'replay', detail: 'This callback was received before (replay).' };
      if (r.verdict === 'duplicate') return { status: 200, verdict: 'duplicate', detail: 'Already received; nothing changes.' };
      try {
        await deps.temporal.workflow.getHandle(paymentWorkflowId(reference)).signal(paymentCallbackSignal, { callbackId: r.id, outcome, providerTxnId, amountVnd, atMs });
      } catch (err) {
        if ((err as { name?: string }).name !== 'WorkflowNotFoundError') throw err;
        // The request's workflow has ended (expired, or past its refund window): the money moved
        // all the same; the callback stays on record and reconciliation raises the difference.
        return { status: 200, verdict: 'accepted', detail: 'Recorded; the payment request is closed, so reconciliation will take it up.' };
      }
      return { status: 200, verdict: 'accepted', detail: 'Accepted.' };
    },
  };
}

export type PaymentService = ReturnType<typeof paymentService>;
