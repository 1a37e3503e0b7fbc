/** The Temporal worker: bundled workflows (a prebuilt bundle in production) and the activities. */
import path from 'node:path';
import fs from 'node:fs';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';

let sdkLoggerInstalled = false;
/** The Temporal SDK logs at WARN and above unless LOG_LEVEL asks for debug detail. Once per process. */
export function installSdkLogger(level = process.env.LOG_LEVEL ?? 'info'): void {
  if (sdkLoggerInstalled) return;
  sdkLoggerInstalled = true;
  Runtime.install({ logger: new DefaultLogger(level === 'debug' || level === 'trace' ? 'DEBUG' : 'WARN') });
}

export function workflowsPath(): string {
  return require.resolve('../workflows');
}

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
    ...(bundle ? { workflowBundle: bundle } : { workflowsPath: workflowsPath() }),
    activities: createActivities(opts.deps),
    ...opts.options,
  });
}
