import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feedback', (t) => {
    t.specificType('possible_duplicates', 'text[]').notNullable().defaultTo('{}').comment('Open feedback this one resembles (same submitter, or the same normalised content within 30 days), flagged at intake for the classifier.');
    t.string('content_fingerprint', 64).nullable().comment('sha256 of the normalised content (lower case, letters and digits only), for duplicate detection.');
    t.string('merged_into', 40).nullable().comment('Feedback this one was merged into by the classifier; its submitter is told of that case\'s answer.');
    t.index(['content_fingerprint']);
    t.index(['merged_into']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feedback', (t) => {
    t.dropColumn('merged_into');
    t.dropColumn('content_fingerprint');
    t.dropColumn('possible_duplicates');
  });
}
