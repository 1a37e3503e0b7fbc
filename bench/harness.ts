/** Shared benchmark plumbing: timing loops and result records. */
export interface BenchResult {
  name: string;
  description: string;
  /** The figure, as a ratio to the baseline measured in the same run. */
  ratio: number;
  ratioLabel: string;
  goal: string;
  met: boolean;
  figures: Record<string, number | string>;
}

/** Runs `fn` in batches for about `seconds` (after a warm-up) and returns calls per second. */
export function opsPerSecond(seconds: number, fn: (i: number) => unknown): number {
  const batch = 1024;
  let i = 0;
  const warm = performance.now() + Math.min(200, seconds * 250);
  while (performance.now() < warm) for (let k = 0; k < batch; k++) fn(i++);
  let calls = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let k = 0; k < batch; k++) fn(i++);
    calls += batch;
    now = performance.now();
  }
  return calls / ((now - start) / 1000);
}

/** The p-th percentile (nearest rank) of samples. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
