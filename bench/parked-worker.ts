/**
 * The one worker of the parked-cases benchmark, in a process of its own so its memory is measured
 * alone: the production worker (worker/worker.ts createWorker, same bundler options) with the
 * Temporal SDK's Prometheus metrics on BENCH_METRICS_ADDRESS. Answers `stats` messages with its
 * memory after a full GC; `stop` shuts it down.
 */
import { NativeConnection } from '@temporalio/worker';
import { createMailer } from '../activities/mailer';
import { createDb } from '../db/knex';
import { createWorker, installSdkLogger } from '../worker/worker';

export interface WorkerStats {
  rssMB: number;
  heapUsedMB: number;
  externalMB: number;
}

const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;

async function main(): Promise<void> {
  const env = process.env;
  installSdkLogger('warn', { metricsAddress: env.BENCH_METRICS_ADDRESS });
  const db = createDb(env.DATABASE_URL!, { poolMax: 10 });
  const mailer = createMailer({ smtpUrl: env.SMTP_URL!, from: 'motcua bench <bench@motcua.local>' });
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS! });
  const worker = await createWorker({
    connection,
    namespace: 'default',
    taskQueue: env.BENCH_TASK_QUEUE!,
    deps: { db, mailer, publicUrl: 'http://localhost:3000', operatorAgencyId: 'VPCP' },
    options: env.BENCH_MAX_CACHED ? { maxCachedWorkflows: Number(env.BENCH_MAX_CACHED) } : undefined,
  });
  process.on('message', (m: unknown) => {
    if (m === 'stats') {
      (globalThis as { gc?: () => void }).gc?.();
      const u = process.memoryUsage();
      process.send!({ stats: { rssMB: mb(u.rss), heapUsedMB: mb(u.heapUsed), externalMB: mb(u.external) } satisfies WorkerStats });
    } else if (m === 'stop') {
      worker.shutdown();
    }
  });
  const run = worker.run();
  process.send!({ ready: true });
  await run;
  await connection.close();
  mailer.close();
  await db.destroy();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
