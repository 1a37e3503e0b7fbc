/**
 * serviceOnboardingWorkflow under time skipping with real activities (PostgreSQL, SMTP sink) and
 * real agency systems on loopback: the fix-loop deadline with its alerts, and post-go-live
 * monitoring — repeated probe failures alert the agency's supervisors and the operator, then
 * suspend the service with a notice; an operator's resume takes effect only once probes pass.
 */
import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { Db } from '../../db/knex';
import { formatDate, localDay } from '../../domain/calendar/days';
import { MANUAL_CHECKLIST, onboardingWorkflowId } from '../../domain/onboarding';
import type { Actor } from '../../domain/roles';
import { startAgencySystem, type RunningAgencySystem } from '../../infra/agency-simulator';
import { completeTaskUpdate } from '../../workflows/lib/kernel';
import { resumeServiceUpdate, serviceOnboardingWorkflow } from '../../workflows/onboarding';
import { taskOpen, timeSkipping, type TimeSkipping } from '../helpers/harness';
import { eventually, mailMatching } from '../helpers/system';

const SECRET = 'agency-callback-secret-0123456789';
const tester: Actor = { sub: 'operator-01', role: 'operator', agencyId: 'VPCP' };
const approver: Actor = { sub: 'operator-02', role: 'operator', agencyId: 'VPCP' };
const officer: Actor = { sub: 'officer-stp-01', role: 'officer', agencyId: 'H99.20' };

describe('serviceOnboardingWorkflow (time skipping, real PostgreSQL and agency systems)', () => {
  let harness: TimeSkipping;
  let env: TimeSkipping['env'];
  let db: Db;
  let agency: RunningAgencySystem;
  const taskQueue = 'onboarding-test';
  beforeEach(async () => {
    harness = await timeSkipping(taskQueue);
    ({ env, db } = harness);
    agency = await startAgencySystem({ secret: SECRET });
  });
  afterEach(async () => {
    await agency?.stop();
    await harness?.close();
  });

  /** What the API does: the registration row, then the workflow. */
  async function register(breaks: Parameters<RunningAgencySystem['setBreaks']>[0]): Promise<{ id: string; handle: WorkflowHandle<typeof serviceOnboardingWorkflow>; contact: string }> {
    agency.setBreaks(breaks);
    const id = `TS-${randomBytes(3).toString('hex').toUpperCase()}`;
    const contact = `kythuat-${id.toLowerCase()}@stp.motcua.local`;
    const today = formatDate(localDay(await env.currentTimeMs()));
    await db('online_services').insert({ service_id: id, name: `Dịch vụ thử ${id}`, service_type: 'dossier_service', agency_id: 'H99.20', procedure_codes: JSON.stringify(['H99-TP-001']), target_level: 'partial', online_share: '{}', endpoints: JSON.stringify(agency.endpoints), require_tls: false, callback_secret: SECRET, contacts: JSON.stringify([{ name: 'Tổ kỹ thuật', email: contact }]), planned_go_live: today, status: 'registered', registered_by: officer.sub });
    const handle = harness.track(
      await env.client.workflow.start(serviceOnboardingWorkflow, {
        taskQueue,
        workflowId: onboardingWorkflowId(id),
        args: [{ serviceId: id, name: `Dịch vụ thử ${id}`, agencyId: 'H99.20', operatorAgencyId: 'VPCP', serviceType: 'dossier_service', targetLevel: 'partial', procedureCodes: ['H99-TP-001'], plannedGoLive: today, registeredAtMs: await env.currentTimeMs() }],
      }),
    );
    return { id, handle, contact };
  }
  const decide = async (h: WorkflowHandle, taskId: string, actor: Actor, outcome: string, payload: Record<string, unknown> = {}) => {
    await taskOpen(h, taskId);
    return h.executeUpdate(completeTaskUpdate, { args: [{ taskId, actor, actorScope: [actor.agencyId!], outcome, payload }] });
  };
  const status = async (id: string) => (await db('online_services').where({ service_id: id }).first()).status as string;

  it('fix loop: failures go back to the agency with the evidence and a deadline; reminders, overdue and escalation alerts', async () => {
    await harness.withWorker(async () => {
      const { id, handle, contact } = await register(['no_idempotency', 'ignores_signature']);
      const w = onboardingWorkflowId(id);
      await taskOpen(handle, `${w}:fix:1`);
      expect(await status(id)).toBe('fixing');
      const failed = await db('onboarding_checks').where({ service_id: id, run_no: 1, verdict: 'fail' }).pluck('check_id');
      expect(failed.sort()).toEqual(['payment_callback.forged', 'status_sync.idempotent']);
      await eventually(() => mailMatching((m) => m.to.includes(contact)), (ms) => ms.some((m) => /chưa đạt kiểm thử/.test(m.subject)), 'fix notice');

      await env.sleep('25 days');
      const alerts = await db('alerts').where({ case_id: id, clock_id: 'fix-1' });
      expect(new Set(alerts.map((a) => a.kind))).toEqual(new Set(['reminder', 'due', 'overdue', 'escalation']));
      expect(alerts.find((a) => a.kind === 'escalation')).toMatchObject({ agency_id: 'H99' });

      // Fixed late all the same: only what failed plus the regression set is run again.
      agency.setBreaks([]);
      await decide(handle, `${w}:fix:1`, officer, 'fixed', { note: 'Đã sửa khóa idempotency và kiểm tra chữ ký' });
      await taskOpen(handle, `${w}:manual_tests:1`);
      const run2 = await db('onboarding_runs').where({ service_id: id, run_no: 2 }).first();
      expect(run2.kind).toBe('retest');
      expect([...run2.checks].sort()).toEqual(['payment_callback.forged', 'reachability', 'response_time', 'status_sync.idempotent', 'status_sync.order']);
      expect(run2.failed).toEqual([]);
    });
  });

  it('monitoring after go-live: alerts after repeated probe failures, suspension with a notice, resume only once probes pass', async () => {
    await harness.withWorker(async () => {
      const { id, handle, contact } = await register([]);
      const w = onboardingWorkflowId(id);
      const results = MANUAL_CHECKLIST.dossier_service.map((c) => ({ caseId: c.id, verdict: 'pass', note: 'Đạt' }));
      await expect(decide(handle, `${w}:manual_tests:1`, tester, 'recorded', { results: results.slice(1) })).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
      await decide(handle, `${w}:manual_tests:1`, tester, 'recorded', { results });
      await expect(decide(handle, `${w}:accept:1`, tester, 'accept')).rejects.toMatchObject({ cause: { type: 'NotEntitled' } }); // four eyes
      await decide(handle, `${w}:accept:1`, approver, 'accept');
      await eventually(() => status(id), (s) => s === 'live', 'live');

      agency.setBreaks(['down']);
      await env.sleep('200 minutes'); // three hourly probes fail
      const alerts = await db('alerts').where({ case_id: id, clock_id: 'monitoring' });
      expect(alerts.map((a) => a.agency_id).sort()).toEqual(['H99.20', 'VPCP']);
      expect(await status(id)).toBe('live');
      await env.sleep('200 minutes'); // six in a row: suspended
      expect(await status(id)).toBe('suspended');
      await eventually(() => mailMatching((m) => m.to.includes(contact)), (ms) => ms.some((m) => /Tạm dừng dịch vụ/.test(m.subject)), 'suspension notice');

      // Resuming while it still fails keeps it suspended; once fixed it goes live again.
      expect(await handle.executeUpdate(resumeServiceUpdate, { args: [{ actor: approver }] })).toEqual({ status: 'suspended' });
      agency.setBreaks([]);
      expect(await handle.executeUpdate(resumeServiceUpdate, { args: [{ actor: approver }] })).toEqual({ status: 'live' });
      expect(await status(id)).toBe('live');
      expect((await db('online_services').where({ service_id: id }).first()).consecutive_probe_failures).toBe(0);
    });
  });
});
