import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Append-only tables refuse UPDATE and DELETE at the database level.
  await knex.raw(`
    create or replace function motcua_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'table % is append-only', tg_table_name using errcode = 'P0001';
    end $$;
    comment on function motcua_append_only() is 'Trigger function that makes a table append-only (versions, audit).';
  `);
  await knex.schema.createTable('calendar_years', (t) => {
    t.comment('Official working-day calendars loaded by operators from government notices; append-only, one row per version.');
    t.integer('year').notNullable().comment('Calendar year the notice covers.');
    t.integer('version').notNullable().comment('1, 2, …: the latest version of a year is the one in force.');
    t.jsonb('sources').notNullable().comment('Notices the data comes from: [{id, title, issuer, issued, url?}].');
    t.jsonb('days_off').notNullable().comment('Weekdays off: [{date, name, kind, source, note?}].');
    t.jsonb('worked_saturdays').notNullable().comment('Saturdays worked in exchange for swapped days: [{date, replaces, source, note?}].');
    t.string('loaded_by', 200).notNullable().comment('Operator (token subject) who loaded this version.');
    t.timestamp('loaded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When it was loaded.');
    t.text('reason').nullable().comment('Why this version was loaded (e.g. the notice number).');
    t.primary(['year', 'version']);
  });
  await knex.schema.createTable('policy_versions', (t) => {
    t.comment('Versions of statutory limits published by operators; append-only. The built-in version lives in code (domain/policies).');
    t.string('version', 64).primary().comment('Version identifier, e.g. "2026.2"; cases pin it.');
    t.date('effective_from').notNullable().comment('First local date on which new cases use this version.');
    t.string('title', 300).notNullable().comment('Human title of the version.');
    t.jsonb('entries').notNullable().comment('Map key → {value, unit, citation, note?}.');
    t.string('published_by', 200).notNullable().comment('Operator (token subject) who published it.');
    t.timestamp('published_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When it was published.');
  });
  for (const table of ['calendar_years', 'policy_versions']) {
    await knex.raw(`create trigger ${table}_append_only before update or delete on ${table} for each row execute function motcua_append_only()`);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('policy_versions');
  await knex.schema.dropTable('calendar_years');
  await knex.raw('drop function if exists motcua_append_only()');
}
