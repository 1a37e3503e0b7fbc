import type { Knex } from 'knex';

/**
 * Indexes shaped like the inbox's rule branches, each walked in due order by its own subquery
 * (db/task-store.ts): an agency's unassigned queue, a person's queue, and the all-open queue
 * (supervisors of large hierarchies, operators, admins), which carries the filter columns so the
 * walk is index-only. Bench at 1,000,000 tasks: see README.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists tasks_open_due');
  await knex.raw("create index tasks_open_due on tasks (due_at, id) include (agency_id, assignee, candidate_role, case_type, step, status) where status in ('open', 'claimed')");
  await knex.raw("create index tasks_agency_unassigned on tasks (agency_id, due_at, id) where assignee is null and status in ('open', 'claimed')");
  await knex.raw("create index tasks_assignee_open on tasks (assignee, due_at, id) where status in ('open', 'claimed')");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists tasks_assignee_open');
  await knex.raw('drop index if exists tasks_agency_unassigned');
  await knex.raw('drop index if exists tasks_open_due');
  await knex.raw("create index tasks_open_due on tasks (due_at, id) where status in ('open', 'claimed')");
}
