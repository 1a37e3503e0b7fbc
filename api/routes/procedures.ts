/**
 * The procedure catalogue (CSDLQG TTHC). Public, no login: search the procedures in force and read
 * one — the version in force today or on a given date, with its version history. Officials: enter
 * drafts, edit them, withdraw; operators also import an existing catalogue. Review and publication
 * are tasks in the inbox (POST /tasks/{id}/complete), decided by a second person.
 */
import { Router, type Request } from 'express';
import { ForbiddenError } from '@casl/ability';
import type { Client } from '@temporalio/client';
import { asSubject } from '../ability';
import type { Db } from '../../db/knex';
import { procedureStore, type ProcedureVersionRow } from '../../db/procedure-store';
import { formatDate, localDay } from '../../domain/calendar';
import { ONLINE_LEVELS, PROCEDURE_CODE, PROCEDURE_LEVELS, PUBLIC_STATUSES, type OnlineLevel } from '../../domain/procedures';
import { HttpError, InputError, NotFoundError } from '../errors';
import { type Api, idempotencyKey, z } from '../route';
import { DraftSchema, isoDate, SummarySchema, VersionSchema, WithdrawalSchema } from '../schemas/procedure';
import { procedureService, type ImportReport } from '../services/procedures';

const codeParam = z.object({ code: z.string().regex(PROCEDURE_CODE) });
const versionParam = codeParam.extend({ version: z.coerce.number().int().min(1).max(100_000) });

function versionJson(r: ProcedureVersionRow, full: boolean) {
  return {
    code: r.code,
    version: r.version,
    status: r.status,
    record: r.record as unknown as Record<string, unknown>,
    decision: r.decision as unknown as Record<string, unknown> | null,
    publishedAt: r.published_at?.toISOString() ?? null,
    inForceFrom: r.in_force_from,
    inForceTo: r.in_force_to,
    withdrawal: r.withdrawal as unknown as Record<string, unknown> | null,
    ...(full ? { enteredBy: r.entered_by, editors: r.editors, reviewedBy: r.reviewed_by, reviewComments: r.review_comments, publishedOnTime: r.published_on_time } : {}),
  };
}

function summaryJson(r: ProcedureVersionRow) {
  return {
    code: r.code,
    version: r.version,
    name: r.name,
    sector: r.sector,
    level: r.level,
    agencyId: r.agency_id,
    onlineLevel: r.online_level,
    timeLimit: r.record.timeLimit as unknown as Record<string, unknown>,
    inForceFrom: r.in_force_from,
  };
}

function historyJson(r: ProcedureVersionRow) {
  return { version: r.version, status: r.status, decision: r.decision?.number ?? null, effectiveOn: r.decision?.effectiveOn ?? null, inForceFrom: r.in_force_from, inForceTo: r.in_force_to, publishedAt: r.published_at?.toISOString() ?? null };
}

export function procedureRouter(api: Api, deps: { db: Db; temporal: Client; taskQueue: string }): Router {
  const router = Router();
  const store = procedureStore(deps.db);
  const service = procedureService(deps);
  const canSee = (req: Request, r: ProcedureVersionRow) => req.ability.can('read', asSubject('Procedure', { agency_id: r.agency_id, status: r.status }));

  api.route(router, {
    method: 'get',
    path: '/procedures',
    summary: 'Search the catalogue: procedures in force (public, no login)',
    tags: ['procedures'],
    auth: false,
    query: z.object({
      q: z.string().trim().min(1).max(200).optional().describe('Text in the name or code'),
      sector: z.string().max(200).optional(),
      agency: z.string().max(64).optional().describe('Maintaining or implementing agency'),
      level: z.enum(PROCEDURE_LEVELS).optional(),
      onlineLevel: z.enum(ONLINE_LEVELS).optional(),
      after: z.string().max(40).optional().describe('Cursor: the last code of the previous page'),
      limit: z.coerce.number().int().min(1).max(100).default(20),
    }),
    responses: { 200: { description: 'A page', schema: z.object({ items: z.array(SummarySchema), next: z.string().nullable() }) } },
    handler: async ({ query }) => {
      const rows = await store.catalogue({ q: query.q, sector: query.sector, agencyId: query.agency, level: query.level, onlineLevel: query.onlineLevel, after: query.after, limit: query.limit + 1 });
      const page = rows.slice(0, query.limit);
      return { items: page.map(summaryJson), next: rows.length > query.limit ? page.at(-1)!.code : null };
    },
  });

  api.route(router, {
    method: 'get',
    path: '/procedures/:code',
    summary: 'A procedure: the version in force today, or on `at` (YYYY-MM-DD), and its version history (public)',
    tags: ['procedures'],
    auth: false,
    params: codeParam,
    query: z.object({ at: isoDate.optional() }),
    responses: {
      200: { description: 'The version in force and the history', schema: z.object({ code: z.string(), at: z.string(), inForce: VersionSchema, history: z.array(z.record(z.string(), z.unknown())) }) },
      404: { description: 'No such procedure, or none of its versions was in force on that date' },
    },
    handler: async ({ params, query, req }) => {
      const versions = (await store.versions(params.code)).filter((v) => canSee(req, v));
      if (!versions.length) throw new NotFoundError(`No procedure ${params.code} in the catalogue.`);
      const at = query.at ?? formatDate(localDay(Date.now()));
      const inForce = await store.inForceOn(params.code, at);
      const history = versions.filter((v) => (PUBLIC_STATUSES as string[]).includes(v.status) || req.user).map(historyJson);
      if (!inForce) throw new HttpError(404, 'Not found', `No version of ${params.code} was in force on ${at}.`, { history });
      // Online services live on that date raise the procedure's online level from their go-live date.
      const live = await deps.db('online_services')
        .whereRaw('procedure_codes @> ?::jsonb', [JSON.stringify([params.code])])
        .where('live_from', '<=', at)
        .whereIn('status', ['live'])
        .select<Array<{ service_id: string; agency_id: string; target_level: OnlineLevel; live_from: string }>>('service_id', 'agency_id', 'target_level', 'live_from');
      const levels: OnlineLevel[] = [inForce.online_level as OnlineLevel, ...live.map((s) => s.target_level)];
      const effectiveOnlineLevel = ONLINE_LEVELS.filter((l) => levels.includes(l)).at(-1)!;
      return { code: params.code, at, inForce: versionJson(inForce, false), effectiveOnlineLevel, onlineServices: live.map((s) => ({ serviceId: s.service_id, agencyId: s.agency_id, level: s.target_level, liveFrom: s.live_from })), history };
    },
  });

  api.route(router, {
    method: 'get',
    path: '/procedures/:code/versions/:version',
    summary: 'One version: published versions are public; drafts are shown to the maintaining agency and the operator',
    tags: ['procedures'],
    auth: false,
    params: versionParam,
    responses: { 200: { description: 'The version', schema: VersionSchema }, 404: { description: 'Not found' } },
    handler: async ({ params, req }) => {
      const row = await store.get(params.code, params.version);
      if (!row || !canSee(req, row)) throw new NotFoundError(`No version ${params.version} of ${params.code}.`);
      return versionJson(row, !!req.user && req.user.role !== 'citizen');
    },
  });

  api.route(router, {
    method: 'post',
    path: '/procedures',
    summary: 'Enter a draft (a new procedure, or the next version of one) with its announcement decision. Send an Idempotency-Key.',
    tags: ['procedures'],
    auth: true,
    body: DraftSchema,
    status: 201,
    responses: { 201: { description: 'Draft entered; a submit task is in the inbox', schema: z.object({ code: z.string(), version: z.number(), status: z.string() }) }, 409: { description: 'A draft of this code is already open, or the code belongs to another agency' } },
    handler: async ({ body, req, res }) => {
      ForbiddenError.from(req.ability).throwUnlessCan('create', asSubject('Procedure', { agency_id: body.record.agencyId, status: 'draft' }));
      await knownAgencies(deps.db, [body.record.agencyId, ...body.record.implementingAgencyIds]);
      const key = idempotencyKey(req);
      const r = await service.create({ actor: req.user!, key, record: body.record as never, decision: body.decision ?? null });
      res.status(r.statusCode).json(r.body);
    },
  });

  api.route(router, {
    method: 'put',
    path: '/procedures/:code/versions/:version',
    summary: 'Edit a draft or a returned version (the editor may then not review it)',
    tags: ['procedures'],
    auth: true,
    params: versionParam,
    body: DraftSchema,
    responses: { 200: { description: 'Saved', schema: z.object({ code: z.string(), version: z.number(), status: z.string() }) }, 409: { description: 'Not a draft any more' } },
    handler: async ({ params, body, req }) => {
      const row = await store.get(params.code, params.version);
      if (!row || !canSee(req, row)) throw new NotFoundError(`No version ${params.version} of ${params.code}.`);
      ForbiddenError.from(req.ability).throwUnlessCan('update', asSubject('Procedure', { agency_id: row.agency_id, status: row.status }));
      if (body.record.code !== row.code) throw new InputError('The code of a version cannot change.', [{ path: 'body.record.code', message: `must be ${row.code}` }]);
      await knownAgencies(deps.db, [body.record.agencyId, ...body.record.implementingAgencyIds]);
      return service.edit({ actor: req.user!, scope: req.scope, code: row.code, version: row.version, record: body.record as never, decision: body.decision ?? null });
    },
  });

  api.route(router, {
    method: 'post',
    path: '/procedures/:code/withdraw',
    summary: 'Withdraw (bãi bỏ) the procedure from the effective date of a withdrawal decision',
    tags: ['procedures'],
    auth: true,
    params: codeParam,
    body: WithdrawalSchema,
    responses: { 200: { description: 'Withdrawal recorded; it takes effect on its date', schema: z.object({ code: z.string(), version: z.number(), status: z.string() }) }, 404: { description: 'Nothing published to withdraw' }, 409: { description: 'A withdrawal is already pending' } },
    handler: async ({ params, body, req }) => {
      const current = (await store.versions(params.code)).filter((v) => v.status === 'in_force' || v.status === 'published').at(-1);
      if (!current) throw new NotFoundError(`${params.code} has no published version to withdraw.`);
      ForbiddenError.from(req.ability).throwUnlessCan('withdraw', asSubject('Procedure', { agency_id: current.agency_id, status: current.status }));
      return service.withdraw({ actor: req.user!, scope: req.scope, code: params.code, withdrawal: body });
    },
  });

  api.route(router, {
    method: 'post',
    path: '/procedures/import',
    summary: 'Import an existing catalogue (JSON items or CSV text); all or nothing, with a report of what was rejected and why',
    tags: ['procedures'],
    auth: true,
    body: z.union([
      z.object({ format: z.literal('json'), items: z.array(z.unknown()).min(1).max(5000) }),
      z.object({ format: z.literal('csv'), csv: z.string().min(1).max(20_000_000).describe('Header row with the documented columns; lists separated by |; documents and fees as JSON arrays') }),
    ]),
    responses: {
      200: { description: 'Imported (the report)', schema: z.record(z.string(), z.unknown()) },
      422: { description: 'Rejected: nothing imported; the report names every rejected item and why' },
    },
    handler: async ({ body, req, res }) => {
      ForbiddenError.from(req.ability).throwUnlessCan('import', 'Procedure');
      const report: ImportReport = await service.importCatalogue({ actor: req.user!, ...(body.format === 'csv' ? { csv: body.csv } : { items: body.items }) });
      if (report.rejected.length) throw new HttpError(422, 'Import rejected', `${report.rejected.length} of ${report.total} item(s) rejected; nothing was imported.`, { report });
      res.status(200).json(report);
    },
  });

  return router;
}

async function knownAgencies(db: Db, ids: string[]): Promise<void> {
  const found = new Set<string>(await db('agencies').whereIn('id', ids).pluck('id'));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length) throw new InputError('Unknown agency.', missing.map((m) => ({ path: 'body.record', message: `no agency ${m}` })));
}
