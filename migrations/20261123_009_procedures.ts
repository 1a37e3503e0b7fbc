import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('procedure_versions', (t) => {
    t.comment('Versions of administrative procedures in the catalogue (CSDLQG TTHC), read model written by procedureWorkflow and by intake/import.');
    t.bigIncrements('id').comment('Surrogate key.');
    t.string('code', 40).notNullable().comment('Procedure code in the national catalogue.');
    t.integer('version').notNullable().comment('1, 2, … per code.');
    t.string('status', 12).notNullable().comment('draft | in_review | returned | discarded | published | in_force | superseded | withdrawn.');
    t.string('name', 500).notNullable().comment('Name of the procedure (Vietnamese).');
    t.string('sector', 200).notNullable().comment('Sector (lĩnh vực).');
    t.string('level', 10).notNullable().comment('ministry | province | district | commune.');
    t.string('agency_id', 64).notNullable().references('id').inTable('agencies').comment('Agency that announces and maintains the procedure.');
    t.specificType('implementing_agency_ids', 'text[]').notNullable().defaultTo('{}').comment('Agencies that receive and handle dossiers of it.');
    t.string('online_level', 8).notNullable().comment('none | partial | full online service.');
    t.integer('time_limit_working_days').nullable().comment('Processing time limit in working days, when stated so.');
    t.integer('time_limit_calendar_days').nullable().comment('Processing time limit in calendar days, where the law says days.');
    t.jsonb('record').notNullable().comment('The full procedure record (steps, documents, fees, legal basis, …).');
    t.jsonb('decision').nullable().comment('Announcement decision: number, signer level, signing date, effective date.');
    t.string('entered_by', 200).notNullable().comment('Official who entered the draft (or the importer).');
    t.specificType('editors', 'text[]').notNullable().defaultTo('{}').comment('Everyone who edited the draft; none of them may review it (four eyes).');
    t.string('reviewed_by', 200).nullable().comment('Second person who checked it against the decision and published it.');
    t.text('review_comments').nullable().comment('Why the reviewer returned it, last time.');
    t.timestamp('published_at', { useTz: true }).nullable().comment('When it was published.');
    t.boolean('published_on_time').nullable().comment('Published within the limit counted from the decision (Decree 63/2010 Art 24 as amended).');
    t.date('in_force_from').nullable().comment('First day in force (set on activation, on the effective date).');
    t.date('in_force_to').nullable().comment('First day no longer in force (successor activated or withdrawal effective).');
    t.jsonb('withdrawal').nullable().comment('Withdrawal decision: number, signing and effective dates, reason.');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Entered at.');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Last change.');
    t.unique(['code', 'version']);
    t.index(['agency_id', 'status']);
  });
  await knex.raw("create unique index procedure_versions_one_open_draft on procedure_versions (code) where status in ('draft', 'in_review', 'returned')");
  await knex.raw("create unique index procedure_versions_one_in_force on procedure_versions (code) where status = 'in_force'");
  await knex.raw("create index procedure_versions_in_force on procedure_versions (code, in_force_from) where status in ('in_force', 'superseded', 'withdrawn')");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('procedure_versions');
}
