/**
 * Statutory clocks: a serialisable value kept in workflow state, so it replays deterministically.
 * A clock counts N working days from a start; it can be paused (time paused is not counted),
 * restarted from zero (Decree 61/2018 Art 19.4), extended (by N working days or to a date, at
 * most `maxExtensions` times — e.g. once for a rescheduled dossier, Art 19.9), and stopped.
 * Thresholds ("N working days before due", "on the due day", "every working day while overdue",
 * "escalate after N overdue working days") are instants computed from the calendar; each carries a
 * key that is unique per clock generation, so an alert raised for it is raised exactly once.
 */
import { endOfDay, formatDate, localDay, parseDate, startOfDay, type DayNumber } from './calendar/days';
import type { WorkingCalendar } from './calendar/calendar';

export type Threshold =
  | { kind: 'before'; workingDays: number }
  | { kind: 'due' }
  | { kind: 'overdue' }
  | { kind: 'escalate'; afterWorkingDays: number };

export interface ClockExtension {
  atMs: number;
  byWorkingDays?: number;
  toDate?: string;
  reason: string;
}

export interface ClockState {
  id: string;
  workingDays: number;
  /** The instant the clock (re)started, and the local day counting starts after. */
  startedAtMs: number;
  startDay: DayNumber;
  pausedWorkingDays: number;
  pause?: { sinceMs: number; reason: string };
  pauses: number;
  extensions: ClockExtension[];
  /** Extensions ever granted, across restarts (the cap applies to the case, not one run of the clock). */
  extensionsUsed: number;
  maxExtensions: number;
  restarts: number;
  /** Bumped on restart and extension: threshold keys of an older generation never collide. */
  generation: number;
  thresholds: Threshold[];
  stoppedAtMs?: number;
}

export class ClockError extends Error {}

export function startClock(
  cal: WorkingCalendar,
  opts: { id: string; atMs: number; workingDays: number; thresholds?: Threshold[]; maxExtensions?: number; cutoffMs?: number },
): ClockState {
  if (!Number.isInteger(opts.workingDays) || opts.workingDays < 0) throw new ClockError(`invalid limit ${opts.workingDays}`);
  return {
    id: opts.id,
    workingDays: opts.workingDays,
    startedAtMs: opts.atMs,
    startDay: cal.receptionDay(opts.atMs, { cutoffMs: opts.cutoffMs }),
    pausedWorkingDays: 0,
    pauses: 0,
    extensions: [],
    extensionsUsed: 0,
    maxExtensions: opts.maxExtensions ?? 0,
    restarts: 0,
    generation: 0,
    thresholds: opts.thresholds ?? [{ kind: 'before', workingDays: 1 }, { kind: 'due' }, { kind: 'overdue' }],
  };
}

function assertRunning(c: ClockState): void {
  if (c.stoppedAtMs !== undefined) throw new ClockError(`clock ${c.id} is stopped`);
}

export function pauseClock(c: ClockState, atMs: number, reason: string): ClockState {
  assertRunning(c);
  if (c.pause) throw new ClockError(`clock ${c.id} is already paused`);
  return { ...c, pause: { sinceMs: atMs, reason }, pauses: c.pauses + 1 };
}

/** Working days between the pause and `atMs` (the pause's own day not counted). */
function pausedSoFar(cal: WorkingCalendar, c: ClockState, atMs: number): number {
  if (!c.pause) return 0;
  return Math.max(0, cal.workingDaysBetween(localDay(c.pause.sinceMs), localDay(atMs)));
}

export function resumeClock(cal: WorkingCalendar, c: ClockState, atMs: number): ClockState {
  assertRunning(c);
  if (!c.pause) throw new ClockError(`clock ${c.id} is not paused`);
  return { ...c, pausedWorkingDays: c.pausedWorkingDays + pausedSoFar(cal, c, atMs), pause: undefined };
}

/** Restart from zero (e.g. the complete supplement arrived): a new full period from `atMs`. */
export function restartClock(cal: WorkingCalendar, c: ClockState, atMs: number, cutoffMs?: number): ClockState {
  assertRunning(c);
  return {
    ...c,
    startedAtMs: atMs,
    startDay: cal.receptionDay(atMs, { cutoffMs }),
    pausedWorkingDays: 0,
    pause: undefined,
    extensions: [],
    restarts: c.restarts + 1,
    generation: c.generation + 1,
  };
}

export function canExtend(c: ClockState): boolean {
  return c.stoppedAtMs === undefined && c.extensionsUsed < c.maxExtensions;
}

export function extendClock(c: ClockState, ext: ClockExtension): ClockState {
  assertRunning(c);
  if (!canExtend(c)) throw new ClockError(`clock ${c.id} may be extended at most ${c.maxExtensions} time(s)`);
  if ((ext.byWorkingDays === undefined) === (ext.toDate === undefined)) throw new ClockError('extend by working days or to a date, not both');
  if (ext.byWorkingDays !== undefined && (!Number.isInteger(ext.byWorkingDays) || ext.byWorkingDays < 1)) throw new ClockError('extension must be ≥ 1 working day');
  if (ext.toDate !== undefined) parseDate(ext.toDate);
  return { ...c, extensions: [...c.extensions, ext], extensionsUsed: c.extensionsUsed + 1, generation: c.generation + 1 };
}

export function stopClock(c: ClockState, atMs: number): ClockState {
  return c.stoppedAtMs === undefined ? { ...c, stoppedAtMs: atMs, pause: c.pause } : c;
}

/** The due day. While paused, computed as if the clock resumed at `nowMs` (default: not counting the current pause). */
export function dueDay(cal: WorkingCalendar, c: ClockState, nowMs?: number): DayNumber {
  const paused = c.pausedWorkingDays + (nowMs !== undefined ? pausedSoFar(cal, c, nowMs) : 0);
  let due = cal.addWorkingDays(c.startDay, c.workingDays + paused);
  for (const e of c.extensions) {
    if (e.byWorkingDays !== undefined) due = cal.addWorkingDays(due, e.byWorkingDays);
    else if (e.toDate !== undefined) due = cal.workingDayOnOrAfter(parseDate(e.toDate));
  }
  return due;
}

/** The instant the period expires: 24:00 local of the due day. */
export function dueAt(cal: WorkingCalendar, c: ClockState, nowMs?: number): number {
  return endOfDay(dueDay(cal, c, nowMs));
}

export interface ThresholdHit {
  /** Unique per clock, generation and threshold: `g0:before-1`, `g0:due`, `g1:overdue-3`, `g0:escalate-2`. */
  key: string;
  kind: Threshold['kind'];
  atMs: number;
  /** For overdue hits: how many working days overdue. */
  overdueWorkingDays?: number;
  dueDate: string;
}

/**
 * The instant of a threshold that fires once (before, due, escalate), or undefined when it has no
 * room (a reminder N working days before a due date that is fewer than N+1 working days away).
 */
function onceAt(cal: WorkingCalendar, c: ClockState, t: Exclude<Threshold, { kind: 'overdue' }>, due: DayNumber): number | undefined {
  switch (t.kind) {
    case 'before':
      return cal.workingDaysBetween(c.startDay, due) > t.workingDays ? startOfDay(cal.subtractWorkingDays(due, t.workingDays)) : undefined;
    case 'due':
      return startOfDay(due);
    case 'escalate':
      return startOfDay(cal.addWorkingDays(due, t.afterWorkingDays));
  }
}

function onceKey(t: Exclude<Threshold, { kind: 'overdue' }>): string {
  return t.kind === 'before' ? `before-${t.workingDays}` : t.kind === 'escalate' ? `escalate-${t.afterWorkingDays}` : 'due';
}

/** Threshold hits with fromMs < atMs ≤ toMs, in time order. None while paused or stopped. */
export function thresholdsBetween(cal: WorkingCalendar, c: ClockState, fromMs: number, toMs: number): ThresholdHit[] {
  if (c.pause || c.stoppedAtMs !== undefined || toMs <= fromMs) return [];
  const due = dueDay(cal, c);
  const dueDate = formatDate(due);
  const g = `g${c.generation}`;
  const hits: ThresholdHit[] = [];
  const add = (hit: ThresholdHit) => {
    if (hit.atMs > fromMs && hit.atMs <= toMs) hits.push(hit);
  };
  for (const t of c.thresholds) {
    if (t.kind === 'overdue') {
      // The start of every working day after the due day; only those inside the window.
      const firstK = Math.max(1, cal.workingDaysBetween(due, localDay(fromMs)));
      for (let k = firstK; ; k++) {
        const at = startOfDay(cal.addWorkingDays(due, k));
        if (at > toMs) break;
        add({ key: `${g}:overdue-${k}`, kind: 'overdue', atMs: at, overdueWorkingDays: k, dueDate });
      }
      continue;
    }
    const at = onceAt(cal, c, t, due);
    if (at !== undefined) {
      add({ key: `${g}:${onceKey(t)}`, kind: t.kind, atMs: at, overdueWorkingDays: t.kind === 'escalate' ? t.afterWorkingDays : undefined, dueDate });
    }
  }
  const order = { before: 0, due: 1, overdue: 2, escalate: 3 } as const;
  return hits.sort((a, b) => a.atMs - b.atMs || order[a.kind] - order[b.kind]);
}

/** The first threshold instant after `afterMs`, or undefined (paused, stopped, or nothing left). */
export function nextThresholdAt(cal: WorkingCalendar, c: ClockState, afterMs: number): number | undefined {
  if (c.pause || c.stoppedAtMs !== undefined) return undefined;
  const due = dueDay(cal, c);
  let best: number | undefined;
  for (const t of c.thresholds) {
    const at = t.kind === 'overdue' ? startOfDay(cal.addWorkingDays(Math.max(due, localDay(afterMs)), 1)) : onceAt(cal, c, t, due);
    if (at !== undefined && at > afterMs && (best === undefined || at < best)) best = at;
  }
  return best;
}

/** A summary for views: due date and instant, working days used and left, state. */
export function describeClock(cal: WorkingCalendar, c: ClockState, nowMs: number) {
  const due = dueDay(cal, c, nowMs);
  const endMs = c.stoppedAtMs ?? nowMs;
  const today = localDay(endMs);
  const left = cal.workingDaysBetween(today, due);
  return {
    id: c.id,
    state: c.stoppedAtMs !== undefined ? 'stopped' : c.pause ? 'paused' : 'running',
    workingDays: c.workingDays,
    dueDate: formatDate(due),
    dueAt: new Date(endOfDay(due)).toISOString(),
    workingDaysLeft: left,
    overdue: endMs >= endOfDay(due),
    pausedWorkingDays: c.pausedWorkingDays + pausedSoFar(cal, c, nowMs),
    restarts: c.restarts,
    extensionsUsed: c.extensionsUsed,
    maxExtensions: c.maxExtensions,
    calendar: cal.statusBetween(c.startDay, due),
  };
}
