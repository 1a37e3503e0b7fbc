/**
 * `createApp(deps)`: the Express 5 application. Order: request ID and log → metrics → rate limit →
 * JSON body (size-limited) → bearer auth → CASL ability → routers → 404 → one error mapper.
 */
import { createHash, randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import rateLimit, { ipKeyGenerator } from 'express-rate-limit';
import swaggerUi from 'swagger-ui-express';
import { OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Db } from '../db/knex';
import { defineAbilityFor } from './ability';
import type { Authenticator } from './auth';
import { errorMapper, sendProblem, UnauthorizedError } from './errors';
import { createMetrics } from './metrics';
import { outboxCounts } from '../db/mail-ledger';
import { Api } from './route';
import { healthRouter } from './routes/health';
import { legalTimeRouter } from './routes/legal-time';
import { alertRouter } from './routes/alerts';
import { historyRouter } from './routes/history';
import { taskRouter } from './routes/tasks';
import { taskService } from './services/tasks';
import { feedbackRouter } from './routes/feedback';
import { procedureRouter } from './routes/procedures';
import { dossierRouter } from './routes/dossiers';
import { paymentRouter } from './routes/payments';
import { onboardingRouter } from './routes/onboardings';
import { paymentService } from './services/payments';
import { ATTACHMENT_LIMITS } from '../domain/feedback';

/** Room for the maximum attachments in base64 plus the text fields. */
const ATTACHMENT_BODY_LIMIT = Math.ceil((ATTACHMENT_LIMITS.maxFiles * ATTACHMENT_LIMITS.maxBytes * 4) / 3) + 256 * 1024;
import { legalTimeService } from './services/legal-time';
import { legalTimeStore } from '../db/legal-time-store';
import { agencyScopes, type AgencyScopes } from './services/scope';

export interface AppDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  auth: Authenticator;
  logger: Logger;
  bodyLimit?: string;
  rateLimitPerMinute?: number;
  /** How long a task action waits for its writes before it answers 202 (default 10 s). */
  taskWritesWaitMs?: number;
  publicUrl?: string;
  /** The portal operator's agency (feedback classification and quality check). */
  operatorAgencyId?: string;
  /** Public dossier lookups per minute per IP address. */
  publicLookupPerMinute?: number;
  /** How far a provider callback's signed timestamp may be from now (seconds). */
  callbackToleranceSeconds?: number;
}

export interface App {
  app: Express;
  openapi: () => object;
}

function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    req.id = incoming && /^[\w.\-:]{1,100}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    req.log = logger.child({ requestId: req.id });
    const started = performance.now();
    res.on('finish', () => {
      req.log.info({ method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(performance.now() - started), user: req.user?.sub }, 'request');
    });
    next();
  };
}

function authenticate(auth: Authenticator, scopes: AgencyScopes): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get('authorization');
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m?.[1]) throw new UnauthorizedError('Use "Authorization: Bearer <token>".');
      req.user = await auth.verify(m[1]);
    }
    req.scope = req.user ? await scopes.of(req.user) : [];
    req.ability = defineAbilityFor(req.user, req.scope);
    next();
  };
}

/** The most a request body no parser takes may carry before the connection is dropped. */
const UNREAD_BODY_LIMIT = 1024 * 1024;

/**
 * A body no parser read (a GET with a body, a content type the route does not take) is read and
 * discarded while the request is handled: left unread, Node resets the connection when a large
 * answer goes out while the client is still sending (found by the 100,000-request fuzz run: a
 * GET with a 120 KB body, answered with a large report, reached the client as "aborted"). Past
 * UNREAD_BODY_LIMIT the connection is dropped.
 */
export function discardUnreadBody(req: express.Request, _res: express.Response, next: express.NextFunction): void {
  if (!req.readableEnded) {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > UNREAD_BODY_LIMIT) req.destroy();
    });
    req.resume();
  }
  next();
}

export function createApp(deps: AppDeps): App {
  const app = express();
  const api = new Api();
  const metrics = createMetrics({ mailOutbox: () => outboxCounts(deps.db) });
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestContext(deps.logger));
  app.use(metrics.middleware);
  app.use(
    rateLimit({
      windowMs: 60_000,
      limit: deps.rateLimitPerMinute ?? 600,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      // Per token when authenticated (hashed: the key is kept in memory), per IP (IPv6 /56) otherwise.
      keyGenerator: (req) => {
        const authz = req.get('authorization');
        return authz ? `t:${createHash('sha256').update(authz).digest('base64url')}` : `i:${ipKeyGenerator(req.ip ?? '0.0.0.0')}`;
      },
      handler: (req, res) => sendProblem(req, res, 429, 'Too many requests', 'Slow down: the rate limit for this client was reached.'),
    }),
  );
  // Feedback intake carries attachments (base64): its own, larger limit; every other body stays small.
  app.post('/feedback', express.json({ limit: ATTACHMENT_BODY_LIMIT }));
  // Provider callbacks are verified over their exact bytes: kept raw.
  app.post('/payments/callbacks/:provider', express.raw({ type: () => true, limit: '64kb' }));
  app.use(express.json({ limit: deps.bodyLimit ?? '256kb' }));
  app.use(discardUnreadBody);
  const scopes = agencyScopes(deps.db);
  app.use(authenticate(deps.auth, scopes));

  app.use(healthRouter(api, deps));
  const legalTime = legalTimeService(legalTimeStore(deps.db));
  app.use(legalTimeRouter(api, { legalTime }));
  app.use(taskRouter(api, { tasks: taskService({ db: deps.db, temporal: deps.temporal, writesWaitMs: deps.taskWritesWaitMs ?? 10_000 }) }));
  app.use(alertRouter(api, { db: deps.db }));
  app.use(historyRouter(api, { db: deps.db, temporal: deps.temporal }));
  app.use(procedureRouter(api, { db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue }));
  app.use(dossierRouter(api, { db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, publicLookupPerMinute: deps.publicLookupPerMinute }));
  app.use(paymentRouter(api, { db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, payments: paymentService({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, legalTime, callbackToleranceSeconds: deps.callbackToleranceSeconds ?? 300 }) }));
  app.use(onboardingRouter(api, { db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, operatorAgencyId: deps.operatorAgencyId ?? 'VPCP', legalTime }));
  app.use(feedbackRouter(api, { db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, operatorAgencyId: deps.operatorAgencyId ?? 'VPCP', legalTime }));

  let document: object | undefined;
  const openapi = () =>
    (document ??= new OpenApiGeneratorV31(api.registry.definitions).generateDocument({
      openapi: '3.1.0',
      info: { title: 'motcua API', version: '0.1.0', description: 'One-stop case management for the National Public Service Portal.' },
      servers: [{ url: deps.publicUrl ?? '/' }],
    }));
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi());
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(undefined, { swaggerOptions: { url: '/openapi.json' } }));
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.use((req, res) => sendProblem(req, res, 404, 'Not found', `No route for ${req.method} ${req.path}.`));
  app.use(errorMapper);
  return { app, openapi };
}
