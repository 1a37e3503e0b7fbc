import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('dossiers', (t) => {
    t.comment('Dossiers (hồ sơ thủ tục hành chính), read model written by dossierWorkflow; no personal data here.');
    t.string('code', 40).primary().comment('<agency code>-<YYMMDD>-<NNNN>, also the workflow ID.');
    t.string('status', 24).notNullable().comment('received | awaiting_supplement | refused | processing | consulting | approving | awaiting_payment | result_ready | returned | rejected.');
    t.string('agency_id', 64).notNullable().references('id').inTable('agencies').comment('Receiving and handling agency.');
    t.string('procedure_code', 40).notNullable().comment('Procedure in the catalogue.');
    t.integer('procedure_version').notNullable().comment('The version in force when the dossier was received (it is followed to the end).');
    t.string('procedure_name', 500).notNullable().comment('Name of the procedure (public).');
    t.string('channel', 8).notNullable().comment('online | counter | post.');
    t.boolean('paper').notNullable().comment('Received on paper (the 15:00 cut-off applies).');
    t.string('owner_sub', 200).notNullable().comment('Portal account of the applicant (online), or the officer who received it at the counter.');
    t.string('return_method', 8).notNullable().comment('online | counter | post.');
    t.timestamp('received_at', { useTz: true }).notNullable().comment('Receipt instant.');
    t.date('appointment_date').nullable().comment('Date the result is promised (form 01; moved at most once by form 04).');
    t.date('original_appointment_date').nullable().comment('The first appointment date.');
    t.integer('fee_total_vnd').notNullable().defaultTo(0).comment('Fees and charges due, VND.');
    t.string('payment_reference', 100).nullable().comment('Payment confirmation or counter receipt number.');
    t.integer('paused_working_days').notNullable().defaultTo(0).comment('Working days the clock stood still waiting for supplements.');
    t.integer('restarts').notNullable().defaultTo(0).comment('Times the clock restarted from zero after a supplement (Decree 61/2018 Art 19.4).');
    t.integer('reschedules').notNullable().defaultTo(0).comment('Apologies with a new appointment (at most once).');
    t.string('late_agency_id', 64).nullable().comment('Agency the lateness is attributed to.');
    t.integer('extra_contacts').notNullable().defaultTo(0).comment('Times the applicant had to come back (supplements): Circular 01/2018 index 3.');
    t.timestamp('completed_at', { useTz: true }).nullable().comment('Result issued (or refusal).');
    t.string('timeliness', 8).nullable().comment('early | on_time | late, on completion.');
    t.timestamp('returned_at', { useTz: true }).nullable().comment('Result handed over.');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Last change.');
    t.index(['agency_id', 'received_at']);
    t.index(['owner_sub', 'received_at']);
  });
  await knex.schema.createTable('dossier_applicants', (t) => {
    t.comment('Personal data of applicants, kept apart: never in workflow history, task rows, logs or public answers.');
    t.string('code', 40).primary().references('code').inTable('dossiers').comment('The dossier.');
    t.string('full_name', 200).notNullable().comment('Full name.');
    t.string('id_number', 20).nullable().comment('Citizen identity number.');
    t.string('address', 500).notNullable().comment('Contact address.');
    t.string('phone', 30).notNullable().comment('Phone number.');
    t.string('email', 320).nullable().comment('E-mail (letters are sent here).');
    t.jsonb('documents').notNullable().defaultTo('[]').comment('Documents handed in (names), as listed at intake and by supplements.');
  });
  await knex.schema.createTable('dossier_letters', (t) => {
    t.comment('Letters issued to the applicant (forms 01–04 of Circular 01/2018, result notices), kept with the case.');
    t.bigIncrements('id').comment('Surrogate key.');
    t.string('code', 40).notNullable().references('code').inTable('dossiers').comment('The dossier.');
    t.string('letter_key', 60).notNullable().comment('Form and occurrence, e.g. 02#1: the idempotency key of the issue.');
    t.string('form', 8).notNullable().comment('01 | 02 | 03 | 04 | early | result.');
    t.string('title', 300).notNullable().comment('Title.');
    t.text('body').notNullable().comment('Text (Vietnamese).');
    t.timestamp('issued_at', { useTz: true }).notNullable().comment('Issued at.');
    t.unique(['code', 'letter_key']);
  });
  await knex.schema.createTable('dossier_outbox', (t) => {
    t.comment('Status changes to synchronise to the national portal (QĐ 31 Art 30.3), delivered in order per dossier.');
    t.string('code', 40).notNullable().references('code').inTable('dossiers').comment('The dossier.');
    t.integer('seq').notNullable().comment('1, 2, … per dossier; the receiver sees each once (Idempotency-Key code:seq).');
    t.string('status', 24).notNullable().comment('Status published.');
    t.jsonb('payload').notNullable().comment('What is sent (no personal data).');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Queued at.');
    t.timestamp('delivered_at', { useTz: true }).nullable().comment('Acknowledged by the receiver.');
    t.integer('attempts').notNullable().defaultTo(0).comment('Delivery attempts.');
    t.primary(['code', 'seq']);
  });
  await knex.raw('create index dossier_outbox_pending on dossier_outbox (code, seq) where delivered_at is null');
  await knex.schema.createTable('dossier_evaluations', (t) => {
    t.comment('Satisfaction evaluations (Decree 61/2018 Art 31). The evaluator is not recorded: evaluations are confidential.');
    t.string('code', 40).primary().references('code').inTable('dossiers').comment('The dossier (one evaluation each).');
    t.string('agency_id', 64).notNullable().comment('Agency evaluated.');
    t.smallint('satisfaction').notNullable().comment('1 very dissatisfied … 5 very satisfied.');
    t.text('comment').nullable().comment('Free comment.');
    t.date('evaluated_on').notNullable().comment('Day of the evaluation (no time, to make it harder to link to a person).');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['dossier_evaluations', 'dossier_outbox', 'dossier_letters', 'dossier_applicants', 'dossiers']) await knex.schema.dropTable(t);
}
