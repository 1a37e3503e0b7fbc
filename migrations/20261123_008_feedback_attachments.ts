import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('feedback_attachments', (t) => {
    t.comment('Files attached to feedback (QĐ 31 Art 41), stored with the intake; shown to the submitter and the officials handling the case, never published.');
    t.bigIncrements('id').comment('Attachment number.');
    t.string('code', 40).notNullable().references('code').inTable('feedback').comment('The feedback.');
    t.string('file_name', 200).notNullable().comment('Name given by the submitter.');
    t.string('content_type', 100).notNullable().comment('application/pdf | image/png | image/jpeg, checked against the file\'s first bytes.');
    t.integer('size_bytes').notNullable().comment('Size in bytes (within the limit of domain/feedback.ts).');
    t.string('sha256', 64).notNullable().comment('Content hash, for integrity checks.');
    t.binary('data').notNullable().comment('The file.');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When it was received.');
    t.index(['code']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('feedback_attachments');
}
