/**
 * Online payments (QĐ 31/2021 Chapter V): the providers offered, payment requests (a dossier's
 * fees or a standalone obligation), the payment view, refunds, the providers' signed callbacks,
 * and the daily reconciliation reports with their CSV export and re-runs.
 */
import { Router, type Request } from 'express';
import { ForbiddenError } from '@casl/ability';
import { WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import type { Db } from '../../db/knex';
import { paymentStore, type PaymentRow } from '../../db/payment-store';
import { csvRecord } from '../../domain/csv';
import { DOSSIER_FEE_TRANSACTION_TYPE, PAYMENT_REFERENCE, PROVIDER_ID, TRANSACTION_TYPE, paymentWorkflowId, reconciliationWorkflowId } from '../../domain/payments';
import { paymentRefundUpdate, paymentViewQuery, reconciliationRerunSignal, reconciliationWorkflow } from '../../workflows/payment';
import { asSubject } from '../ability';
import { ConflictError, HttpError, NotAllowedError, NotFoundError } from '../errors';
import { type Api, idempotencyKey, z } from '../route';
import { isoDate } from '../schemas/procedure';
import type { PaymentService } from '../services/payments';
import { refusalOf } from '../services/refusals';

const referenceParam = z.object({ reference: z.string().regex(PAYMENT_REFERENCE, 'a payment reference PAY…') });
const providerId = z.string().regex(PROVIDER_ID, 'a provider code');

const PaymentAnswerSchema = z
  .object({ reference: z.string(), status: z.string(), amountVnd: z.number(), provider: z.string(), payUrl: z.string(), expiresAt: z.string() })
  .openapi('PaymentRequested');

export const PaymentRequestSchema = z
  .object({
    provider: providerId,
    agencyId: z.string().min(1).max(64),
    transactionType: z.string().regex(TRANSACTION_TYPE, 'a transaction type code G22.99.…'),
    amountVnd: z.number().int().min(1000).max(1_000_000_000_000),
    description: z.string().trim().min(3).max(300),
  })
  .openapi('PaymentRequest');

const ReportQuery = z.object({ date: isoDate.optional(), provider: providerId.optional(), agency: z.string().min(1).max(64).optional() });

function paymentView(row: PaymentRow, extra: Record<string, unknown> = {}) {
  return {
    reference: row.reference,
    status: row.status,
    provider: row.provider,
    agencyId: row.agency_id,
    transactionType: row.transaction_type,
    amountVnd: Number(row.amount_vnd),
    dossierCode: row.dossier_code,
    description: row.description,
    providerTxnId: row.provider_txn_id,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    paidAt: row.paid_at?.toISOString() ?? null,
    refundedAt: row.refunded_at?.toISOString() ?? null,
    ...extra,
  };
}

export function paymentRouter(api: Api, deps: { db: Db; temporal: Client; taskQueue: string; payments: PaymentService }): Router {
  const router = Router();
  const store = paymentStore(deps.db);

  const create = (req: Request, body: Parameters<PaymentService['create']>[0]['body']) => deps.payments.create({ actorSub: req.user!.sub, key: idempotencyKey(req), body });
  /** The payer sees their payment; officials see their agencies' (CASL). Anyone else: 404. */
  async function visible(req: Request, reference: string): Promise<PaymentRow> {
    const row = await store.get(reference);
    if (!row || !req.user) throw new NotFoundError(`No payment ${reference}.`);
    if (row.payer_sub !== req.user.sub && !req.ability.can('read', asSubject('Payment', row))) throw new NotFoundError(`No payment ${reference}.`);
    return row;
  }
  /** Agencies the caller may see in reports: all (operators), their scope (supervisors, auditors). */
  function reportAgencies(req: Request, agency?: string): string[] | undefined {
    ForbiddenError.from(req.ability).throwUnlessCan('read', 'Reconciliation');
    const all = req.ability.can('read', asSubject('Reconciliation', { agency_id: '\u0000any' }));
    if (all) return agency ? [agency] : undefined;
    if (agency && !req.scope.includes(agency)) throw new NotAllowedError('That agency is outside your scope.');
    return agency ? [agency] : req.scope;
  }

  api.route(router, {
    method: 'get',
    path: '/payment-providers',
    summary: 'Banks and intermediaries offered to payers, with their contact point for reconciliation, tracing and complaints (Art 37.4)',
    tags: ['payments'],
    auth: false,
    responses: { 200: { description: 'Providers', schema: z.array(z.object({ id: z.string(), name: z.string(), kind: z.string(), contact: z.string() })) } },
    handler: async () => (await store.providers()).map((p) => ({ id: p.id, name: p.name, kind: p.kind, contact: p.contact })),
  });

  api.route(router, {
    method: 'post',
    path: '/payments',
    summary: 'Request a payment of a standalone obligation (fee, charge) to an agency; answers with the provider page. Send an Idempotency-Key.',
    tags: ['payments'],
    auth: true,
    body: PaymentRequestSchema,
    status: 201,
    responses: { 201: { description: 'Requested; send the payer to payUrl', schema: PaymentAnswerSchema }, 409: { description: 'Idempotency-Key reused with another body' }, 503: { description: 'The provider is not answering' } },
    handler: async ({ body, req, res }) => {
      if (req.user!.role === 'auditor') throw new NotAllowedError('Auditors do not make payments.');
      const r = await create(req, body);
      res.status(r.statusCode).json(r.body);
    },
  });

  api.route(router, {
    method: 'post',
    path: '/dossiers/:code/payments',
    summary: "Pay a dossier's fees (the applicant, once the dossier awaits payment); the dossier continues when the provider confirms. Send an Idempotency-Key.",
    tags: ['payments', 'dossiers'],
    auth: true,
    params: z.object({ code: z.string().regex(/^[A-Z][A-Z0-9.]{1,30}-\d{6}-\d{4}$/, 'a dossier code') }),
    body: z.object({ provider: providerId }),
    status: 201,
    responses: { 201: { description: 'Requested; send the payer to payUrl', schema: PaymentAnswerSchema }, 404: { description: 'No such dossier of yours' }, 409: { description: 'The dossier does not await payment' } },
    handler: async ({ params, body, req, res }) => {
      const d = await deps.db('dossiers').where({ code: params.code }).first<{ code: string; owner_sub: string; agency_id: string; status: string; fee_total_vnd: number } | undefined>();
      const u = req.user!;
      const official = ['officer', 'supervisor'].includes(u.role) && req.scope.includes(d?.agency_id ?? '');
      if (!d || (d.owner_sub !== u.sub && !official && u.role !== 'admin')) throw new NotFoundError(`No dossier ${params.code}.`);
      if (d.status !== 'awaiting_payment') throw new ConflictError(`Dossier ${d.code} is ${d.status}: no payment is awaited.`);
      const r = await create(req, { provider: body.provider, agencyId: d.agency_id, transactionType: DOSSIER_FEE_TRANSACTION_TYPE, amountVnd: d.fee_total_vnd, description: `Phí, lệ phí hồ sơ ${d.code}`, dossierCode: d.code });
      res.status(r.statusCode).json(r.body);
    },
  });

  api.route(router, {
    method: 'get',
    path: '/payments/:reference',
    summary: 'A payment: its status, the provider page while pending, and (officials) the callbacks received',
    tags: ['payments'],
    auth: true,
    params: referenceParam,
    responses: { 200: { description: 'The payment', schema: z.record(z.string(), z.unknown()) }, 404: { description: 'Not found' } },
    handler: async ({ params, req }) => {
      const row = await visible(req, params.reference);
      const extra: Record<string, unknown> = {};
      if (row.status === 'pending' || row.status === 'failed') {
        extra.payUrl = await deps.temporal.workflow.getHandle(paymentWorkflowId(row.reference)).query(paymentViewQuery).then((v) => v.payUrl ?? null, () => null);
      }
      if (req.ability.can('read', asSubject('Payment', row))) extra.callbacks = await store.callbacksOf(row.reference);
      return paymentView(row, extra);
    },
  });

  api.route(router, {
    method: 'post',
    path: '/payments/:reference/refund',
    summary: 'Refund a paid payment through its provider (an officer or supervisor of the agency, with the reason)',
    tags: ['payments'],
    auth: true,
    params: referenceParam,
    body: z.object({ reason: z.string().trim().min(5).max(1000) }),
    responses: { 200: { description: 'Refund requested (the provider confirms by callback)', schema: z.record(z.string(), z.unknown()) }, 409: { description: 'Not paid, or already being refunded' } },
    handler: async ({ params, body, req }) => {
      const row = await visible(req, params.reference);
      ForbiddenError.from(req.ability).throwUnlessCan('refund', asSubject('Payment', row));
      try {
        const v = await deps.temporal.workflow.getHandle(paymentWorkflowId(row.reference)).executeUpdate(paymentRefundUpdate, { args: [{ actor: req.user!, reason: body.reason }] });
        return { reference: v.reference, status: v.status };
      } catch (err) {
        const refusal = refusalOf(err);
        if (refusal) throw refusal.http;
        if ((err as { name?: string }).name === 'WorkflowNotFoundError') throw new ConflictError('The payment is past its refund window: open an inquiry with the provider.');
        throw err;
      }
    },
  });

  api.route(router, {
    method: 'post',
    path: '/payments/callbacks/:provider',
    summary: 'A provider confirms a payment, failure or refund. Signed: X-Provider-Timestamp (unix s), X-Provider-Nonce, X-Provider-Signature = hex HMAC-SHA256(secret, "<timestamp>.<nonce>.<raw body>")',
    tags: ['payments'],
    auth: false,
    params: z.object({ provider: z.string().min(1).max(40) }),
    responses: {
      200: { description: 'Accepted, or a duplicate of one accepted (nothing changes)', schema: z.object({ verdict: z.string(), detail: z.string() }) },
      401: { description: 'Bad or stale signature' },
      404: { description: 'Unknown provider or payment' },
      409: { description: 'Replay of a callback already received' },
      422: { description: 'Amount differs from the request' },
    },
    handler: async ({ params, req, res }) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const r = await deps.payments.callback(params.provider, { timestamp: req.get('x-provider-timestamp'), nonce: req.get('x-provider-nonce'), signature: req.get('x-provider-signature') }, raw);
      if (r.status >= 400) throw new HttpError(r.status, r.status === 401 ? 'Unauthorized' : r.status === 404 ? 'Not found' : r.status === 409 ? 'Conflict' : 'Unprocessable content', r.detail, { verdict: r.verdict });
      res.status(r.status).json({ verdict: r.verdict, detail: r.detail });
    },
  });

  api.route(router, {
    method: 'get',
    path: '/reconciliations',
    summary: 'Daily reconciliation reports (Art 36.3): per provider and day, totals by agency × transaction type × status, and the exceptions with their inquiries',
    tags: ['payments'],
    auth: true,
    query: ReportQuery,
    responses: { 200: { description: 'Reports', schema: z.array(z.record(z.string(), z.unknown())) } },
    handler: async ({ query, req }) => {
      const agencies = reportAgencies(req, query.agency);
      const [days, totals, exceptions] = await Promise.all([store.reconciliations(query), store.totals({ ...query, agencies }), store.exceptions({ ...query, agencies })]);
      return days.map((d) => {
        const same = (r: { provider: string; business_date: string }) => r.provider === d.provider && r.business_date === d.business_date;
        return {
          provider: d.provider,
          businessDate: d.business_date,
          status: d.status,
          statement: { format: d.statement_format, lines: d.statement_lines, sumVnd: d.statement_sum_vnd === null ? null : Number(d.statement_sum_vnd), sha256: d.statement_sha256 },
          matched: d.matched,
          exceptionCount: d.exceptions,
          problems: d.problems,
          runs: d.runs,
          window: { start: (d.window_start as Date | null)?.toISOString() ?? null, end: (d.window_end as Date | null)?.toISOString() ?? null },
          reconciledAt: (d.reconciled_at as Date | null)?.toISOString() ?? null,
          totals: totals.filter(same).map((t) => ({ agencyId: t.agency_id, transactionType: t.transaction_type, status: t.status, count: t.count, amountVnd: Number(t.amount_vnd) })),
          exceptions: exceptions.filter(same).map((e) => ({
            kind: e.kind,
            key: e.key,
            reference: e.reference,
            providerTxnId: e.provider_txn_id,
            lineNo: e.line_no,
            agencyId: e.agency_id,
            statementAmountVnd: e.statement_amount_vnd === null ? null : Number(e.statement_amount_vnd),
            portalAmountVnd: e.portal_amount_vnd === null ? null : Number(e.portal_amount_vnd),
            detail: e.detail,
            inquiryId: e.inquiry_id,
            state: e.state,
            resolution: e.resolution,
            evidence: e.evidence,
          })),
        };
      });
    },
  });

  api.route(router, {
    method: 'get',
    path: '/reconciliations/export',
    summary: 'The same reports as CSV: one row per total, then one per exception',
    tags: ['payments'],
    auth: true,
    query: ReportQuery,
    responses: { 200: { description: 'CSV', schema: z.string(), contentType: 'text/csv' } },
    handler: async ({ query, req, res }) => {
      const agencies = reportAgencies(req, query.agency);
      const [totals, exceptions] = await Promise.all([store.totals({ ...query, agencies }), store.exceptions({ ...query, agencies })]);
      const rows: unknown[][] = [['record', 'provider', 'business_date', 'agency_id', 'transaction_type', 'status', 'count', 'amount_vnd', 'key', 'reference', 'statement_amount_vnd', 'portal_amount_vnd', 'inquiry_id', 'state', 'resolution', 'detail']];
      for (const t of totals) rows.push(['total', t.provider, t.business_date, t.agency_id, t.transaction_type, t.status, t.count, t.amount_vnd, '', '', '', '', '', '', '', '']);
      for (const e of exceptions) rows.push(['exception', e.provider, e.business_date, e.agency_id, e.transaction_type, e.kind, 1, e.statement_amount_vnd ?? e.portal_amount_vnd, e.key, e.reference, e.statement_amount_vnd, e.portal_amount_vnd, e.inquiry_id, e.state, e.resolution, e.detail]);
      res.status(200).type('text/csv; charset=utf-8').setHeader('content-disposition', `attachment; filename="doi-soat-${query.date ?? 'all'}${query.provider ? `-${query.provider}` : ''}.csv"`);
      res.send(rows.map((r) => csvRecord(r.map((v) => (v === null || v === undefined ? '' : String(v))))).join(''));
    },
  });

  api.route(router, {
    method: 'post',
    path: '/reconciliations/:provider/:date/run',
    summary: 'Reconcile a day again now (a late or corrected statement); idempotent: the same statement gives the same result and no new inquiries',
    tags: ['payments'],
    auth: true,
    params: z.object({ provider: providerId, date: isoDate }),
    status: 202,
    responses: { 202: { description: 'Started (or the running day was told to look again)', schema: z.object({ workflowId: z.string() }) }, 404: { description: 'Unknown provider' } },
    handler: async ({ params, req }) => {
      ForbiddenError.from(req.ability).throwUnlessCan('run', 'Reconciliation');
      if (!(await store.provider(params.provider))) throw new NotFoundError(`No provider ${params.provider}.`);
      const workflowId = reconciliationWorkflowId(params.provider, params.date);
      await deps.temporal.workflow.signalWithStart(reconciliationWorkflow, {
        taskQueue: deps.taskQueue,
        workflowId,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        args: [{ provider: params.provider, businessDate: params.date }],
        signal: reconciliationRerunSignal,
        signalArgs: [],
      });
      return { workflowId };
    },
  });

  return router;
}
