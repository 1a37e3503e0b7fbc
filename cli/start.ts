/**
 * `motcua start`: everything for local use — Temporal dev server (SQLite under .data/, UI on
 * :8233), embedded PostgreSQL, SMTP sink, migrations, demo data, worker and API. Prints URLs and
 * one demo token per role; Ctrl-C shuts everything down cleanly.
 */
import type { Config } from '../infra/config';
import { DEMO_AGENCY_SECRET, startLocalInfra } from '../infra/local';
import { createRuntime } from '../infra/runtime';
import { mintToken } from '../api/auth';
import { formatDate, localDay } from '../domain/calendar/days';
import { DEMO_USERS, seedDemoData } from '../db/seed';
import { seedDemoCatalogue, seedDemoDossiers, seedDemoFeedback, seedDemoPayments } from './demo';

export async function start(config: Config, out: (line: string) => void): Promise<void> {
  const t0 = Date.now();
  out('motcua: starting local services…');
  const infra = await startLocalInfra(config, { log: out, persistentTemporal: true, uiPort: config.temporal.uiPort });
  let runtime: Awaited<ReturnType<typeof createRuntime>> | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    out(`\nmotcua: ${signal} received, shutting down…`);
    await runtime?.stop().catch((err: unknown) => out(`runtime stop: ${String(err)}`));
    await infra.stop();
    out('motcua: stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  try {
    runtime = await createRuntime(config, infra, { api: true, worker: true });
    const seeded = await seedDemoData(runtime.db);
    const procedures = await seedDemoCatalogue({ db: runtime.db, temporal: runtime.client, taskQueue: config.temporal.taskQueue });
    const dossiers = await seedDemoDossiers({ db: runtime.db, temporal: runtime.client, taskQueue: config.temporal.taskQueue });
    const paid = infra.paymentSimulator
      ? await seedDemoPayments({ db: runtime.db, temporal: runtime.client, taskQueue: config.temporal.taskQueue, simulator: infra.paymentSimulator, callbackToleranceSeconds: config.callbackToleranceSeconds })
      : undefined;
    if (paid) dossiers.push(paid);
    // The onboarding demo: a conforming agency system registered through the API (idempotent by service ID).
    const onboarding = infra.agencySystem ? await registerDemoOnboarding(runtime.apiUrl!, config.jwt.secret!, infra.agencySystem.endpoints) : undefined;
    const feedback = await seedDemoFeedback({ db: runtime.db, temporal: runtime.client, taskQueue: config.temporal.taskQueue, operatorAgencyId: config.operatorAgencyId });
    const tokens: string[] = [];
    for (const u of DEMO_USERS) {
      const token = await mintToken(config.jwt.secret!, { sub: u.sub, role: u.role, agencyId: 'agencyId' in u ? u.agencyId : undefined, name: u.name });
      tokens.push(`  ${u.role.padEnd(11)} ${token}`);
    }
    out('');
    out(`motcua is up in ${((Date.now() - t0) / 1000).toFixed(1)} s (${seeded.agencies} demo agencies; ${procedures} procedures in the catalogue; demo dossiers ${dossiers.join(', ')}; demo feedback ${feedback.join(', ')}).`);
    out(`  API          ${runtime.apiUrl}`);
    out(`  API docs     ${runtime.apiUrl}/docs   (OpenAPI: ${runtime.apiUrl}/openapi.json)`);
    out(`  Readiness    ${runtime.apiUrl}/ready   Metrics: ${runtime.apiUrl}/metrics`);
    if (infra.temporalUiUrl) out(`  Temporal UI  ${infra.temporalUiUrl}   (gRPC ${infra.temporalAddress})`);
    else out(`  Temporal     ${infra.temporalAddress}`);
    out(`  PostgreSQL   ${infra.databaseUrl.replace(/:[^:@/]+@/, ':***@')}`);
    out(`  SMTP         ${infra.smtpUrl}${infra.mailDir ? `   (received mail: ${infra.mailDir})` : ''}`);
    if (onboarding) out(`  Onboarding   demo service ${onboarding} against the agency simulator ${infra.agencySystem!.url} (manual tests await an operator)`);
    if (infra.paymentSimulator) out(`  Payments     simulator ${infra.paymentSimulator.url} (providers ${infra.paymentSimulator.providers.map((p) => p.id).join(', ')}; statements at /<provider>/statements/<date>)`);
    out('');
    out('Demo tokens (Authorization: Bearer <token>), valid 12 h:');
    for (const line of tokens) out(line);
    out('');
    out('Check everything with: npx motcua doctor      Stop with Ctrl-C.');
  } catch (err) {
    await runtime?.stop().catch(() => undefined);
    await infra.stop();
    throw err;
  }
}

/** Registers the demo online service through the API as an officer of the demo agency; a second start gets the same answer. */
async function registerDemoOnboarding(apiUrl: string, secret: string, endpoints: { statusSyncUrl: string; intakeUrl: string; paymentCallbackUrl: string }): Promise<string> {
  const token = await mintToken(secret, { sub: 'officer-stp-01', role: 'officer', agencyId: 'H99.20' });
  const serviceId = 'H99.20-LLTP-ONLINE';
  const res = await fetch(`${apiUrl}/onboardings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      serviceId,
      name: 'Cấp Phiếu lý lịch tư pháp trực tuyến (minh họa)',
      serviceType: 'dossier_service',
      agencyId: 'H99.20',
      procedureCodes: ['H99-TP-001'],
      targetLevel: 'partial',
      endpoints,
      requireTls: false,
      callbackSecret: DEMO_AGENCY_SECRET,
      contacts: [{ name: 'Tổ kỹ thuật Sở Tư pháp (minh họa)', email: 'kythuat@stp.motcua.local' }],
      plannedGoLive: formatDate(localDay(Date.now())),
    }),
  });
  if (res.status !== 201) throw new Error(`demo onboarding answered ${res.status}: ${await res.text()}`);
  return serviceId;
}
