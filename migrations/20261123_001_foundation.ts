import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agencies', (t) => {
    t.comment('State agencies (cơ quan) with their hierarchy; codes follow Circular 10/2016/TT-BTTTT.');
    t.string('id', 64).primary().comment('Stable agency identifier used in tokens and rows, e.g. "H12.20".');
    t.string('code', 32).notNullable().unique().comment('Agency code of Circular 10/2016/TT-BTTTT, the prefix of dossier codes.');
    t.string('name', 300).notNullable().comment('Official Vietnamese name.');
    t.string('parent_id', 64).nullable().references('id').inTable('agencies').comment('Superior agency; escalation goes up this chain.');
    t.string('level', 16).notNullable().comment('ministry | province | department | district | commune | portal.');
    t.specificType('supervisor_emails', 'text[]').notNullable().defaultTo('{}').comment('Where deadline alerts for this agency are e-mailed.');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When the row was created.');
  });
  await knex.schema.createTable('diagnostics', (t) => {
    t.comment('One row per `motcua doctor` run: proves the worker can write to PostgreSQL.');
    t.string('run_id', 64).primary().comment('Diagnostics workflow ID; the write is an idempotent upsert on it.');
    t.timestamp('written_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When the activity wrote the row.');
    t.integer('attempts').notNullable().defaultTo(1).comment('How many times the activity wrote it (retries increase it).');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('diagnostics');
  await knex.schema.dropTable('agencies');
}
