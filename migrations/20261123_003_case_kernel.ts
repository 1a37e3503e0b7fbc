import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('staff', (t) => {
    t.comment('Directory of officials (from the identity provider): where reminders to an assignee are e-mailed.');
    t.string('sub', 200).primary().comment('Token subject of the official.');
    t.string('name', 200).notNullable().comment('Full name.');
    t.string('email', 320).notNullable().comment('Work e-mail address.');
    t.string('agency_id', 64).notNullable().references('id').inTable('agencies').comment('Agency the official belongs to.');
    t.string('role', 20).notNullable().comment('officer | supervisor | auditor | operator | admin.');
  });
  await knex.schema.createTable('tasks', (t) => {
    t.comment('The officer inbox: human tasks opened by case workflows (read model; the workflow is the authority).');
    t.string('id', 300).primary().comment('Deterministic task ID `<workflowId>:<step>:<n>`: reopening after a retry upserts the same row.');
    t.string('case_type', 40).notNullable().comment('feedback | dossier | procedure | onboarding | inquiry | test.');
    t.string('case_id', 200).notNullable().comment('Business ID of the case (e.g. PAKN.20261123.0001).');
    t.string('workflow_id', 300).notNullable().comment('Temporal workflow ID that owns the task.');
    t.string('step', 80).notNullable().comment('Step of the process the task belongs to.');
    t.string('title', 500).notNullable().comment('What the officer is asked to do (Vietnamese), without personal data.');
    t.string('agency_id', 64).notNullable().references('id').inTable('agencies').comment('Agency whose officers may take it.');
    t.string('candidate_role', 20).notNullable().comment('Role the task is offered to.');
    t.string('assignee', 200).nullable().comment('Token subject of the officer holding the task; null while unassigned.');
    t.string('status', 12).notNullable().comment('open | claimed | done | cancelled.');
    t.integer('priority').notNullable().defaultTo(0).comment('Higher first among equal due instants (not used for sorting by default).');
    t.timestamp('due_at', { useTz: true }).nullable().comment('Statutory due instant from the case clock (end of the due day, Asia/Ho_Chi_Minh).');
    t.specificType('outcomes', 'text[]').notNullable().comment('Outcomes the step allows.');
    t.string('outcome', 80).nullable().comment('The decision taken, once done.');
    t.string('completed_by', 200).nullable().comment('Who decided.');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When the task was opened.');
    t.timestamp('claimed_at', { useTz: true }).nullable().comment('When the current assignee took it.');
    t.timestamp('completed_at', { useTz: true }).nullable().comment('When it was done or cancelled.');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Last change of the row.');
  });
  // Inbox access paths: agency queue by due date, personal queue by due date, global overdue scan.
  await knex.raw('create index tasks_agency_queue on tasks (agency_id, status, due_at, id)');
  await knex.raw('create index tasks_assignee_queue on tasks (assignee, status, due_at, id) where assignee is not null');
  await knex.raw("create index tasks_open_due on tasks (due_at, id) where status in ('open', 'claimed')");
  await knex.raw('create index tasks_case on tasks (case_type, case_id)');

  await knex.schema.createTable('alerts', (t) => {
    t.comment('Deadline alerts for supervisors (the feed); one row per (case, clock, threshold) whatever the retries.');
    t.bigIncrements('id').comment('Alert number.');
    t.string('dedupe_key', 500).notNullable().unique().comment('`<caseType>:<caseId>:<clockId>:<thresholdKey>`: the exactly-once key.');
    t.string('case_type', 40).notNullable().comment('Case type.');
    t.string('case_id', 200).notNullable().comment('Case business ID.');
    t.string('workflow_id', 300).notNullable().comment('Owning workflow.');
    t.string('clock_id', 80).notNullable().comment('Statutory clock within the case.');
    t.string('threshold_key', 80).notNullable().comment('Threshold within the clock generation (g0:before-1, g0:due, g0:overdue-2, g0:escalate-3).');
    t.string('kind', 20).notNullable().comment('reminder | due | overdue | escalation.');
    t.string('agency_id', 64).notNullable().references('id').inTable('agencies').comment('Agency whose supervisors are alerted (the parent agency for an escalation).');
    t.string('assignee', 200).nullable().comment('Officer holding the task when the alert was raised.');
    t.string('title', 500).notNullable().comment('Vietnamese summary, without personal data.');
    t.timestamp('due_at', { useTz: true }).notNullable().comment('Due instant of the clock when raised.');
    t.integer('overdue_working_days').nullable().comment('For overdue and escalation alerts: working days overdue.');
    t.timestamp('raised_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When it was raised.');
    t.timestamp('acknowledged_at', { useTz: true }).nullable().comment('When a supervisor acknowledged it.');
    t.string('acknowledged_by', 200).nullable().comment('Who acknowledged it.');
    t.index(['agency_id', 'raised_at']);
  });

  await knex.schema.createTable('sent_emails', (t) => {
    t.comment('E-mail outbox ledger: one row per (purpose, recipient) so retried activities never send twice.');
    t.string('dedupe_key', 500).primary().comment('Idempotency key of the message, e.g. `alert:<alert key>:<recipient>`.');
    t.string('recipient', 320).notNullable().comment('Address it goes to.');
    t.string('subject', 500).notNullable().comment('Subject line.');
    t.string('message_id', 300).notNullable().comment('Stable Message-ID derived from the key (receivers can drop a re-delivery).');
    t.string('status', 12).notNullable().comment('sending | sent.');
    t.integer('attempts').notNullable().defaultTo(0).comment('Delivery attempts.');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('When first attempted.');
    t.timestamp('sent_at', { useTz: true }).nullable().comment('When the SMTP server accepted it.');
  });

  await knex.schema.createTable('audit_events', (t) => {
    t.comment('Append-only audit log; each event is hash-chained to the previous event of the same case.');
    t.bigIncrements('id').comment('Global order of events.');
    t.string('dedupe_key', 500).notNullable().unique().comment('Idempotency key from the workflow, so a retried activity appends once.');
    t.string('case_type', 40).notNullable().comment('Case type.');
    t.string('case_id', 200).notNullable().comment('Case business ID.');
    t.string('agency_id', 64).nullable().comment('Agency responsible for the case at the time (auditor scope).');
    t.string('workflow_id', 300).notNullable().comment('Temporal workflow ID.');
    t.string('run_id', 100).notNullable().comment('Temporal run ID.');
    t.string('actor', 200).notNullable().comment('Token subject, or `system` for the workflow itself.');
    t.string('actor_role', 20).notNullable().comment('Role of the actor, or `system`.');
    t.string('action', 80).notNullable().comment('What happened, e.g. task.completed, alert.raised, case.started.');
    t.jsonb('before').nullable().comment('Changed fields before.');
    t.jsonb('after').nullable().comment('Changed fields after.');
    t.timestamp('at', { useTz: true }).notNullable().comment('Workflow time of the event.');
    t.string('prev_hash', 64).nullable().comment('Hash of the previous event of this case (null for the first).');
    t.string('hash', 64).notNullable().comment('sha256 over prev_hash and this event\'s canonical JSON.');
    t.index(['case_type', 'case_id', 'id']);
    t.index(['at']);
  });
  for (const table of ['audit_events']) {
    await knex.raw(`create trigger ${table}_append_only before update or delete on ${table} for each row execute function motcua_append_only()`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['audit_events', 'sent_emails', 'alerts', 'tasks', 'staff']) await knex.schema.dropTable(table);
}
