/** Test harnesses shared by the suites that run workflows. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { createActivities, type ActivityDeps } from '../../activities';
import { createMailer, type Mailer } from '../../activities/mailer';
import { createDb, type Db } from '../../db/knex';
import { installSdkLogger, WORKFLOW_BUNDLER_OPTIONS } from '../../worker/worker';
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
  const bundle: WorkflowBundle = await (testBundle ??= bundleWorkflowCode({ workflowsPath: TEST_WORKFLOWS, logger: quiet, ...WORKFLOW_BUNDLER_OPTIONS }));
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
  /** The API on a loopback port, when asked for (`listen`): what outside callers (payment providers) reach. */
  apiUrl?: string;
  close(): Promise<void>;
}

/**
 * The dev server with a worker running for the whole suite, and an API on its task queue; with
 * `listen`, the API also serves on a loopback port and the activities know it as the public URL.
 */
export async function runningSystem(extraDeps: Partial<ActivityDeps> = {}, opts: { listen?: boolean } = {}): Promise<RunningSystem> {
  const sys = await systemContext();
  const api = await apiContext({ taskQueue: sys.taskQueue });
  let server: http.Server | undefined;
  let apiUrl: string | undefined;
  if (opts.listen) {
    server = http.createServer(api.app.app);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  const worker = await sys.createWorker({}, { ...(apiUrl ? { publicUrl: apiUrl } : {}), ...extraDeps });
  const running = worker.run();
  return {
    sys,
    api,
    apiUrl,
    async close() {
      server?.closeAllConnections();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      worker.shutdown();
      await running;
      await api.close();
      await sys.close();
    },
  };
}
