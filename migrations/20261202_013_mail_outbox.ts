import type { Knex } from 'knex';

/**
 * The e-mail ledger becomes an outbox: a message the SMTP relay refused is kept, whole, and
 * redelivered later by the mail redelivery schedule, so a relay outage never fails a case.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sent_emails', (t) => {
    t.text('body').nullable().comment('Plain-text body, kept until the message is delivered or given up (null on rows written before the outbox).');
    t.jsonb('headers').nullable().comment('Extra headers of the message.');
    t.string('case_type', 32).nullable().comment('Case the message belongs to (feedback, dossier, ...), where there is one: a message given up is audited on it.');
    t.string('case_id', 80).nullable().comment('Case code, with case_type.');
    t.string('agency_id', 64).nullable().comment('Agency of the case, for the audit event.');
    t.string('claimed_by', 300).nullable().comment('Who is sending it now: an activity (workflow/activity ID) or the redelivery run.');
    t.timestamp('lease_until', { useTz: true }).nullable().comment('Until when that claim holds; after it, another sender may take the message.');
    t.timestamp('next_attempt_at', { useTz: true }).nullable().comment('When a queued message is next tried.');
    t.text('last_error').nullable().comment('Why the last attempt failed (SMTP reply or connection error).');
    t.timestamp('failed_at', { useTz: true }).nullable().comment('When it was given up.');
  });
  await knex.raw(`comment on column sent_emails.status is 'sending | sent | queued (waiting for redelivery) | failed (given up).'`);
  // Only mail that is not delivered: the redelivery pass and the outbox gauge read this, never the sent history.
  await knex.raw(`create index sent_emails_undelivered on sent_emails (status, next_attempt_at) where status <> 'sent'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists sent_emails_undelivered');
  await knex.schema.alterTable('sent_emails', (t) => {
    for (const c of ['body', 'headers', 'case_type', 'case_id', 'agency_id', 'claimed_by', 'lease_until', 'next_attempt_at', 'last_error', 'failed_at']) t.dropColumn(c);
  });
}
