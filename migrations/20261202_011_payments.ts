import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('payment_providers', (t) => {
    t.comment('Banks and payment intermediaries connected to the portal (QĐ 31/2021 Arts 33, 37), managed by the portal operator.');
    t.string('id', 20).primary().comment('Provider code, e.g. SIMBANK.');
    t.string('name', 200).notNullable().comment('Name shown to payers.');
    t.string('kind', 16).notNullable().comment('bank | intermediary.');
    t.text('hmac_secret').notNullable().comment('Shared secret the provider signs callbacks with (HMAC-SHA256); never returned by the API.');
    t.text('checkout_url').notNullable().comment('Where a payment request is sent (the payer continues there).');
    t.text('refund_url').notNullable().comment('Where refunds are requested.');
    t.text('statement_url').notNullable().comment('Daily statement endpoint; `{date}` is replaced by the business date.');
    t.string('statement_format', 8).notNullable().comment('camt053 | csv.');
    t.string('contact', 300).notNullable().comment('Contact point for reconciliation, tracing and complaints (Art 37.4).');
    t.boolean('active').notNullable().defaultTo(true).comment('Offered to payers and reconciled daily.');
  });
  await knex.schema.createTable('payments', (t) => {
    t.comment('Payment requests and their outcome; written by paymentWorkflow (the API only creates the request row with the workflow).');
    t.string('reference', 30).primary().comment('Portal payment reference PAY<yyyyMMddHHmmss><6>; also paymentWorkflow ID payment:<reference>.');
    t.string('provider', 20).notNullable().references('id').inTable('payment_providers').comment('Provider the payer chose.');
    t.string('agency_id', 64).notNullable().references('id').inTable('agencies').comment('Agency the money is owed to.');
    t.string('transaction_type', 30).notNullable().comment('Transaction type code G22.99.…');
    t.bigInteger('amount_vnd').notNullable().comment('Amount requested, VND.');
    t.string('dossier_code', 40).nullable().comment('Dossier the fee belongs to (null: a standalone obligation).');
    t.string('description', 300).notNullable().comment('What is paid (Vietnamese, shown to the payer).');
    t.string('payer_sub', 200).notNullable().comment('Account that created the request.');
    t.string('status', 20).notNullable().comment('pending | paid | failed | expired | refund_requested | refunded.');
    t.string('provider_txn_id', 64).nullable().comment('Provider transaction ID from the accepted callback.');
    t.timestamp('created_at', { useTz: true }).notNullable().comment('Request created.');
    t.timestamp('expires_at', { useTz: true }).notNullable().comment('Request valid until (policy payment.requestValidity).');
    t.timestamp('paid_at', { useTz: true }).nullable().comment('Paid at, as the provider signed it.');
    t.timestamp('refunded_at', { useTz: true }).nullable().comment('Refund confirmed.');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Last change.');
    t.index(['provider', 'paid_at']);
    t.index(['dossier_code']);
  });
  await knex.schema.createTable('payment_callbacks', (t) => {
    t.comment('Every callback a provider sent, accepted or not (the evidence for tracing).');
    t.bigIncrements('id').comment('Surrogate key.');
    t.string('provider', 40).notNullable().comment('Provider named in the URL (may be unknown).');
    t.string('nonce', 100).nullable().comment('Nonce from the signed headers; (provider, nonce) is unique among verified callbacks: replays are refused.');
    t.string('reference', 60).nullable().comment('Payment reference in the body, if readable.');
    t.string('provider_txn_id', 64).nullable().comment('Provider transaction ID in the body, if readable.');
    t.string('outcome', 16).nullable().comment('paid | failed | refunded, as reported.');
    t.string('verdict', 24).notNullable().comment('accepted | duplicate | replay | bad_signature | stale | unknown_provider | unknown_payment | amount_mismatch | invalid.');
    t.text('body').notNullable().comment('Raw body (first 16 KiB).');
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Received at.');
    t.index(['reference']);
  });
  await knex.raw("create unique index payment_callbacks_nonce on payment_callbacks (provider, nonce) where verdict not in ('bad_signature', 'stale', 'unknown_provider', 'invalid', 'replay')");
  await knex.schema.createTable('reconciliations', (t) => {
    t.comment('Daily reconciliation (đối soát) per provider and business day (QĐ 31/2021 Art 36), written by reconciliationWorkflow.');
    t.string('provider', 20).notNullable().references('id').inTable('payment_providers').comment('Provider.');
    t.date('business_date').notNullable().comment('Business day reconciled.');
    t.string('status', 24).notNullable().comment('waiting_statement | rejected_statement | closed | closed_with_exceptions.');
    t.string('statement_sha256', 64).nullable().comment('Digest of the statement reconciled (a new statement re-runs the day).');
    t.string('statement_format', 8).nullable().comment('camt053 | csv.');
    t.integer('statement_lines').nullable().comment('Lines on the statement.');
    t.bigInteger('statement_sum_vnd').nullable().comment('Sum of the statement lines, VND.');
    t.integer('matched').nullable().comment('Lines matched to portal payments.');
    t.integer('exceptions').nullable().comment('Exceptions found (each opens an inquiry).');
    t.jsonb('problems').nullable().comment('Why the last statement was rejected (line, field, message).');
    t.integer('runs').notNullable().defaultTo(0).comment('Times the day was reconciled.');
    t.timestamp('window_start', { useTz: true }).nullable().comment('Start of the business day window (previous cut-off).');
    t.timestamp('window_end', { useTz: true }).nullable().comment('End of the window (the cut-off).');
    t.timestamp('reconciled_at', { useTz: true }).nullable().comment('Last completed run.');
    t.primary(['provider', 'business_date']);
  });
  await knex.schema.createTable('reconciliation_totals', (t) => {
    t.comment('The day report: count and amount per agency × transaction type × status (Art 36.3), replaced on each run.');
    t.string('provider', 20).notNullable().comment('Provider.');
    t.date('business_date').notNullable().comment('Business day.');
    t.string('agency_id', 64).notNullable().comment('Agency (or "?" when the line names none and the portal does not know it).');
    t.string('transaction_type', 30).notNullable().comment('Transaction type (or "?").');
    t.string('status', 24).notNullable().comment('matched or an exception kind.');
    t.integer('count').notNullable().comment('Lines (or payments, for missing_from_statement).');
    t.bigInteger('amount_vnd').notNullable().comment('Sum, VND.');
    t.primary(['provider', 'business_date', 'agency_id', 'transaction_type', 'status']);
  });
  await knex.schema.createTable('reconciliation_exceptions', (t) => {
    t.comment('Exceptions found by reconciliation; each has one inquiry (tra soát) workflow. A re-run keeps the row (same key) and clears what no longer appears.');
    t.string('provider', 20).notNullable().comment('Provider.');
    t.date('business_date').notNullable().comment('Business day.');
    t.string('kind', 24).notNullable().comment('unknown_to_portal | missing_from_statement | amount_mismatch | duplicate | status_mismatch | late.');
    t.string('key', 100).notNullable().comment('Reference (or provider transaction ID, or reference#line for duplicates).');
    t.string('reference', 60).nullable().comment('Payment reference.');
    t.string('provider_txn_id', 64).nullable().comment('Provider transaction ID.');
    t.integer('line_no').nullable().comment('Line on the statement.');
    t.string('agency_id', 64).nullable().comment('Agency concerned.');
    t.string('transaction_type', 30).nullable().comment('Transaction type.');
    t.bigInteger('statement_amount_vnd').nullable().comment('Amount on the statement.');
    t.bigInteger('portal_amount_vnd').nullable().comment('Amount at the portal.');
    t.string('detail', 500).notNullable().comment('What differs.');
    t.string('inquiry_id', 200).notNullable().comment('paymentInquiryWorkflow ID.');
    t.string('state', 16).notNullable().comment('open | resolved | cleared (gone on a re-run).');
    t.string('resolution', 24).nullable().comment('corrected | refunded | written_off | confirmed_by_bank | cleared.');
    t.text('evidence').nullable().comment('Resolution evidence (note, bank reference).');
    t.string('resolved_by', 200).nullable().comment('Officer who resolved it.');
    t.timestamp('opened_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Found at.');
    t.timestamp('resolved_at', { useTz: true }).nullable().comment('Resolved at.');
    t.primary(['provider', 'business_date', 'kind', 'key']);
    t.index(['inquiry_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['reconciliation_exceptions', 'reconciliation_totals', 'reconciliations', 'payment_callbacks', 'payments', 'payment_providers']) await knex.schema.dropTable(t);
}
