import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('case_code_sequences', (t) => {
    t.comment('Daily sequences behind case codes (PAKN.YYYYMMDD.NNNN, <agency>-<YYMMDD>-<NNNN>); incremented inside the intake transaction, so a rolled-back intake burns no number.');
    t.string('series', 64).notNullable().comment('PAKN, or the agency code of a dossier series.');
    t.date('day').notNullable().comment('Local (Asia/Ho_Chi_Minh) day of receipt.');
    t.integer('last').notNullable().comment('Last number issued that day.');
    t.primary(['series', 'day']);
  });
  await knex.schema.createTable('idempotency_keys', (t) => {
    t.comment('Idempotency-Key records of intake requests: a retried request gets the first answer and never a second case.');
    t.string('scope', 300).notNullable().comment('Who and what: `<token subject>:<operation>`.');
    t.string('key', 200).notNullable().comment("The client's Idempotency-Key header.");
    t.string('request_hash', 64).notNullable().comment('sha256 of the request body; the same key with another body is refused.');
    t.string('resource', 200).notNullable().comment('What the request created (the case code).');
    t.string('state', 12).notNullable().comment('pending (code issued, case not yet started) | done.');
    t.integer('status_code').nullable().comment('HTTP status of the stored answer.');
    t.jsonb('response').nullable().comment('The stored answer body.');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When the key was first seen.');
    t.primary(['scope', 'key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('idempotency_keys');
  await knex.schema.dropTable('case_code_sequences');
}
