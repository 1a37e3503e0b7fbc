/**
 * Wires a running motcua process from endpoints: database (migrated), Temporal client, worker,
 * mailer and HTTP server. `motcua start`, `api`, `worker` and the system tests all use it.
 */
import http from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createApp } from '../api/app';
import { createAuthenticator } from '../api/auth';
import { createMailer, type Mailer } from '../activities/mailer';
import { createDb, migrateLatest, type Db } from '../db/knex';
import { createWorker, installSdkLogger } from '../worker/worker';
import { ensureSchedules } from '../worker/schedules';
import { startIntakeRecovery } from '../api/services/intake-recovery';
import { paymentStore } from '../db/payment-store';
import type { Config } from './config';
import type { Endpoints } from './local';
import { createLogger, type Logger } from './logger';

export interface Runtime {
  db: Db;
  client: Client;
  mailer: Mailer;
  logger: Logger;
  worker?: Worker;
  server?: http.Server;
  apiUrl?: string;
  stop(): Promise<void>;
}

export async function createRuntime(
  config: Config,
  endpoints: Endpoints,
  opts: { api: boolean; worker: boolean; port?: number; logger?: Logger },
): Promise<Runtime> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const db = createDb(endpoints.databaseUrl);
  if (config.migrateOnStart) {
    const applied = await migrateLatest(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
  }
  const connection = await Connection.connect({ address: endpoints.temporalAddress });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const mailer = createMailer({ smtpUrl: endpoints.smtpUrl, from: config.mailFrom });

  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  let nativeConnection: NativeConnection | undefined;
  let recovery: { stop(): Promise<void> } | undefined;
  if (opts.worker) {
    installSdkLogger(config.logLevel, { metricsAddress: config.worker.metricsAddress });
    nativeConnection = await NativeConnection.connect({ address: endpoints.temporalAddress });
    worker = await createWorker({
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      deps: { db, mailer, publicUrl: config.publicUrl, portalSyncUrl: config.portalSyncUrl, operatorAgencyId: config.operatorAgencyId, mailGiveUpAfterHours: config.mailGiveUpAfterHours },
      options: config.worker.maxCachedWorkflows ? { maxCachedWorkflows: config.worker.maxCachedWorkflows } : undefined,
    });
    const providers = (await paymentStore(db).providers()).map((p) => p.id);
    await ensureSchedules(client, config.temporal.taskQueue, providers);
    workerRun = worker.run();
    workerRun.catch((err: unknown) => logger.fatal({ err }, 'worker stopped'));
    // Cases received while Temporal could not start their workflows are started here, every minute.
    recovery = startIntakeRecovery({ db, temporal: client, taskQueue: config.temporal.taskQueue, operatorAgencyId: config.operatorAgencyId, logger });
  }

  let server: http.Server | undefined;
  let apiUrl: string | undefined;
  if (opts.api) {
    const { app } = createApp({
      db,
      temporal: client,
      taskQueue: config.temporal.taskQueue,
      auth: createAuthenticator(config.jwt),
      logger,
      bodyLimit: config.bodyLimit,
      rateLimitPerMinute: config.rateLimitPerMinute,
      taskWritesWaitMs: config.taskWritesWaitMs,
      publicUrl: config.publicUrl,
      operatorAgencyId: config.operatorAgencyId,
      publicLookupPerMinute: config.publicLookupPerMinute,
      callbackToleranceSeconds: config.callbackToleranceSeconds,
    });
    server = http.createServer(app);
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(opts.port ?? config.port, config.host, () => resolve());
    });
    const address = server.address();
    apiUrl = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${typeof address === 'object' && address ? address.port : config.port}`;
  }

  return {
    db,
    client,
    mailer,
    logger,
    worker,
    server,
    apiUrl,
    async stop() {
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      server?.closeAllConnections();
      await recovery?.stop();
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun?.catch(() => undefined);
      await nativeConnection?.close();
      await connection.close();
      mailer.close();
      await db.destroy();
    },
  };
}
