/**
 * Payment side effects: the `payments` read model, calls to the provider (checkout, refund), and
 * the daily reconciliation — the provider's statement fetched and parsed as a stream, matched in
 * memory against the day's candidate payments, and written in one transaction (a malformed
 * statement writes nothing but the rejection and its report).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/activity';
import { Reconciler } from '../domain/reconciliation';
import { inquiryWorkflowId, type ExceptionKind, type PaymentStatus, type ReconciliationException } from '../domain/payments';
import { readStatement, StatementFormatError } from './statements';
import type { ActivityDeps } from './deps';
import { paymentStore, type PaymentRow, type ProviderRow } from '../db/payment-store';

export interface PaymentOutcome {
  reference: string;
  status: PaymentStatus;
  providerTxnId?: string;
  paidAtMs?: number;
  refundedAtMs?: number;
}

/** What a reconciliation run hands back to its workflow: small (no matched lines). */
export type ReconcileResult =
  | { kind: 'unavailable'; detail: string }
  | { kind: 'rejected'; problems: Array<{ lineNo?: number; field?: string; message: string }> }
  | {
      kind: 'reconciled';
      unchanged: boolean;
      lines: number;
      matched: number;
      exceptions: Array<{ kind: ExceptionKind; key: string; inquiryId: string; agencyId: string; detail: string; reference?: string }>;
      cleared: string[];
    };

/** The most inquiries one run opens; beyond it the day is flagged for a person to look at the statement. */
export const MAX_INQUIRIES_PER_RUN = 2000;

export function paymentActivities(deps: ActivityDeps) {
  const db = deps.db;
  const operatorAgency = deps.operatorAgencyId ?? 'VPCP';

  const store = paymentStore(db);

  async function provider(id: string): Promise<ProviderRow> {
    const p = await store.provider(id);
    if (!p) throw ApplicationFailure.nonRetryable(`no payment provider ${id}`, 'UnknownProvider');
    return p;
  }
  /** A payment and its provider: what a call to the provider needs. */
  async function paymentAt(reference: string): Promise<{ p: PaymentRow; prov: ProviderRow }> {
    const p = await store.get(reference);
    if (!p) throw ApplicationFailure.nonRetryable(`no payment ${reference}`, 'UnknownPayment');
    return { p, prov: await provider(p.provider) };
  }

  return {
    /** Sends the payment request to the provider (idempotent there by reference) and returns where the payer goes. */
    async requestCheckout(reference: string): Promise<{ providerTxnId: string; payUrl: string }> {
      const { p, prov } = await paymentAt(reference);
      const res = await fetch(prov.checkout_url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': reference },
        body: JSON.stringify({
          reference,
          amountVnd: Number(p.amount_vnd),
          currency: 'VND',
          description: p.description,
          transactionType: p.transaction_type,
          agencyId: p.agency_id,
          dossierCode: p.dossier_code ?? undefined,
          callbackUrl: `${deps.publicUrl}/payments/callbacks/${p.provider}`,
        }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`provider ${p.provider} answered ${res.status} to the checkout of ${reference}`);
      const body = (await res.json()) as { providerTxnId: string; payUrl: string };
      return { providerTxnId: body.providerTxnId, payUrl: body.payUrl };
    },

    /** Records a payment's new state (idempotent: the same outcome twice writes the same row). */
    async recordPayment(o: PaymentOutcome): Promise<void> {
      await db('payments')
        .where({ reference: o.reference })
        .update({
          status: o.status,
          ...(o.providerTxnId ? { provider_txn_id: o.providerTxnId } : {}),
          ...(o.paidAtMs !== undefined ? { paid_at: new Date(o.paidAtMs) } : {}),
          ...(o.refundedAtMs !== undefined ? { refunded_at: new Date(o.refundedAtMs) } : {}),
          updated_at: db.fn.now(),
        });
    },

    /** Asks the provider to refund a payment (idempotent there: `Idempotency-Key: refund:<reference>`). */
    async requestRefund(reference: string): Promise<void> {
      const { p, prov } = await paymentAt(reference);
      const res = await fetch(prov.refund_url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `refund:${reference}` },
        body: JSON.stringify({ reference, amountVnd: Number(p.amount_vnd) }),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.status === 409) throw ApplicationFailure.nonRetryable(`provider refused the refund of ${reference}: ${await res.text()}`, 'RefundRefused');
      if (!res.ok) throw new Error(`provider ${p.provider} answered ${res.status} to the refund of ${reference}`);
    },

    /**
     * Reconciles one provider's business day: fetch the statement (streamed), parse and match it
     * against the candidate payments, then in one transaction record the run, replace the day's
     * totals, add new exceptions (existing ones keep their row and inquiry) and clear those that
     * no longer appear. Serialised per day by an advisory lock, so overlapping runs cannot race.
     */
    async reconcileStatement(o: { provider: string; businessDate: string; startMs: number; endMs: number }): Promise<ReconcileResult> {
      const prov = await provider(o.provider);
      const url = prov.statement_url.replace('{date}', o.businessDate);
      let res: Response;
      try {
        res = await fetch(url, { signal: AbortSignal.timeout(5 * 60_000) });
      } catch (err) {
        return { kind: 'unavailable', detail: `statement endpoint unreachable: ${String(err)}` };
      }
      if (res.status === 404) return { kind: 'unavailable', detail: 'no statement for this day yet' };
      if (!res.ok || !res.body) throw new Error(`statement endpoint answered ${res.status}`);

      // Candidates: the provider's payments paid or settled around the day (±2 days, so that a line
      // booked late is still recognised), and unpaid requests created around it.
      const reconciler = new Reconciler({ businessDate: o.businessDate, startMs: o.startMs, endMs: o.endMs });
      const from = new Date(o.startMs - 2 * 86_400_000);
      const to = new Date(o.endMs + 2 * 86_400_000);
      const stream = db<PaymentRow>('payments')
        .where({ provider: o.provider })
        .andWhere((q) => q.whereBetween('paid_at', [from, to]).orWhereBetween('created_at', [from, to]).orWhereBetween('refunded_at', [from, to]))
        .select('reference', 'provider', 'agency_id', 'transaction_type', 'amount_vnd', 'dossier_code', 'status', 'paid_at')
        .stream();
      for await (const row of stream as AsyncIterable<PaymentRow>) {
        reconciler.addPayment({
          reference: row.reference,
          provider: row.provider,
          agencyId: row.agency_id,
          transactionType: row.transaction_type,
          amountVnd: Number(row.amount_vnd),
          status: row.status,
          paidAtMs: row.paid_at?.getTime(),
          dossierCode: row.dossier_code ?? undefined,
        });
      }

      const hash = createHash('sha256');
      const body = Readable.fromWeb(res.body as never);
      async function* hashed(): AsyncGenerator<Buffer> {
        for await (const chunk of body) {
          hash.update(chunk as Buffer);
          yield chunk as Buffer;
        }
      }
      const day = { provider: o.provider, business_date: o.businessDate };
      try {
        await readStatement(hashed(), prov.statement_format, (line, bookedAtMs) => reconciler.line(line, bookedAtMs));
      } catch (err) {
        if (!(err instanceof StatementFormatError)) throw err;
        await db('reconciliations')
          .insert({ ...day, status: 'rejected_statement', statement_format: prov.statement_format, statement_sha256: null, problems: JSON.stringify(err.problems), window_start: new Date(o.startMs), window_end: new Date(o.endMs) })
          .onConflict(['provider', 'business_date'])
          .merge({ problems: JSON.stringify(err.problems), status: db.raw("case when reconciliations.status in ('closed', 'closed_with_exceptions') then reconciliations.status else 'rejected_statement' end") });
        return { kind: 'rejected', problems: err.problems };
      }
      const digest = hash.digest('hex');
      const result = reconciler.finish();

      // The agency of an exception: the portal payment's, else the operator (who then routes it).
      const agencies = new Set((await db('agencies').select<Array<{ id: string }>>('id')).map((r) => r.id));
      const exceptions = result.exceptions.map((e: ReconciliationException) => ({
        ...e,
        agencyId: e.agencyId && agencies.has(e.agencyId) ? e.agencyId : operatorAgency,
        inquiryId: inquiryWorkflowId(o.provider, o.businessDate, e.kind, e.key),
      }));

      return db.transaction(async (trx) => {
        await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`reconciliation:${o.provider}:${o.businessDate}`]);
        const before = await trx('reconciliations').where(day).first<{ statement_sha256: string | null; status: string } | undefined>();
        const status = exceptions.length ? 'closed_with_exceptions' : 'closed';
        const row = {
          ...day,
          status,
          statement_sha256: digest,
          statement_format: prov.statement_format,
          statement_lines: result.statementLines,
          statement_sum_vnd: result.statementSumVnd,
          matched: result.matched,
          exceptions: exceptions.length,
          problems: null,
          window_start: new Date(o.startMs),
          window_end: new Date(o.endMs),
          reconciled_at: new Date(),
        };
        await trx('reconciliations')
          .insert({ ...row, runs: 1 })
          .onConflict(['provider', 'business_date'])
          .merge({ ...row, runs: trx.raw('reconciliations.runs + 1') });
        await trx('reconciliation_totals').where(day).delete();
        for (let i = 0; i < result.totals.length; i += 500) {
          await trx('reconciliation_totals').insert(
            result.totals.slice(i, i + 500).map((t) => ({ ...day, agency_id: t.agencyId || '?', transaction_type: t.transactionType || '?', status: t.status, count: t.count, amount_vnd: t.amountVnd })),
          );
        }
        for (let i = 0; i < exceptions.length; i += 500) {
          await trx('reconciliation_exceptions')
            .insert(
              exceptions.slice(i, i + 500).map((e) => ({
                ...day,
                kind: e.kind,
                key: e.key,
                reference: e.reference ?? null,
                provider_txn_id: e.providerTxnId ?? null,
                line_no: e.lineNo ?? null,
                agency_id: e.agencyId,
                transaction_type: e.transactionType ?? null,
                statement_amount_vnd: e.statementAmountVnd ?? null,
                portal_amount_vnd: e.portalAmountVnd ?? null,
                detail: e.detail.slice(0, 500),
                inquiry_id: e.inquiryId,
                state: 'open',
              })),
            )
            .onConflict(['provider', 'business_date', 'kind', 'key'])
            .merge({ detail: trx.raw('excluded.detail'), state: trx.raw("case when reconciliation_exceptions.state = 'cleared' then 'open' else reconciliation_exceptions.state end"), resolution: trx.raw("case when reconciliation_exceptions.state = 'cleared' then null else reconciliation_exceptions.resolution end") });
        }
        const current = new Set(exceptions.map((e) => e.inquiryId));
        const open = await trx('reconciliation_exceptions').where(day).where({ state: 'open' }).select<Array<{ inquiry_id: string }>>('inquiry_id');
        const cleared = open.map((r) => r.inquiry_id).filter((id) => !current.has(id));
        if (cleared.length) {
          await trx('reconciliation_exceptions').where(day).whereIn('inquiry_id', cleared).update({ state: 'cleared', resolution: 'cleared', resolved_at: trx.fn.now(), evidence: 'Không còn chênh lệch khi đối soát lại (sao kê mới).' });
        }
        return {
          kind: 'reconciled' as const,
          unchanged: before?.statement_sha256 === digest,
          lines: result.statementLines,
          matched: result.matched,
          exceptions: exceptions.slice(0, MAX_INQUIRIES_PER_RUN).map((e) => ({ kind: e.kind, key: e.key, inquiryId: e.inquiryId, agencyId: e.agencyId, detail: e.detail, reference: e.reference })),
          cleared,
        };
      });
    },

    /** Records a day waiting for its statement (the report shows it; supervisors are alerted by the clock). */
    async markReconciliationWaiting(o: { provider: string; businessDate: string; startMs: number; endMs: number }): Promise<void> {
      await db('reconciliations')
        .insert({ provider: o.provider, business_date: o.businessDate, status: 'waiting_statement', window_start: new Date(o.startMs), window_end: new Date(o.endMs) })
        .onConflict(['provider', 'business_date'])
        .ignore();
    },

    /** Records an inquiry's resolution with its evidence (idempotent). */
    async resolveReconciliationException(o: { inquiryId: string; resolution: string; evidence: string; resolvedBy: string; atMs: number }): Promise<void> {
      await db('reconciliation_exceptions')
        .where({ inquiry_id: o.inquiryId })
        .whereNot({ state: 'cleared' })
        .update({ state: 'resolved', resolution: o.resolution, evidence: o.evidence, resolved_by: o.resolvedBy, resolved_at: new Date(o.atMs) });
    },

    /** The operator agency (reconciliation cases and unattributed inquiries belong to it). */
    async operatorAgency(): Promise<string> {
      return operatorAgency;
    },
  };
}
