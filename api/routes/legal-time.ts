/** Calendar, deadlines and policies. Reading is public; loading a year and publishing a policy are for operators. */
import { Router } from 'express';
import { ForbiddenError } from '@casl/ability';
import { dayFromYmd, formatDate, formatInstantVN, parseInstant, MIN_YEAR, MAX_YEAR, type WorkingCalendar } from '../../domain/calendar';
import { PolicyError } from '../../domain/policies';
import type { LegalTimeService } from '../services/legal-time';
import { InputError, NotFoundError } from '../errors';
import { type Api, z } from '../route';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');
const SourceSchema = z.object({ id: z.string().min(1).max(100), title: z.string().min(1).max(500), issuer: z.string().min(1).max(200), issued: isoDate, url: z.string().url().optional() });
const DayOffSchema = z.object({
  date: isoDate,
  name: z.string().min(1).max(200),
  kind: z.enum(['holiday', 'compensatory', 'swap', 'extra']),
  source: z.string().min(1),
  note: z.string().max(2000).optional(),
});
const WorkedSaturdaySchema = z.object({ date: isoDate, replaces: isoDate, source: z.string().min(1), note: z.string().max(2000).optional() });

const CalendarYearSchema = z
  .object({
    year: z.number().int(),
    status: z.enum(['official', 'provisional']),
    version: z.number().int().describe('0 for built-in data, 1… for operator-loaded versions'),
    sources: z.array(SourceSchema),
    daysOff: z.array(DayOffSchema),
    workedSaturdays: z.array(WorkedSaturdaySchema),
    workingDayCount: z.number().int(),
  })
  .openapi('CalendarYear');

const LoadYearSchema = z
  .object({ reason: z.string().max(500).optional(), sources: z.array(SourceSchema).min(1), daysOff: z.array(DayOffSchema), workedSaturdays: z.array(WorkedSaturdaySchema).default([]) })
  .openapi('LoadCalendarYear');

const DeadlineSchema = z
  .object({ from: z.string(), workingDays: z.number().int(), dueDate: isoDate, dueAt: z.string(), calendar: z.enum(['official', 'provisional']) })
  .openapi('Deadline');

const PolicyEntrySchema = z.object({
  value: z.union([z.number(), z.boolean(), z.string()]),
  unit: z.enum(['workingDays', 'calendarDays', 'months', 'count', 'timeOfDay', 'percent', 'boolean']),
  citation: z.string().min(1).max(1000),
  note: z.string().max(2000).optional(),
});
const PolicyVersionSchema = z
  .object({
    version: z.string().regex(/^[\w.-]{1,64}$/),
    effectiveFrom: isoDate,
    title: z.string().min(1).max(300),
    entries: z.record(z.string(), PolicyEntrySchema),
    publishedBy: z.string().optional(),
    publishedAt: z.string().optional(),
  })
  .openapi('PolicyVersion');

/** Working days in [1 January, 31 December] (not from 31 December before: MIN_YEAR has no year before it). */
function countWorkingDays(cal: WorkingCalendar, year: number): number {
  const first = dayFromYmd(year, 1, 1);
  return cal.workingDaysBetween(first, dayFromYmd(year, 12, 31)) + (cal.isWorkingDay(first) ? 1 : 0);
}

/** The deadline answer shared by the API and the CLI. */
export function deadlineAnswer(cal: WorkingCalendar, from: string, workingDays: number, cutoffMs?: number) {
  const atMs = parseInstant(from);
  const r = cal.deadline(atMs, workingDays, { cutoffMs });
  return { from, workingDays, dueDate: formatDate(r.dueDate), dueAt: formatInstantVN(r.dueAtMs - 1), calendar: r.status };
}

export function legalTimeRouter(api: Api, deps: { legalTime: LegalTimeService }): Router {
  const router = Router();
  const yearParam = z.object({ year: z.coerce.number().int().min(MIN_YEAR).max(MAX_YEAR) });

  api.route(router, {
    method: 'get',
    path: '/calendar/:year',
    summary: 'Days off and worked Saturdays of a year, with their sources (provisional if not yet announced)',
    tags: ['legal time'],
    auth: false,
    params: yearParam,
    responses: { 200: { description: 'The year', schema: CalendarYearSchema } },
    handler: async ({ params }) => {
      const cal = await deps.legalTime.calendar();
      return { ...cal.year(params.year), workingDayCount: countWorkingDays(cal, params.year) };
    },
  });

  api.route(router, {
    method: 'put',
    path: '/calendar/:year',
    summary: "Load a year's official notice (operators); creates a new version, effective at once",
    tags: ['legal time'],
    auth: true,
    params: yearParam,
    body: LoadYearSchema,
    status: 201,
    responses: { 201: { description: 'Loaded', schema: z.object({ year: z.number(), version: z.number() }) } },
    handler: async ({ params, body, req }) => {
      ForbiddenError.from(req.ability).throwUnlessCan('load', 'Calendar');
      const version = await deps.legalTime.loadYear({ year: params.year, sources: body.sources, daysOff: body.daysOff, workedSaturdays: body.workedSaturdays }, req.user!.sub, body.reason);
      req.log.info({ year: params.year, version, actor: req.user!.sub }, 'calendar year loaded');
      return { year: params.year, version };
    },
  });

  api.route(router, {
    method: 'get',
    path: '/deadlines',
    summary: 'The due date of N working days from an instant (Civil Code Arts 147–148)',
    tags: ['legal time'],
    auth: false,
    query: z.object({
      from: z.string().describe('ISO-8601 instant with offset, e.g. 2026-11-23T10:00:00+07:00'),
      workingDays: z.coerce.number().int().min(0).max(2000),
      cutoff: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/).optional().describe('Reception cut-off (HH:MM); after it, counting starts from the next working day'),
    }),
    responses: { 200: { description: 'The deadline', schema: DeadlineSchema } },
    handler: async ({ query }) => {
      const cal = await deps.legalTime.calendar();
      const cutoffMs = query.cutoff ? (Number(query.cutoff.slice(0, 2)) * 60 + Number(query.cutoff.slice(3))) * 60_000 : undefined;
      try {
        return deadlineAnswer(cal, query.from, query.workingDays, cutoffMs);
      } catch (err) {
        if (err instanceof RangeError) throw new InputError(err.message, [{ path: 'query.from', message: err.message }]);
        throw err;
      }
    },
  });

  api.route(router, {
    method: 'get',
    path: '/policies',
    summary: 'Every policy version (statutory limits with citations), and which is in force now',
    tags: ['legal time'],
    auth: false,
    responses: { 200: { description: 'Versions', schema: z.object({ inForce: z.string(), versions: z.array(PolicyVersionSchema) }) } },
    handler: async () => {
      const versions = await deps.legalTime.policies();
      return { inForce: (await deps.legalTime.policyAt(Date.now())).version, versions };
    },
  });

  api.route(router, {
    method: 'get',
    path: '/policies/current',
    summary: 'The policy version in force at an instant (default: now)',
    tags: ['legal time'],
    auth: false,
    query: z.object({ at: z.string().optional() }),
    responses: { 200: { description: 'The version', schema: PolicyVersionSchema }, 404: { description: 'No version was in force then (before the first)' } },
    handler: async ({ query }) => {
      let atMs = Date.now();
      if (query.at) {
        try {
          atMs = parseInstant(query.at);
        } catch (err) {
          throw new InputError((err as Error).message, [{ path: 'query.at', message: (err as Error).message }]);
        }
      }
      try {
        return await deps.legalTime.policyAt(atMs);
      } catch (err) {
        if (err instanceof PolicyError) throw new NotFoundError(`No policy version was in force at ${query.at ?? 'this instant'}.`);
        throw err;
      }
    },
  });

  api.route(router, {
    method: 'post',
    path: '/policies',
    summary: 'Publish a new policy version (operators); it applies to cases started on or after its effective date',
    tags: ['legal time'],
    auth: true,
    body: PolicyVersionSchema.omit({ publishedBy: true, publishedAt: true }),
    status: 201,
    responses: { 201: { description: 'Published', schema: z.object({ version: z.string() }) }, 409: { description: 'Version exists' } },
    handler: async ({ body, req }) => {
      ForbiddenError.from(req.ability).throwUnlessCan('publish', 'Policy');
      await deps.legalTime.publishPolicy(body, req.user!.sub);
      req.log.info({ version: body.version, actor: req.user!.sub }, 'policy version published');
      return { version: body.version };
    },
  });
  return router;
}
