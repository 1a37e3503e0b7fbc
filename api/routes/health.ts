/** Liveness and readiness. */
import { Router } from 'express';
import { type Api, z } from '../route';
import type { AppDeps } from '../app';

const ReadySchema = z
  .object({
    status: z.enum(['ready', 'unavailable']),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() })),
  })
  .openapi('Readiness');

async function check(fn: () => Promise<unknown>): Promise<{ ok: boolean; latencyMs: number; error?: string }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([fn(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out after 3 s')), 3000)))]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: (err as Error).message };
  } finally {
    clearTimeout(timer); // a pending timer would keep the process (and jest) alive for 3 s
  }
}

export function healthRouter(api: Api, deps: AppDeps): Router {
  const router = Router();
  api.route(router, {
    method: 'get',
    path: '/health',
    summary: 'The process is up',
    tags: ['operations'],
    auth: false,
    responses: { 200: { description: 'Up', schema: z.object({ status: z.literal('ok') }) } },
    handler: () => ({ status: 'ok' as const }),
  });
  api.route(router, {
    method: 'get',
    path: '/ready',
    summary: 'Temporal and PostgreSQL are reachable',
    tags: ['operations'],
    auth: false,
    responses: {
      200: { description: 'Ready', schema: ReadySchema },
      503: { description: 'A dependency is unreachable', schema: ReadySchema },
    },
    handler: async ({ res }) => {
      const [temporal, postgres] = await Promise.all([
        check(() => deps.temporal.workflowService.getSystemInfo({})),
        check(() => deps.db.raw('select 1')),
      ]);
      const ok = temporal.ok && postgres.ok;
      res.status(ok ? 200 : 503);
      res.json({ status: ok ? 'ready' : 'unavailable', checks: { temporal, postgres } });
    },
  });
  return router;
}
