/** An app on the real Temporal client and PostgreSQL of the system tests, with tokens per role. */
import { Client, Connection } from '@temporalio/client';
import { createApp, type App } from '../../api/app';
import { createAuthenticator, mintToken } from '../../api/auth';
import { createDb, type Db } from '../../db/knex';
import type { Role } from '../../domain/roles';
import { createLogger } from '../../infra/logger';
import { system } from './system';

export const TEST_SECRET = 'api-test-secret-that-is-long-enough-0123456789';

export interface ApiContext {
  app: App;
  db: Db;
  client: Client;
  token(role: Role, agencyId?: string, sub?: string): Promise<string>;
  close(): Promise<void>;
}

export async function apiContext(opts: { rateLimitPerMinute?: number; bodyLimit?: string; taskQueue?: string; taskWritesWaitMs?: number } = {}): Promise<ApiContext> {
  const db = createDb(system.databaseUrl(), { poolMax: 5 });
  const connection = await Connection.connect({ address: system.temporalAddress() });
  const client = new Client({ connection });
  const app = createApp({
    db,
    temporal: client,
    taskQueue: opts.taskQueue ?? 'api-test',
    auth: createAuthenticator({ secret: TEST_SECRET }),
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    bodyLimit: opts.bodyLimit,
    rateLimitPerMinute: opts.rateLimitPerMinute ?? 100_000,
    taskWritesWaitMs: opts.taskWritesWaitMs,
  });
  return {
    app,
    db,
    client,
    token: (role, agencyId, sub) =>
      mintToken(TEST_SECRET, { sub: sub ?? `${role}-test`, role, agencyId: agencyId ?? (role === 'citizen' || role === 'admin' ? undefined : 'H99.20') }),
    async close() {
      await connection.close();
      await db.destroy();
    },
  };
}
