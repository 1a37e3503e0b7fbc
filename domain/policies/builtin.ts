/**
 * The built-in policy version: the statutory limits of REGULATION.md with their citations.
 * Operators publish later versions through the API (stored in `policy_versions`).
 */
import type { PolicyVersion } from './policy';

export const BUILTIN_POLICY: PolicyVersion = {
  version: '2021.1',
  effectiveFrom: '2021-12-09',
  title: 'Thời hạn luật định ban đầu (QĐ 31/2021/QĐ-TTg có hiệu lực 09/12/2021)',
  entries: {
    'feedback.transfer': {
      value: 5,
      unit: 'workingDays',
      citation: 'Decree 20/2008/NĐ-CP Art 9 as amended by Decree 92/2017/NĐ-CP: feedback outside the receiving agency\'s authority is forwarded within 5 working days of receipt',
    },
    'feedback.classify': {
      value: 2,
      unit: 'workingDays',
      citation: 'Operator policy (no statutory limit in the sources); within the 5-day transfer limit of Decree 20/2008 Art 9',
    },
    'feedback.answer': {
      value: 10,
      unit: 'workingDays',
      citation: 'Operator policy: QĐ 31/2021 Chapter VI sets no answer limit in the sources at hand; sector examples are 3 or 10 working days',
      note: 'Documented default; change by publishing a new version.',
    },
    'feedback.clarificationWait': {
      value: 5,
      unit: 'workingDays',
      citation: 'Operator policy: how long the answer clock stays paused waiting for the submitter\'s clarification',
    },
    'feedback.reanswer': {
      value: 5,
      unit: 'workingDays',
      citation: 'Operator policy under QĐ 31/2021 Art 46: an answer returned by the quality check gets a new deadline',
    },
    'dossier.completenessCheck': {
      value: 1,
      unit: 'workingDays',
      citation: 'Operator policy under Decree 61/2018 Art 15–16 (check on receipt; request supplement at once)',
    },
    'dossier.supplementRequestWindow': {
      value: 3,
      unit: 'workingDays',
      citation: 'Decree 61/2018/NĐ-CP Art 19.4: a supplement requested after appraisal only within 3 working days of receipt; processing restarts from zero',
      note: 'Decree 61/2018 was replaced by Decree 118/2025/NĐ-CP from July 2025; the figure is kept pending legal review of the successor text.',
    },
    'dossier.apologyLead': {
      value: 1,
      unit: 'workingDays',
      citation: 'Decree 61/2018/NĐ-CP Art 19.9: the apology and new appointment are sent at the latest 1 working day before the due date',
    },
    'dossier.maxReschedules': {
      value: 1,
      unit: 'count',
      citation: 'Decree 61/2018/NĐ-CP Art 19.9: the appointment date may be moved at most once',
    },
    'dossier.receptionCutoff': {
      value: '15:00',
      unit: 'timeOfDay',
      citation: 'Decree 61/2018/NĐ-CP Art 18: paper dossiers received after 15:00 move on the next working day',
    },
    'dossier.consultation': {
      value: 5,
      unit: 'workingDays',
      citation: 'Operator policy under Decree 61/2018/NĐ-CP Art 20 (inter-agency procedures: each consulted agency answers within the time the procedure allots it); used when the procedure sets none',
    },
    'procedure.publication.minister': {
      value: 10,
      unit: 'workingDays',
      citation: 'Decree 63/2010/NĐ-CP Art 24.2 as amended: publication within 10 working days of a minister\'s announcement decision',
    },
    'procedure.publication.provincialChair': {
      value: 5,
      unit: 'workingDays',
      citation: 'Decree 63/2010/NĐ-CP Art 24.2 as amended: 5 working days for a provincial chair\'s decision',
    },
    'procedure.publication.shortened': {
      value: 2,
      unit: 'workingDays',
      citation: 'Decree 63/2010/NĐ-CP Art 24.2 as amended: 2 working days under the shortened law-making procedure',
    },
    'procedure.reviewInterval': {
      value: 12,
      unit: 'months',
      citation: 'Decree 63/2010/NĐ-CP Art 25 as amended (periodic review): operator policy, yearly',
    },
    'reconciliation.frequency': {
      value: 1,
      unit: 'calendarDays',
      citation: 'QĐ 31/2021/QĐ-TTg Art 36.2: reconcile and trace transactions daily',
    },
    'reconciliation.inquiry': {
      value: 5,
      unit: 'workingDays',
      citation: 'Operator policy pending Circular 15/2024/TT-NHNN time limits for tracing and complaints (banking rules)',
      note: 'Not verified against the Circular text.',
    },
    'reconciliation.cutoff': {
      value: '22:00',
      unit: 'timeOfDay',
      citation: 'Operator policy under QĐ 31/2021/QĐ-TTg Art 36.2–36.3 (reconciliation by reconciliation time): entries booked after the cut-off belong to the next business day',
      note: 'Agree the cut-off with each provider; a statement line outside the window is reported as late.',
    },
    'reconciliation.closeBy': {
      value: 1,
      unit: 'workingDays',
      citation: 'Operator policy under QĐ 31/2021/QĐ-TTg Art 36.2 (daily reconciliation): supervisors are alerted when a day is not closed within this many working days',
    },
    'payment.requestValidity': {
      value: 1,
      unit: 'calendarDays',
      citation: 'Operator policy under QĐ 31/2021/QĐ-TTg Chapter V: an unpaid payment request expires after this many days (a new one can be made)',
    },
    'payment.refundWindow': {
      value: 30,
      unit: 'calendarDays',
      citation: 'Operator policy under QĐ 31/2021/QĐ-TTg Chapter V: a paid request can be refunded through the portal for this many days (later: through an inquiry with the provider)',
    },
    'onboarding.fullOnlineShare': {
      value: 30,
      unit: 'percent',
      citation: 'Circular 01/2018/TT-VPCP Art 21 (per REGULATION.md): upgrading a procedure to full online requires at least this share of its dossiers already received online',
    },
    'onboarding.fixDeadline': {
      value: 10,
      unit: 'workingDays',
      citation: 'Operator policy under Circular 01/2018/TT-VPCP Art 21 (trial run to completion): the agency fixes what failed within this many working days',
    },
    'onboarding.maxResponseMs': {
      value: 2000,
      unit: 'count',
      citation: 'Operator policy (technical): the 95th-percentile response time, in milliseconds, an agency system must meet in conformance tests and probes',
    },
    'onboarding.probeEveryMinutes': {
      value: 60,
      unit: 'count',
      citation: 'Operator policy (technical): minutes between monitoring probes of a live service (QĐ 31/2021 Art 30.3: agency systems keep synchronising)',
    },
    'onboarding.alertAfterFailures': {
      value: 3,
      unit: 'count',
      citation: 'Operator policy: failed probes in a row that alert the agency\'s supervisors and the operator',
    },
    'onboarding.suspendAfterFailures': {
      value: 6,
      unit: 'count',
      citation: 'Operator policy: failed probes in a row after which the service is suspended (with a notice) until fixed',
    },
    'escalation.afterOverdue': {
      value: 3,
      unit: 'workingDays',
      citation: 'Operator policy under Decree 20/2008 Arts 16.5, 18.5 (ministers and provincial chairs urge and inspect)',
    },
    'reminder.before': {
      value: 1,
      unit: 'workingDays',
      citation: 'Operator policy: remind the assignee and supervisors this many working days before a limit',
    },
  },
};
