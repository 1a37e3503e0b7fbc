/** Supervisors' alert feed. */
import { Router } from 'express';
import { ForbiddenError } from '@casl/ability';
import { rulesToAST } from '@casl/ability/extra';
import { alertStore, type AlertRow } from '../../db/alert-store';
import { caslWhere } from '../../db/casl-sql';
import type { Db } from '../../db/knex';
import { asSubject } from '../ability';
import { NotFoundError } from '../errors';
import { type Api, z } from '../route';

const AlertSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['reminder', 'due', 'overdue', 'escalation']),
    caseType: z.string(),
    caseId: z.string(),
    clockId: z.string(),
    thresholdKey: z.string(),
    agencyId: z.string(),
    assignee: z.string().nullable(),
    title: z.string(),
    dueAt: z.string(),
    overdueWorkingDays: z.number().nullable(),
    raisedAt: z.string(),
    acknowledgedAt: z.string().nullable(),
    acknowledgedBy: z.string().nullable(),
  })
  .openapi('Alert');

/** An alert number: a PostgreSQL bigint, so at most 18 digits (more would fail in the query, not 404). */
const alertId = z.string().regex(/^\d{1,18}$/, 'an alert number');

function alertJson(a: AlertRow) {
  return {
    id: String(a.id),
    kind: a.kind,
    caseType: a.case_type,
    caseId: a.case_id,
    clockId: a.clock_id,
    thresholdKey: a.threshold_key,
    agencyId: a.agency_id,
    assignee: a.assignee,
    title: a.title,
    dueAt: a.due_at.toISOString(),
    overdueWorkingDays: a.overdue_working_days,
    raisedAt: a.raised_at.toISOString(),
    acknowledgedAt: a.acknowledged_at ? a.acknowledged_at.toISOString() : null,
    acknowledgedBy: a.acknowledged_by,
  };
}

export function alertRouter(api: Api, deps: { db: Db }): Router {
  const router = Router();
  const alerts = alertStore(deps.db);

  api.route(router, {
    method: 'get',
    path: '/alerts',
    summary: 'Deadline alerts in the caller’s agencies, newest first',
    tags: ['alerts'],
    auth: true,
    query: z.object({
      agency: z.string().max(64).optional(),
      kind: z.enum(['reminder', 'due', 'overdue', 'escalation']).optional(),
      state: z.enum(['open', 'acknowledged']).optional(),
      since: z.string().datetime({ offset: true }).optional(),
      caseId: z.string().max(200).optional(),
      limit: z.coerce.number().int().min(1).max(100).default(50),
      cursor: alertId.optional().describe('The last alert id of the previous page'),
    }),
    responses: { 200: { description: 'Alerts', schema: z.object({ items: z.array(AlertSchema), nextCursor: z.string().nullable() }) } },
    handler: async ({ query, req }) => {
      const where = caslWhere(rulesToAST(req.ability, 'read', 'Alert'));
      const rows = await alerts.list(
        {
          agencyIds: query.agency ? [query.agency] : undefined,
          kind: query.kind,
          state: query.state,
          since: query.since ? new Date(query.since) : undefined,
          caseId: query.caseId,
          limit: query.limit + 1,
          afterId: query.cursor,
        },
        where,
      );
      const page = rows.slice(0, query.limit);
      return { items: page.map(alertJson), nextCursor: rows.length > query.limit ? String(page[page.length - 1]!.id) : null };
    },
  });

  api.route(router, {
    method: 'post',
    path: '/alerts/:id/ack',
    summary: 'Acknowledge an alert (supervisors); acknowledging twice keeps the first acknowledgement',
    tags: ['alerts'],
    auth: true,
    params: z.object({ id: alertId }),
    responses: { 200: { description: 'The alert', schema: AlertSchema }, 404: { description: 'Not found' } },
    handler: async ({ params, req }) => {
      const row = await alerts.get(params.id);
      if (!row || !req.ability.can('read', asSubject('Alert', row))) throw new NotFoundError(`No alert ${params.id}.`);
      ForbiddenError.from(req.ability).throwUnlessCan('acknowledge', asSubject('Alert', row));
      return alertJson((await alerts.acknowledge(params.id, req.user!.sub, new Date()))!);
    },
  });
  return router;
}
