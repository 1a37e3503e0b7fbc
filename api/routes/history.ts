/**
 * Auditors' history: one timeline per case merging the audit log with the Temporal event history
 * of each of the case's workflow runs; chain verification; streaming export.
 */
import { Router, type Request } from 'express';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ForbiddenError } from '@casl/ability';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { auditStore, type AuditRow } from '../../db/audit-store';
import type { Db } from '../../db/knex';
import { asSubject } from '../ability';
import { csvRecord } from '../../domain/csv';
import { NotFoundError } from '../errors';
import { type Api, z } from '../route';

const EntrySchema = z
  .object({
    at: z.string(),
    source: z.enum(['audit', 'temporal']),
    type: z.string(),
    actor: z.string().optional(),
    detail: z.record(z.string(), z.unknown()),
  })
  .openapi('HistoryEntry');

type Entry = z.infer<typeof EntrySchema>;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Event type number → `workflow_execution_started` etc. */
const EVENT_NAMES = new Map<number, string>(
  Object.entries(temporal.api.enums.v1.EventType as unknown as Record<string, number>).map(([k, v]) => [v, k.replace(/^EVENT_TYPE_/, '').toLowerCase()]),
);
function eventName(e: HistoryEvent): string {
  return EVENT_NAMES.get(Number(e.eventType)) ?? String(e.eventType);
}

/** The Temporal events an auditor cares about, with what identifies them. */
function temporalEntry(e: HistoryEvent, activityNames: Map<string, string>): Entry | undefined {
  const type = eventName(e);
  const at = e.eventTime?.seconds ? new Date(Number(e.eventTime.seconds) * 1000 + Math.floor((e.eventTime.nanos ?? 0) / 1e6)).toISOString() : '';
  const detail: Record<string, unknown> = { eventId: String(e.eventId) };
  if (e.activityTaskScheduledEventAttributes) {
    activityNames.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '');
    detail.activity = e.activityTaskScheduledEventAttributes.activityType?.name;
  } else if (e.activityTaskStartedEventAttributes) {
    detail.activity = activityNames.get(String(e.activityTaskStartedEventAttributes.scheduledEventId));
    detail.attempt = e.activityTaskStartedEventAttributes.attempt;
    if ((e.activityTaskStartedEventAttributes.attempt ?? 1) <= 1) return undefined; // only retries are news
    return { at, source: 'temporal', type: 'activity_task_retried', detail };
  } else if (e.activityTaskCompletedEventAttributes) {
    detail.activity = activityNames.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId));
  } else if (e.activityTaskFailedEventAttributes) {
    detail.activity = activityNames.get(String(e.activityTaskFailedEventAttributes.scheduledEventId));
    detail.failure = e.activityTaskFailedEventAttributes.failure?.message;
  } else if (e.timerStartedEventAttributes) {
    const t = e.timerStartedEventAttributes.startToFireTimeout;
    detail.timerId = e.timerStartedEventAttributes.timerId;
    detail.seconds = t?.seconds ? Number(t.seconds) : 0;
  } else if (e.timerFiredEventAttributes) {
    detail.timerId = e.timerFiredEventAttributes.timerId;
  } else if (e.workflowExecutionUpdateAcceptedEventAttributes) {
    detail.update = e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input?.name;
  } else if (e.workflowExecutionSignaledEventAttributes) {
    detail.signal = e.workflowExecutionSignaledEventAttributes.signalName;
  } else if (e.workflowExecutionStartedEventAttributes) {
    detail.workflowType = e.workflowExecutionStartedEventAttributes.workflowType?.name;
  } else if (e.markerRecordedEventAttributes) {
    // Local activities (the kernel's database writes) are recorded as markers; patch markers are
    // engine bookkeeping.
    const m = e.markerRecordedEventAttributes;
    if (m.markerName !== 'core_local_activity') return undefined;
    const data = localActivityMarker(m.details?.data?.payloads?.[0]?.data);
    detail.activity = data.activity_type;
    detail.attempt = data.attempt;
    if (m.failure) detail.failure = m.failure.message;
    return { at, source: 'temporal', type: m.failure ? 'local_activity_failed' : 'local_activity_completed', detail };
  } else if (e.workflowTaskStartedEventAttributes || e.workflowTaskScheduledEventAttributes || e.workflowTaskCompletedEventAttributes) {
    return undefined; // engine bookkeeping
  }
  return { at, source: 'temporal', type, detail };
}

/** The local-activity marker's data (JSON written by the SDK core: activity_type, attempt, …). */
function localActivityMarker(bytes: Uint8Array | null | undefined): { activity_type?: string; attempt?: number } {
  if (!bytes) return {};
  try {
    const v: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    return v && typeof v === 'object' ? (v as { activity_type?: string; attempt?: number }) : {};
  } catch {
    return {};
  }
}

function auditEntry(r: AuditRow): Entry {
  return {
    at: r.at.toISOString(),
    source: 'audit',
    type: r.action,
    actor: `${r.actor} (${r.actor_role})`,
    detail: { id: String(r.id), before: r.before, after: r.after, workflowId: r.workflow_id, runId: r.run_id, hash: r.hash },
  };
}

export function historyRouter(api: Api, deps: { db: Db; temporal: Client }): Router {
  const router = Router();
  const audit = auditStore(deps.db);
  const params = z.object({ type: z.string().regex(/^[a-z]+$/).max(40), id: z.string().min(1).max(200) });

  /**
   * The case if the caller may see it (404 otherwise, as for a case that does not exist): one small
   * query for the agency of its first audit event, its event count and the runs it had, in order.
   */
  async function visibleCase(req: Request, type: string, id: string): Promise<{ runs: string[] }> {
    const { rows } = await deps.db.raw<{ rows: Array<{ agency_id: string | null; events: number; runs: string[] }> }>(
      `select (select agency_id from audit_events where case_type = ? and case_id = ? order by id limit 1) as agency_id,
              (select count(*)::int from audit_events where case_type = ? and case_id = ?) as events,
              array(select workflow_id || ' ' || run_id from audit_events where case_type = ? and case_id = ? and run_id <> 'api'
                    group by workflow_id, run_id order by min(id)) as runs`,
      [type, id, type, id, type, id],
    );
    const head = rows[0]!;
    if (!head.events || !req.ability.can('read', asSubject('History', { agency_id: head.agency_id }))) throw new NotFoundError(`No ${type} case ${id}.`);
    return head;
  }

  api.route(router, {
    method: 'get',
    path: '/cases/:type/:id/history',
    summary: 'The case timeline: audit events merged with the Temporal history of each run, each entry with its source',
    tags: ['history'],
    auth: true,
    params,
    responses: { 200: { description: 'Timeline', schema: z.object({ caseType: z.string(), caseId: z.string(), entries: z.array(EntrySchema) }) }, 404: { description: 'Not found' } },
    handler: async ({ params: p, req }) => {
      // Who may see it and which runs it had first; then the audit rows and every run's Temporal
      // history at the same time.
      const head = await visibleCase(req, p.type, p.id);
      const fetchRun = async (key: string) => {
        const [workflowId, runId] = key.split(' ') as [string, string];
        return { workflowId, runId, history: await deps.temporal.workflow.getHandle(workflowId, runId).fetchHistory() };
      };
      const [events, histories] = await Promise.all([audit.forCase(p.type, p.id), Promise.all(head.runs.map(fetchRun))]);
      const entries: Entry[] = events.map(auditEntry);
      for (const { workflowId, runId, history } of histories) {
        const names = new Map<string, string>();
        for (const ev of history.events ?? []) {
          const entry = temporalEntry(ev, names);
          if (entry) entries.push({ ...entry, detail: { ...entry.detail, workflowId, runId } });
        }
      }
      // ISO instants of one format sort as plain strings; localeCompare is much slower on 10k entries.
      entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.source === b.source ? 0 : a.source === 'temporal' ? -1 : 1));
      return { caseType: p.type, caseId: p.id, entries };
    },
  });

  api.route(router, {
    method: 'get',
    path: '/cases/:type/:id/history/verify',
    summary: 'Recompute the hash chain of the case’s audit events',
    tags: ['history'],
    auth: true,
    params,
    responses: { 200: { description: 'Result', schema: z.object({ ok: z.boolean(), events: z.number(), brokenAt: z.string().optional(), reason: z.string().optional() }) } },
    handler: async ({ params: p, req }) => {
      await visibleCase(req, p.type, p.id);
      return audit.verify(p.type, p.id);
    },
  });

  api.route(router, {
    method: 'get',
    path: '/audit/export',
    summary: 'Stream the audit log in the caller’s scope as CSV or JSON lines (auditors)',
    tags: ['history'],
    auth: true,
    query: z.object({
      from: z.string().datetime({ offset: true }).optional(),
      to: z.string().datetime({ offset: true }).optional(),
      agency: z.string().max(64).optional(),
      format: z.enum(['csv', 'json']).default('json'),
    }),
    responses: { 200: { description: 'The events', schema: z.string(), contentType: 'text/csv' } },
    handler: async ({ query, req, res }) => {
      ForbiddenError.from(req.ability).throwUnlessCan('export', 'AuditExport');
      let agencyIds = req.user!.role === 'admin' ? undefined : req.scope;
      if (query.agency) {
        if (agencyIds && !agencyIds.includes(query.agency)) throw new NotFoundError(`No agency ${query.agency} in your scope.`);
        agencyIds = [query.agency];
      }
      const stream = audit.stream({ from: query.from ? new Date(query.from) : undefined, to: query.to ? new Date(query.to) : undefined, agencyIds });
      const cols = ['id', 'at', 'case_type', 'case_id', 'agency_id', 'workflow_id', 'run_id', 'actor', 'actor_role', 'action', 'before', 'after', 'prev_hash', 'hash'] as const;
      const cell = (v: unknown) => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v));
      res.status(200);
      if (query.format === 'csv') {
        res.type('text/csv; charset=utf-8');
        res.setHeader('Content-Disposition', 'attachment; filename="audit.csv"');
        res.write(cols.join(',') + '\n');
      } else res.type('application/x-ndjson');
      await pipeline(
        stream,
        new Transform({
          objectMode: true,
          transform(row: AuditRow, _enc, cb) {
            cb(null, query.format === 'csv' ? csvRecord(cols.map((c) => cell(row[c]))) : JSON.stringify(row) + '\n');
          },
        }),
        res,
      );
    },
  });
  return router;
}
