/** Statutory clocks: pause/resume, restart from zero, extension caps, thresholds. */
import { builtInCalendar, formatDate, parseInstant } from '../../domain/calendar';
import {
  canExtend,
  ClockError,
  describeClock,
  dueDay,
  extendClock,
  nextThresholdAt,
  pauseClock,
  restartClock,
  resumeClock,
  startClock,
  stopClock,
  thresholdsBetween,
} from '../../domain/clock';

const cal = builtInCalendar();
const t = parseInstant;
const due = (c: Parameters<typeof dueDay>[1]) => formatDate(dueDay(cal, c));

describe('statutory clock', () => {
  // Monday 2 March 2026, 09:00 in Hanoi; 5 working days → Monday 9 March.
  const base = () => startClock(cal, { id: 'answer', atMs: t('2026-03-02T09:00:00+07:00'), workingDays: 5, maxExtensions: 1 });

  it('is due after N working days, the start day not counted', () => {
    expect(due(base())).toBe('2026-03-09');
  });

  it('does not count working days while paused', () => {
    let c = pauseClock(base(), t('2026-03-03T10:00:00+07:00'), 'waiting for the citizen');
    expect(() => pauseClock(c, t('2026-03-03T11:00:00+07:00'), 'again')).toThrow(ClockError);
    expect(formatDate(dueDay(cal, c, t('2026-03-05T10:00:00+07:00')))).toBe('2026-03-11');
    c = resumeClock(cal, c, t('2026-03-05T10:00:00+07:00')); // paused Wed and Thu: 2 working days
    expect(c.pausedWorkingDays).toBe(2);
    expect(due(c)).toBe('2026-03-11');
    expect(() => resumeClock(cal, c, t('2026-03-05T11:00:00+07:00'))).toThrow(ClockError);
  });

  it('restarts from zero (Decree 61/2018 Art 19.4) and drops pauses', () => {
    let c = pauseClock(base(), t('2026-03-03T10:00:00+07:00'), 'supplement');
    c = restartClock(cal, c, t('2026-03-10T08:00:00+07:00'));
    expect(c.pause).toBeUndefined();
    expect(c.restarts).toBe(1);
    expect(due(c)).toBe('2026-03-17');
  });

  it('extends at most maxExtensions times, across restarts', () => {
    let c = extendClock(base(), { atMs: t('2026-03-06T09:00:00+07:00'), byWorkingDays: 3, reason: 'late' });
    expect(due(c)).toBe('2026-03-12');
    expect(canExtend(c)).toBe(false);
    expect(() => extendClock(c, { atMs: 0, byWorkingDays: 1, reason: 'again' })).toThrow(/at most 1/);
    c = restartClock(cal, c, t('2026-03-10T08:00:00+07:00'));
    expect(() => extendClock(c, { atMs: 0, toDate: '2026-04-01', reason: 'again' })).toThrow(ClockError);
  });

  it('extends to a date; a date off moves to the next working day', () => {
    const c = extendClock(base(), { atMs: 0, toDate: '2026-04-30', reason: 'new appointment' });
    expect(due(c)).toBe('2026-05-04');
  });

  it('hits each threshold once per generation: reminder, due day, every overdue working day, escalation', () => {
    const c = startClock(cal, {
      id: 'transfer',
      atMs: t('2026-03-02T09:00:00+07:00'),
      workingDays: 5,
      thresholds: [{ kind: 'before', workingDays: 1 }, { kind: 'due' }, { kind: 'overdue' }, { kind: 'escalate', afterWorkingDays: 2 }],
    });
    const hits = thresholdsBetween(cal, c, c.startedAtMs, t('2026-03-13T12:00:00+07:00'));
    expect(hits.map((h) => `${h.key}@${new Date(h.atMs).toISOString()}`)).toEqual([
      'g0:before-1@2026-03-05T17:00:00.000Z', // start of Friday 6/3 (Hanoi)
      'g0:due@2026-03-08T17:00:00.000Z', // start of Monday 9/3
      'g0:overdue-1@2026-03-09T17:00:00.000Z',
      'g0:overdue-2@2026-03-10T17:00:00.000Z',
      'g0:escalate-2@2026-03-10T17:00:00.000Z',
      'g0:overdue-3@2026-03-11T17:00:00.000Z',
      'g0:overdue-4@2026-03-12T17:00:00.000Z',
    ]);
    // Windows that tile the period see every hit exactly once.
    const cuts = [c.startedAtMs, t('2026-03-06T00:00:00+07:00'), t('2026-03-10T12:00:00+07:00'), t('2026-03-13T12:00:00+07:00')];
    const tiled = cuts.slice(1).flatMap((to, i) => thresholdsBetween(cal, c, cuts[i]!, to));
    expect(tiled.map((h) => h.key)).toEqual(hits.map((h) => h.key));
  });

  it('walking nextThresholdAt visits every hit in order', () => {
    const c = base();
    let at = c.startedAtMs;
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const next = nextThresholdAt(cal, c, at)!;
      seen.push(...thresholdsBetween(cal, c, at, next).map((h) => h.key));
      at = next;
    }
    expect(seen).toEqual(['g0:before-1', 'g0:due', 'g0:overdue-1', 'g0:overdue-2']);
  });

  it('skips overdue days off: overdue alerts only at the start of working days', () => {
    const c = startClock(cal, { id: 'x', atMs: t('2026-04-22T09:00:00+07:00'), workingDays: 2, thresholds: [{ kind: 'overdue' }] });
    expect(due(c)).toBe('2026-04-24');
    const hits = thresholdsBetween(cal, c, c.startedAtMs, t('2026-05-05T12:00:00+07:00'));
    expect(hits.map((h) => formatDate(Math.floor((h.atMs + 7 * 3600_000) / 86_400_000)))).toEqual(['2026-04-28', '2026-04-29', '2026-05-04', '2026-05-05']);
  });

  it('raises nothing while paused or after stop', () => {
    const paused = pauseClock(base(), t('2026-03-03T10:00:00+07:00'), 'x');
    expect(nextThresholdAt(cal, paused, paused.startedAtMs)).toBeUndefined();
    expect(thresholdsBetween(cal, paused, 0, t('2026-12-31T00:00:00+07:00'))).toEqual([]);
    const stopped = stopClock(base(), t('2026-03-04T10:00:00+07:00'));
    expect(nextThresholdAt(cal, stopped, 0)).toBeUndefined();
  });

  it('new generations get new keys after an extension', () => {
    const c = extendClock(base(), { atMs: 0, byWorkingDays: 2, reason: 'r' });
    expect(thresholdsBetween(cal, c, c.startedAtMs, t('2026-03-13T00:00:00+07:00'))[0]!.key).toBe('g1:before-1');
  });

  it('survives a JSON round trip (workflow state)', () => {
    const c = pauseClock(base(), t('2026-03-03T10:00:00+07:00'), 'x');
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });

  it('describes itself for views', () => {
    const view = describeClock(cal, base(), t('2026-03-10T09:00:00+07:00'));
    expect(view).toMatchObject({ state: 'running', dueDate: '2026-03-09', overdue: true, workingDaysLeft: -1, calendar: 'official' });
  });
});
