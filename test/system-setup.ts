/**
 * Jest global setup for the system tests: real Temporal dev server (in memory), real PostgreSQL
 * (embedded, or DATABASE_URL's server) with a fresh database, real SMTP sink on loopback. The
 * endpoints reach the test files through MOTCUA_TEST_* environment variables.
 */
import { loadConfig } from '../infra/config';
import { startScratchInfra } from '../infra/local';
import { ensureTools } from '../infra/tools';
import { createDb, migrateLatest } from '../db/knex';
import { seedDemoData } from '../db/seed';

export default async function setup(): Promise<void> {
  const started = Date.now();
  const config = loadConfig({ ...process.env, NODE_ENV: 'test' });
  const log = (line: string) => process.stderr.write(`[test setup] ${line}\n`);
  const tools = await ensureTools(config.home, log);
  const infra = await startScratchInfra(config, { name: 'test', log });
  const { tmp, database } = infra;
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
