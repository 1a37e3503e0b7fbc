import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('feedback', (t) => {
    t.comment('Feedback cases (phản ánh, kiến nghị — PAKN), read model written by feedbackWorkflow; no personal data here.');
    t.string('code', 40).primary().comment('PAKN.YYYYMMDD.NNNN, also the workflow ID.');
    t.string('status', 30).notNullable().comment('received | classifying | transferring | answering | awaiting_clarification | approving | checking | published | not_accepted.');
    t.string('channel', 12).notNullable().comment('portal | paper | phone | fax | email (QĐ 31 Art 43.2b: entered by an officer).');
    t.string('submitted_by', 200).notNullable().comment('Portal account (token subject) of the submitter, or of the officer who entered it.');
    t.string('title', 300).notNullable().comment('Subject of the feedback.');
    t.text('content').notNullable().comment('The feedback text (Vietnamese).');
    t.string('receiving_agency_id', 64).notNullable().references('id').inTable('agencies').comment('Agency the feedback was addressed to.');
    t.string('competent_agency_id', 64).nullable().references('id').inTable('agencies').comment('Agency that must answer (after classification).');
    t.smallint('class').nullable().comment('Decree 20/2008 Art 9 class: 1 not accepted, 2 conduct, 3 within authority, 4 outside authority.');
    t.text('not_accepted_reason').nullable().comment('Why it was not accepted (class 1).');
    t.text('answer').nullable().comment('The answer, once approved.');
    t.timestamp('received_at', { useTz: true }).notNullable().comment('Receipt instant; the transfer limit counts from it.');
    t.timestamp('answered_at', { useTz: true }).nullable().comment('When the answer was approved.');
    t.timestamp('published_at', { useTz: true }).nullable().comment('When the accepted answer was published (QĐ 31 Art 46).');
    t.boolean('answered_on_time').nullable().comment('Answer approved within its statutory limit.');
    t.smallint('rating').nullable().comment('Submitter satisfaction 1–5.');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Last change.');
    t.index(['receiving_agency_id', 'received_at']);
    t.index(['competent_agency_id', 'status']);
  });
  await knex.raw("create index feedback_public_search on feedback using gin (to_tsvector('simple', title || ' ' || coalesce(answer, ''))) where published_at is not null");
  await knex.schema.createTable('feedback_submitters', (t) => {
    t.comment('Personal data of feedback submitters (QĐ 31 Art 41), kept apart: never published, shown only to roles that need it.');
    t.string('code', 40).primary().references('code').inTable('feedback').comment('The feedback.');
    t.string('full_name', 200).notNullable().comment('Full name.');
    t.string('address', 500).notNullable().comment('Contact address.');
    t.string('phone', 30).notNullable().comment('Phone number.');
    t.string('email', 320).notNullable().comment('E-mail address (receipts and answers are sent here).');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('feedback_submitters');
  await knex.schema.dropTable('feedback');
}
