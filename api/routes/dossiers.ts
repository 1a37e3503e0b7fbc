/**
 * Dossiers: intake (online by the applicant, or at the counter by an officer on the applicant's
 * behalf), the owner's and officials' view with letters and public steps, supplements, the
 * satisfaction evaluation, the public lookup by code (three fields only), and statistics with the
 * Circular 01/2018 Art 13 indices that the data supports.
 */
import { Router, type Request } from 'express';
import rateLimit, { ipKeyGenerator } from 'express-rate-limit';
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/knex';
import { paymentStore } from '../../db/payment-store';
import { formatDate, localDay } from '../../domain/calendar';
import { VN_PHONE } from '../../domain/feedback';
import { COMPLETION, DOSSIER_CHANNELS, gradeBand, index3, RETURN_METHODS, type DossierStatus } from '../../domain/dossiers';
import { supplementSignal } from '../../workflows/dossier';
import { ConflictError, InputError, NotAllowedError, NotFoundError, sendProblem } from '../errors';
import { type Api, idempotencyKey, z } from '../route';
import { isoDate } from '../schemas/procedure';
import { dossierIntake } from '../services/dossier-intake';

const codeParam = z.object({ code: z.string().regex(/^[A-Z][A-Z0-9.]{1,30}-\d{6}-\d{4}$/, 'a dossier code <agency>-<YYMMDD>-<NNNN>') });

export const DossierSubmissionSchema = z
  .object({
    procedureCode: z.string().min(3).max(40),
    agencyId: z.string().min(1).max(64),
    channel: z.enum(DOSSIER_CHANNELS).optional().describe('Officers receiving at the counter or by post set it; applicants submit online'),
    paper: z.boolean().optional().describe('Paper dossier: received after 15:00 it counts from the next working day'),
    returnMethod: z.enum(RETURN_METHODS).default('online'),
    documents: z.array(z.string().trim().min(1).max(500)).min(1).max(100),
    applicant: z.object({
      fullName: z.string().trim().min(2).max(200),
      idNumber: z.string().regex(/^\d{9}(\d{3})?$/, 'số định danh cá nhân 12 số (hoặc CMND 9 số)').optional(),
      address: z.string().trim().min(5).max(500),
      phone: z.string().regex(VN_PHONE, 'số điện thoại không hợp lệ'),
      email: z.string().email().optional(),
    }),
  })
  .openapi('DossierSubmission');

interface DossierRow {
  code: string;
  status: DossierStatus;
  agency_id: string;
  procedure_code: string;
  procedure_version: number;
  procedure_name: string;
  channel: string;
  owner_sub: string;
  return_method: string;
  received_at: Date;
  appointment_date: string | null;
  original_appointment_date: string | null;
  fee_total_vnd: number;
  payment_reference: string | null;
  reschedules: number;
  restarts: number;
  late_agency_id: string | null;
  completed_at: Date | null;
  timeliness: string | null;
  returned_at: Date | null;
}

export function dossierRouter(api: Api, deps: { db: Db; temporal: Client; taskQueue: string; publicLookupPerMinute?: number }): Router {
  const router = Router();
  const intake = dossierIntake(deps);

  async function load(code: string): Promise<DossierRow> {
    const row = await deps.db<DossierRow>('dossiers').where({ code }).first();
    if (!row) throw new NotFoundError(`No dossier ${code}.`);
    return row;
  }
  /** The applicant who submitted it online sees it; so do officials of the handling agency (and above). */
  function access(req: Request, row: DossierRow): 'owner' | 'official' | 'none' {
    const u = req.user;
    if (!u) return 'none';
    if (u.role === 'admin') return 'official';
    if (u.role === 'citizen') return row.owner_sub === u.sub ? 'owner' : 'none';
    if (['officer', 'supervisor', 'auditor'].includes(u.role) && req.scope.includes(row.agency_id)) return 'official';
    return 'none';
  }

  api.route(router, {
    method: 'post',
    path: '/dossiers',
    summary: 'Submit a dossier online (applicant), or receive one at the counter or by post (officer). Send an Idempotency-Key.',
    tags: ['dossiers'],
    auth: true,
    body: DossierSubmissionSchema,
    status: 201,
    responses: { 201: { description: 'Received; the code is issued', schema: z.object({ code: z.string(), status: z.string(), procedureVersion: z.number() }) }, 409: { description: 'Idempotency-Key reused with another body' } },
    handler: async ({ body, req, res }) => {
      const u = req.user!;
      let channel: 'online' | 'counter' | 'post' = 'online';
      if (u.role === 'citizen') {
        if (body.channel && body.channel !== 'online') throw new InputError('Applicants submit online.', [{ path: 'body.channel', message: 'must be online' }]);
      } else if (['officer', 'supervisor'].includes(u.role)) {
        if (!req.scope.includes(body.agencyId)) throw new NotAllowedError('Officers receive dossiers for their own agency.');
        channel = body.channel ?? 'counter';
      } else throw new NotAllowedError('Dossiers are submitted by applicants or received by officers.');
      const key = idempotencyKey(req);
      const r = await intake.submit({ actorSub: u.sub, channel, paper: channel !== 'online' && (body.paper ?? true), key, body });
      res.status(r.statusCode).json(r.body);
    },
  });

  api.route(router, {
    method: 'get',
    path: '/dossiers/:code',
    summary: 'A dossier: the applicant sees its status, letters and public steps; officials of the handling agency also see the applicant',
    tags: ['dossiers'],
    auth: true,
    params: codeParam,
    responses: { 200: { description: 'The dossier', schema: z.record(z.string(), z.unknown()) }, 404: { description: 'Not found' } },
    handler: async ({ params, req }) => {
      const row = await load(params.code);
      const who = access(req, row);
      if (who === 'none') throw new NotFoundError(`No dossier ${params.code}.`);
      const letters = await deps.db('dossier_letters').where({ code: row.code }).orderBy('id').select('form', 'title', 'body', 'issued_at');
      const steps = await deps.db('dossier_outbox').where({ code: row.code }).orderBy('seq').select('seq', 'status', 'created_at', 'payload');
      const view: Record<string, unknown> = {
        code: row.code,
        status: row.status,
        completion: COMPLETION[row.status],
        procedure: { code: row.procedure_code, version: row.procedure_version, name: row.procedure_name },
        agencyId: row.agency_id,
        channel: row.channel,
        returnMethod: row.return_method,
        receivedAt: row.received_at.toISOString(),
        appointmentDate: row.appointment_date,
        originalAppointmentDate: row.original_appointment_date,
        feeTotalVnd: row.fee_total_vnd,
        paid: row.payment_reference !== null,
        reschedules: row.reschedules,
        timeliness: row.timeliness,
        completedAt: row.completed_at?.toISOString() ?? null,
        returnedAt: row.returned_at?.toISOString() ?? null,
        letters: letters.map((l: { form: string; title: string; body: string; issued_at: Date }) => ({ form: l.form, title: l.title, body: l.body, issuedAt: l.issued_at.toISOString() })),
        history: steps.map((s: { seq: number; status: string; created_at: Date; payload: { agencyId?: string } }) => ({ seq: s.seq, status: s.status, agencyId: s.payload.agencyId ?? null, at: s.created_at.toISOString() })),
        evaluated: !!(await deps.db('dossier_evaluations').where({ code: row.code }).first()),
        payments: (await paymentStore(deps.db).byDossier(row.code)).map((p) => ({ reference: p.reference, status: p.status, amountVnd: Number(p.amount_vnd), provider: p.provider, paidAt: p.paid_at?.toISOString() ?? null })),
      };
      if (who === 'official') {
        const a = await deps.db('dossier_applicants').where({ code: row.code }).first();
        view.applicant = { fullName: a.full_name, idNumber: a.id_number, address: a.address, phone: a.phone, email: a.email, documents: a.documents };
        view.lateAgencyId = row.late_agency_id;
        view.restarts = row.restarts;
      }
      return view;
    },
  });

  api.route(router, {
    method: 'post',
    path: '/dossiers/:code/supplement',
    summary: 'Hand in what the supplement request listed (the applicant, or an officer at the counter)',
    tags: ['dossiers'],
    auth: true,
    params: codeParam,
    body: z.object({ documents: z.array(z.string().trim().min(1).max(500)).min(1).max(100) }),
    status: 202,
    responses: { 202: { description: 'Passed to the case' }, 409: { description: 'No supplement is awaited' } },
    handler: async ({ params, body, req }) => {
      const row = await load(params.code);
      const who = access(req, row);
      if (who === 'none') throw new NotFoundError(`No dossier ${params.code}.`);
      if (who === 'official' && !['officer', 'supervisor'].includes(req.user!.role)) throw new NotAllowedError();
      if (row.status !== 'awaiting_supplement') throw new ConflictError(`Dossier ${row.code} is ${row.status}: no supplement is awaited.`);
      await deps.db('dossier_applicants').where({ code: row.code }).update({ documents: deps.db.raw('documents || ?::jsonb', [JSON.stringify(body.documents)]) });
      await deps.temporal.workflow.getHandle(row.code).signal(supplementSignal, { documents: body.documents });
      return undefined;
    },
  });

  api.route(router, {
    method: 'post',
    path: '/dossiers/:code/evaluation',
    summary: 'The applicant rates the handling once the dossier is closed (Decree 61/2018 Art 31); the evaluator is not recorded',
    tags: ['dossiers'],
    auth: true,
    params: codeParam,
    body: z.object({ satisfaction: z.number().int().min(1).max(5), comment: z.string().trim().max(2000).optional() }),
    status: 201,
    responses: { 201: { description: 'Recorded' }, 409: { description: 'Not closed yet, or already evaluated' } },
    handler: async ({ params, body, req }) => {
      const row = await load(params.code);
      if (access(req, row) !== 'owner') throw new NotFoundError(`No dossier ${params.code}.`);
      if (!['returned', 'rejected', 'refused'].includes(row.status)) throw new ConflictError('The dossier can be evaluated once it is closed.');
      const inserted = await deps.db('dossier_evaluations')
        .insert({ code: row.code, agency_id: row.agency_id, satisfaction: body.satisfaction, comment: body.comment ?? null, evaluated_on: formatDate(localDay(Date.now())) })
        .onConflict('code')
        .ignore()
        .returning('code');
      if (!inserted.length) throw new ConflictError('This dossier was already evaluated.');
      return undefined;
    },
  });

  api.route(router, {
    method: 'get',
    path: '/public/dossiers/:code',
    summary: 'Public lookup by code, no login (rate-limited): the procedure name, the degree of completion and the appointment date only',
    tags: ['dossiers'],
    auth: false,
    params: codeParam,
    middleware: [
      rateLimit({
        windowMs: 60_000,
        limit: deps.publicLookupPerMinute ?? 30,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        keyGenerator: (req) => `lookup:${ipKeyGenerator(req.ip ?? '0.0.0.0')}`,
        handler: (req, res) => sendProblem(req, res, 429, 'Too many requests', 'Too many dossier lookups from this address; try again in a minute.'),
      }),
    ],
    responses: { 200: { description: 'The three public fields', schema: z.object({ procedureName: z.string(), completion: z.object({ percent: z.number(), label: z.string() }), appointmentDate: z.string().nullable() }) }, 404: { description: 'No such dossier' } },
    handler: async ({ params }) => {
      const row = await deps.db<DossierRow>('dossiers').where({ code: params.code }).first('procedure_name', 'status', 'appointment_date');
      if (!row) throw new NotFoundError(`No dossier ${params.code}.`);
      return { procedureName: row.procedure_name, completion: COMPLETION[row.status], appointmentDate: row.appointment_date };
    },
  });

  api.route(router, {
    method: 'get',
    path: '/stats/dossiers',
    summary: 'Dossier statistics for an agency (and those below it) over received dates, with the Circular 01/2018 Art 13 indices the data supports',
    tags: ['dossiers'],
    auth: true,
    query: z.object({ agency: z.string().min(1).max(64), from: isoDate, to: isoDate }),
    responses: { 200: { description: 'Statistics', schema: z.record(z.string(), z.unknown()) } },
    handler: async ({ query, req }) => {
      const u = req.user!;
      if (!['supervisor', 'auditor', 'operator', 'admin'].includes(u.role)) throw new NotAllowedError('Statistics are for supervisors, auditors and operators.');
      if (u.role !== 'admin' && u.role !== 'operator' && !req.scope.includes(query.agency)) throw new NotAllowedError('The agency is outside your scope.');
      const below = await deps.db.raw<{ rows: Array<{ id: string }> }>(
        'with recursive t(id) as (select id from agencies where id = ? union all select a.id from agencies a join t on a.parent_id = t.id) select id from t',
        [query.agency],
      );
      const agencies = below.rows.map((r) => r.id);
      const base = () =>
        deps
          .db('dossiers')
          .whereIn('agency_id', agencies)
          .where('received_at', '>=', `${query.from}T00:00:00+07:00`)
          .where('received_at', '<', deps.db.raw("(?::date + 1)::timestamp at time zone 'Asia/Ho_Chi_Minh'", [query.to]));
      const [t] = await base().select(
        deps.db.raw('count(*)::int as received'),
        deps.db.raw("count(*) filter (where channel = 'online')::int as online"),
        deps.db.raw("count(*) filter (where timeliness = 'early')::int as early"),
        deps.db.raw("count(*) filter (where timeliness = 'on_time')::int as on_time"),
        deps.db.raw("count(*) filter (where timeliness = 'late')::int as late"),
        deps.db.raw("count(*) filter (where status in ('refused'))::int as refused"),
        deps.db.raw('coalesce(sum(paused_working_days), 0)::int as paused_days'),
        deps.db.raw('coalesce(sum(reschedules), 0)::int as reschedules'),
        deps.db.raw('coalesce(sum(restarts), 0)::int as restarts'),
      );
      const byLate = await base().whereNotNull('late_agency_id').groupBy('late_agency_id').select('late_agency_id as agencyId', deps.db.raw('count(*)::int as dossiers'));
      const contacts = await base().whereNotNull('completed_at').select<Array<{ extra_contacts: number }>>('extra_contacts');
      const sat = await deps.db('dossier_evaluations').whereIn('agency_id', agencies).whereBetween('evaluated_on', [query.from, query.to]).first(deps.db.raw('count(*)::int as n'), deps.db.raw('avg(satisfaction)::float as avg'));
      const completed = t.early + t.on_time + t.late;
      const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
      const i1 = completed ? (2 * t.early + t.on_time) / completed : null;
      const i3 = avg(contacts.map((c) => index3(c.extra_contacts)));
      const i9 = t.received ? (2 * t.online) / t.received : null;
      const computed = [i1, i3, i9].filter((x): x is number => x !== null);
      const scaled = computed.length ? (avg(computed)! * 9) : null;
      return {
        agency: query.agency,
        agencies,
        from: query.from,
        to: query.to,
        received: t.received,
        online: t.online,
        onlineShare: t.received ? t.online / t.received : null,
        refused: t.refused,
        completed,
        early: t.early,
        onTime: t.on_time,
        late: t.late,
        pausedWorkingDays: t.paused_days,
        restarts: t.restarts,
        reschedules: t.reschedules,
        lateAttribution: byLate,
        evaluations: { count: sat?.n ?? 0, averageSatisfaction: sat?.avg ?? null },
        indices: { index1TotalTime: i1, index3Contacts: i3, index9Online: i9 },
        grade: scaled === null ? null : { scoreOutOf18: Math.round(scaled * 10) / 10, band: gradeBand(scaled), basis: `scaled from ${computed.length} of the 9 indices (1, 3, 9); the others need data the system does not hold` },
      };
    },
  });

  return router;
}
