/**
 * Working-day computations per second: the indexed calendar vs a naive day-by-day loop over the
 * same days-off data, measured side by side in one run (same inputs, same machine, one core).
 */
import { builtInCalendar, dayFromYmd, weekday } from '../domain/calendar';
import type { BenchResult } from './harness';
import { opsPerSecond } from './harness';

export function workingDaysBench(opts: { smoke: boolean }): BenchResult {
  const cal = builtInCalendar();
  // The naive implementation: a set of days off and a set of worked Saturdays, walked day by day.
  const off = new Set<number>();
  const worked = new Set<number>();
  for (let y = 2016; y <= 2074; y++) {
    const data = cal.year(y);
    for (const d of data.daysOff) off.add(dayFromYmd(...(d.date.split('-').map(Number) as [number, number, number])));
    for (const w of data.workedSaturdays) worked.add(dayFromYmd(...(w.date.split('-').map(Number) as [number, number, number])));
  }
  const naiveAdd = (day: number, n: number) => {
    let cur = day;
    for (let i = 0; i < n; ) {
      cur++;
      const wd = weekday(cur);
      const working = worked.has(cur) || (wd !== 0 && wd !== 6 && !off.has(cur));
      if (working) i++;
    }
    return cur;
  };
  // Inputs: start days across 2020–2035, limits of 1–30 working days (the statutory range).
  const N = 4096;
  const starts = new Int32Array(N);
  const limits = new Int32Array(N);
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const from = dayFromYmd(2020, 1, 1);
  const span = dayFromYmd(2035, 12, 31) - from;
  for (let i = 0; i < N; i++) {
    starts[i] = from + Math.floor(rnd() * span);
    limits[i] = 1 + Math.floor(rnd() * 30);
  }
  for (let i = 0; i < N; i++) {
    if (naiveAdd(starts[i]!, limits[i]!) !== cal.addWorkingDays(starts[i]!, limits[i]!)) throw new Error('naive and indexed disagree');
  }
  const seconds = opts.smoke ? 0.3 : 2;
  let sink = 0;
  const naive = opsPerSecond(seconds, (i) => (sink += naiveAdd(starts[i & (N - 1)]!, limits[i & (N - 1)]!)));
  const indexed = opsPerSecond(seconds, (i) => (sink += cal.addWorkingDays(starts[i & (N - 1)]!, limits[i & (N - 1)]!)));
  if (sink === 42) console.log(''); // keep the work observable
  return {
    name: 'working-days',
    description: 'addWorkingDays (1–30 wd, starts 2020–2035): indexed calendar vs naive day-by-day loop',
    ratio: indexed / naive,
    ratioLabel: 'indexed ÷ naive (ops/s)',
    goal: '≥ 20× and ≥ 1,000,000 ops/s',
    met: indexed / naive >= 20 && indexed >= 1_000_000,
    figures: { indexedOpsPerSec: Math.round(indexed), naiveOpsPerSec: Math.round(naive) },
  };
}
