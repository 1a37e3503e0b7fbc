/**
 * dossierWorkflow — one dossier at a one-stop office (Decree 61/2018 Arts 15–20, 26, 31; Circular
 * 01/2018 Arts 9–19), following the procedure version in force when it was received. ID: the
 * dossier code `<agency code>-<YYMMDD>-<NNNN>`.
 *
 * Intake: completeness check → accept (form 01 with the appointment date) | supplement listing
 * everything missing at once (form 02; the check reopens when it arrives) | refuse (form 03).
 * Processing: appraisal (a supplement only within 3 working days of receipt: the clock pauses and
 * restarts from zero; consultations with other agencies as child workflows, a late one recorded as
 * the cause) → approval by the leader → fees (payment confirmation or counter receipt) → result →
 * returned. Alongside: one working day before the due date an unfinished dossier gets an apology
 * task for the agency at fault (form 04, new appointment) — at most once. Every status is published
 * to the national portal through the outbox, in order.
 */
import { condition, defineSignal, executeChild, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { LetterSpec } from '../activities/dossiers';
import { ACTIVITY_IO, ACTIVITY_NOTIFY } from '../temporal.config';
import { formatDate, localDay, parseDate, startOfDay } from '../domain/calendar/days';
import { policyTimeOfDayMs } from '../domain/policies';
import type { DossierChannel, DossierStatus } from '../domain/dossiers';
import { CaseKernel } from './lib/kernel';

const io = proxyActivities<Activities>(ACTIVITY_IO);
const notify = proxyActivities<Activities>(ACTIVITY_NOTIFY);

export interface DossierInput {
  code: string;
  agencyId: string;
  receivedAtMs: number;
  channel: DossierChannel;
  /** Paper dossiers received after the cut-off (policy, 15:00) count from the next working day. */
  paper: boolean;
  procedure: { code: string; version: number; name: string; workingDays?: number; calendarDays?: number; feeTotalVnd: number };
}

export interface ConsultationInput {
  dossierCode: string;
  index: number;
  agencyId: string;
  question: string;
  workingDays: number;
}
export interface ConsultationResult {
  agencyId: string;
  outcome: string;
  opinion: string | null;
  late: boolean;
  dueDate: string;
}

/** The applicant handed in what was missing (API, after the owner's request). */
export const supplementSignal = defineSignal<[{ documents: string[] }]>('dossierSupplement');
/** The payment system confirmed the fees (payments issue); a counter receipt goes through the collect_fee task. */
export const dossierPaidSignal = defineSignal<[{ reference: string; amountVnd: number }]>('dossierPaid');

/** Splits a free-text list (one item per line or `;`) as officers type it. */
function items(v: unknown): string[] {
  return String(v ?? '')
    .split(/[\n;]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export async function dossierWorkflow(input: DossierInput): Promise<{ status: string }> {
  const { code } = input;
  const k = new CaseKernel('dossier', code, input.agencyId);
  const supplements: Array<{ documents: string[]; atMs: number }> = [];
  let payment: { reference: string; amountVnd: number } | undefined;
  setHandler(supplementSignal, (s) => void supplements.push({ documents: s.documents, atMs: Date.now() }));
  setHandler(dossierPaidSignal, (p) => {
    payment ??= p;
  });

  let seq = 0;
  const stats = { contacts: 0, restarts: 0, reschedules: 0, pausedDays: 0, lateAgency: null as string | null };
  const setStatus = async (status: DossierStatus, patch: Parameters<typeof io.updateDossier>[1] = {}, detail: Record<string, unknown> = {}) => {
    k.status = status;
    await io.updateDossier(code, { status, ...patch });
    await io.publishDossierStatus(code, ++seq, status, { procedureCode: input.procedure.code, agencyId: k.agencyId, ...detail });
  };
  let letters = 0;
  const letter = (spec: LetterSpec) => notify.issueLetter(code, `${spec.form}#${++letters}`, spec);

  await k.init(input.receivedAtMs, { code, procedure: input.procedure });
  const cutoffMs = input.paper ? policyTimeOfDayMs(k.policy!, 'dossier.receptionCutoff') : undefined;
  const receptionDay = k.calendar.receptionDay(input.receivedAtMs, { cutoffMs });

  /**
   * Waits for a supplement after `mark` (the count taken before the request went out: one that
   * arrives while the request is still being recorded counts); returns when it arrived.
   */
  const awaitSupplement = async (mark: number): Promise<number> => {
    await k.waitUntil(() => supplements.length > mark);
    return supplements[supplements.length - 1]!.atMs;
  };

  // ---- Intake: completeness check ------------------------------------------------------------
  k.startClock('intake', { workingDays: k.policyDays('dossier.completenessCheck'), title: `Kiểm tra hồ sơ ${code}`, atMs: input.receivedAtMs, cutoffMs });
  let completeAtMs = input.receivedAtMs;
  for (;;) {
    k.status = 'received';
    const c = await k.task({
      step: 'check',
      title: `Kiểm tra, tiếp nhận hồ sơ ${code}`,
      candidateRole: 'officer',
      outcomes: ['accept', 'supplement', 'refuse'],
      clockId: 'intake',
      requires: { supplement: ['missing'], refuse: ['reasons'] },
    });
    if (c.outcome === 'refuse') {
      await k.stopClock('intake');
      await letter({ form: '03', reasons: String(c.payload.reasons) });
      await setStatus('refused', { completed_at: new Date().toISOString() });
      await k.finish('refused');
      return { status: 'refused' };
    }
    if (c.outcome === 'accept') break;
    stats.contacts++;
    const mark = supplements.length;
    await letter({ form: '02', missing: items(c.payload.missing), reason: String(c.payload.reason ?? 'Hồ sơ chưa đầy đủ theo quy định') });
    await k.pauseClock('intake', 'waiting for the applicant');
    await setStatus('awaiting_supplement', { extra_contacts: stats.contacts });
    completeAtMs = await awaitSupplement(mark);
    await k.restartClock('intake', cutoffMs);
  }
  await k.stopClock('intake');

  // ---- The processing clock: from receipt of the complete dossier --------------------------
  const startDay = k.calendar.receptionDay(completeAtMs, { cutoffMs });
  const workingDays = input.procedure.workingDays ?? k.calendar.workingDaysBetween(startDay, k.calendar.addCalendarDays(startDay, input.procedure.calendarDays ?? 0));
  k.startClock('processing', { workingDays, title: `Giải quyết hồ sơ ${code}`, atMs: completeAtMs, cutoffMs, maxExtensions: k.policyDays('dossier.maxReschedules') });
  const dueDate = () => formatDate(localDay(k.dueAtMs('processing') - 1));
  const firstAppointment = dueDate();
  await letter({ form: '01', appointmentDate: firstAppointment });
  await setStatus('processing', { appointment_date: firstAppointment, original_appointment_date: firstAppointment }, { appointmentDate: firstAppointment });

  // ---- Apology and reschedule, at most once, alongside the processing ----------------------
  let completed = false;
  let clockChanges = 0;
  let consultingAgency: string | undefined;
  const apologyWatcher = async (): Promise<void> => {
    const lead = k.policyDays('dossier.apologyLead');
    while (!completed && k.canExtendClock('processing')) {
      const c = k.clock('processing');
      const seen = clockChanges;
      if (c.pause) {
        await condition(() => completed || clockChanges !== seen);
        continue;
      }
      const pointMs = startOfDay(k.calendar.subtractWorkingDays(localDay(k.dueAtMs('processing') - 1), lead));
      if (Date.now() < pointMs) {
        await condition(() => completed || clockChanges !== seen, pointMs - Date.now());
        continue;
      }
      const atFault = consultingAgency ?? k.agencyId;
      const oldDate = dueDate();
      const t = await k.openTask({
        step: 'apologize',
        title: `Xin lỗi và hẹn lại ngày trả kết quả hồ sơ ${code} (hạn ${oldDate})`,
        agencyId: atFault,
        candidateRole: 'officer',
        outcomes: ['issue'],
        requires: { issue: ['reason', 'newAppointmentDate'] },
        check: ({ payload }) => {
          let d: number;
          try {
            d = parseDate(String(payload.newAppointmentDate));
          } catch {
            return { code: 'InvalidPayload', message: 'newAppointmentDate: a date YYYY-MM-DD' };
          }
          return d > parseDate(dueDate()) ? undefined : { code: 'InvalidPayload', message: `newAppointmentDate: after the current appointment ${dueDate()}` };
        },
      });
      await k.waitUntil(() => completed || k.decisionOf(t.taskId) !== undefined);
      const d = k.decisionOf(t.taskId);
      if (!d) {
        await k.cancelTask(t.taskId);
        return;
      }
      const newDate = String(d.payload.newAppointmentDate);
      await k.extendClock('processing', { toDate: newDate, reason: String(d.payload.reason) });
      stats.reschedules++;
      stats.lateAgency = atFault;
      await io.updateDossier(code, { appointment_date: newDate, reschedules: stats.reschedules, late_agency_id: atFault });
      await letter({ form: '04', reason: String(d.payload.reason), oldDate, newDate, agencyAtFaultId: atFault });
      await io.publishDossierStatus(code, ++seq, k.status, { rescheduled: true, appointmentDate: newDate, agencyAtFault: atFault });
      await k.audit('dossier.rescheduled', d.actor, { appointmentDate: oldDate }, { appointmentDate: newDate, agencyAtFault: atFault });
    }
  };
  const watcher = apologyWatcher();

  // ---- Appraisal, consultations, approval -----------------------------------------------------
  let approved = false;
  let decisionText = '';
  let consultations = 0;
  for (;;) {
    if (k.status !== 'processing') await setStatus('processing');
    const a = await k.task({
      step: 'appraise',
      title: `Thẩm định hồ sơ ${code}`,
      candidateRole: 'officer',
      outcomes: ['propose_approve', 'propose_reject', 'request_supplement', 'consult'],
      clockId: 'processing',
      requires: { propose_reject: ['reason'], request_supplement: ['missing'], consult: ['agencies', 'question'] },
      check: ({ outcome, payload }) => {
        if (outcome === 'request_supplement') {
          const window = k.policyDays('dossier.supplementRequestWindow');
          if (k.calendar.workingDaysBetween(receptionDay, localDay(Date.now())) > window) {
            return { code: 'InvalidPayload', message: `A supplement may be requested only within ${window} working days of receipt (Decree 61/2018 Art 19.4).` };
          }
        }
        if (outcome === 'consult') {
          const list = String(payload.agencies).split(',').map((s) => s.trim()).filter(Boolean);
          if (!list.length || list.includes(k.agencyId)) return { code: 'InvalidPayload', message: 'agencies: other agencies to consult, separated by commas.' };
        }
        return undefined;
      },
    });
    if (a.outcome === 'request_supplement') {
      stats.contacts++;
      const mark = supplements.length;
      await letter({ form: '02', missing: items(a.payload.missing), reason: String(a.payload.reason ?? 'Bổ sung hồ sơ trong quá trình thẩm định') });
      await k.pauseClock('processing', 'waiting for the supplement');
      clockChanges++;
      await setStatus('awaiting_supplement', { extra_contacts: stats.contacts });
      await awaitSupplement(mark);
      stats.pausedDays += k.calendar.workingDaysBetween(localDay(k.clock('processing').pause!.sinceMs), localDay(Date.now()));
      // Decree 61/2018 Art 19.4: the processing time starts again from zero.
      await k.restartClock('processing', cutoffMs);
      clockChanges++;
      stats.restarts++;
      const again = dueDate();
      await letter({ form: '01', appointmentDate: again });
      await setStatus('processing', { appointment_date: again, restarts: stats.restarts, paused_working_days: stats.pausedDays }, { appointmentDate: again, restarted: true });
      continue;
    }
    if (a.outcome === 'consult') {
      const agencies = String(a.payload.agencies).split(',').map((s) => s.trim()).filter(Boolean);
      await setStatus('consulting', {}, { agencies });
      const results = await Promise.all(
        agencies.map((agencyId) => {
          const index = ++consultations;
          consultingAgency ??= agencyId;
          return executeChild(consultationWorkflow, {
            workflowId: `${workflowInfo().workflowId}:consult:${index}`,
            args: [{ dossierCode: code, index, agencyId, question: String(a.payload.question), workingDays: k.policyDays('dossier.consultation') }],
          });
        }),
      );
      consultingAgency = undefined;
      const late = results.filter((r) => r.late);
      if (late.length) stats.lateAgency = late[0]!.agencyId;
      await k.audit('dossier.consulted', a.actor, null, { results: results.map((r) => ({ agencyId: r.agencyId, outcome: r.outcome, late: r.late, dueDate: r.dueDate })) });
      if (late.length) await io.updateDossier(code, { late_agency_id: stats.lateAgency });
      continue;
    }
    await setStatus('approving');
    const ap = await k.task({
      step: 'approve',
      title: a.outcome === 'propose_approve' ? `Phê duyệt kết quả giải quyết hồ sơ ${code}` : `Phê duyệt văn bản từ chối giải quyết hồ sơ ${code}`,
      candidateRole: 'supervisor',
      outcomes: ['approve', 'return'],
      clockId: 'processing',
      requires: { return: ['reason'] },
    });
    if (ap.outcome === 'return') {
      await k.audit('dossier.returned_for_appraisal', ap.actor, null, { reason: String(ap.payload.reason) });
      continue;
    }
    approved = a.outcome === 'propose_approve';
    decisionText = approved ? String(a.payload.note ?? '') : String(a.payload.reason);
    break;
  }

  // ---- Fees: the case waits for the payment confirmation or a counter receipt ----------------
  if (approved && input.procedure.feeTotalVnd > 0) {
    await setStatus('awaiting_payment', {}, { feeTotalVnd: input.procedure.feeTotalVnd });
    const t = await k.openTask({ step: 'collect_fee', title: `Thu phí, lệ phí hồ sơ ${code}`, candidateRole: 'officer', outcomes: ['paid'], requires: { paid: ['receiptNumber'] } });
    await k.waitUntil(() => payment !== undefined || k.decisionOf(t.taskId) !== undefined);
    const d = k.decisionOf(t.taskId);
    if (d) payment = { reference: String(d.payload.receiptNumber), amountVnd: input.procedure.feeTotalVnd };
    else await k.cancelTask(t.taskId);
    await io.updateDossier(code, { payment_reference: payment!.reference });
    await k.audit('dossier.paid', d?.actor ?? { sub: 'system', role: 'admin' }, null, { ...payment! });
  }

  // ---- Result ------------------------------------------------------------------------------------
  const today = localDay(Date.now());
  const due = parseDate(dueDate());
  const timeliness = today < due ? 'early' : today === due ? 'on_time' : 'late';
  completed = true;
  await k.stopClock('processing');
  clockChanges++;
  await watcher;
  if (timeliness === 'late') stats.lateAgency ??= k.agencyId;
  await letter({ form: 'result', approved, detail: decisionText, early: approved && timeliness === 'early' });
  await setStatus(approved ? 'result_ready' : 'rejected', { completed_at: new Date().toISOString(), timeliness, late_agency_id: stats.lateAgency }, { timeliness });
  if (!approved) {
    await k.finish('rejected');
    return { status: 'rejected' };
  }
  const r = await k.task({ step: 'return', title: `Trả kết quả hồ sơ ${code}`, candidateRole: 'officer', outcomes: ['returned'] });
  await setStatus('returned', { returned_at: new Date(r.atMs).toISOString() });
  await k.finish('returned');
  return { status: 'returned' };
}

/** A consulted agency's opinion, on its own clock (Decree 61/2018 Art 20). ID: `<dossier>:consult:<n>`. */
export async function consultationWorkflow(input: ConsultationInput): Promise<ConsultationResult> {
  const k = new CaseKernel('consultation', `${input.dossierCode}#${input.index}`, input.agencyId);
  await k.init(Date.now(), { dossierCode: input.dossierCode });
  k.status = 'consulting';
  k.startClock('consultation', { workingDays: input.workingDays, title: `Cho ý kiến về hồ sơ ${input.dossierCode}` });
  const dueDate = formatDate(localDay(k.dueAtMs('consultation') - 1));
  const d = await k.task({
    step: 'opinion',
    title: `Cho ý kiến về hồ sơ ${input.dossierCode}: ${input.question}`,
    candidateRole: 'officer',
    outcomes: ['agree', 'disagree'],
    clockId: 'consultation',
    requires: { disagree: ['opinion'] },
  });
  const late = d.atMs >= k.dueAtMs('consultation');
  await k.finish(d.outcome);
  return { agencyId: input.agencyId, outcome: d.outcome, opinion: typeof d.payload.opinion === 'string' ? d.payload.opinion : null, late, dueDate };
}
