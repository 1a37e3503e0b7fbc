import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('online_services', (t) => {
    t.comment('Agency online services (and bank payment connections) onboarded onto the portal (Circular 01/2018 Art 21; QĐ 31/2021 Arts 30, 37); written by serviceOnboardingWorkflow after the registration row.');
    t.string('service_id', 80).primary().comment('Service ID, also the workflow ID onboarding:<service_id>.');
    t.string('name', 300).notNullable().comment('Name of the service (Vietnamese).');
    t.string('service_type', 24).notNullable().comment('dossier_service | payment_connection.');
    t.string('agency_id', 64).notNullable().references('id').inTable('agencies').comment('Agency (or bank) that runs the system.');
    t.jsonb('procedure_codes').notNullable().comment('Published procedures the service serves.');
    t.string('target_level', 8).notNullable().comment('partial | full online.');
    t.jsonb('online_share').notNullable().comment('Per procedure at registration: {online, total, percent} of dossiers received online (full online needs the policy share).');
    t.jsonb('endpoints').notNullable().comment('statusSyncUrl, intakeUrl, paymentCallbackUrl of the agency system.');
    t.boolean('require_tls').notNullable().comment('Endpoints must be https.');
    t.text('callback_secret').notNullable().comment('Shared secret the portal signs payment notifications with; never returned by the API.');
    t.jsonb('contacts').notNullable().comment('Technical contacts: name, e-mail, phone.');
    t.date('planned_go_live').notNullable().comment('Planned go-live date.');
    t.string('status', 24).notNullable().comment('registered | testing | manual_testing | fixing | awaiting_acceptance | accepted | live | suspended | rejected | withdrawn.');
    t.string('registered_by', 200).notNullable().comment('Agency officer who registered it.');
    t.string('accepted_by', 200).nullable().comment('Operator who accepted it (not one of the testers).');
    t.date('live_from').nullable().comment('Go-live date: the online level of the procedures in the catalogue changes from then.');
    t.timestamp('suspended_at', { useTz: true }).nullable().comment('Suspended (repeated probe failures or an operator).');
    t.integer('consecutive_probe_failures').notNullable().defaultTo(0).comment('Monitoring: failed probes in a row.');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Registered at.');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('Last change.');
    t.index(['agency_id']);
  });
  await knex.schema.createTable('onboarding_runs', (t) => {
    t.comment('Each run of the automated conformance suite (initial, re-test after a fix, post-go-live probe).');
    t.string('service_id', 80).notNullable().references('service_id').inTable('online_services').comment('Service.');
    t.integer('run_no').notNullable().comment('1, 2, … per service.');
    t.string('kind', 8).notNullable().comment('test | retest | probe.');
    t.jsonb('checks').notNullable().comment('Checks run.');
    t.jsonb('failed').notNullable().comment('Checks that failed.');
    t.timestamp('started_at', { useTz: true }).notNullable().comment('Started.');
    t.timestamp('finished_at', { useTz: true }).notNullable().comment('Finished.');
    t.primary(['service_id', 'run_no']);
  });
  await knex.schema.createTable('onboarding_checks', (t) => {
    t.comment('Evidence: one row per check per run, with every HTTP exchange, the verdict and the timing.');
    t.string('service_id', 80).notNullable().comment('Service.');
    t.integer('run_no').notNullable().comment('Run.');
    t.string('check_id', 40).notNullable().comment('Check (domain/onboarding.ts CHECK_IDS).');
    t.string('verdict', 8).notNullable().comment('pass | fail.');
    t.text('detail').notNullable().comment('What was expected and what came back.');
    t.integer('ms').notNullable().comment('Duration.');
    t.jsonb('exchanges').notNullable().comment('Requests and responses (bodies truncated to 2 KiB).');
    t.primary(['service_id', 'run_no', 'check_id']);
    t.foreign(['service_id', 'run_no']).references(['service_id', 'run_no']).inTable('onboarding_runs');
  });
  await knex.schema.createTable('onboarding_manual_results', (t) => {
    t.comment('Manual test cases passed or failed by the portal operator tester, per round.');
    t.string('service_id', 80).notNullable().references('service_id').inTable('online_services').comment('Service.');
    t.integer('round').notNullable().comment('Test round.');
    t.string('case_id', 40).notNullable().comment('Checklist item (domain/onboarding.ts MANUAL_CHECKLIST).');
    t.string('verdict', 8).notNullable().comment('pass | fail.');
    t.text('note').notNullable().comment('Note of the tester (required on a failure).');
    t.string('tester', 200).notNullable().comment('Tester.');
    t.timestamp('recorded_at', { useTz: true }).notNullable().comment('Recorded.');
    t.primary(['service_id', 'round', 'case_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['onboarding_manual_results', 'onboarding_checks', 'onboarding_runs', 'online_services']) await knex.schema.dropTable(t);
}
