/**
 * Activities of the case kernel: the tasks read model, the audit log, deadline alerts with their
 * e-mails, and the legal-time snapshot a case pins at start. Each is idempotent.
 */
import { appendIn, auditStore, type AuditEventInput } from '../db/audit-store';
import { alertStore, type AlertRow } from '../db/alert-store';
import { agencyStore } from '../db/agency-store';
import { legalTimeStore } from '../db/legal-time-store';
import { sendOnce } from '../db/mail-ledger';
import { activityClaimant } from './mail-outbox';
import { taskStore } from '../db/task-store';
import { formatDueDateVN, type CalendarYear } from '../domain/calendar';
import { BUILTIN_POLICY, policyInForce, type PolicyVersion } from '../domain/policies';
import type { TaskSpec } from '../domain/tasks';
import type { ActivityDeps } from './deps';

export interface OpenTaskInput {
  caseType: string;
  caseId: string;
  workflowId: string;
  task: TaskSpec;
  dueAtMs?: number;
  openedAtMs: number;
}

/** The task-row write of an officer's action (claim, release, reassign: `assign`; decision: `finish`). */
export type TaskActionWrite =
  | { kind: 'assign'; taskId: string; assignee: string | null; atMs: number }
  | { kind: 'finish'; taskId: string; status: 'done' | 'cancelled'; outcome?: string; completedBy?: string; atMs: number };

export interface RaiseAlertInput {
  caseType: string;
  caseId: string;
  workflowId: string;
  clockId: string;
  thresholdKey: string;
  thresholdKind: 'before' | 'due' | 'overdue' | 'escalate';
  overdueWorkingDays?: number;
  agencyId: string;
  assignee?: string;
  title: string;
  dueAtMs: number;
  atMs: number;
}

const KIND: Record<RaiseAlertInput['thresholdKind'], AlertRow['kind']> = { before: 'reminder', due: 'due', overdue: 'overdue', escalate: 'escalation' };

function alertText(a: RaiseAlertInput, publicUrl: string): { subject: string; text: string } {
  const state =
    a.thresholdKind === 'before'
      ? 'Sắp đến hạn xử lý'
      : a.thresholdKind === 'due'
        ? 'Hôm nay là ngày cuối của thời hạn xử lý'
        : a.thresholdKind === 'overdue'
          ? `Đã quá hạn ${a.overdueWorkingDays ?? 1} ngày làm việc`
          : `Chuyển cấp trên: đã quá hạn ${a.overdueWorkingDays ?? 1} ngày làm việc`;
  const label = { before: 'Nhắc hạn', due: 'Đến hạn', overdue: 'Quá hạn', escalate: 'Chuyển cấp trên' }[a.thresholdKind];
  return {
    subject: `[motcua] ${label}: ${a.title} (${a.caseId})`,
    text: [
      'Kính gửi Quý cán bộ,',
      '',
      `Vụ việc: ${a.caseId}`,
      `Nội dung: ${a.title}`,
      `Hạn xử lý: hết ngày ${formatDueDateVN(a.dueAtMs)}`,
      `Tình trạng: ${state}.`,
      a.assignee ? `Cán bộ đang xử lý: ${a.assignee}` : 'Chưa có cán bộ nhận xử lý.',
      '',
      `Xem chi tiết: ${publicUrl}/cases/${a.caseType}/${encodeURIComponent(a.caseId)}/history`,
      '',
      'Thư được gửi tự động từ hệ thống một cửa motcua; vui lòng không trả lời thư này.',
    ].join('\n'),
  };
}

export function kernelActivities(deps: ActivityDeps) {
  const tasks = taskStore(deps.db);
  const audit = auditStore(deps.db);
  const alerts = alertStore(deps.db);
  const agencies = agencyStore(deps.db);
  const legal = legalTimeStore(deps.db);
  return {
    /** The policy version in force at `atMs` and the operator-loaded calendar years: pinned by the case. */
    async legalTimeSnapshot(atMs: number): Promise<{ policy: PolicyVersion; years: CalendarYear[] }> {
      const policy = policyInForce([BUILTIN_POLICY, ...(await legal.policyVersions())], atMs);
      return { policy, years: await legal.latestYears() };
    },
    async openTask(i: OpenTaskInput): Promise<void> {
      await tasks.upsertOpen(
        {
          id: i.task.taskId,
          case_type: i.caseType,
          case_id: i.caseId,
          workflow_id: i.workflowId,
          step: i.task.step,
          title: i.task.title,
          agency_id: i.task.agencyId,
          candidate_role: i.task.candidateRole,
          priority: i.task.priority,
          due_at: i.dueAtMs !== undefined ? new Date(i.dueAtMs) : null,
          outcomes: i.task.outcomes,
        },
        new Date(i.openedAtMs),
      );
    },
    async assignTask(i: { taskId: string; assignee: string | null; atMs: number }): Promise<void> {
      await tasks.setAssignee(i.taskId, i.assignee, new Date(i.atMs));
    },
    async setTaskDue(i: { taskId: string; dueAtMs?: number; atMs: number }): Promise<void> {
      await tasks.setDue(i.taskId, i.dueAtMs !== undefined ? new Date(i.dueAtMs) : null, new Date(i.atMs));
    },
    async finishTask(i: { taskId: string; status: 'done' | 'cancelled'; outcome?: string; completedBy?: string; atMs: number }): Promise<void> {
      await tasks.finish(i.taskId, { status: i.status, outcome: i.outcome, completedBy: i.completedBy, at: new Date(i.atMs) });
    },
    async appendAudit(e: AuditEventInput): Promise<void> {
      await audit.append(e);
    },
    /** An officer's action: its task-row write and its audit event, in one transaction. */
    async recordTaskAction(i: { task: TaskActionWrite; audit: AuditEventInput }): Promise<void> {
      await deps.db.transaction(async (trx) => {
        const rows = taskStore(trx);
        const w = i.task;
        if (w.kind === 'assign') await rows.setAssignee(w.taskId, w.assignee, new Date(w.atMs));
        else await rows.finish(w.taskId, { status: w.status, outcome: w.outcome, completedBy: w.completedBy, at: new Date(w.atMs) });
        await appendIn(trx, i.audit);
      });
    },
    /**
     * One alert row per (case, clock, threshold), and one e-mail per recipient: the supervisors of
     * the agency (of the parent agency for an escalation) and, for reminders, the assignee.
     */
    async raiseAlert(a: RaiseAlertInput): Promise<{ alertId: string; emails: number }> {
      let agencyId = a.agencyId;
      if (a.thresholdKind === 'escalate') agencyId = (await agencies.get(a.agencyId))?.parent_id ?? a.agencyId;
      const { alert } = await alerts.raise(
        {
          dedupe_key: `${a.caseType}:${a.caseId}:${a.clockId}:${a.thresholdKey}`,
          case_type: a.caseType,
          case_id: a.caseId,
          workflow_id: a.workflowId,
          clock_id: a.clockId,
          threshold_key: a.thresholdKey,
          kind: KIND[a.thresholdKind],
          agency_id: agencyId,
          assignee: a.assignee ?? null,
          title: a.title,
          due_at: new Date(a.dueAtMs),
          overdue_working_days: a.overdueWorkingDays ?? null,
        },
        new Date(a.atMs),
      );
      const recipients = new Set((await agencies.get(agencyId))?.supervisor_emails ?? []);
      if (a.thresholdKind === 'before' && a.assignee) {
        const staff = await deps.db('staff').where({ sub: a.assignee }).first<{ email: string } | undefined>();
        if (staff) recipients.add(staff.email);
      }
      const { subject, text } = alertText(a, deps.publicUrl);
      let emails = 0;
      for (const to of recipients) {
        if ((await sendOnce(deps.db, deps.mailer, `alert:${alert.dedupe_key}:${to}`, { to: [to], subject, text }, { about: { caseType: a.caseType, caseId: a.caseId, agencyId }, claimant: activityClaimant() })) === 'sent') emails++;
      }
      return { alertId: String(alert.id), emails };
    },
  };
}
