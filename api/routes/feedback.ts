/**
 * Feedback (PAKN) API: intake (citizens, or officers entering paper/phone/fax/e-mail feedback),
 * the submitter's view, clarification replies, rating, the public answered-feedback search (the
 * portal's FAQ) and supervisors' statistics.
 */
import { Router, type Request } from 'express';
import type { Knex } from 'knex';
import type { Client } from '@temporalio/client';
import { feedbackIntake } from '../services/feedback-intake';
import type { Db } from '../../db/knex';
import { ATTACHMENT_LIMITS, ATTACHMENT_TYPES, attachmentProblem, FEEDBACK_CHANNELS, looksVietnamese, onTimeScore, VN_PHONE } from '../../domain/feedback';
import { clarificationSignal } from '../../workflows/feedback';
import { ConflictError, HttpError, InputError, NotAllowedError, NotFoundError } from '../errors';
import { type Api, idempotencyKey, z } from '../route';
import { isoDate } from '../schemas/procedure';
import type { LegalTimeService } from '../services/legal-time';
import { localDay } from '../../domain/calendar';

export const SubmitSchema = z
  .object({
    title: z.string().trim().min(5).max(300),
    content: z.string().trim().min(20).max(10_000).refine(looksVietnamese, 'Nội dung phản ánh, kiến nghị phải viết bằng tiếng Việt (QĐ 31/2021 Điều 41).'),
    receivingAgencyId: z.string().min(1).max(64),
    channel: z.enum(FEEDBACK_CHANNELS).optional().describe('Officers entering feedback received on paper, by phone, fax or e-mail set the channel; citizens use portal'),
    attachments: z
      .array(
        z.object({
          fileName: z.string().trim().min(1).max(200),
          contentType: z.enum(ATTACHMENT_TYPES as [string, ...string[]]),
          dataBase64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64').max(Math.ceil((ATTACHMENT_LIMITS.maxBytes * 4) / 3) + 4, `larger than ${ATTACHMENT_LIMITS.maxBytes / 1024 / 1024} MB`),
        }),
      )
      .max(ATTACHMENT_LIMITS.maxFiles)
      .optional()
      .describe(`Up to ${ATTACHMENT_LIMITS.maxFiles} files (PDF, PNG, JPEG), each at most ${ATTACHMENT_LIMITS.maxBytes / 1024 / 1024} MB, base64`),
    submitter: z.object({
      fullName: z.string().trim().min(2).max(200),
      address: z.string().trim().min(5).max(500),
      phone: z.string().regex(VN_PHONE, 'số điện thoại không hợp lệ'),
      email: z.string().email(),
    }),
  })
  .openapi('FeedbackSubmission');

interface FeedbackRow {
  code: string;
  status: string;
  channel: string;
  submitted_by: string;
  title: string;
  content: string;
  receiving_agency_id: string;
  competent_agency_id: string | null;
  class: number | null;
  not_accepted_reason: string | null;
  answer: string | null;
  received_at: Date;
  answered_at: Date | null;
  published_at: Date | null;
  answered_on_time: boolean | null;
  rating: number | null;
  possible_duplicates: string[];
  merged_into: string | null;
}

export function feedbackRouter(api: Api, deps: { db: Db; temporal: Client; taskQueue: string; operatorAgencyId: string; legalTime: LegalTimeService }): Router {
  const router = Router();
  const intake = feedbackIntake(deps);
  const codeParam = z.object({ code: z.string().regex(/^PAKN\.\d{8}\.\d{4}$/) });

  /** `column` within the local (Asia/Ho_Chi_Minh) dates from..to, both included. */
  const withinLocalDates = (column: string, from: string | undefined, to: string | undefined) => (q: Knex.QueryBuilder) => {
    if (from) q.where(column, '>=', `${from}T00:00:00+07:00`);
    if (to) q.where(column, '<', deps.db.raw("(?::date + 1)::timestamp at time zone 'Asia/Ho_Chi_Minh'", [to]));
  };
  /** Feedback handled by `agencies`: the competent agency once classified, the receiving one before. */
  const handledBy = (agencies: string[], prefix = '') => (q: Knex.QueryBuilder) => {
    q.where((w) =>
      w.whereIn(`${prefix}competent_agency_id`, agencies).orWhere((o) => o.whereNull(`${prefix}competent_agency_id`).whereIn(`${prefix}receiving_agency_id`, agencies)),
    );
  };

  async function load(code: string): Promise<FeedbackRow> {
    const row = await deps.db<FeedbackRow>('feedback').where({ code }).first();
    if (!row) throw new NotFoundError(`No feedback ${code}.`);
    return row;
  }

  /** Officials who handle the case, and the operator, see it with the submitter; the submitter sees their own. */
  function access(req: Request, row: FeedbackRow): 'owner' | 'official' | 'none' {
    const u = req.user;
    if (!u) return 'none';
    if (u.role === 'admin' || (u.role === 'operator' && u.agencyId === deps.operatorAgencyId)) return 'official';
    if (u.role === 'citizen') return row.submitted_by === u.sub ? 'owner' : 'none';
    const agencies = [row.receiving_agency_id, row.competent_agency_id].filter(Boolean) as string[];
    return agencies.some((a) => req.scope.includes(a)) ? 'official' : 'none';
  }

  api.route(router, {
    method: 'post',
    path: '/feedback',
    summary: 'Submit feedback (citizens), or enter feedback received on paper, by phone, fax or e-mail (officers). Send an Idempotency-Key.',
    tags: ['feedback'],
    auth: true,
    body: SubmitSchema,
    status: 201,
    responses: { 201: { description: 'Received', schema: z.object({ code: z.string(), status: z.string() }) }, 409: { description: 'Idempotency-Key reused with another body' } },
    handler: async ({ body, req }) => {
      const u = req.user!;
      if (u.role === 'citizen' && body.channel && body.channel !== 'portal') throw new InputError('Citizens submit through the portal.', [{ path: 'body.channel', message: 'must be portal' }]);
      if (u.role !== 'citizen' && !['officer', 'supervisor', 'operator', 'admin'].includes(u.role)) throw new NotAllowedError();
      const agency = await deps.db('agencies').where({ id: body.receivingAgencyId }).first();
      if (!agency) throw new InputError('Unknown receiving agency.', [{ path: 'body.receivingAgencyId', message: 'no such agency' }]);
      const key = idempotencyKey(req);
      const channel = u.role === 'citizen' ? 'portal' : (body.channel ?? 'portal');
      const attachments = (body.attachments ?? []).map((a, i) => {
        const bytes = Buffer.from(a.dataBase64, 'base64');
        const problem = attachmentProblem(a.contentType, bytes);
        if (problem) throw new InputError('An attachment is not acceptable.', [{ path: `body.attachments.${i}`, message: problem }]);
        return { fileName: a.fileName, contentType: a.contentType, bytes };
      });
      const r = await intake.submit({ actorSub: u.sub, actorIsCitizen: u.role === 'citizen', channel, key, body, attachments, hashOf: body });
      return r.body;
    },
  });

  api.route(router, {
    method: 'get',
    path: '/feedback/:code',
    summary: 'A feedback case: the submitter sees their own; officials of the agencies handling it see it with the submitter’s contact',
    tags: ['feedback'],
    auth: true,
    params: codeParam,
    responses: { 200: { description: 'The case', schema: z.record(z.string(), z.unknown()) }, 404: { description: 'Not found' } },
    handler: async ({ params, req }) => {
      const row = await load(params.code);
      const who = access(req, row);
      if (who === 'none') throw new NotFoundError(`No feedback ${params.code}.`);
      const steps = await deps.db('audit_events').where({ case_type: 'feedback', case_id: row.code }).whereIn('action', ['case.started', 'task.completed', 'feedback.clarified', 'case.closed']).orderBy('id').select('action', 'at', 'after');
      const view: Record<string, unknown> = {
        code: row.code,
        status: row.status,
        channel: row.channel,
        title: row.title,
        content: row.content,
        receivingAgencyId: row.receiving_agency_id,
        competentAgencyId: row.competent_agency_id,
        class: row.class,
        notAcceptedReason: row.not_accepted_reason,
        answer: row.published_at ? row.answer : who === 'official' ? row.answer : null,
        receivedAt: row.received_at.toISOString(),
        publishedAt: row.published_at?.toISOString() ?? null,
        rating: row.rating,
        attachments: await deps.db('feedback_attachments').where({ code: row.code }).orderBy('id').select('id', 'file_name as fileName', 'content_type as contentType', 'size_bytes as sizeBytes', 'sha256'),
        ...(who === 'official' ? { possibleDuplicates: row.possible_duplicates, mergedInto: row.merged_into } : { mergedInto: row.merged_into }),
        history: steps.map((s: { action: string; at: Date; after: Record<string, unknown> | null }) => ({ at: s.at.toISOString(), action: s.action, step: s.after?.step ?? null, outcome: s.after?.outcome ?? null })),
      };
      if (who === 'official') {
        const sub = await deps.db('feedback_submitters').where({ code: row.code }).first('full_name', 'address', 'phone', 'email');
        view.submitter = sub ? { fullName: sub.full_name, address: sub.address, phone: sub.phone, email: sub.email } : null;
      }
      return view;
    },
  });

  api.route(router, {
    method: 'get',
    path: '/feedback/:code/attachments/:id',
    summary: 'Download an attachment (the submitter and the officials handling the case)',
    tags: ['feedback'],
    auth: true,
    params: codeParam.extend({ id: z.string().regex(/^\d{1,18}$/, 'an attachment number (a bigint)') }),
    responses: { 200: { description: 'The file', schema: z.string(), contentType: 'application/octet-stream' }, 404: { description: 'Not found' } },
    handler: async ({ params, req, res }) => {
      const row = await load(params.code);
      if (access(req, row) === 'none') throw new NotFoundError(`No feedback ${params.code}.`);
      const file = await deps.db('feedback_attachments').where({ code: row.code, id: params.id }).first<{ file_name: string; content_type: string; data: Buffer } | undefined>();
      if (!file) throw new NotFoundError(`No attachment ${params.id}.`);
      res.status(200).type(file.content_type).setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.file_name)}`);
      res.send(file.data);
    },
  });

  api.route(router, {
    method: 'post',
    path: '/feedback/:code/clarification',
    summary: 'The submitter answers a request for clarification (resumes the answer clock)',
    tags: ['feedback'],
    auth: true,
    params: codeParam,
    body: z.object({ text: z.string().trim().min(2).max(5000) }),
    status: 202,
    responses: { 202: { description: 'Passed to the case' }, 409: { description: 'No clarification pending' } },
    handler: async ({ params, body, req }) => {
      const row = await load(params.code);
      if (access(req, row) !== 'owner') throw new NotFoundError(`No feedback ${params.code}.`);
      if (row.status !== 'awaiting_clarification') throw new ConflictError('No clarification is pending for this feedback.');
      await deps.temporal.workflow.getHandle(row.code).signal(clarificationSignal, { text: body.text });
      return { code: row.code, status: 'clarification_received' };
    },
  });

  api.route(router, {
    method: 'post',
    path: '/feedback/:code/rating',
    summary: 'The submitter rates the published answer (1–5)',
    tags: ['feedback'],
    auth: true,
    params: codeParam,
    body: z.object({ rating: z.number().int().min(1).max(5) }),
    responses: { 200: { description: 'Recorded', schema: z.object({ code: z.string(), rating: z.number() }) } },
    handler: async ({ params, body, req }) => {
      const row = await load(params.code);
      if (access(req, row) !== 'owner') throw new NotFoundError(`No feedback ${params.code}.`);
      if (!row.published_at) throw new ConflictError('Only a published answer can be rated.');
      await deps.db('feedback').where({ code: row.code }).update({ rating: body.rating });
      return { code: row.code, rating: body.rating };
    },
  });

  const PublicSchema = z.object({ code: z.string(), title: z.string(), content: z.string(), answer: z.string(), agencyId: z.string(), receivedAt: z.string(), publishedAt: z.string() }).openapi('PublishedFeedback');
  const publicJson = (r: FeedbackRow) => ({ code: r.code, title: r.title, content: r.content, answer: r.answer ?? '', agencyId: r.competent_agency_id ?? r.receiving_agency_id, receivedAt: r.received_at.toISOString(), publishedAt: r.published_at!.toISOString() });

  api.route(router, {
    method: 'get',
    path: '/public/feedback',
    summary: 'Answered feedback, public (the portal’s FAQ): search by text, agency, date; no personal data',
    tags: ['feedback'],
    auth: false,
    query: z.object({
      q: z.string().trim().max(200).optional(),
      agency: z.string().max(64).optional(),
      from: isoDate.optional(),
      to: isoDate.optional(),
      limit: z.coerce.number().int().min(1).max(100).default(20),
      offset: z.coerce.number().int().min(0).max(10_000).default(0),
    }),
    responses: { 200: { description: 'A page', schema: z.object({ items: z.array(PublicSchema), total: z.number() }) } },
    handler: async ({ query }) => {
      const q = deps.db<FeedbackRow>('feedback').whereNotNull('published_at');
      if (query.q) q.whereRaw("to_tsvector('simple', title || ' ' || coalesce(answer, '')) @@ plainto_tsquery('simple', ?)", [query.q]);
      if (query.agency) q.where((w) => w.where('competent_agency_id', query.agency!).orWhere('receiving_agency_id', query.agency!));
      q.modify(withinLocalDates('published_at', query.from, query.to));
      const counted = await q.clone().count<{ count: string }[]>('* as count');
      const rows = await q.orderBy('published_at', 'desc').limit(query.limit).offset(query.offset);
      return { items: rows.map(publicJson), total: Number(counted[0]?.count ?? 0) };
    },
  });

  api.route(router, {
    method: 'get',
    path: '/public/feedback/:code',
    summary: 'One published answer (no personal data)',
    tags: ['feedback'],
    auth: false,
    params: codeParam,
    responses: { 200: { description: 'The answer', schema: PublicSchema }, 404: { description: 'Not published' } },
    handler: async ({ params }) => {
      const row = await deps.db<FeedbackRow>('feedback').where({ code: params.code }).whereNotNull('published_at').first();
      if (!row) throw new NotFoundError(`No published feedback ${params.code}.`);
      return publicJson(row);
    },
  });

  api.route(router, {
    method: 'get',
    path: '/stats/feedback',
    summary: 'Feedback statistics for supervisors: received, answered, on time, overdue, Circular 01/2018 index 8',
    tags: ['feedback'],
    auth: true,
    query: z.object({ agency: z.string().max(64).optional(), from: isoDate, to: isoDate }),
    responses: { 200: { description: 'Figures', schema: z.record(z.string(), z.unknown()) } },
    handler: async ({ query, req }) => {
      const u = req.user!;
      if (!['supervisor', 'auditor', 'operator', 'admin'].includes(u.role)) throw new NotAllowedError();
      const agencies = u.role === 'admin' || u.role === 'operator' ? undefined : req.scope;
      if (query.agency && agencies && !agencies.includes(query.agency)) throw new HttpError(404, 'Not found', `No agency ${query.agency} in your scope.`);
      const scopeTo = query.agency ? [query.agency] : agencies;
      const q = deps.db('feedback').modify(withinLocalDates('received_at', query.from, query.to));
      if (scopeTo) q.modify(handledBy(scopeTo));
      const r = (await q
        .select(
          deps.db.raw('count(*)::int as received'),
          deps.db.raw('count(answered_at)::int as answered'),
          deps.db.raw('count(*) filter (where answered_on_time)::int as on_time'),
          deps.db.raw('count(published_at)::int as published'),
          deps.db.raw("count(*) filter (where status = 'not_accepted')::int as not_accepted"),
          deps.db.raw('avg(rating)::float as average_rating'),
        )
        .first()) as { received: number; answered: number; on_time: number; published: number; not_accepted: number; average_rating: number | null };
      const overdue = await deps.db('alerts').where('case_type', 'feedback').where('kind', 'overdue').modify((b) => {
        if (scopeTo) b.whereIn('agency_id', scopeTo);
      }).countDistinct<{ count: string }[]>('case_id as count');
      // Average working days each step took (task opened → decided), on the working calendar.
      const cal = await deps.legalTime.calendar();
      const steps = await deps.db('tasks as t')
        .join('feedback as f', 'f.code', 't.case_id')
        .where('t.case_type', 'feedback')
        .where('t.status', 'done')
        .modify(withinLocalDates('f.received_at', query.from, query.to))
        .modify((b) => {
          if (scopeTo) b.modify(handledBy(scopeTo, 'f.'));
        })
        .select<{ step: string; created_at: Date; completed_at: Date }[]>('t.step', 't.created_at', 't.completed_at')
        .limit(100_000);
      const perStep = new Map<string, { n: number; days: number }>();
      for (const r of steps) {
        const e = perStep.get(r.step) ?? { n: 0, days: 0 };
        e.n++;
        e.days += Math.max(0, cal.workingDaysBetween(localDay(r.created_at.getTime()), localDay(r.completed_at.getTime())));
        perStep.set(r.step, e);
      }
      return {
        from: query.from,
        to: query.to,
        agency: query.agency ?? null,
        averageWorkingDaysPerStep: Object.fromEntries([...perStep].map(([step, e]) => [step, { tasks: e.n, averageWorkingDays: Number((e.days / e.n).toFixed(2)) }])),
        received: r.received,
        answered: r.answered,
        answeredOnTime: r.on_time,
        published: r.published,
        notAccepted: r.not_accepted,
        casesWithOverdueAlerts: Number(overdue[0]?.count ?? 0),
        averageRating: r.average_rating,
        index8Score: onTimeScore(r.on_time, r.answered),
      };
    },
  });
  return router;
}
