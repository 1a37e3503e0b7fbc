/**
 * Payments as the API reads and creates them: providers, payment requests (created with their
 * workflow; the workflow owns every later change), the callback ledger, and the daily
 * reconciliation reports.
 */
import type { Knex } from 'knex';
import type { Db } from './knex';
import type { PaymentStatus } from '../domain/payments';

export interface ProviderRow {
  id: string;
  name: string;
  kind: 'bank' | 'intermediary';
  hmac_secret: string;
  checkout_url: string;
  refund_url: string;
  statement_url: string;
  statement_format: 'camt053' | 'csv';
  contact: string;
  active: boolean;
}

export interface PaymentRow {
  reference: string;
  provider: string;
  agency_id: string;
  transaction_type: string;
  amount_vnd: string;
  dossier_code: string | null;
  description: string;
  payer_sub: string;
  status: PaymentStatus;
  provider_txn_id: string | null;
  created_at: Date;
  expires_at: Date;
  paid_at: Date | null;
  refunded_at: Date | null;
}

export type CallbackVerdict = 'accepted' | 'duplicate' | 'replay' | 'bad_signature' | 'stale' | 'unknown_provider' | 'unknown_payment' | 'amount_mismatch' | 'invalid';

export function paymentStore(db: Db) {
  return {
    async providers(activeOnly = true): Promise<ProviderRow[]> {
      const q = db<ProviderRow>('payment_providers').orderBy('id');
      return activeOnly ? q.where({ active: true }) : q;
    },
    provider(id: string): Promise<ProviderRow | undefined> {
      return db<ProviderRow>('payment_providers').where({ id }).first();
    },
    /** Registers or updates providers (operators; the simulator's at `motcua start`). */
    async upsertProviders(rows: ProviderRow[]): Promise<void> {
      if (rows.length) await db('payment_providers').insert(rows).onConflict('id').merge();
    },
    get(reference: string): Promise<PaymentRow | undefined> {
      return db<PaymentRow>('payments').where({ reference }).first();
    },
    byDossier(code: string): Promise<PaymentRow[]> {
      return db<PaymentRow>('payments').where({ dossier_code: code }).orderBy('created_at');
    },
    /** The request row, written in the intake transaction (the workflow takes over from here). */
    async insertRequest(trx: Knex.Transaction, row: Omit<PaymentRow, 'status' | 'provider_txn_id' | 'paid_at' | 'refunded_at' | 'amount_vnd'> & { amount_vnd: number }): Promise<void> {
      await trx('payments').insert({ ...row, status: 'pending' });
    },
    /**
     * Records a callback. A verified callback's nonce is unique per provider: inserting it twice
     * fails, and the second is recorded as a replay instead.
     */
    async recordCallback(c: { provider: string; nonce: string | null; reference: string | null; providerTxnId: string | null; outcome: string | null; verdict: CallbackVerdict; body: string }): Promise<{ id: number; verdict: CallbackVerdict }> {
      const row = { provider: c.provider.slice(0, 40), nonce: c.nonce?.slice(0, 100) ?? null, reference: c.reference?.slice(0, 60) ?? null, provider_txn_id: c.providerTxnId?.slice(0, 64) ?? null, outcome: c.outcome?.slice(0, 16) ?? null, body: c.body.slice(0, 16_384) };
      try {
        const [r] = await db('payment_callbacks').insert({ ...row, verdict: c.verdict }).returning('id');
        return { id: Number((r as { id: number }).id), verdict: c.verdict };
      } catch (err) {
        if ((err as { code?: string }).code !== '23505') throw err;
        const [r] = await db('payment_callbacks').insert({ ...row, verdict: 'replay' }).returning('id');
        return { id: Number((r as { id: number }).id), verdict: 'replay' };
      }
    },
    /** Whether an equivalent callback (same payment, transaction and outcome) was accepted before. */
    async seenOutcome(provider: string, reference: string, providerTxnId: string, outcome: string): Promise<boolean> {
      return !!(await db('payment_callbacks').where({ provider, reference, provider_txn_id: providerTxnId, outcome, verdict: 'accepted' }).first('id'));
    },
    callbacksOf(reference: string) {
      return db('payment_callbacks').where({ reference }).orderBy('id').select('id', 'provider', 'outcome', 'verdict', 'provider_txn_id', 'received_at');
    },

    // ---- reconciliation reports -----------------------------------------------------------
    reconciliations(f: { date?: string; provider?: string }) {
      const q = db('reconciliations').orderBy([{ column: 'business_date', order: 'desc' }, { column: 'provider' }]);
      if (f.date) q.where({ business_date: f.date });
      if (f.provider) q.where({ provider: f.provider });
      return q.limit(200).select<Array<Record<string, unknown> & { provider: string; business_date: string }>>();
    },
    totals(f: { date?: string; provider?: string; agencies?: string[] }) {
      const q = db('reconciliation_totals').orderBy(['business_date', 'provider', 'agency_id', 'transaction_type', 'status']);
      if (f.date) q.where({ business_date: f.date });
      if (f.provider) q.where({ provider: f.provider });
      if (f.agencies) q.whereIn('agency_id', f.agencies);
      return q.limit(10_000).select<Array<{ provider: string; business_date: string; agency_id: string; transaction_type: string; status: string; count: number; amount_vnd: string }>>();
    },
    exceptions(f: { date?: string; provider?: string; agencies?: string[] }) {
      const q = db('reconciliation_exceptions').orderBy(['business_date', 'provider', 'kind', 'key']);
      if (f.date) q.where({ business_date: f.date });
      if (f.provider) q.where({ provider: f.provider });
      if (f.agencies) q.whereIn('agency_id', f.agencies);
      return q.limit(10_000).select<Array<Record<string, unknown> & { provider: string; business_date: string; kind: string; key: string; inquiry_id: string; state: string }>>();
    },
  };
}

export type PaymentStore = ReturnType<typeof paymentStore>;
