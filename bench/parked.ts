/**
 * `parked`: open cases parked on timers in one worker. Feedback cases are started (rows written in
 * bulk, workflows started through the Temporal client — the API path is measured by `cases`) until
 * BENCH_PARKED (100,000; smoke 300) wait at classification on their transfer clock's timers. The
 * worker runs alone in a child process (bench/parked-worker.ts, the production createWorker, its
 * sticky cache set by BENCH_MAX_CACHED, else the SDK default); its RSS after a full GC and the
 * SDK's sticky-cache metrics are sampled as the cases accumulate.
 *
 * Figures: RSS with every case parked ÷ RSS with the first 1% parked (the baseline of the same
 * run): the worker's memory must be bounded by its cache, not by the number of open cases; and the
 * cost of waking a case evicted from the cache (a query replays its history) ÷ one still cached.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createDb, migrateLatest } from '../db/knex';
import { seedDemoData } from '../db/seed';
import { formatDate, localDay } from '../domain/calendar/days';
import { loadConfig } from '../infra/config';
import { startScratchInfra } from '../infra/local';
import { freePort } from '../infra/ports';
import { caseViewQuery } from '../workflows/lib/kernel';
import { feedbackWorkflow } from '../workflows/feedback';
import { percentile, type BenchResult } from './harness';
import type { WorkerStats } from './parked-worker';

async function pool(n: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < n; i = next++) await job(i);
  }));
}

/** The SDK's sticky-cache series, summed over labels: `temporal_sticky_cache_size` etc. */
async function cacheMetrics(address: string): Promise<Record<string, number>> {
  const text = await (await fetch(`http://${address}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(temporal_sticky_cache_[a-z_]+?)(?:_total)?(?:\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (m) out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  }
  return out;
}

export async function parkedBench(opts: { smoke: boolean }): Promise<BenchResult[]> {
  const total = Number(process.env.BENCH_PARKED ?? (opts.smoke ? 300 : 100_000));
  const config = loadConfig({ ...process.env, NODE_ENV: 'test' });
  const infra = await startScratchInfra(config, { name: 'bench-parked', log: () => undefined });
  const db = createDb(infra.databaseUrl, { poolMax: 10 });
  const connection = await Connection.connect({ address: infra.temporalAddress });
  const client = new Client({ connection });
  const taskQueue = 'bench-parked';
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  let child: ChildProcess | undefined;
  try {
    await migrateLatest(db);
    await seedDemoData(db);
    child = fork(path.join(__dirname, 'parked-worker.js'), [], {
      execArgv: ['--expose-gc'],
      env: { ...process.env, DATABASE_URL: infra.databaseUrl, SMTP_URL: infra.smtpUrl, TEMPORAL_ADDRESS: infra.temporalAddress, BENCH_TASK_QUEUE: taskQueue, BENCH_METRICS_ADDRESS: metricsAddress },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const w = child;
    const message = <T>(key: string) => new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the worker exited (${code})`));
      const onMessage = (m: Record<string, unknown>) => {
        if (key in m) {
          w.off('message', onMessage);
          w.off('exit', onExit);
          resolve(m[key] as T);
        }
      };
      w.on('message', onMessage);
      w.once('exit', onExit);
    });
    await message('ready');
    const stats = () => {
      const p = message<WorkerStats>('stats');
      w.send('stats');
      return p;
    };

    // Codes of a synthetic series (a day per 9,999 cases, far from real ones); received now, so
    // every transfer clock runs from now and the cases wait on timers days away.
    const startDay = localDay(Date.UTC(2090, 0, 1));
    const codeOf = (i: number) => `PAKN.${formatDate(startDay + Math.floor(i / 9999)).replace(/-/g, '')}.${String((i % 9999) + 1).padStart(4, '0')}`;
    const receivedAt = new Date();
    const parkedCount = async () => Number((await db('tasks').where({ case_type: 'feedback', step: 'classify' }).count<{ n: string }[]>({ n: '*' }))[0]!.n);
    const waitParked = async (n: number) => {
      const deadline = Date.now() + Math.max(600_000, n * 100);
      for (;;) {
        const c = await parkedCount();
        if (c >= n) return;
        if (Date.now() > deadline) throw new Error(`only ${c} of ${n} cases parked`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    };
    let started = 0;
    const startCases = async (upTo: number) => {
      for (let from = started; from < upTo; from += 1000) {
        const to = Math.min(upTo, from + 1000);
        const batch = Array.from({ length: to - from }, (_, k) => codeOf(from + k));
        await db.batchInsert('feedback', batch.map((code) => ({ code, status: 'received', channel: 'portal', submitted_by: 'citizen-bench', title: 'Phản ánh đo tải', content: `Nội dung phản ánh ${code} dùng để đo số hồ sơ chờ trong một worker.`, receiving_agency_id: 'H99.20', received_at: receivedAt })), 500);
        await db.batchInsert('feedback_submitters', batch.map((code) => ({ code, full_name: 'Người đo tải', address: 'Số 1 đường Minh Họa', phone: '0912345678', email: 'parked@nguoidan.motcua.local' })), 500);
        await pool(batch.length, 32, async (k) => {
          const code = batch[k]!;
          await client.workflow.start(feedbackWorkflow, { taskQueue, workflowId: code, args: [{ code, receivedAtMs: receivedAt.getTime(), receivingAgencyId: 'H99.20', operatorAgencyId: 'VPCP' }] });
        });
        // Back-pressure: at most ≈2,000 cases between start and parked, so the run measures a
        // steady state rather than a backlog on the server.
        await waitParked(to - 2000);
      }
      started = upTo;
    };

    // Baseline: the first 1% (at least 50) parked — bundle loaded, pools open, code paths warm.
    const base = Math.max(50, Math.floor(total / 100));
    const t0 = performance.now();
    await startCases(base);
    await waitParked(base);
    const baseline = await stats();
    const samples: { parked: number; rssMB: number; heapUsedMB: number; cacheSize: number }[] = [];
    const sample = async (parked: number) => {
      const s = await stats();
      const m = await cacheMetrics(metricsAddress);
      samples.push({ parked, rssMB: s.rssMB, heapUsedMB: s.heapUsedMB, cacheSize: m.temporal_sticky_cache_size ?? NaN });
      if (!opts.smoke) console.log(`  ${new Date().toISOString()} parked ${parked.toLocaleString('en-US')}: worker RSS ${s.rssMB} MB, heap ${s.heapUsedMB} MB, sticky cache ${JSON.stringify(m)}`);
    };
    await sample(base);
    for (let step = 1; step <= 10; step++) {
      const target = Math.max(base, Math.round((total * step) / 10));
      await startCases(target);
      await waitParked(target);
      await sample(target);
    }
    const creationSeconds = (performance.now() - t0) / 1000;
    const final = samples.at(-1)!;
    const half = samples.find((s) => s.parked >= total / 2) ?? final;
    const cache = await cacheMetrics(metricsAddress);

    // Waking: a query on the most recently parked cases (still in the sticky cache) vs on the
    // first ones (evicted long ago: the worker fetches and replays their history).
    const probe = Math.min(200, Math.floor(total / 4));
    const queryMs = async (codes: string[]) => {
      const ms: number[] = [];
      for (const code of codes) {
        const s = performance.now();
        await client.workflow.getHandle(code).query(caseViewQuery);
        ms.push(performance.now() - s);
      }
      return ms;
    };
    const recent = await queryMs(Array.from({ length: probe }, (_, k) => codeOf(total - 1 - k)));
    const evicted = await queryMs(Array.from({ length: probe }, (_, k) => codeOf(k)));
    const after = await cacheMetrics(metricsAddress);
    const round = (x: number) => Math.round(x * 10) / 10;
    return [
      {
        name: 'parked',
        description: `${total.toLocaleString('en-US')} feedback cases parked on their transfer-clock timers in one worker process (production createWorker; sticky cache ${process.env.BENCH_MAX_CACHED ?? 'SDK default'}); RSS after a full GC of the main thread`,
        ratio: final.rssMB / baseline.rssMB,
        ratioLabel: `worker RSS with ${total.toLocaleString('en-US')} parked ÷ with ${base.toLocaleString('en-US')} parked`,
        goal: 'bounded by the cache: RSS at 100% ≤ 1.2 × RSS at 50%',
        met: final.rssMB <= 1.2 * half.rssMB,
        figures: {
          parked: total,
          maxCachedWorkflows: process.env.BENCH_MAX_CACHED ?? 'SDK default',
          casesParkedPerSecond: round(total / creationSeconds),
          baselineRssMB: baseline.rssMB,
          rssAtHalfMB: half.rssMB,
          rssMB: final.rssMB,
          heapUsedMB: final.heapUsedMB,
          stickyCacheSize: cache.temporal_sticky_cache_size ?? NaN,
          stickyCacheForcedEvictions: cache.temporal_sticky_cache_total_forced_eviction ?? 0,
          stickyCacheHits: cache.temporal_sticky_cache_hit ?? 0,
          stickyCacheMisses: cache.temporal_sticky_cache_miss ?? 0,
          rssCurve: samples.map((s) => `${s.parked}:${s.rssMB}`).join(' '),
        },
      },
      {
        name: 'parked-wake',
        description: `a query on ${probe} cases evicted from the sticky cache (history fetched and replayed) vs on the ${probe} most recently parked, one at a time`,
        ratio: percentile(evicted, 50) / percentile(recent, 50),
        ratioLabel: 'evicted query p50 ÷ cached query p50',
        goal: 'reported (the issue sets none)',
        met: true,
        figures: {
          cachedQueryP50ms: round(percentile(recent, 50)),
          cachedQueryP99ms: round(percentile(recent, 99)),
          evictedQueryP50ms: round(percentile(evicted, 50)),
          evictedQueryP99ms: round(percentile(evicted, 99)),
          cacheMissesDuringProbe: (after.temporal_sticky_cache_miss ?? 0) - (cache.temporal_sticky_cache_miss ?? 0),
        },
      },
    ];
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.send('stop');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      child.kill('SIGKILL');
    }
    await connection.close();
    await db.destroy();
    await infra.stop();
    fs.rmSync(infra.tmp, { recursive: true, force: true });
  }
}
