/**
 * The auditors' case timeline (`GET /cases/{type}/{id}/history`: audit log merged with the
 * Temporal history of the case's runs, CASL-checked) for a case with about 1,000 and 10,000
 * Temporal events (and one audit event per four), vs the raw Temporal history fetch of the same
 * workflow on the same server (goal ≤ 2×). p50 over repeated fetches, after a warm-up.
 */
import { auditStore } from '../db/audit-store';
import { percentile, type BenchResult } from './harness';
import { startBenchSystem } from './system';
import { finishSignal, longHistoryWorkflow, tickSignal } from './workflows';

async function timed<T>(n: number, fn: () => Promise<T>): Promise<number[]> {
  for (let i = 0; i < 2; i++) await fn();
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn();
    xs.push(performance.now() - s);
  }
  return xs;
}

export async function historyBench(opts: { smoke: boolean }): Promise<BenchResult[]> {
  const sizes = opts.smoke ? [200, 1000] : [1000, 10_000];
  const reps = opts.smoke ? 5 : 15;
  const sys = await startBenchSystem('history');
  const { client, worker, taskQueue, db } = sys;
  try {
    const auditor = await sys.token('auditor-bench', 'auditor', 'H99');
    return await worker.runUntil(async () => {
      const results: BenchResult[] = [];
      for (const target of sizes) {
        const caseId = `HIST-${target}-${Date.now()}`;
        const h = await client.workflow.start(longHistoryWorkflow, { taskQueue, workflowId: caseId });
        // Signals in batches until the history is long enough (each batch also adds workflow tasks).
        let length = 0;
        for (let i = 0; length < target; ) {
          await Promise.all(Array.from({ length: 50 }, () => h.signal(tickSignal, i++)));
          length = (await h.describe()).historyLength;
        }
        await h.signal(finishSignal);
        await h.result();
        const events = (await h.describe()).historyLength;
        const audit = auditStore(db);
        const runId = h.firstExecutionRunId;
        for (let i = 0; i < Math.round(events / 4); i++) {
          await audit.append({ dedupeKey: `${caseId}:${i}`, caseType: 'bench', caseId, agencyId: 'H99.20', workflowId: caseId, runId, actor: 'officer-stp-01', actorRole: 'officer', action: 'bench.step', before: null, after: { i }, at: new Date().toISOString() });
        }
        const raw = await timed(reps, () => client.workflow.getHandle(caseId, runId).fetchHistory());
        let entries = 0;
        const timeline = await timed(reps, async () => {
          const res = await fetch(`${sys.base}/cases/bench/${encodeURIComponent(caseId)}/history`, { headers: { authorization: auditor } });
          if (res.status !== 200) throw new Error(`timeline answered ${res.status}: ${await res.text()}`);
          entries = ((await res.json()) as { entries: unknown[] }).entries.length;
        });
        const t = percentile(timeline, 50);
        const r = percentile(raw, 50);
        const round = (x: number) => Math.round(x * 10) / 10;
        results.push({
          name: `history-${target >= 1000 ? `${target / 1000}k` : target}`,
          description: `case timeline (audit log + Temporal history, CASL-checked, over HTTP) for a workflow of ${events} events and ${Math.round(events / 4)} audit events vs fetching the raw Temporal history, p50 of ${reps}`,
          ratio: t / r,
          ratioLabel: 'timeline p50 ÷ raw history fetch p50',
          goal: '≤ 2×',
          met: t / r <= 2,
          figures: { temporalEvents: events, auditEvents: Math.round(events / 4), timelineEntries: entries, timelineP50ms: round(t), timelineP99ms: round(percentile(timeline, 99)), rawFetchP50ms: round(r), rawFetchP99ms: round(percentile(raw, 99)) },
        });
      }
      return results;
    });
  } finally {
    await sys.stop();
  }
}
