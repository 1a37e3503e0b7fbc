/** The Temporal worker: bundled workflows (a prebuilt bundle in production) and the activities. */
import path from 'node:path';
import fs from 'node:fs';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';

let sdkLoggerInstalled = false;
/**
 * The Temporal SDK runtime, once per process: it logs at WARN and above unless LOG_LEVEL asks for
 * debug detail; with `metricsAddress` (WORKER_METRICS_ADDRESS) its Prometheus metrics are served
 * at `http://<address>/metrics` (`temporal_sticky_cache_*`, task latencies, slots, polls).
 */
export function installSdkLogger(level = process.env.LOG_LEVEL ?? 'info', opts: { metricsAddress?: string } = {}): void {
  if (sdkLoggerInstalled) return;
  sdkLoggerInstalled = true;
  Runtime.install({
    logger: new DefaultLogger(level === 'debug' || level === 'trace' ? 'DEBUG' : 'WARN'),
    ...(opts.metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: opts.metricsAddress } } } } : {}),
  });
}

export function workflowsPath(): string {
  return require.resolve('../workflows');
}

/**
 * Bundler options of every worker (and of a prebuilt bundle: pass them to `bundleWorkflowCode`).
 * The calendar module is preloaded into the reusable V8 context, so the calendars it builds (the
 * built-in one, `calendarFor`) serve every cached case instead of each case building its own
 * ≈200 KB one. The module keeps no per-case state (pure functions and read-only calendars).
 */
export const WORKFLOW_BUNDLER_OPTIONS = { preloadModules: [require.resolve('../domain/calendar')] };

/**
 * A prebuilt bundle: the file named by MOTCUA_WORKFLOW_BUNDLE (a restart then takes no bundling
 * time), or `workflow-bundle.js` next to the compiled code, if present.
 */
function prebuiltBundle(): { codePath: string } | undefined {
  const file = process.env.MOTCUA_WORKFLOW_BUNDLE ?? path.join(__dirname, '..', 'workflow-bundle.js');
  return fs.existsSync(file) ? { codePath: file } : undefined;
}

export async function createWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  options?: Partial<WorkerOptions>;
}): Promise<Worker> {
  const bundle = prebuiltBundle();
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(bundle ? { workflowBundle: bundle } : { workflowsPath: workflowsPath(), bundlerOptions: WORKFLOW_BUNDLER_OPTIONS }),
    activities: createActivities(opts.deps),
    ...opts.options,
  });
}
