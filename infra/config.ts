/**
 * Configuration, parsed once from the environment with zod; the process fails fast with a clear
 * message on a bad value. Every variable is listed in the README.
 */
import path from 'node:path';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const DEV_JWT_SECRET = 'motcua-development-secret-do-not-use-in-production';

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    MOTCUA_HOME: z.string().optional(),
    DATA_DIR: z.string().optional(),
    HOST: z.string().default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    PUBLIC_URL: z.string().url().optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    TEMPORAL_ADDRESS: z.string().optional(),
    TEMPORAL_NAMESPACE: z.string().default('default'),
    TEMPORAL_TASK_QUEUE: z.string().default('motcua'),
    TEMPORAL_PORT: z.coerce.number().int().default(7233),
    TEMPORAL_UI_PORT: z.coerce.number().int().default(8233),
    DATABASE_URL: z.string().optional(),
    PG_PORT: z.coerce.number().int().default(5433),
    SMTP_URL: z.string().optional(),
    SMTP_SINK_PORT: z.coerce.number().int().default(2525),
    MAIL_FROM: z.string().default('"Hệ thống một cửa (motcua)" <no-reply@motcua.local>'),
    MAIL_GIVE_UP_AFTER_HOURS: z.coerce.number().positive().default(72),
    JWT_SECRET: z.string().min(32).optional(),
    JWT_ISSUER: z.string().optional(),
    JWT_AUDIENCE: z.string().optional(),
    JWT_JWKS_URL: z.string().url().optional(),
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
    TASK_WRITES_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(10_000),
    BODY_LIMIT: z.string().default('256kb'),
    MIGRATE_ON_START: bool.default(true),
    PORTAL_OPERATOR_AGENCY: z.string().default('VPCP'),
    PORTAL_SYNC_URL: z.string().url().optional(),
    PUBLIC_LOOKUP_PER_MINUTE: z.coerce.number().int().min(1).default(30),
    PAYMENT_SIMULATOR: bool.optional(),
    PAYMENT_SIM_PORT: z.coerce.number().int().min(0).max(65535).default(4010),
    AGENCY_SIM_PORT: z.coerce.number().int().min(0).max(65535).default(4011),
    PAYMENT_CALLBACK_TOLERANCE_SECONDS: z.coerce.number().int().min(10).max(3600).default(300),
    WORKER_METRICS_ADDRESS: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port').optional(),
    WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(1).optional(),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production') {
      if (!env.JWT_JWKS_URL && !env.JWT_SECRET) {
        ctx.addIssue({ code: 'custom', path: ['JWT_JWKS_URL'], message: 'production needs JWT_JWKS_URL (or JWT_SECRET)' });
      }
      for (const key of ['DATABASE_URL', 'SMTP_URL', 'TEMPORAL_ADDRESS'] as const) {
        if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: `production needs ${key}` });
      }
    }
  });

export interface Config {
  env: 'development' | 'test' | 'production';
  home: string;
  dataDir: string;
  host: string;
  port: number;
  publicUrl: string;
  logLevel: string;
  temporal: { address?: string; namespace: string; taskQueue: string; port: number; uiPort: number };
  databaseUrl?: string;
  pgPort: number;
  smtpUrl?: string;
  smtpSinkPort: number;
  mailFrom: string;
  /** Hours an e-mail the relay refuses is retried from the outbox before it is given up (audited on its case). */
  mailGiveUpAfterHours: number;
  jwt: { secret?: string; issuer?: string; audience?: string; jwksUrl?: string };
  rateLimitPerMinute: number;
  /** How long a task action's answer waits for its row and audit event before it answers 202. */
  taskWritesWaitMs: number;
  bodyLimit: string;
  migrateOnStart: boolean;
  operatorAgencyId: string;
  /** The national portal's status-sync endpoint (dossier outbox); unset: statuses wait in the outbox. */
  portalSyncUrl?: string;
  publicLookupPerMinute: number;
  /** Run the simulators on loopback — payment providers (registered) and a demo agency system (development default). */
  paymentSimulator: boolean;
  paymentSimPort: number;
  /** The demo agency system (onboarding) started with the simulators. */
  agencySimPort: number;
  /** How far a provider callback's signed timestamp may be from now. */
  callbackToleranceSeconds: number;
  worker: {
    /** Where the Temporal SDK's Prometheus metrics (sticky cache, task latencies, slots) are served; unset: not exported. */
    metricsAddress?: string;
    /** Cases kept in the worker's sticky cache; unset: the SDK default from the heap limit. */
    maxCachedWorkflows?: number;
  };
}

export class ConfigError extends Error {}

/** The project's root folder (where package.json is), whether running from source or dist/. */
export function projectHome(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const parent = path.dirname(dir);
    if (path.basename(dir) === 'infra') return path.basename(parent) === 'dist' ? path.dirname(parent) : parent;
    dir = parent;
  }
  return process.cwd();
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const home = e.MOTCUA_HOME ?? projectHome();
  const jwtSecret = e.JWT_SECRET ?? (e.JWT_JWKS_URL ? undefined : DEV_JWT_SECRET);
  return {
    env: e.NODE_ENV,
    home,
    dataDir: path.resolve(home, e.DATA_DIR ?? '.data'),
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.PUBLIC_URL ?? `http://localhost:${e.PORT}`,
    logLevel: e.LOG_LEVEL,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      port: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
    },
    databaseUrl: e.DATABASE_URL,
    pgPort: e.PG_PORT,
    smtpUrl: e.SMTP_URL,
    smtpSinkPort: e.SMTP_SINK_PORT,
    mailFrom: e.MAIL_FROM,
    mailGiveUpAfterHours: e.MAIL_GIVE_UP_AFTER_HOURS,
    jwt: { secret: jwtSecret, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE, jwksUrl: e.JWT_JWKS_URL },
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    taskWritesWaitMs: e.TASK_WRITES_WAIT_MS,
    bodyLimit: e.BODY_LIMIT,
    migrateOnStart: e.MIGRATE_ON_START,
    operatorAgencyId: e.PORTAL_OPERATOR_AGENCY,
    portalSyncUrl: e.PORTAL_SYNC_URL,
    publicLookupPerMinute: e.PUBLIC_LOOKUP_PER_MINUTE,
    paymentSimulator: e.PAYMENT_SIMULATOR ?? e.NODE_ENV !== 'production',
    paymentSimPort: e.PAYMENT_SIM_PORT,
    agencySimPort: e.AGENCY_SIM_PORT,
    callbackToleranceSeconds: e.PAYMENT_CALLBACK_TOLERANCE_SECONDS,
    worker: { metricsAddress: e.WORKER_METRICS_ADDRESS, maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS },
  };
}
