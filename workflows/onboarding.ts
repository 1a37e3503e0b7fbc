/**
 * serviceOnboardingWorkflow — one per online service (ID `onboarding:<serviceId>`): an agency's
 * online service, or a bank's payment connection, built, tested and accepted before it goes live
 * on the portal (Circular 01/2018/TT-VPCP Art 21; QĐ 31/2021 Arts 30.3, 37.2).
 *
 * Automated conformance tests against the agency system (evidence recorded per check) → manual
 * test cases by the operator's tester → while anything fails, a fix task for the agency with a
 * deadline (policy, working days; reminders and escalation by the kernel) and a re-test of what
 * failed plus a regression set → acceptance by an operator who tested nothing (four eyes) →
 * go-live on the planned date (the procedures' online level in the catalogue changes then) →
 * monitoring: probes on a timer; repeated failures alert the agency's supervisors and the
 * operator, and suspend the service with a notice until an operator resumes it.
 */
import { ApplicationFailure, condition, continueAsNew, defineSignal, defineUpdate, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ACTIVITY_IO, ACTIVITY_NOTIFY } from '../temporal.config';
import { formatDate, localDay, parseDate, startOfDay } from '../domain/calendar/days';
import { CHECK_IDS, MANUAL_CHECKLIST, PROBE_CHECKS, REGRESSION_CHECKS, type CheckId, type OnboardingStatus, type ServiceType, type TargetLevel } from '../domain/onboarding';
import type { Actor } from '../domain/roles';
import { CaseKernel, updateArrived } from './lib/kernel';

const io = proxyActivities<Activities>(ACTIVITY_IO);
const notify = proxyActivities<Activities>(ACTIVITY_NOTIFY);
/** A conformance run makes dozens of HTTP calls with 5 s timeouts each. */
const probe = proxyActivities<Activities>({ ...ACTIVITY_IO, startToCloseTimeout: '5 minutes' });

export interface OnboardingInput {
  serviceId: string;
  name: string;
  agencyId: string;
  operatorAgencyId: string;
  serviceType: ServiceType;
  targetLevel: TargetLevel;
  procedureCodes: string[];
  plannedGoLive: string;
  registeredAtMs: number;
  /** Set when the workflow continues as new during monitoring. */
  monitoring?: { runNo: number; status: 'live' | 'suspended'; failures: number };
}

/** Run the automated tests now (the agency says it fixed something, or an operator asks). */
export const runOnboardingTestsSignal = defineSignal('runOnboardingTests');
export const suspendServiceUpdate = defineUpdate<{ status: string }, [{ actor: Actor; reason: string }]>('suspendService');
export const resumeServiceUpdate = defineUpdate<{ status: string }, [{ actor: Actor }]>('resumeService');

/** Which checks apply to a service type: a payment connection has no dossier endpoints. */
export function applicableChecks(type: ServiceType): CheckId[] {
  return type === 'payment_connection' ? ['reachability', 'payment_callback.signed', 'payment_callback.forged', 'response_time'] : [...CHECK_IDS];
}

/** Probes between continue-as-new (the history stays short however long the service lives). */
const PROBES_PER_RUN = 200;

export async function serviceOnboardingWorkflow(input: OnboardingInput): Promise<{ status: string }> {
  const { serviceId } = input;
  const k = new CaseKernel('onboarding', serviceId, input.agencyId);
  let retestAsked = false;
  let runNo = input.monitoring?.runNo ?? 0;
  let status: OnboardingStatus = input.monitoring?.status ?? 'registered';
  let suspendAsk: { actor: Actor; reason: string } | undefined;
  let resumeAsk: { actor: Actor } | undefined;
  setHandler(runOnboardingTestsSignal, () => void (retestAsked = true));
  setHandler(
    suspendServiceUpdate,
    async (a) => {
      updateArrived();
      suspendAsk = a;
      await condition(() => suspendAsk !== a);
      return { status };
    },
    { validator: (_a) => void (status !== 'live' && refuse(`The service is ${status}: only a live service can be suspended.`)) },
  );
  setHandler(
    resumeServiceUpdate,
    async (a) => {
      updateArrived();
      resumeAsk = a;
      await condition(() => resumeAsk !== a); // answered after the next probe: live again only if it passed
      return { status };
    },
    { validator: (_a) => void (status !== 'suspended' && refuse(`The service is ${status}: only a suspended service can be resumed.`)) },
  );

  await k.init(input.registeredAtMs, { serviceId, serviceType: input.serviceType, targetLevel: input.targetLevel, procedureCodes: input.procedureCodes });
  const policy = {
    maxResponseMs: k.policyDays('onboarding.maxResponseMs'),
    probeEveryMs: k.policyDays('onboarding.probeEveryMinutes') * 60_000,
    alertAfter: k.policyDays('onboarding.alertAfterFailures'),
    suspendAfter: k.policyDays('onboarding.suspendAfterFailures'),
  };
  const setStatus = async (next: OnboardingStatus, extra: { acceptedBy?: string; liveFrom?: string; suspended?: boolean } = {}) => {
    const before = status;
    status = next;
    k.status = next;
    await io.setServiceStatus({ serviceId, status: next, ...extra });
    await k.audit('onboarding.status', { sub: 'system', role: 'admin' }, { status: before }, { status: next });
  };
  const checks = applicableChecks(input.serviceType);

  if (!input.monitoring) {
    const testers = new Set<string>();
    let failedAuto: CheckId[] = [];
    let failedManual: string[] = [];
    let manualPending = MANUAL_CHECKLIST[input.serviceType].map((c) => c.id);
    let round = 0;
    let fullRun = true;
    let rejection: string | undefined;

    for (;;) {
      // ---- Automated conformance tests, then the manual cases still to pass ------------------
      round++;
      await setStatus('testing');
      const toRun = fullRun ? checks : checks.filter((c) => failedAuto.includes(c) || REGRESSION_CHECKS.includes(c));
      const run = await probe.runOnboardingTests({ serviceId, runNo: ++runNo, kind: fullRun ? 'test' : 'retest', checks: toRun, maxResponseMs: policy.maxResponseMs });
      failedAuto = run.failed;
      fullRun = false;
      retestAsked = false;
      if (!failedAuto.length && manualPending.length) {
        await setStatus('manual_testing');
        const cases = MANUAL_CHECKLIST[input.serviceType].filter((c) => manualPending.includes(c.id));
        const d = await k.task({
          step: 'manual_tests',
          title: `Kiểm thử thủ công dịch vụ "${input.name}" (vòng ${round})`,
          agencyId: input.operatorAgencyId,
          candidateRole: 'operator',
          outcomes: ['recorded'],
          check: ({ payload }) => manualResultsProblem(payload.results, cases.map((c) => c.id)),
        });
        const results = (d.payload.results as Array<{ caseId: string; verdict: 'pass' | 'fail'; note?: string }>).filter((r) => manualPending.includes(r.caseId));
        testers.add(d.actor.sub);
        await io.recordManualResults({ serviceId, round, tester: d.actor.sub, atMs: d.atMs, results: results.map((r) => ({ caseId: r.caseId, verdict: r.verdict, note: r.note ?? '' })) });
        failedManual = results.filter((r) => r.verdict === 'fail').map((r) => r.caseId);
        manualPending = failedManual;
      }

      if (!failedAuto.length && !failedManual.length) {
        // ---- Acceptance: four eyes (nobody who tested it) ------------------------------------
        await setStatus('awaiting_acceptance');
        const d = await k.task({
          step: 'accept',
          title: `Nghiệm thu dịch vụ "${input.name}"`,
          agencyId: input.operatorAgencyId,
          candidateRole: 'operator',
          outcomes: ['accept', 'reject'],
          requires: { reject: ['reason'] },
          check: ({ actor }) => (testers.has(actor.sub) ? { code: 'NotEntitled', message: 'Four eyes: whoever tested the service may not accept it.' } : undefined),
        });
        if (d.outcome === 'accept') {
          const goLive = formatDate(Math.max(parseDate(input.plannedGoLive), localDay(Date.now())));
          await setStatus('accepted', { acceptedBy: d.actor.sub });
          await notify.sendOnboardingNotice({ serviceId, key: 'accepted', kind: 'accepted', date: goLive });
          // ---- Go-live on the planned date -------------------------------------------------
          const wait = startOfDay(parseDate(goLive)) - Date.now();
          if (wait > 0) await k.waitUntil(() => false, wait);
          await setStatus('live', { liveFrom: goLive });
          await notify.sendOnboardingNotice({ serviceId, key: 'live', kind: 'live' });
          break;
        }
        rejection = String(d.payload.reason);
        fullRun = true; // a rejected service is tested again in full
        manualPending = MANUAL_CHECKLIST[input.serviceType].map((c) => c.id);
      }

      // ---- Fix loop: the agency gets the evidence and a deadline --------------------------------
      await setStatus('fixing');
      k.startClock(`fix-${round}`, { workingDays: k.policyDays('onboarding.fixDeadline'), title: `Khắc phục lỗi kiểm thử dịch vụ "${input.name}"` });
      await notify.sendOnboardingNotice({ serviceId, key: `fix-${round}`, kind: 'fix_requested', failed: failedAuto, failedManual, dueAtMs: k.dueAtMs(`fix-${round}`), reason: rejection });
      const t = await k.openTask({ step: 'fix', title: `Khắc phục lỗi kiểm thử dịch vụ "${input.name}"`, candidateRole: 'officer', outcomes: ['fixed', 'withdraw'], clockId: `fix-${round}`, requires: { fixed: ['note'] } });
      await k.waitUntil(() => k.decisionOf(t.taskId) !== undefined || retestAsked);
      const fix = k.decisionOf(t.taskId);
      if (!fix) await k.cancelTask(t.taskId);
      await k.stopClock(`fix-${round}`);
      rejection = undefined;
      if (fix?.outcome === 'withdraw') {
        await setStatus('withdrawn');
        await k.finish('withdrawn');
        return { status: 'withdrawn' };
      }
    }
  }

  // ---- Monitoring after go-live -------------------------------------------------------------
  let failures = input.monitoring?.failures ?? 0;
  for (let probes = 0; probes < PROBES_PER_RUN; probes++) {
    await k.waitUntil(() => suspendAsk !== undefined || resumeAsk !== undefined, policy.probeEveryMs);
    if (suspendAsk && status === 'live') {
      await setStatus('suspended', { suspended: true });
      await k.audit('onboarding.suspended', suspendAsk.actor, null, { reason: suspendAsk.reason });
      await notify.sendOnboardingNotice({ serviceId, key: `suspended-${runNo}`, kind: 'suspended', reason: suspendAsk.reason });
      suspendAsk = undefined;
      continue;
    }
    const r = await probe.runOnboardingTests({ serviceId, runNo: ++runNo, kind: 'probe', checks: checks.filter((c) => PROBE_CHECKS.includes(c)), maxResponseMs: policy.maxResponseMs });
    failures = r.failed.length ? failures + 1 : 0;
    if (resumeAsk && status === 'suspended') {
      // An operator resumes it once it passes again.
      if (!r.failed.length) {
        await setStatus('live', { suspended: false });
        await k.audit('onboarding.resumed', resumeAsk.actor, null, { runNo });
        await notify.sendOnboardingNotice({ serviceId, key: `resumed-${runNo}`, kind: 'resumed' });
      } else {
        await k.audit('onboarding.resume_refused', resumeAsk.actor, null, { runNo, failed: r.failed });
      }
      resumeAsk = undefined;
    }
    if (failures === policy.alertAfter) {
      for (const agencyId of new Set([input.agencyId, input.operatorAgencyId])) {
        await notify.raiseAlert({
          caseType: 'onboarding',
          caseId: serviceId,
          workflowId: workflowInfo().workflowId,
          clockId: 'monitoring',
          thresholdKey: `probe-${runNo}:${agencyId}`,
          thresholdKind: 'due',
          agencyId,
          title: `Dịch vụ "${input.name}" lỗi kết nối ${failures} lần liên tiếp (${r.failed.join(', ')})`,
          dueAtMs: Date.now(),
          atMs: Date.now(),
        });
      }
    }
    if (failures >= policy.suspendAfter && status === 'live') {
      await setStatus('suspended', { suspended: true });
      await notify.sendOnboardingNotice({ serviceId, key: `suspended-${runNo}`, kind: 'suspended', failed: r.failed, reason: `${failures} lần kiểm tra liên tiếp không đạt` });
    }
  }
  await k.audit('onboarding.continued', { sub: 'system', role: 'admin' }, null, { runNo, status, failures });
  return continueAsNew<typeof serviceOnboardingWorkflow>({ ...input, monitoring: { runNo, status: status === 'suspended' ? 'suspended' : 'live', failures } });
}

function refuse(message: string): never {
  throw ApplicationFailure.create({ type: 'WrongStep', message, nonRetryable: true });
}

/** The manual results must cover every case of the round, each pass or fail, a failure with a note. */
export function manualResultsProblem(results: unknown, cases: string[]): { code: 'InvalidPayload'; message: string } | undefined {
  if (!Array.isArray(results)) return { code: 'InvalidPayload', message: 'results must be a list of {caseId, verdict, note}.' };
  const byId = new Map<string, { verdict?: unknown; note?: unknown }>();
  for (const r of results as Array<{ caseId?: unknown; verdict?: unknown; note?: unknown }>) if (typeof r?.caseId === 'string') byId.set(r.caseId, r);
  const missing = cases.filter((c) => !byId.has(c));
  if (missing.length) return { code: 'InvalidPayload', message: `Results missing for: ${missing.join(', ')}.` };
  for (const c of cases) {
    const r = byId.get(c)!;
    if (r.verdict !== 'pass' && r.verdict !== 'fail') return { code: 'InvalidPayload', message: `${c}: verdict must be pass or fail.` };
    if (r.verdict === 'fail' && (typeof r.note !== 'string' || r.note.trim().length < 3)) return { code: 'InvalidPayload', message: `${c}: a failure needs a note.` };
  }
  return undefined;
}
