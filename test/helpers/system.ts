/** Helpers for system tests: the real services started by test/system-setup.ts. */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import { createMailer, type Mailer } from '../../activities/mailer';
import { createDb, type Db } from '../../db/knex';
import { readMailbox, type ReceivedMail } from '../../infra/smtp-sink';
import { installSdkLogger, WORKFLOW_BUNDLER_OPTIONS } from '../../worker/worker';

installSdkLogger();

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run system tests through jest (test/system-setup.ts)`);
  return v;
}

export const system = {
  temporalAddress: () => env('MOTCUA_TEST_TEMPORAL_ADDRESS'),
  databaseUrl: () => env('MOTCUA_TEST_DATABASE_URL'),
  smtpUrl: () => env('MOTCUA_TEST_SMTP_URL'),
  mailDir: () => env('MOTCUA_TEST_MAIL_DIR'),
  testServerPath: () => env('MOTCUA_TEST_SERVER'),
};

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** The bundle entry for test workers: product workflows plus the kernel test workflow. */
export const TEST_WORKFLOWS = require.resolve('../workflows');

export interface SystemContext {
  db: Db;
  mailer: Mailer;
  connection: Connection;
  client: Client;
  nativeConnection: NativeConnection;
  taskQueue: string;
  createWorker(options?: Partial<WorkerOptions>, extraDeps?: Partial<ActivityDeps>): Promise<Worker>;
  close(): Promise<void>;
}

/** A database pool, a client and a worker factory on a task queue of this test file's own. */
export async function systemContext(): Promise<SystemContext> {
  const db = createDb(system.databaseUrl(), { poolMax: 5 });
  const mailer = createMailer({ smtpUrl: system.smtpUrl(), from: 'motcua test <test@motcua.local>' });
  const connection = await Connection.connect({ address: system.temporalAddress() });
  const nativeConnection = await NativeConnection.connect({ address: system.temporalAddress() });
  const client = new Client({ connection });
  const taskQueue = uniqueId('test');
  return {
    db,
    mailer,
    connection,
    client,
    nativeConnection,
    taskQueue,
    createWorker: (options, extraDeps) =>
      Worker.create({
        connection: nativeConnection,
        taskQueue,
        workflowsPath: TEST_WORKFLOWS,
        bundlerOptions: WORKFLOW_BUNDLER_OPTIONS,
        activities: createActivities({ db, mailer, publicUrl: 'http://localhost:3000', ...extraDeps }),
        ...options,
      }),
    async close() {
      await connection.close();
      await nativeConnection.close();
      mailer.close();
      await db.destroy();
    },
  };
}

/** Messages received by the SMTP sink that match `filter`. */
export async function mailMatching(filter: (m: ReceivedMail) => boolean): Promise<ReceivedMail[]> {
  return (await readMailbox(system.mailDir())).filter(filter);
}

/** Polls `fn` until `ok` holds (every 25 ms, for at most 15 s) and returns that value; throws naming `what` otherwise. */
export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what = 'the expected state', timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`never reached: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
