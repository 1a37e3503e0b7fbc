/**
 * Prometheus metrics: default process metrics, HTTP request counts and latencies, and the e-mail
 * outbox by status (queued messages wait for the relay; failed ones were given up).
 */
import client from 'prom-client';
import type { RequestHandler } from 'express';

export interface Metrics {
  registry: client.Registry;
  middleware: RequestHandler;
}

export function createMetrics(opts: { mailOutbox?: () => Promise<Record<string, number>> } = {}): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'motcua_' });
  const { mailOutbox } = opts;
  if (mailOutbox) {
    new client.Gauge({
      name: 'motcua_mail_outbox_messages',
      help: 'Undelivered e-mails in the outbox by status: sending, queued (waiting for redelivery), failed (given up)',
      labelNames: ['status'] as const,
      registers: [registry],
      async collect() {
        // A scrape while the database is down reports no outbox figures instead of failing.
        const counts = await mailOutbox().catch(() => undefined);
        this.reset();
        if (counts) for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
  }
  const duration = new client.Histogram({
    name: 'motcua_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const middleware: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      end({ method: req.method, route: `${req.baseUrl}${route}`, status: String(res.statusCode) });
    });
    next();
  };
  return { registry, middleware };
}
