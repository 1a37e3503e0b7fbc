/**
 * Jest global setup for the system tests: real Temporal dev server (in memory), real PostgreSQL
 * (embedded, or DATABASE_URL's server) with a fresh database, real SMTP sink on loopback. The
 * endpoints reach the test files through MOTCUA_TEST_* environment variables.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../infra/config';
import { startLocalInfra } from '../infra/local';
import { freePort } from '../infra/ports';
import { ensureTools } from '../infra/tools';
import { createDb, migrateLatest } from '../db/knex';
import { seedDemoData } from '../db/seed';

export default async function setup(): Promise<void> {
  const started = Date.now();
  const config = loadConfig({ ...process.env, NODE_ENV: 'test' });
  const log = (line: string) => process.stderr.write(`[test setup] ${line}\n`);
  const tools = await ensureTools(config.home, log);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'motcua-test-'));
  fs.chmodSync(tmp, 0o755); // the embedded PostgreSQL runs as the `postgres` user when we are root
  const database = `motcua_test_${Date.now()}_${process.pid}`;
  const infra = await startLocalInfra(config, {
    log,
    persistentTemporal: false,
    pgDir: path.join(tmp, 'pg'),
    pgPort: await freePort(),
    temporalPort: await freePort(),
    smtpPort: 0,
    mailDir: path.join(tmp, 'mail'),
    database,
    paymentSimulator: false, // test files start their own, with providers of their own
  });
  const db = createDb(infra.databaseUrl);
  await migrateLatest(db);
  await seedDemoData(db);
  await db.destroy();
  Object.assign(process.env, {
    MOTCUA_TEST_TEMPORAL_ADDRESS: infra.temporalAddress,
    MOTCUA_TEST_DATABASE_URL: infra.databaseUrl,
    MOTCUA_TEST_DATABASE: database,
    MOTCUA_TEST_SMTP_URL: infra.smtpUrl,
    MOTCUA_TEST_MAIL_DIR: infra.mailDir ?? '',
    MOTCUA_TEST_SERVER: tools.testServer,
    MOTCUA_TEST_TMP: tmp,
  });
  (globalThis as { __motcuaInfra?: unknown }).__motcuaInfra = { infra, tmp, database, serverUrl: infra.databaseUrl };
  log(`real Temporal, PostgreSQL and SMTP ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
