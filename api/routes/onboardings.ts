/**
 * Online-service onboarding (Circular 01/2018/TT-VPCP Art 21; QĐ 31/2021 Arts 30.3, 37.2):
 * registration by the agency (with the online-share rule for full online), the list and the view
 * with the evidence of every check, re-runs, suspension and resumption by the operator, and a
 * report per service (every check's pass/fail history). Manual results, fixes and acceptance go
 * through the task inbox (steps `manual_tests`, `fix`, `accept`).
 */
import { Router, type Request } from 'express';
import { ForbiddenError } from '@casl/ability';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import type { Db } from '../../db/knex';
import { procedureStore } from '../../db/procedure-store';
import { canonicalJson } from '../../domain/procedures';
import { formatDate, localDay } from '../../domain/calendar/days';
import { policyNumber } from '../../domain/policies';
import { CHECK_IDS, CHECK_TITLES, MANUAL_CHECKLIST, SERVICE_TYPES, TARGET_LEVELS, onboardingWorkflowId, onlineShare, type ServiceType } from '../../domain/onboarding';
import { resumeServiceUpdate, runOnboardingTestsSignal, serviceOnboardingWorkflow, suspendServiceUpdate } from '../../workflows/onboarding';
import { asSubject } from '../ability';
import { ConflictError, HttpError, InputError, NotFoundError } from '../errors';
import { type Api, z } from '../route';
import { isoDate } from '../schemas/procedure';
import type { LegalTimeService } from '../services/legal-time';
import { refusalOf } from '../services/refusals';

const idParam = z.object({ id: z.string().regex(/^[A-Z0-9][A-Z0-9.-]{2,59}$/, 'a service ID: capitals, digits, . and -') });
const httpUrl = z.string().url().refine((u) => /^https?:\/\//.test(u), 'an http(s) URL');

export const OnboardingSchema = z
  .object({
    serviceId: idParam.shape.id,
    name: z.string().trim().min(5).max(300),
    serviceType: z.enum(SERVICE_TYPES),
    agencyId: z.string().min(1).max(64),
    procedureCodes: z.array(z.string().min(3).max(40)).min(1).max(50),
    targetLevel: z.enum(TARGET_LEVELS),
    endpoints: z.object({ statusSyncUrl: httpUrl, intakeUrl: httpUrl, paymentCallbackUrl: httpUrl }),
    requireTls: z.boolean().default(true),
    callbackSecret: z.string().min(16).max(200).describe('Shared secret the portal signs payment notifications with (never shown again)'),
    contacts: z.array(z.object({ name: z.string().trim().min(2).max(200), email: z.string().email(), phone: z.string().max(30).optional() })).min(1).max(10),
    plannedGoLive: isoDate,
  })
  .openapi('OnboardingRegistration');

interface ServiceRow {
  service_id: string;
  name: string;
  service_type: ServiceType;
  agency_id: string;
  procedure_codes: string[];
  target_level: string;
  online_share: Record<string, { online: number; total: number; percent: number }>;
  endpoints: Record<string, string>;
  require_tls: boolean;
  contacts: unknown;
  planned_go_live: string;
  status: string;
  registered_by: string;
  accepted_by: string | null;
  live_from: string | null;
  suspended_at: Date | null;
  consecutive_probe_failures: number;
  created_at: Date;
}

function serviceJson(r: ServiceRow) {
  return {
    serviceId: r.service_id,
    name: r.name,
    serviceType: r.service_type,
    agencyId: r.agency_id,
    procedureCodes: r.procedure_codes,
    targetLevel: r.target_level,
    onlineShare: r.online_share,
    endpoints: r.endpoints,
    requireTls: r.require_tls,
    contacts: r.contacts,
    plannedGoLive: r.planned_go_live,
    status: r.status,
    registeredBy: r.registered_by,
    acceptedBy: r.accepted_by,
    liveFrom: r.live_from,
    suspendedAt: r.suspended_at?.toISOString() ?? null,
    consecutiveProbeFailures: r.consecutive_probe_failures,
    registeredAt: r.created_at.toISOString(),
  };
}

export function onboardingRouter(api: Api, deps: { db: Db; temporal: Client; taskQueue: string; operatorAgencyId: string; legalTime: LegalTimeService }): Router {
  const router = Router();
  const procedures = procedureStore(deps.db);

  async function load(req: Request, id: string): Promise<ServiceRow> {
    const row = await deps.db<ServiceRow>('online_services').where({ service_id: id }).first();
    if (!row || !req.ability.can('read', asSubject('OnlineService', row))) throw new NotFoundError(`No online service ${id}.`);
    return row;
  }

  api.route(router, {
    method: 'post',
    path: '/onboardings',
    summary: 'Register an online service (or a payment connection) for onboarding: the automated conformance tests start at once. The service ID is the idempotency key.',
    tags: ['onboarding'],
    auth: true,
    body: OnboardingSchema,
    status: 201,
    responses: {
      201: { description: 'Registered; tests running', schema: z.record(z.string(), z.unknown()) },
      409: { description: 'The service ID is taken by another registration' },
      422: { description: 'Full online is not allowed yet: too few dossiers online (the figures are given)' },
    },
    handler: async ({ body, req, res }) => {
      ForbiddenError.from(req.ability).throwUnlessCan('create', asSubject('OnlineService', { agency_id: body.agencyId }));
      if (!(await deps.db('agencies').where({ id: body.agencyId }).first('id'))) throw new InputError('Unknown agency.', [{ path: 'body.agencyId', message: 'no such agency' }]);
      const today = formatDate(localDay(Date.now()));
      if (body.plannedGoLive < today) throw new InputError('The planned go-live date is in the past.', [{ path: 'body.plannedGoLive', message: 'before today' }]);
      const errors: Array<{ path: string; message: string }> = [];
      for (const [i, code] of body.procedureCodes.entries()) {
        const v = await procedures.inForceOn(code, today);
        if (!v) errors.push({ path: `body.procedureCodes.${i}`, message: `${code} is not a published procedure in force` });
        else if (v.agency_id !== body.agencyId && !v.implementing_agency_ids.includes(body.agencyId)) errors.push({ path: `body.procedureCodes.${i}`, message: `${code} is not handled by ${body.agencyId}` });
      }
      if (errors.length) throw new InputError('Some procedures cannot be served by this service.', errors);

      // Full online needs the policy share of each procedure's dossiers already online (computed from dossier data).
      const share: Record<string, { online: number; total: number; percent: number }> = {};
      for (const code of body.procedureCodes) {
        const [c] = await deps.db('dossiers').where({ procedure_code: code, agency_id: body.agencyId }).select<Array<{ online: string; total: string }>>(deps.db.raw("count(*) filter (where channel = 'online') as online"), deps.db.raw('count(*) as total'));
        const online = Number(c?.online ?? 0);
        const total = Number(c?.total ?? 0);
        share[code] = { online, total, percent: onlineShare(online, total) };
      }
      const required = policyNumber(await deps.legalTime.policyAt(Date.now()), 'onboarding.fullOnlineShare');
      if (body.targetLevel === 'full') {
        const short = Object.entries(share).filter(([, s]) => s.percent < required);
        if (short.length) {
          throw new HttpError(422, 'Full online not allowed yet', `Full online requires at least ${required}% of a procedure's dossiers already online (policy onboarding.fullOnlineShare): ${short.map(([c, s]) => `${c} ${s.percent}% (${s.online}/${s.total})`).join('; ')}.`, { onlineShare: share, requiredPercent: required });
        }
      }

      const row = {
        service_id: body.serviceId,
        name: body.name,
        service_type: body.serviceType,
        agency_id: body.agencyId,
        procedure_codes: JSON.stringify(body.procedureCodes),
        target_level: body.targetLevel,
        online_share: JSON.stringify(share),
        endpoints: JSON.stringify(body.endpoints),
        require_tls: body.requireTls,
        callback_secret: body.callbackSecret,
        contacts: JSON.stringify(body.contacts),
        planned_go_live: body.plannedGoLive,
        status: 'registered',
        registered_by: req.user!.sub,
      };
      const inserted = await deps.db('online_services').insert(row).onConflict('service_id').ignore().returning('service_id');
      if (!inserted.length) {
        // A retry of the same registration gets the same answer; anything else is a conflict.
        const existing = await deps.db<ServiceRow & { callback_secret: string }>('online_services').where({ service_id: body.serviceId }).first();
        const same = existing && existing.registered_by === req.user!.sub && existing.callback_secret === body.callbackSecret && canonicalJson(existing.endpoints) === canonicalJson(body.endpoints) && existing.name === body.name;
        if (!same) throw new ConflictError(`Service ID ${body.serviceId} is already registered.`);
      }
      await deps.temporal.workflow.start(serviceOnboardingWorkflow, {
        taskQueue: deps.taskQueue,
        workflowId: onboardingWorkflowId(body.serviceId),
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        args: [{ serviceId: body.serviceId, name: body.name, agencyId: body.agencyId, operatorAgencyId: deps.operatorAgencyId, serviceType: body.serviceType, targetLevel: body.targetLevel, procedureCodes: body.procedureCodes, plannedGoLive: body.plannedGoLive, registeredAtMs: Date.now() }],
      });
      const saved = await deps.db<ServiceRow>('online_services').where({ service_id: body.serviceId }).first();
      res.status(201).json(serviceJson(saved!));
    },
  });

  api.route(router, {
    method: 'get',
    path: '/onboardings',
    summary: 'Online services being onboarded or live (operators: all; agencies: their own)',
    tags: ['onboarding'],
    auth: true,
    query: z.object({ status: z.string().max(24).optional(), agency: z.string().max(64).optional() }),
    responses: { 200: { description: 'Services', schema: z.array(z.record(z.string(), z.unknown())) } },
    handler: async ({ query, req }) => {
      ForbiddenError.from(req.ability).throwUnlessCan('read', 'OnlineService');
      const q = deps.db<ServiceRow>('online_services').orderBy('created_at', 'desc').limit(500);
      if (query.status) q.where({ status: query.status });
      if (query.agency) q.where({ agency_id: query.agency });
      return (await q).filter((r) => req.ability.can('read', asSubject('OnlineService', r))).map(serviceJson);
    },
  });

  api.route(router, {
    method: 'get',
    path: '/onboardings/:id',
    summary: 'One service: its state, the latest result of every check with its evidence, and the manual results',
    tags: ['onboarding'],
    auth: true,
    params: idParam,
    responses: { 200: { description: 'The service', schema: z.record(z.string(), z.unknown()) }, 404: { description: 'Not found' } },
    handler: async ({ params, req }) => {
      const row = await load(req, params.id);
      const latest = await deps.db('onboarding_checks as c')
        .join('onboarding_runs as r', (j) => j.on('r.service_id', 'c.service_id').andOn('r.run_no', 'c.run_no'))
        .where('c.service_id', row.service_id)
        .distinctOn('c.check_id')
        .orderBy([{ column: 'c.check_id' }, { column: 'c.run_no', order: 'desc' }])
        .select('c.check_id', 'c.run_no', 'r.kind', 'r.finished_at', 'c.verdict', 'c.detail', 'c.ms', 'c.exchanges');
      const manual = await deps.db('onboarding_manual_results').where({ service_id: row.service_id }).orderBy(['round', 'case_id']).select('round', 'case_id', 'verdict', 'note', 'tester', 'recorded_at');
      return {
        ...serviceJson(row),
        checks: latest.map((c: { check_id: string; run_no: number; kind: string; finished_at: Date; verdict: string; detail: string; ms: number; exchanges: unknown }) => ({ checkId: c.check_id, title: CHECK_TITLES[c.check_id as keyof typeof CHECK_TITLES], runNo: c.run_no, runKind: c.kind, at: c.finished_at.toISOString(), verdict: c.verdict, detail: c.detail, ms: c.ms, evidence: c.exchanges })),
        manualChecklist: MANUAL_CHECKLIST[row.service_type],
        manualResults: manual.map((m: { round: number; case_id: string; verdict: string; note: string; tester: string; recorded_at: Date }) => ({ round: m.round, caseId: m.case_id, verdict: m.verdict, note: m.note, tester: m.tester, at: m.recorded_at.toISOString() })),
      };
    },
  });

  api.route(router, {
    method: 'get',
    path: '/onboardings/:id/report',
    summary: 'The report of a service: every run, and per check its pass/fail history',
    tags: ['onboarding'],
    auth: true,
    params: idParam,
    responses: { 200: { description: 'The report', schema: z.record(z.string(), z.unknown()) } },
    handler: async ({ params, req }) => {
      const row = await load(req, params.id);
      const runs = await deps.db('onboarding_runs').where({ service_id: row.service_id }).orderBy('run_no').select('run_no', 'kind', 'checks', 'failed', 'started_at', 'finished_at');
      const checks = await deps.db('onboarding_checks').where({ service_id: row.service_id }).orderBy(['check_id', 'run_no']).select('check_id', 'run_no', 'verdict', 'ms', 'detail');
      const history: Record<string, Array<{ runNo: number; verdict: string; ms: number; detail: string }>> = {};
      for (const c of checks as Array<{ check_id: string; run_no: number; verdict: string; ms: number; detail: string }>) (history[c.check_id] ??= []).push({ runNo: c.run_no, verdict: c.verdict, ms: c.ms, detail: c.detail });
      return {
        serviceId: row.service_id,
        status: row.status,
        runs: runs.map((r: { run_no: number; kind: string; checks: string[]; failed: string[]; started_at: Date; finished_at: Date }) => ({ runNo: r.run_no, kind: r.kind, checks: r.checks, failed: r.failed, passed: r.failed.length === 0, startedAt: r.started_at.toISOString(), finishedAt: r.finished_at.toISOString() })),
        checks: CHECK_IDS.filter((id) => history[id]).map((id) => ({ checkId: id, title: CHECK_TITLES[id], passes: history[id]!.filter((h) => h.verdict === 'pass').length, fails: history[id]!.filter((h) => h.verdict === 'fail').length, history: history[id] })),
      };
    },
  });

  api.route(router, {
    method: 'get',
    path: '/onboardings/:id/runs/:runNo',
    summary: 'One conformance run with the full evidence of each check (requests, responses, timings)',
    tags: ['onboarding'],
    auth: true,
    params: idParam.extend({ runNo: z.coerce.number().int().min(1).max(2_147_483_647) }),
    responses: { 200: { description: 'The run', schema: z.record(z.string(), z.unknown()) }, 404: { description: 'Not found' } },
    handler: async ({ params, req }) => {
      const row = await load(req, params.id);
      const run = await deps.db('onboarding_runs').where({ service_id: row.service_id, run_no: params.runNo }).first();
      if (!run) throw new NotFoundError(`No run ${params.runNo} of ${params.id}.`);
      const checks = await deps.db('onboarding_checks').where({ service_id: row.service_id, run_no: params.runNo }).orderBy('check_id');
      return { runNo: run.run_no, kind: run.kind, startedAt: run.started_at.toISOString(), finishedAt: run.finished_at.toISOString(), checks: checks.map((c: { check_id: string; verdict: string; detail: string; ms: number; exchanges: unknown }) => ({ checkId: c.check_id, verdict: c.verdict, detail: c.detail, ms: c.ms, evidence: c.exchanges })) };
    },
  });

  api.route(router, {
    method: 'post',
    path: '/onboardings/:id/tests',
    summary: 'Run the automated tests again now (the agency fixed something): what failed plus the regression set',
    tags: ['onboarding'],
    auth: true,
    params: idParam,
    status: 202,
    responses: { 202: { description: 'Asked' }, 409: { description: 'Not in testing or fixing' } },
    handler: async ({ params, req }) => {
      const row = await load(req, params.id);
      ForbiddenError.from(req.ability).throwUnlessCan('run', asSubject('OnlineService', row));
      if (!['fixing', 'testing'].includes(row.status)) throw new ConflictError(`The service is ${row.status}: tests re-run while it is being fixed.`);
      await deps.temporal.workflow.getHandle(onboardingWorkflowId(row.service_id)).signal(runOnboardingTestsSignal);
      return undefined;
    },
  });

  for (const action of ['suspend', 'resume'] as const) {
    api.route(router, {
      method: 'post',
      path: `/onboardings/:id/${action}`,
      summary: action === 'suspend' ? 'Suspend a live service (the operator), with the reason sent to the agency' : 'Resume a suspended service once its probes pass again (the operator)',
      tags: ['onboarding'],
      auth: true,
      params: idParam,
      body: action === 'suspend' ? z.object({ reason: z.string().trim().min(5).max(1000) }) : z.object({}).optional(),
      responses: { 200: { description: 'Done (resume: live again only if the probe passes)', schema: z.object({ status: z.string() }) }, 409: { description: 'Not live (suspend) or not suspended (resume)' } },
      handler: async ({ params, body, req }) => {
        const row = await load(req, params.id);
        ForbiddenError.from(req.ability).throwUnlessCan('suspend', asSubject('OnlineService', row));
        const handle = deps.temporal.workflow.getHandle(onboardingWorkflowId(row.service_id));
        try {
          return action === 'suspend'
            ? await handle.executeUpdate(suspendServiceUpdate, { args: [{ actor: req.user!, reason: (body as { reason: string }).reason }] })
            : await handle.executeUpdate(resumeServiceUpdate, { args: [{ actor: req.user! }] });
        } catch (err) {
          throw refusalOf(err)?.http ?? err;
        }
      },
    });
  }

  return router;
}
