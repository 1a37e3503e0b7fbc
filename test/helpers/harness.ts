/** Test harnesses shared by the suites that run workflows. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { createActivities, type ActivityDeps } from '../../activities';
import { createMailer, type Mailer } from '../../activities/mailer';
import { createDb, type Db } from '../../db/knex';
import { installSdkLogger } from '../../worker/worker';
import { caseViewQuery } from '../../workflows/lib/case-messages';
import { apiContext, type ApiContext } from './api';
import { system, systemContext, TEST_WORKFLOWS, type SystemContext } from './system';

installSdkLogger();

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

export interface TimeSkipping {
  env: TestWorkflowEnvironment;
  db: Db;
  taskQueue: string;
  /** Runs `fn` with a fresh worker (a worker cannot run again after runUntil); terminates what the test left running. */
  withWorker(fn: () => Promise<void>): Promise<void>;
  /** Remembers a handle so that it is terminated after the test. */
  track<T extends WorkflowHandle>(h: T): T;
  close(): Promise<void>;
}

let testBundle: Promise<WorkflowBundle> | undefined;

/** Temporal's time-skipping test server with real activities (PostgreSQL, SMTP sink) and one bundle. */
export async function timeSkipping(taskQueue: string, extraDeps: Partial<ActivityDeps> = {}): Promise<TimeSkipping> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: system.testServerPath() } } });
  const db = createDb(system.databaseUrl(), { poolMax: 5 });
  const mailer: Mailer = createMailer({ smtpUrl: system.smtpUrl(), from: 'motcua <no-reply@motcua.local>' });
  const bundle: WorkflowBundle = await (testBundle ??= bundleWorkflowCode({ workflowsPath: TEST_WORKFLOWS, logger: quiet }));
  const started: WorkflowHandle[] = [];
  return {
    env,
    db,
    taskQueue,
    async withWorker(fn) {
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: createActivities({ db, mailer, publicUrl: 'http://localhost:3000', ...extraDeps }) });
      await worker.runUntil(async () => {
        try {
          await fn();
        } finally {
          // Terminate what the test left running, while the worker still runs: a workflow terminated
          // with an activity or workflow task scheduled but never run leaves the Java test server's time-skipping lock
          // held, and env.sleep in a later test hangs. So pending tasks finish first.
          for (const h of started.splice(0)) {
            for (let i = 0; i < 250; i++) {
              const d = await h.describe().catch(() => undefined);
              if (!d || d.status.name !== 'RUNNING' || (!d.raw.pendingActivities?.length && !d.raw.pendingWorkflowTask)) break;
              await new Promise((r) => setTimeout(r, 20));
            }
            await h.terminate('test over').catch(() => undefined);
          }
        }
      });
    },
    track(h) {
      started.push(h);
      return h;
    },
    async close() {
      mailer.close();
      await db.destroy();
      await env.teardown();
    },
  };
}

/** Waits (in real time, without skipping) until the case workflow has opened the task. */
export async function taskOpen(handle: WorkflowHandle, taskId: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const view = await handle.query(caseViewQuery).catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return undefined; // started by another workflow, not yet there
      throw err;
    });
    if (view?.openTasks.some((t) => t.taskId === taskId)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`task ${taskId} never opened`);
}

export interface RunningSystem {
  sys: SystemContext;
  api: ApiContext;
  close(): Promise<void>;
}

/** The dev server with a worker running for the whole suite, and an API on its task queue. */
export async function runningSystem(extraDeps: Partial<ActivityDeps> = {}): Promise<RunningSystem> {
  const sys = await systemContext();
  const api = await apiContext({ taskQueue: sys.taskQueue });
  const worker = await sys.createWorker({}, extraDeps);
  const running = worker.run();
  return {
    sys,
    api,
    async close() {
      worker.shutdown();
      await running;
      await api.close();
      await sys.close();
    },
  };
}
