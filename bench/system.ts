/**
 * The real system a benchmark runs against, started for the run: Temporal dev server, embedded
 * PostgreSQL (migrated, demo data), SMTP sink, a worker in this process (product workflows plus the
 * no-op baselines) and the API on a loopback port.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createMailer } from '../activities/mailer';
import { createApp } from '../api/app';
import { createAuthenticator, mintToken } from '../api/auth';
import { createDb, migrateLatest, type Db } from '../db/knex';
import { seedDemoData } from '../db/seed';
import type { Role } from '../domain/roles';
import { loadConfig } from '../infra/config';
import { startScratchInfra } from '../infra/local';
import { createLogger } from '../infra/logger';
import { installSdkLogger, WORKFLOW_BUNDLER_OPTIONS } from '../worker/worker';

const SECRET = 'bench-secret-that-is-long-enough-0123456789abcdef';

export interface BenchSystem {
  db: Db;
  client: Client;
  worker: Worker;
  taskQueue: string;
  /** The API's base URL. */
  base: string;
  token(sub: string, role: Role, agencyId?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startBenchSystem(name: string): Promise<BenchSystem> {
  installSdkLogger();
  const config = loadConfig({ ...process.env, NODE_ENV: 'test' });
  const infra = await startScratchInfra(config, { name: `bench-${name}`, log: () => undefined });
  const db = createDb(infra.databaseUrl, { poolMax: 10 });
  if (process.env.BENCH_COUNT_QUERIES) {
    const counts = new Map<string, number>();
    db.on('query', (q: { sql: string }) => {
      const k = q.sql.replace(/\$\d+|\?/g, '?').replace(/\s+/g, ' ').slice(0, 110);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    });
    process.on('exit', () => {
      const all = [...counts.entries()].sort((a, b) => b[1] - a[1]);
      console.log('queries total', all.reduce((s, [, n]) => s + n, 0));
      for (const [k, n] of all.slice(0, 45)) console.log(String(n).padStart(7), k);
    });
  }
  const mailer = createMailer({ smtpUrl: infra.smtpUrl, from: 'motcua bench <bench@motcua.local>' });
  const connection = await Connection.connect({ address: infra.temporalAddress });
  const client = new Client({ connection });
  const native = await NativeConnection.connect({ address: infra.temporalAddress });
  const taskQueue = 'bench';
  let server: http.Server | undefined;
  const stop = async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await connection.close();
    await native.close();
    mailer.close();
    await db.destroy();
    await infra.stop();
    fs.rmSync(infra.tmp, { recursive: true, force: true });
  };
  try {
    await migrateLatest(db);
    await seedDemoData(db);
    const worker = await Worker.create({
      connection: native,
      taskQueue,
      workflowsPath: require.resolve('./workflows'),
      bundlerOptions: WORKFLOW_BUNDLER_OPTIONS,
      activities: createActivities({ db, mailer, publicUrl: 'http://localhost:3000' }),
    });
    const { app } = createApp({ db, temporal: client, taskQueue, auth: createAuthenticator({ secret: SECRET }), logger: createLogger('silent'), rateLimitPerMinute: 1e9 });
    server = http.createServer(app);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { db, client, worker, taskQueue, base, token: async (sub, role, agencyId) => `Bearer ${await mintToken(SECRET, { sub, role, agencyId })}`, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
