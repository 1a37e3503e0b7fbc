/**
 * Cases through the whole stack on a real Temporal dev server, PostgreSQL and SMTP sink started for
 * the run, one worker in this process:
 *  - `cases`: feedback cases per second through the HTTP API (auth, validation, intake transaction,
 *    workflow start, first task row written) vs no-op workflows started and completed on the same
 *    server, at the same concurrency (goal ≥ 0.8×);
 *  - `decisions`: an officer's decision round trip through the API (CASL, update, validator, task
 *    close, audit append) vs a no-op workflow update, p50/p99 (goal p99 ≤ 2×).
 */
import { temporal } from '@temporalio/proto';
import { startBenchSystem } from './system';
import { percentile, type BenchResult } from './harness';
import { finishSignal, noopUpdate, noopUpdateWorkflow, noopWorkflow } from './workflows';


/** Runs `n` jobs with `concurrency` in flight; returns the wall time in ms. */
async function pool(n: number, concurrency: number, job: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) await job(i);
    }),
  );
  return performance.now() - start;
}

export async function casesBench(opts: { smoke: boolean }): Promise<BenchResult[]> {
  const cases = opts.smoke ? 40 : 400;
  const decisions = opts.smoke ? 30 : 300;
  const concurrency = 8;
  const sys = await startBenchSystem('cases');
  const { db, client, worker, taskQueue, base } = sys;
  try {
    const citizen = await sys.token('citizen-bench', 'citizen');
    const operator = await sys.token('operator-01', 'operator', 'VPCP');

    /** `BENCH_TRACE=1`: one case's history, each event with the time since the one before it. */
    const trace = async (workflowId: string): Promise<void> => {
      const hist = await client.workflow.getHandle(workflowId).fetchHistory();
      let prev = 0;
      console.log(`history of ${workflowId}:`);
      for (const e of hist.events ?? []) {
        const t = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
        const type = String(temporal.api.enums.v1.EventType[e.eventType ?? 0]).replace('EVENT_TYPE_', '');
        const name = e.activityTaskScheduledEventAttributes?.activityType?.name ?? e.markerRecordedEventAttributes?.markerName ?? '';
        const of = e.activityTaskStartedEventAttributes?.scheduledEventId ?? e.activityTaskCompletedEventAttributes?.scheduledEventId;
        console.log(`  ${String(e.eventId).padStart(3)} ${type.padEnd(36)} +${String(prev ? t - prev : 0).padStart(5)} ms ${name}${of ? `of ${String(of)}` : ''}`);
        prev = t;
      }
    };

    return await worker.runUntil(async (): Promise<BenchResult[]> => {
      // Warm-up: bundle loaded, connections open, plans cached.
      for (let i = 0; i < 5; i++) await client.workflow.execute(noopWorkflow, { taskQueue, workflowId: `warm-${i}-${Date.now()}` });

      // ---- 1. cases per second ----------------------------------------------------------------
      const baselineMs = await pool(cases, concurrency, async (i) => {
        await client.workflow.execute(noopWorkflow, { taskQueue, workflowId: `noop-${i}-${Date.now()}` });
      });
      // One poller for every case in flight (one query per 5 ms, not one per case), so the
      // measurement does not load the database and the event loop more than the cases themselves.
      const waiting = new Map<string, () => void>();
      let polling = true;
      const poller = (async () => {
        while (polling) {
          if (waiting.size) {
            const found = await db('tasks').whereIn('id', [...waiting.keys()]).pluck('id');
            for (const id of found as string[]) {
              waiting.get(id)?.();
              waiting.delete(id);
            }
          }
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const firstTask = (id: string) => new Promise<void>((resolve) => waiting.set(id, resolve));
      const codes: string[] = [];
      const intakeLatency: number[] = [];
      const firstTaskLatency: number[] = [];
      const apiMs = await pool(cases, concurrency, async (i) => {
        const t0 = performance.now();
        const res = await fetch(`${base}/feedback`, {
          method: 'POST',
          headers: { authorization: citizen, 'content-type': 'application/json', 'idempotency-key': `bench-${Date.now()}-${i}` },
          body: JSON.stringify({
            title: `Phản ánh đo hiệu năng số ${i}`,
            content: `Nội dung phản ánh số ${i} dùng để đo số hồ sơ được tiếp nhận mỗi giây qua giao diện lập trình.`,
            receivingAgencyId: 'H99.20',
            submitter: { fullName: 'Người đo hiệu năng', address: 'Số 1 đường Minh Họa', phone: '0912345678', email: `bench${i}@nguoidan.motcua.local` },
          }),
        });
        if (res.status !== 201) throw new Error(`intake answered ${res.status}: ${await res.text()}`);
        const { code } = (await res.json()) as { code: string };
        codes.push(code);
        intakeLatency.push(performance.now() - t0);
        // The case counts once its first task row exists (the inbox shows it).
        await firstTask(`${code}:classify:1`);
        firstTaskLatency.push(performance.now() - t0);
      });
      polling = false;
      await poller;
      if (process.env.BENCH_TRACE) await trace(codes[codes.length - 1]!);
      const baselinePerSecond = cases / (baselineMs / 1000);
      const apiPerSecond = cases / (apiMs / 1000);

      // ---- 2. decision round trip ---------------------------------------------------------------
      const h = await client.workflow.start(noopUpdateWorkflow, { taskQueue, workflowId: `noop-update-${Date.now()}` });
      for (let i = 0; i < 10; i++) await h.executeUpdate(noopUpdate, { args: [i] });
      const noop: number[] = [];
      for (let i = 0; i < decisions; i++) {
        const s = performance.now();
        await h.executeUpdate(noopUpdate, { args: [i] });
        noop.push(performance.now() - s);
      }
      await h.signal(finishSignal);
      const decided: number[] = [];
      for (const code of codes.slice(0, decisions)) {
        const s = performance.now();
        const res = await fetch(`${base}/tasks/${encodeURIComponent(`${code}:classify:1`)}/complete`, {
          method: 'POST',
          headers: { authorization: operator, 'content-type': 'application/json' },
          body: JSON.stringify({ outcome: 'within' }),
        });
        decided.push(performance.now() - s);
        if (res.status !== 200) throw new Error(`decision answered ${res.status}: ${await res.text()}`);
      }
      if (process.env.BENCH_TRACE) await trace(codes[Math.floor(decisions / 2)]!);
      const d = { p50: percentile(decided, 50), p99: percentile(decided, 99) };
      const n = { p50: percentile(noop, 50), p99: percentile(noop, 99) };
      const round = (x: number) => Math.round(x * 10) / 10;
      return [
        {
          name: 'cases',
          description: `${cases} feedback cases through the API (auth, zod, intake transaction with code and Idempotency-Key, workflow start, first task row) vs ${cases} no-op workflows started and completed, ${concurrency} in flight`,
          ratio: apiPerSecond / baselinePerSecond,
          ratioLabel: 'API cases/s ÷ no-op workflows/s',
          goal: '≥ 0.8×',
          met: apiPerSecond / baselinePerSecond >= 0.8,
          figures: {
            apiCasesPerSecond: round(apiPerSecond),
            noopWorkflowsPerSecond: round(baselinePerSecond),
            intakeAnswerP50ms: round(percentile(intakeLatency, 50)),
            firstTaskRowP50ms: round(percentile(firstTaskLatency, 50)),
          },
        },
        {
          name: 'decisions',
          description: `${decided.length} officer decisions through POST /tasks/{id}/complete (CASL, update with validator, task close and audit activities) vs ${decisions} no-op updates, one at a time`,
          ratio: d.p99 / n.p99,
          ratioLabel: 'decision p99 ÷ no-op update p99',
          goal: 'p99 ≤ 2×',
          met: d.p99 / n.p99 <= 2,
          figures: { decisionP50ms: round(d.p50), decisionP99ms: round(d.p99), noopUpdateP50ms: round(n.p50), noopUpdateP99ms: round(n.p99) },
        },
      ];
    });
  } finally {
    await sys.stop();
  }
}
