/**
 * Local infrastructure for development and tests: whatever the configuration does not point at
 * an existing service is started here — Temporal dev server, embedded PostgreSQL, SMTP sink.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports';
import type { Config } from './config';
import { ensureDatabase, startEmbeddedPostgres, type RunningPostgres } from './postgres';
import { startSmtpSink, type RunningSmtpSink } from './smtp-sink';
import { startTemporalDevServer, type RunningTemporal } from './temporal-server';
import { ensureTemporalCli } from './tools';
import { startPaymentSimulator, type RunningPaymentSimulator } from './payment-simulator';
import { startAgencySystem, type RunningAgencySystem } from './agency-simulator';

/** The shared secret of the demo agency system (development only). */
export const DEMO_AGENCY_SECRET = 'demo-agency-callback-secret-not-for-production';

export interface Endpoints {
  temporalAddress: string;
  temporalUiUrl?: string;
  databaseUrl: string;
  smtpUrl: string;
  /** Where the local SMTP sink writes what it receives (absent with an external SMTP_URL). */
  mailDir?: string;
}

export interface LocalInfra extends Endpoints {
  /** The payment-provider simulator, when configured (development). */
  paymentSimulator?: RunningPaymentSimulator;
  /** A conforming agency system on loopback, for the onboarding demo. */
  agencySystem?: RunningAgencySystem;
  stop(): Promise<void>;
}

export const LOCAL_PG_PASSWORD_URL = (port: number) => `postgres://postgres:motcua-dev@127.0.0.1:${port}/motcua`;

/** Where `motcua api|worker|doctor` find the services when nothing is configured: those `motcua start` runs. */
export function defaultEndpoints(config: Config): Endpoints {
  return {
    temporalAddress: config.temporal.address ?? `127.0.0.1:${config.temporal.port}`,
    databaseUrl: config.databaseUrl ?? LOCAL_PG_PASSWORD_URL(config.pgPort),
    smtpUrl: config.smtpUrl ?? `smtp://127.0.0.1:${config.smtpSinkPort}`,
    mailDir: config.smtpUrl ? undefined : path.join(config.dataDir, 'mail'),
  };
}

export async function startLocalInfra(
  config: Config,
  opts: {
    log: (line: string) => void;
    /** Persist Temporal state in .data/temporal.db (development) or keep it in memory (tests). */
    persistentTemporal: boolean;
    pgDir?: string;
    pgPort?: number;
    temporalPort?: number;
    uiPort?: number;
    smtpPort?: number;
    mailDir?: string;
    database?: string;
    /** Start the payment-provider simulator (default: as configured). */
    paymentSimulator?: boolean;
  },
): Promise<LocalInfra> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    let temporal: RunningTemporal | undefined;
    const temporalStart = config.temporal.address
      ? Promise.resolve(undefined)
      : ensureTemporalCli(config.home, opts.log).then((binary) =>
          startTemporalDevServer({
            binary,
            port: opts.temporalPort ?? config.temporal.port,
            uiPort: opts.uiPort,
            dbFile: opts.persistentTemporal ? path.join(config.dataDir, 'temporal.db') : undefined,
            namespace: config.temporal.namespace,
          }),
        );
    let pg: RunningPostgres | undefined;
    const pgStart = config.databaseUrl
      ? Promise.resolve(undefined)
      : startEmbeddedPostgres({ dir: opts.pgDir ?? path.join(config.dataDir, 'pg'), port: opts.pgPort ?? config.pgPort, persistent: true, log: opts.log });
    let smtp: RunningSmtpSink | undefined;
    const smtpStart = config.smtpUrl
      ? Promise.resolve(undefined)
      : startSmtpSink({ port: opts.smtpPort ?? config.smtpSinkPort, dir: opts.mailDir ?? path.join(config.dataDir, 'mail') });

    const results = await Promise.allSettled([temporalStart, pgStart, smtpStart]);
    const [t, p, s] = results;
    if (t.status === 'fulfilled' && t.value) stops.push((temporal = t.value).stop);
    if (p.status === 'fulfilled' && p.value) stops.push((pg = p.value).stop);
    if (s.status === 'fulfilled' && s.value) stops.push((smtp = s.value).stop);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    let paymentSimulator: RunningPaymentSimulator | undefined;
    let agencySystem: RunningAgencySystem | undefined;
    if (opts.paymentSimulator ?? config.paymentSimulator) {
      paymentSimulator = await startPaymentSimulator({ port: config.paymentSimPort, log: opts.log });
      stops.push(paymentSimulator.stop);
      agencySystem = await startAgencySystem({ secret: DEMO_AGENCY_SECRET, port: config.agencySimPort });
      stops.push(agencySystem.stop);
    }

    const serverUrl = config.databaseUrl ?? pg!.url;
    const databaseUrl = await ensureDatabase(serverUrl, opts.database ?? (config.databaseUrl ? new URL(config.databaseUrl).pathname.slice(1) || 'motcua' : 'motcua'));
    return {
      temporalAddress: config.temporal.address ?? temporal!.address,
      temporalUiUrl: temporal?.uiUrl,
      databaseUrl,
      smtpUrl: config.smtpUrl ?? smtp!.url,
      mailDir: smtp?.dir,
      paymentSimulator,
      agencySystem,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Local services in a fresh temporary folder on free ports, for the system tests and the
 * benchmarks: Temporal in memory, a PostgreSQL cluster with a database of its own, an SMTP sink;
 * no simulators. `stop()` stops them; the caller removes `tmp`.
 */
export async function startScratchInfra(config: Config, o: { name: string; log: (line: string) => void }): Promise<LocalInfra & { tmp: string; database: string }> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `motcua-${o.name}-`));
  fs.chmodSync(tmp, 0o755); // the embedded PostgreSQL runs as the `postgres` user when we are root
  const database = `motcua_${o.name.replace(/\W/g, '_')}_${Date.now()}_${process.pid}`;
  const infra = await startLocalInfra(config, {
    log: o.log,
    persistentTemporal: false,
    pgDir: path.join(tmp, 'pg'),
    pgPort: await freePort(),
    temporalPort: await freePort(),
    smtpPort: 0,
    mailDir: path.join(tmp, 'mail'),
    database,
    paymentSimulator: false,
  });
  return { ...infra, tmp, database };
}
