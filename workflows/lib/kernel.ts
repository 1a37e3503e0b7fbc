/**
 * The case kernel, workflow side: every process builds on it. It keeps the case's statutory
 * clocks and open human tasks in workflow state; officers act through updates whose synchronous
 * validators reject what the state does not allow; while the workflow waits for a decision the
 * clocks keep running and each threshold raises one alert through an activity.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { TaskActionWrite } from '../../activities/kernel';
import { ACTIVITY_IO, ACTIVITY_NOTIFY, LOCAL_IO } from '../../temporal.config';
import { builtInCalendar, calendarWithLoadedYears, type WorkingCalendar } from '../../domain/calendar';
import {
  canExtend,
  describeClock,
  dueAt,
  extendClock,
  nextThresholdAt,
  pauseClock,
  restartClock,
  resumeClock,
  startClock,
  stopClock,
  thresholdsBetween,
  type ClockExtension,
  type ClockState,
  type Threshold,
} from '../../domain/clock';
import { policyNumber, type PolicyVersion } from '../../domain/policies';
import type { Actor, Role } from '../../domain/roles';
import { refuseClaim, refuseCompletion, taskId as makeTaskId, type Decision, type OpenTask, type Refusal } from '../../domain/tasks';
import {
  caseViewQuery,
  claimTaskUpdate,
  completeTaskUpdate,
  reassignTaskUpdate,
  unclaimTaskUpdate,
  type CaseView,
  type CompleteTaskInput,
  type TaskActionInput,
  type TaskActionView,
} from './case-messages';

export * from './case-messages';

const io = proxyActivities<Activities>(ACTIVITY_IO);
const notify = proxyActivities<Activities>(ACTIVITY_NOTIFY);
const local = proxyLocalActivities<Activities>(LOCAL_IO);

/**
 * An update is durable only once the workflow task that accepted it is recorded by the server. A
 * local activity runs inside that task, before it is recorded: had the server lost the task (killed
 * under load), the update would be gone while the activity's write stayed — a task closed in the
 * inbox that is still open in the case, an audit event for a decision never taken (found by the
 * Temporal-restart fault test). So from an update handler's start until a scheduled activity
 * completes (proof that the task was recorded), the kernel's writes go out as scheduled
 * activities. Module state is per workflow: the SDK gives each workflow its own module cache.
 */
let updateUnrecorded = false;

/** Called first by every update handler (kernel and processes). */
export function updateArrived(): void {
  if (patched('update-writes-after-record')) updateUnrecorded = true;
}

const recordedIo = new Proxy(io, {
  get: (target, name: string) =>
    (...args: unknown[]) =>
      (target[name as keyof typeof io] as (...a: unknown[]) => Promise<unknown>)(...args).finally(() => {
        updateUnrecorded = false;
      }),
}) as typeof io;

/**
 * The kernel's database writes: local activities (LOCAL_IO) — one workflow task opens a task row
 * and audits it instead of a server round trip per write — except while an update is not yet
 * recorded (above). Cases started before keep scheduled activities for the part of their history
 * already written.
 */
export function caseDb(): typeof io {
  if (!patched('kernel-local-io')) return io;
  return updateUnrecorded ? recordedIo : local;
}

type AuditEventInput = Parameters<Activities['appendAudit']>[0];

/** See `CaseKernel.record`. */
function answersOnRecord(): boolean {
  return patched('task-action-answers-on-record');
}

function refuse(r: Refusal | undefined): void {
  if (r) throw ApplicationFailure.create({ type: r.code, message: r.message, nonRetryable: true });
}

interface ClockMeta {
  agencyId: string;
  title: string;
  checkedUntilMs: number;
}

export interface TaskOptions {
  step: string;
  title: string;
  agencyId?: string;
  candidateRole: Role;
  outcomes: string[];
  clockId?: string;
  priority?: number;
  requires?: Record<string, string[]>;
  /**
   * A further rule the completion must pass, checked in the update validator after the generic
   * ones (e.g. four eyes: the person who entered a record may not approve it). Kept in workflow
   * memory only.
   */
  check?: (decision: { outcome: string; actor: Actor; payload: Record<string, unknown> }) => Refusal | undefined;
}

export class CaseKernel {
  status = 'starting';
  data: Record<string, unknown> = {};
  policy?: PolicyVersion;
  calendar: WorkingCalendar = builtInCalendar();
  private readonly clocks = new Map<string, ClockState>();
  private readonly clockMeta = new Map<string, ClockMeta>();
  private readonly open = new Map<string, OpenTask>();
  private readonly decisions = new Map<string, Decision>();
  private readonly decisionLog: Decision[] = [];
  private readonly checks = new Map<string, NonNullable<TaskOptions['check']>>();
  private readonly stepCount = new Map<string, number>();
  private auditSeq = 0;
  private auditChain: Promise<void> = Promise.resolve();
  /** Bumped on every change a waiting loop must notice. */
  private seq = 0;

  constructor(
    readonly caseType: string,
    readonly caseId: string,
    public agencyId: string,
  ) {
    setHandler(caseViewQuery, () => this.view());
    setHandler(claimTaskUpdate, (i) => this.assign(i, i.actor.sub, 'task.claimed'), {
      validator: (i) => refuse(refuseClaim(this.open.get(i.taskId), i.actor, i.actorScope)),
    });
    setHandler(unclaimTaskUpdate, (i) => this.assign(i, null, 'task.unclaimed'), {
      validator: (i) => {
        const t = this.open.get(i.taskId);
        refuse(refuseClaim(t, i.actor, i.actorScope));
        if (t?.assignee !== i.actor.sub) refuse({ code: 'NotEntitled', message: 'Only the officer holding the task may release it.' });
      },
    });
    setHandler(reassignTaskUpdate, (i) => this.assign(i, i.assignee, 'task.reassigned'), {
      validator: (i) => {
        const t = this.open.get(i.taskId);
        if (!t) refuse({ code: 'TaskNotOpen', message: 'The task is not open.' });
        if (i.actor.role !== 'supervisor' && i.actor.role !== 'admin') refuse({ code: 'NotEntitled', message: 'Only a supervisor may reassign.' });
        if (i.actor.role !== 'admin' && !i.actorScope.includes(t!.agencyId)) refuse({ code: 'NotEntitled', message: 'The task belongs to another agency.' });
      },
    });
    setHandler(completeTaskUpdate, (i) => this.complete(i), {
      validator: (i) => {
        refuse(refuseCompletion(this.open.get(i.taskId), i.actor, i.outcome, i.actorScope, i.payload));
        refuse(this.checks.get(i.taskId)?.({ outcome: i.outcome, actor: i.actor, payload: i.payload ?? {} }));
      },
    });
  }

  /** Pins the policy in force and the loaded calendar years, and records the start. */
  async init(startedAtMs: number, after: Record<string, unknown> = {}): Promise<void> {
    const snapshot = await caseDb().legalTimeSnapshot(startedAtMs);
    this.policy = snapshot.policy;
    this.calendar = calendarWithLoadedYears(snapshot.years);
    this.status = 'started';
    await this.audit('case.started', { sub: 'system', role: 'admin' }, null, { ...after, policyVersion: snapshot.policy.version });
  }

  policyDays(key: string): number {
    if (!this.policy) throw ApplicationFailure.nonRetryable('the kernel is not initialised');
    return policyNumber(this.policy, key);
  }

  // ---- clocks -------------------------------------------------------------------------------

  startClock(id: string, o: { workingDays: number; title: string; agencyId?: string; thresholds?: Threshold[]; maxExtensions?: number; cutoffMs?: number; atMs?: number }): ClockState {
    const atMs = o.atMs ?? Date.now();
    const thresholds = o.thresholds ?? [
      { kind: 'before', workingDays: this.policy ? this.policyDays('reminder.before') : 1 },
      { kind: 'due' },
      { kind: 'overdue' },
      { kind: 'escalate', afterWorkingDays: this.policy ? this.policyDays('escalation.afterOverdue') : 3 },
    ];
    const c = startClock(this.calendar, { id, atMs, workingDays: o.workingDays, thresholds, maxExtensions: o.maxExtensions, cutoffMs: o.cutoffMs });
    this.clocks.set(id, c);
    this.clockMeta.set(id, { agencyId: o.agencyId ?? this.agencyId, title: o.title, checkedUntilMs: atMs });
    this.seq++;
    return c;
  }

  clock(id: string): ClockState {
    const c = this.clocks.get(id);
    if (!c) throw ApplicationFailure.nonRetryable(`no clock ${id}`);
    return c;
  }

  dueAtMs(id: string): number {
    return dueAt(this.calendar, this.clock(id));
  }

  private async replaceClock(id: string, next: ClockState): Promise<void> {
    this.clocks.set(id, next);
    this.seq++;
    for (const t of this.open.values()) {
      if (t.clockId === id) {
        t.dueAtMs = next.pause || next.stoppedAtMs !== undefined ? t.dueAtMs : dueAt(this.calendar, next);
        await caseDb().setTaskDue({ taskId: t.taskId, dueAtMs: t.dueAtMs, atMs: Date.now() });
      }
    }
  }

  /** Starts clock `id` again from a new instant (e.g. a corrected decision date); open tasks on it get the new due date. */
  restartClockAt(id: string, o: Parameters<CaseKernel['startClock']>[1]): Promise<void> {
    const meta = this.clockMeta.get(id);
    const old = this.clock(id);
    const next = { ...startClock(this.calendar, { id, atMs: o.atMs ?? Date.now(), workingDays: o.workingDays, thresholds: old.thresholds, maxExtensions: o.maxExtensions, cutoffMs: o.cutoffMs }), generation: old.generation + 1 };
    // Thresholds of the new timeline are raised from its start (their keys carry the new generation).
    if (meta) this.clockMeta.set(id, { agencyId: o.agencyId ?? meta.agencyId, title: o.title, checkedUntilMs: next.startedAtMs });
    return this.replaceClock(id, next);
  }

  pauseClock(id: string, reason: string) {
    return this.replaceClock(id, pauseClock(this.clock(id), Date.now(), reason));
  }
  resumeClock(id: string) {
    return this.replaceClock(id, resumeClock(this.calendar, this.clock(id), Date.now()));
  }
  restartClock(id: string, cutoffMs?: number) {
    const meta = this.clockMeta.get(id)!;
    meta.checkedUntilMs = Date.now();
    return this.replaceClock(id, restartClock(this.calendar, this.clock(id), Date.now(), cutoffMs));
  }
  canExtendClock(id: string): boolean {
    return canExtend(this.clock(id));
  }
  extendClock(id: string, ext: Omit<ClockExtension, 'atMs'>) {
    return this.replaceClock(id, extendClock(this.clock(id), { ...ext, atMs: Date.now() }));
  }
  stopClock(id: string) {
    return this.replaceClock(id, stopClock(this.clock(id), Date.now()));
  }

  /** Raises the alerts of every threshold passed since the last check, once each. */
  private async raiseDueAlerts(): Promise<void> {
    const now = Date.now();
    for (const [id, c] of this.clocks) {
      const meta = this.clockMeta.get(id)!;
      let hits = thresholdsBetween(this.calendar, c, meta.checkedUntilMs, now);
      // Catching up (a clock started in the past, or a worker back after downtime): of the daily
      // overdue reminders passed, only the latest is sent, not one per missed day.
      if (hits.filter((h) => h.kind === 'overdue').length > 1 && patched('kernel-catch-up-latest-overdue')) {
        const latest = hits.filter((h) => h.kind === 'overdue').at(-1);
        hits = hits.filter((h) => h.kind !== 'overdue' || h === latest);
      }
      meta.checkedUntilMs = now;
      for (const hit of hits) {
        const holder = [...this.open.values()].find((t) => t.clockId === id);
        await notify.raiseAlert({
          caseType: this.caseType,
          caseId: this.caseId,
          workflowId: workflowInfo().workflowId,
          clockId: id,
          thresholdKey: hit.key,
          thresholdKind: hit.kind,
          overdueWorkingDays: hit.overdueWorkingDays,
          agencyId: meta.agencyId,
          assignee: holder?.assignee,
          title: meta.title,
          dueAtMs: dueAt(this.calendar, c),
          atMs: hit.atMs,
        });
        await this.audit('alert.raised', { sub: 'system', role: 'admin' }, null, { clock: id, threshold: hit.key, dueDate: hit.dueDate });
      }
    }
  }

  private nextWakeMs(): number | undefined {
    let best: number | undefined;
    for (const [id, c] of this.clocks) {
      const at = nextThresholdAt(this.calendar, c, this.clockMeta.get(id)!.checkedUntilMs);
      if (at !== undefined && (best === undefined || at < best)) best = at;
    }
    return best;
  }

  /**
   * Waits until `predicate` holds (or `timeoutMs` passes: returns false), raising threshold alerts
   * of every running clock on the way.
   */
  async waitUntil(predicate: () => boolean, timeoutMs?: number): Promise<boolean> {
    const deadline = timeoutMs !== undefined ? Date.now() + timeoutMs : undefined;
    for (;;) {
      await this.raiseDueAlerts();
      if (predicate()) return true;
      const now = Date.now();
      if (deadline !== undefined && now >= deadline) return false;
      const wake = [this.nextWakeMs(), deadline].filter((x): x is number => x !== undefined);
      const seq = this.seq;
      const timeout = wake.length ? Math.max(1, Math.min(...wake) - now) : undefined;
      if (timeout === undefined) await condition(() => predicate() || this.seq !== seq);
      else await condition(() => predicate() || this.seq !== seq, timeout);
    }
  }

  // ---- tasks --------------------------------------------------------------------------------

  async openTask(o: TaskOptions): Promise<OpenTask> {
    const n = (this.stepCount.get(o.step) ?? 0) + 1;
    this.stepCount.set(o.step, n);
    const c = o.clockId ? this.clock(o.clockId) : undefined;
    const task: OpenTask = {
      taskId: makeTaskId(workflowInfo().workflowId, o.step, n),
      step: o.step,
      title: o.title,
      agencyId: o.agencyId ?? this.agencyId,
      candidateRole: o.candidateRole,
      outcomes: o.outcomes,
      priority: o.priority ?? 0,
      clockId: o.clockId,
      requires: o.requires,
      status: 'open',
      openedAtMs: Date.now(),
      dueAtMs: c ? dueAt(this.calendar, c) : undefined,
    };
    if (o.check) this.checks.set(task.taskId, o.check);
    // A task takes decisions only once its row exists: a decision taken while the row's first write
    // was lost with a killed worker would close nothing, and the retried write would then open a
    // row of a decided task (found by test/faults). Cases started before keep the old order.
    const rowFirst = patched('kernel-task-row-before-decisions');
    if (!rowFirst) {
      this.open.set(task.taskId, task);
      this.seq++;
    }
    await caseDb().openTask({ caseType: this.caseType, caseId: this.caseId, workflowId: workflowInfo().workflowId, task, dueAtMs: task.dueAtMs, openedAtMs: task.openedAtMs });
    if (rowFirst) {
      this.open.set(task.taskId, task);
      this.seq++;
    }
    await this.audit('task.opened', { sub: 'system', role: 'admin' }, null, { taskId: task.taskId, step: task.step, agencyId: task.agencyId, candidateRole: task.candidateRole });
    return task;
  }

  decisionOf(taskId: string): Decision | undefined {
    return this.decisions.get(taskId);
  }

  /** Opens a task and waits for its decision while the clocks run. */
  async task(o: TaskOptions): Promise<Decision> {
    const t = await this.openTask(o);
    await this.waitUntil(() => this.decisions.has(t.taskId));
    return this.decisions.get(t.taskId)!;
  }

  /** Cancels an open task (the case moved on without it). */
  async cancelTask(taskId: string): Promise<void> {
    if (!this.open.delete(taskId)) return;
    this.seq++;
    await caseDb().finishTask({ taskId, status: 'cancelled', atMs: Date.now() });
    await this.audit('task.cancelled', { sub: 'system', role: 'admin' }, null, { taskId });
  }

  private async assign(i: TaskActionInput, assignee: string | null, action: string): Promise<TaskActionView> {
    updateArrived();
    const t = this.open.get(i.taskId)!;
    const before = { assignee: t.assignee ?? null };
    t.assignee = assignee ?? undefined;
    t.status = assignee ? 'claimed' : 'open';
    this.seq++;
    const write = { kind: 'assign' as const, taskId: t.taskId, assignee, atMs: Date.now() };
    if (answersOnRecord()) return this.record(write, this.auditEvent(action, i.actor, before, { taskId: t.taskId, assignee }));
    const audited = this.audit(action, i.actor, before, { taskId: t.taskId, assignee });
    await caseDb().assignTask(write);
    await audited;
    return this.view();
  }

  private async complete(i: CompleteTaskInput): Promise<TaskActionView> {
    updateArrived();
    const t = this.open.get(i.taskId)!;
    this.open.delete(i.taskId); // synchronously: a concurrent second decision is rejected by its validator
    const d: Decision = { taskId: t.taskId, step: t.step, outcome: i.outcome, actor: i.actor, payload: i.payload ?? {}, atMs: Date.now() };
    this.decisions.set(t.taskId, d);
    this.decisionLog.push(d);
    this.seq++;
    const write = { kind: 'finish' as const, taskId: t.taskId, status: 'done' as const, outcome: i.outcome, completedBy: i.actor.sub, atMs: d.atMs };
    const before = { status: t.status, assignee: t.assignee ?? null };
    const after = { taskId: t.taskId, step: t.step, outcome: i.outcome };
    if (answersOnRecord()) return this.record(write, this.auditEvent('task.completed', i.actor, before, after));
    const audited = this.audit('task.completed', i.actor, before, after);
    await caseDb().finishTask(write);
    await audited;
    return this.view();
  }

  /**
   * An officer's task action since `task-action-answers-on-record`: its task-row write and its
   * audit event go out as one activity (one transaction), scheduled — the update is not recorded
   * yet (`updateArrived`) — in the workflow task that accepts the update, and the update completes
   * in that same workflow task. The server records the acceptance, the write and the answer at
   * once: the action is as durable as when the answer waited for the writes, without the two
   * activity round trips and the following workflow task (which also carried the case's next
   * step) it used to wait for. The answer names the audit event; the API waits for the row and
   * the event before it answers the officer, so the inbox and the audit log read as before.
   */
  private record(task: TaskActionWrite, audit: AuditEventInput): TaskActionView {
    const recorded = this.chained(() => caseDb().recordTaskAction({ task, audit }));
    // It retries until it succeeds (RETRY_IO); only a non-retryable ValidationError ends it, a bug
    // the workflow log and the API's wait both report.
    void recorded.catch((err: unknown) => log.error('task action write failed', { taskId: task.taskId, error: String(err) }));
    return { ...this.view(), pendingWrites: { auditKeys: [audit.dedupeKey] } };
  }

  // ---- audit and views ----------------------------------------------------------------------

  /**
   * Appends an audit event. Appends are chained so they reach the log in the order they were
   * issued, even when an update handler and the main flow audit at the same time.
   */
  audit(action: string, actor: { sub: string; role: Role | 'system' }, before: Record<string, unknown> | null, after: Record<string, unknown> | null): Promise<void> {
    const event = this.auditEvent(action, actor, before, after);
    return this.chained(() => caseDb().appendAudit(event));
  }

  /** Runs `write` after every audit write issued before it; later ones wait for it in turn. */
  private chained(write: () => Promise<void>): Promise<void> {
    const done = this.auditChain.then(write);
    this.auditChain = done.catch(() => undefined);
    return done;
  }

  /** The next audit event of this case (its dedupe key numbers it). */
  private auditEvent(action: string, actor: { sub: string; role: Role | 'system' }, before: Record<string, unknown> | null, after: Record<string, unknown> | null): AuditEventInput {
    const info = workflowInfo();
    return {
      dedupeKey: `${info.workflowId}:${info.runId}:${++this.auditSeq}`,
      caseType: this.caseType,
      caseId: this.caseId,
      agencyId: this.agencyId,
      workflowId: info.workflowId,
      runId: info.runId,
      actor: actor.sub,
      actorRole: actor.sub === 'system' ? 'system' : actor.role,
      action,
      before,
      after,
      at: new Date().toISOString(),
    };
  }

  view(): CaseView {
    const now = Date.now();
    return {
      caseType: this.caseType,
      caseId: this.caseId,
      agencyId: this.agencyId,
      status: this.status,
      policyVersion: this.policy?.version,
      openTasks: [...this.open.values()].map((t) => ({
        taskId: t.taskId,
        step: t.step,
        title: t.title,
        status: t.status,
        assignee: t.assignee,
        candidateRole: t.candidateRole,
        outcomes: t.outcomes,
        agencyId: t.agencyId,
        dueAt: t.dueAtMs !== undefined ? new Date(t.dueAtMs).toISOString() : undefined,
      })),
      decisions: this.decisionLog.map((d) => ({ taskId: d.taskId, step: d.step, outcome: d.outcome, actor: d.actor.sub, role: d.actor.role, at: new Date(d.atMs).toISOString() })),
      clocks: [...this.clocks.values()].map((c) => describeClock(this.calendar, c, now)),
      data: this.data,
    };
  }

  /**
   * Waits for in-flight update handlers before the workflow returns, and for the case's pending
   * writes: the closing audit event is chained after every earlier one, officers' task-action
   * writes included (`record`), so none is left unapplied when the run ends.
   */
  async finish(status: string): Promise<CaseView> {
    this.status = status;
    for (const id of this.clocks.keys()) if (this.clocks.get(id)!.stoppedAtMs === undefined) this.clocks.set(id, stopClock(this.clock(id), Date.now()));
    await condition(allHandlersFinished);
    await this.audit('case.closed', { sub: 'system', role: 'admin' }, null, { status });
    return this.view();
  }
}
