/**
 * Determinism: every recorded history in test/histories/ is replayed against the current
 * workflow code. A change that would break running cases (reordered activities, a new timer
 * without patched()) fails here. `RECORD_HISTORIES=1 npx jest --selectProjects system
 * --testPathPatterns replay` records fresh histories from the dev server first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { spawnSync } from 'node:child_process';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { ensureTemporalCli } from '../../infra/tools';
import { diagnosticsWorkflow, dailyDigestWorkflow, feedbackWorkflow, mailRedeliveryWorkflow } from '../../workflows';
import { createMailer } from '../../activities/mailer';
import { sendOnce } from '../../db/mail-ledger';
import { freePort } from '../../infra/ports';
import { completeTaskUpdate, claimTaskUpdate } from '../../workflows/lib/kernel';
import { taskOpen } from '../helpers/harness';
import { kernelTestWorkflow } from '../workflows/kernel-test';
import { system, systemContext, TEST_WORKFLOWS, uniqueId, type SystemContext } from '../helpers/system';
import { procedureStore } from '../../db/procedure-store';
import { DEMO_CATALOGUE } from '../../db/seed-catalogue';
import { formatDate, localDay } from '../../domain/calendar/days';
import { procedureWorkflowId } from '../../domain/procedures';
import { editProcedureDraftUpdate, procedureWorkflow, withdrawProcedureUpdate } from '../../workflows/procedure';
import { dossierWorkflow } from '../../workflows/dossier';
import { paymentStore } from '../../db/payment-store';
import { inquiryWorkflowId, paymentWorkflowId, reconciliationWorkflowId } from '../../domain/payments';
import { statementCsv } from '../../domain/statements';
import { startPaymentSimulator } from '../../infra/payment-simulator';
import { startAgencySystem } from '../../infra/agency-simulator';
import { onboardingWorkflowId } from '../../domain/onboarding';
import { serviceOnboardingWorkflow } from '../../workflows/onboarding';
import { paymentCallbackSignal, paymentCheckoutUpdate, paymentRefundUpdate, paymentWorkflow, reconciliationWorkflow } from '../../workflows/payment';

const DIR = path.resolve(__dirname, '../histories');

/**
 * Exports a finished workflow's history as JSON with the Temporal CLI, to `<type>--<workflowId>.json`:
 * replay needs the original workflow ID (task IDs and audit keys derive from it).
 */
async function save(workflowId: string, type: string): Promise<void> {
  const file = `${type}--${encodeURIComponent(workflowId)}.json`; // ':' is not portable in file names
  const cli = await ensureTemporalCli(path.resolve(__dirname, '../..'));
  const r = spawnSync(cli, ['workflow', 'show', '--workflow-id', workflowId, '--address', system.temporalAddress(), '--output', 'json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  fs.writeFileSync(path.join(DIR, file), JSON.stringify(JSON.parse(r.stdout), null, 1) + '\n');
}

/** `RECORD_HISTORIES=1` records every type; `RECORD_HISTORIES=procedureWorkflow,…` only those. */
async function record(only: string): Promise<void> {
  const want = (type: string) => only === '1' || only.split(',').includes(type);
  const ctx = await systemContext();
  const worker = await ctx.createWorker();
  try {
    await worker.runUntil(async () => {
      const officer = { sub: 'officer-stp-01', role: 'officer' as const, agencyId: 'H99.20' };
      if (want('procedureWorkflow')) await recordProcedure(ctx);
      if (want('dossierWorkflow')) await recordDossier(ctx);
      if (want('paymentWorkflow') || want('reconciliationWorkflow') || want('paymentInquiryWorkflow')) await recordPayments(ctx);
      if (want('serviceOnboardingWorkflow')) await recordOnboarding(ctx);
      if (want('mailRedeliveryWorkflow')) await recordMailRedelivery(ctx);
      if (want('kernelTestWorkflow')) {
        const caseId = uniqueId('REPLAY');
        const handle = await ctx.client.workflow.start(kernelTestWorkflow, { taskQueue: ctx.taskQueue, workflowId: caseId, args: [{ caseId, agencyId: 'H99.20', workingDays: 5, withApproval: true }] });
        const waitTask = (id: string) => taskOpen(handle, id);
        await waitTask(`${caseId}:review:1`);
        await handle.executeUpdate(claimTaskUpdate, { args: [{ taskId: `${caseId}:review:1`, actor: officer, actorScope: ['H99.20'] }] });
        await handle.executeUpdate(completeTaskUpdate, { args: [{ taskId: `${caseId}:review:1`, actor: officer, actorScope: ['H99.20'], outcome: 'approve' }] });
        await waitTask(`${caseId}:approve:1`);
        await handle.executeUpdate(completeTaskUpdate, { args: [{ taskId: `${caseId}:approve:1`, actor: { sub: 'supervisor-stp-01', role: 'supervisor', agencyId: 'H99.20' }, actorScope: ['H99.20'], outcome: 'sign' }] });
        await handle.result();
        await save(caseId, 'kernelTestWorkflow');
      }
      if (want('diagnosticsWorkflow')) {
        const doctor = await ctx.client.workflow.start(diagnosticsWorkflow, { taskQueue: ctx.taskQueue, workflowId: uniqueId('replay-doctor'), args: [{ mailTo: 'ops@motcua.local', timerMs: 100 }] });
        await doctor.result();
        await save(doctor.workflowId, 'diagnosticsWorkflow');
      }
      if (want('feedbackWorkflow')) {
        // A feedback case through classification, transfer, answer, check and publication.
        const code = `PAKN.20261123.${String(Math.floor(Math.random() * 9000) + 1000)}`;
        await ctx.db('feedback').insert({ code, status: 'received', channel: 'portal', submitted_by: 'citizen-replay', title: 'Ghi lịch sử', content: 'Nội dung phản ánh để ghi lịch sử phát lại.', receiving_agency_id: 'H99.20', received_at: new Date() });
        await ctx.db('feedback_submitters').insert({ code, full_name: 'Người ghi', address: 'Số 1', phone: '0900000000', email: 'replay@nguoidan.motcua.local' });
        const fb = await ctx.client.workflow.start(feedbackWorkflow, { taskQueue: ctx.taskQueue, workflowId: code, args: [{ code, receivedAtMs: Date.now(), receivingAgencyId: 'H99.20', operatorAgencyId: 'VPCP' }] });
        const step = async (taskId: string, actor: { sub: string; role: 'operator' | 'officer' | 'supervisor'; agencyId: string }, outcome: string, payload: Record<string, unknown> = {}) => {
          await taskOpen(fb, taskId);
          await fb.executeUpdate(completeTaskUpdate, { args: [{ taskId, actor, actorScope: [actor.agencyId], outcome, payload }] });
        };
        const op = { sub: 'operator-01', role: 'operator' as const, agencyId: 'VPCP' };
        await step(`${code}:classify:1`, op, 'within');
        await step(`${code}:accept:1`, officer, 'accept');
        await step(`${code}:draft:1`, officer, 'submit', { answer: 'Trả lời.' });
        await step(`${code}:approve:1`, { sub: 'supervisor-stp-01', role: 'supervisor', agencyId: 'H99.20' }, 'approve');
        await step(`${code}:check:1`, op, 'accept');
        await fb.result();
        await save(code, 'feedbackWorkflow');
      }
      if (want('dailyDigestWorkflow')) {
        const digest = await ctx.client.workflow.start(dailyDigestWorkflow, { taskQueue: ctx.taskQueue, workflowId: uniqueId('replay-digest'), args: [{ atMs: Date.parse('2026-11-25T00:00:00Z') }] });
        await digest.result();
        await save(digest.workflowId, 'dailyDigestWorkflow');
      }
    });
  } finally {
    await ctx.close();
  }
}

/** A procedure version entered, edited, returned, published, in force, then withdrawn (all today). */
async function recordProcedure(ctx: SystemContext): Promise<void> {
  const code = `REPLAY-${Date.now().toString(36).toUpperCase()}`;
  const today = formatDate(localDay(Date.now()));
  const decision = { number: '1/QĐ-UBND', signerLevel: 'provincialChair' as const, signedOn: today, effectiveOn: today };
  const record = { ...DEMO_CATALOGUE[0]!.record, code };
  await ctx.db.transaction((trx) => procedureStore(ctx.db).insertDraft(trx, { record, decision: null, enteredBy: 'officer-stp-01' }));
  const workflowId = procedureWorkflowId(code, 1);
  const h = await ctx.client.workflow.start(procedureWorkflow, { taskQueue: ctx.taskQueue, workflowId, args: [{ code, version: 1, agencyId: 'H99.20', enteredBy: 'officer-stp-01', decision: null, mode: 'entry' }] });
  const officer = { sub: 'officer-stp-01', role: 'officer' as const, agencyId: 'H99.20' };
  const leader = { sub: 'supervisor-stp-02', role: 'supervisor' as const, agencyId: 'H99.20' };
  const step = async (taskId: string, actor: typeof officer | typeof leader, outcome: string, payload: Record<string, unknown> = {}) => {
    await taskOpen(h, taskId);
    await h.executeUpdate(completeTaskUpdate, { args: [{ taskId, actor, actorScope: ['H99.20'], outcome, payload }] });
  };
  await taskOpen(h, `${workflowId}:submit:1`);
  await h.executeUpdate(editProcedureDraftUpdate, { args: [{ actor: officer, actorScope: ['H99.20'], record, decision }] });
  await step(`${workflowId}:submit:1`, officer, 'submit');
  await step(`${workflowId}:review:1`, leader, 'return', { comments: 'Bổ sung căn cứ pháp lý' });
  await step(`${workflowId}:submit:2`, officer, 'submit');
  await step(`${workflowId}:review:2`, leader, 'publish');
  for (let i = 0; i < 200 && (await procedureStore(ctx.db).get(code, 1))?.status !== 'in_force'; i++) await new Promise((r) => setTimeout(r, 25));
  await h.executeUpdate(withdrawProcedureUpdate, { args: [{ actor: leader, actorScope: ['H99.20'], withdrawal: { number: '2/QĐ-UBND', signedOn: today, effectiveOn: today, reason: 'Ghi lịch sử phát lại' } }] });
  await h.result();
  await save(workflowId, 'procedureWorkflow');
}

/** A dossier accepted, sent for consultation (child workflow), approved and returned. */
async function recordDossier(ctx: SystemContext): Promise<void> {
  const code = `R99-${formatDate(localDay(Date.now())).slice(2).replace(/-/g, '')}-${String(Math.floor(Math.random() * 9000) + 1000)}`;
  await ctx.db('dossiers').insert({ code, status: 'received', agency_id: 'H99.20', procedure_code: 'H99-TP-001', procedure_version: 1, procedure_name: 'Ghi lịch sử', channel: 'online', paper: false, owner_sub: 'citizen-replay', return_method: 'online', received_at: new Date(), fee_total_vnd: 0 });
  await ctx.db('dossier_applicants').insert({ code, full_name: 'Người ghi', address: 'Số 1 Minh Họa', phone: '0900000000', email: 'replay-dossier@nguoidan.motcua.local', documents: '[]' });
  const h = await ctx.client.workflow.start(dossierWorkflow, {
    taskQueue: ctx.taskQueue,
    workflowId: code,
    args: [{ code, agencyId: 'H99.20', receivedAtMs: Date.now(), channel: 'online', paper: false, procedure: { code: 'H99-TP-001', version: 1, name: 'Ghi lịch sử', workingDays: 5, feeTotalVnd: 0 } }],
  });
  const officer = { sub: 'officer-stp-01', role: 'officer' as const, agencyId: 'H99.20' };
  const step = async (handle: typeof h | ReturnType<typeof ctx.client.workflow.getHandle>, taskId: string, actor: { sub: string; role: 'officer' | 'supervisor'; agencyId: string }, outcome: string, payload: Record<string, unknown> = {}) => {
    await taskOpen(handle, taskId);
    await handle.executeUpdate(completeTaskUpdate, { args: [{ taskId, actor, actorScope: [actor.agencyId], outcome, payload }] });
  };
  await step(h, `${code}:check:1`, officer, 'accept');
  await step(h, `${code}:appraise:1`, officer, 'consult', { agencies: 'H99.21', question: 'Xác minh' });
  const child = ctx.client.workflow.getHandle(`${code}:consult:1`);
  await step(child, `${code}:consult:1:opinion:1`, { sub: 'officer-stc-01', role: 'officer', agencyId: 'H99.21' }, 'agree');
  await step(h, `${code}:appraise:2`, officer, 'propose_approve');
  await step(h, `${code}:approve:1`, { sub: 'supervisor-stp-01', role: 'supervisor', agencyId: 'H99.20' }, 'approve');
  await step(h, `${code}:return:1`, officer, 'returned');
  await h.result();
  await save(code, 'dossierWorkflow');
  await save(`${code}:consult:1`, 'consultationWorkflow');
}

/**
 * A payment checked out at the simulator, paid (the verified callback as the API signals it),
 * refunded; a day reconciled with one exception, whose inquiry is resolved.
 */
async function recordPayments(ctx: SystemContext): Promise<void> {
  const provider = `RP${Date.now().toString(36).toUpperCase().slice(-6)}`;
  const sim = await startPaymentSimulator({ providers: [{ id: provider, name: 'Ghi lịch sử', kind: 'bank', secret: 'replay-secret', format: 'csv' }] });
  try {
    await paymentStore(ctx.db).upsertProviders(sim.providerRows());
    const now = Date.now();
    const reference = `PAY${formatDate(localDay(now)).replace(/-/g, '')}${String(now % 1_000_000).padStart(6, '0')}REPLAY`;
    await ctx.db('payments').insert({ reference, provider, agency_id: 'H99.20', transaction_type: 'G22.99.02', amount_vnd: 90_000, description: 'Ghi lịch sử', payer_sub: 'citizen-replay', status: 'pending', created_at: new Date(now), expires_at: new Date(now + 86_400_000) });
    const h = await ctx.client.workflow.start(paymentWorkflow, { taskQueue: ctx.taskQueue, workflowId: paymentWorkflowId(reference), args: [{ reference, provider, agencyId: 'H99.20', amountVnd: 90_000, createdAtMs: now }] });
    const { providerTxnId, payUrl } = await h.executeUpdate(paymentCheckoutUpdate, { args: [] });
    // Paid at the provider; its callback is given to the workflow here as the API would (no API runs).
    await fetch(payUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ result: 'pay' }) });
    await h.signal(paymentCallbackSignal, { callbackId: 1, outcome: 'paid', providerTxnId, amountVnd: 90_000, atMs: Date.now() });
    await h.signal(paymentCallbackSignal, { callbackId: 2, outcome: 'paid', providerTxnId, amountVnd: 90_000, atMs: Date.now() });
    for (let i = 0; i < 200 && (await ctx.db('payments').where({ reference }).first()).status !== 'paid'; i++) await new Promise((r) => setTimeout(r, 25));
    await h.executeUpdate(paymentRefundUpdate, { args: [{ actor: { sub: 'supervisor-stp-01', role: 'supervisor', agencyId: 'H99.20' }, reason: 'Ghi lịch sử hoàn tiền' }] });
    await h.signal(paymentCallbackSignal, { callbackId: 3, outcome: 'refunded', providerTxnId, amountVnd: 90_000, atMs: Date.now() });
    await h.result();
    await save(h.workflowId, 'paymentWorkflow');

    const date = formatDate(localDay(now) - 1);
    const ghost = `PAY${date.replace(/-/g, '')}999999GHOST1`;
    await fetch(`${sim.url}/${provider}/statements/${date}`, { method: 'PUT', body: statementCsv([{ lineNo: 1, reference: ghost, providerTxnId: `${provider}-G1`, amountVnd: 10_000, bookedAt: `${date}T10:00:00+07:00`, status: 'booked', agencyId: 'H99.20' }]) });
    const r = await ctx.client.workflow.start(reconciliationWorkflow, { taskQueue: ctx.taskQueue, workflowId: reconciliationWorkflowId(provider, date), args: [{ provider, businessDate: date }] });
    await r.result();
    await save(r.workflowId, 'reconciliationWorkflow');
    const inquiry = ctx.client.workflow.getHandle(inquiryWorkflowId(provider, date, 'unknown_to_portal', ghost));
    const taskId = `${inquiry.workflowId}:resolve_inquiry:1`;
    await taskOpen(inquiry, taskId);
    await inquiry.executeUpdate(completeTaskUpdate, { args: [{ taskId, actor: { sub: 'officer-stp-01', role: 'officer', agencyId: 'H99.20' }, actorScope: ['H99.20'], outcome: 'refunded', payload: { evidence: 'Hoàn trả người nộp, lệnh chi 01' } }] });
    await inquiry.result();
    await save(inquiry.workflowId, 'paymentInquiryWorkflow');
  } finally {
    await sim.stop();
  }
}

/**
 * A service whose first conformance run fails two checks: a fix task, a re-test of what failed plus
 * the regression set that fails again, then the agency withdraws it. (A live service never ends:
 * its monitoring continues as new.)
 */
/** A redelivery pass that sends one message the relay had refused a minute before. */
async function recordMailRedelivery(ctx: SystemContext): Promise<void> {
  const down = createMailer({ smtpUrl: `smtp://127.0.0.1:${await freePort()}`, from: 'motcua <no-reply@motcua.local>' });
  const to = `${uniqueId('replay-mail')}@nguoidan.motcua.local`;
  try {
    expect(await sendOnce(ctx.db, down, `replay:${to}`, { to: [to], subject: 'Ghi lịch sử gửi lại thư', text: 'Thư gửi lại.' }, { now: new Date(Date.now() - 60_000) })).toBe('queued');
  } finally {
    down.close();
  }
  const run = await ctx.client.workflow.start(mailRedeliveryWorkflow, { taskQueue: ctx.taskQueue, workflowId: uniqueId('replay-mail-redelivery') });
  expect((await run.result()).sent).toBeGreaterThanOrEqual(1);
  expect(await ctx.db('sent_emails').where({ dedupe_key: `replay:${to}` }).first('status')).toEqual({ status: 'sent' });
  await save(run.workflowId, 'mailRedeliveryWorkflow');
}

async function recordOnboarding(ctx: SystemContext): Promise<void> {
  const agency = await startAgencySystem({ secret: 'replay-secret-0123456789', breaks: ['ignores_signature', 'no_idempotency'] });
  try {
    const id = `RE-${Date.now().toString(36).toUpperCase()}`;
    const today = formatDate(localDay(Date.now()));
    await ctx.db('online_services').insert({ service_id: id, name: 'Ghi lịch sử', service_type: 'dossier_service', agency_id: 'H99.20', procedure_codes: JSON.stringify(['H99-TP-001']), target_level: 'partial', online_share: '{}', endpoints: JSON.stringify(agency.endpoints), require_tls: false, callback_secret: 'replay-secret-0123456789', contacts: JSON.stringify([{ name: 'Kỹ thuật', email: 'replay-onboarding@stp.motcua.local' }]), planned_go_live: today, status: 'registered', registered_by: 'officer-stp-01' });
    const workflowId = onboardingWorkflowId(id);
    const h = await ctx.client.workflow.start(serviceOnboardingWorkflow, { taskQueue: ctx.taskQueue, workflowId, args: [{ serviceId: id, name: 'Ghi lịch sử', agencyId: 'H99.20', operatorAgencyId: 'VPCP', serviceType: 'dossier_service', targetLevel: 'partial', procedureCodes: ['H99-TP-001'], plannedGoLive: today, registeredAtMs: Date.now() }] });
    const officer = { sub: 'officer-stp-01', role: 'officer' as const, agencyId: 'H99.20' };
    await taskOpen(h, `${workflowId}:fix:1`);
    await h.executeUpdate(completeTaskUpdate, { args: [{ taskId: `${workflowId}:fix:1`, actor: officer, actorScope: ['H99.20'], outcome: 'fixed', payload: { note: 'Đã sửa một phần' } }] });
    await taskOpen(h, `${workflowId}:fix:2`);
    await h.executeUpdate(completeTaskUpdate, { args: [{ taskId: `${workflowId}:fix:2`, actor: officer, actorScope: ['H99.20'], outcome: 'withdraw' }] });
    await h.result();
    await save(workflowId, 'serviceOnboardingWorkflow');
  } finally {
    await agency.stop();
  }
}

describe('replay of recorded histories', () => {
  beforeAll(async () => {
    if (process.env.RECORD_HISTORIES) await record(process.env.RECORD_HISTORIES);
  });

  it('has histories of every workflow type to replay', () => {
    const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json'));
    expect(files.map((f) => f.split('--')[0]).sort()).toEqual(expect.arrayContaining(['dailyDigestWorkflow', 'diagnosticsWorkflow', 'feedbackWorkflow', 'kernelTestWorkflow', 'procedureWorkflow', 'dossierWorkflow', 'consultationWorkflow', 'paymentWorkflow', 'reconciliationWorkflow', 'paymentInquiryWorkflow', 'serviceOnboardingWorkflow', 'mailRedeliveryWorkflow']));
  });

  it('replays every recorded history without non-determinism', async () => {
    const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json'));
    const histories = files.map((f) => ({ workflowId: decodeURIComponent(f.slice(f.indexOf('--') + 2, -'.json'.length)), history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8'))) }));
    const results = Worker.runReplayHistories({ workflowsPath: TEST_WORKFLOWS, replayName: 'ci' }, histories);
    const failures: string[] = [];
    let count = 0;
    for await (const r of results) {
      count++;
      if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(count).toBe(files.length);
  });
});
