/** The officer inbox: list, view, claim, unclaim, complete, reassign, bulk. */
import { Router, type Response } from 'express';
import { rulesToAST } from '@casl/ability/extra';
import { caslBranches } from '../../db/casl-sql';
import type { TaskRow } from '../../db/task-store';
import { HttpError, InputError } from '../errors';
import { type Api, z } from '../route';
import type { TaskActionResult, TaskService } from '../services/tasks';

const TaskSchema = z
  .object({
    id: z.string(),
    caseType: z.string(),
    caseId: z.string(),
    workflowId: z.string(),
    step: z.string(),
    title: z.string(),
    agencyId: z.string(),
    candidateRole: z.string(),
    assignee: z.string().nullable(),
    status: z.enum(['open', 'claimed', 'done', 'cancelled']),
    priority: z.number(),
    dueAt: z.string().nullable(),
    overdue: z.boolean(),
    outcomes: z.array(z.string()),
    outcome: z.string().nullable(),
    completedBy: z.string().nullable(),
    createdAt: z.string(),
    claimedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
  })
  .openapi('Task');

const TaskActionResultSchema = z.object({ task: TaskSchema, case: z.record(z.string(), z.unknown()) }).openapi('TaskActionResult');

export function taskJson(r: TaskRow, nowMs = Date.now()) {
  return {
    id: r.id,
    caseType: r.case_type,
    caseId: r.case_id,
    workflowId: r.workflow_id,
    step: r.step,
    title: r.title,
    agencyId: r.agency_id,
    candidateRole: r.candidate_role,
    assignee: r.assignee,
    status: r.status,
    priority: r.priority,
    dueAt: r.due_at ? r.due_at.toISOString() : null,
    overdue: !!r.due_at && (r.status === 'open' || r.status === 'claimed') && r.due_at.getTime() <= nowMs,
    outcomes: r.outcomes,
    outcome: r.outcome,
    completedBy: r.completed_by,
    createdAt: r.created_at.toISOString(),
    claimedAt: r.claimed_at ? r.claimed_at.toISOString() : null,
    completedAt: r.completed_at ? r.completed_at.toISOString() : null,
  };
}

/** 200 once the action's task row and audit event are written; 202 if it is recorded but they are not yet. */
function actionJson(r: TaskActionResult, res: Response) {
  if (!r.applied) res.locals.status = 202;
  return { task: taskJson(r.task), case: r.case };
}

const ACCEPTED = {
  description: 'Recorded by the case, but its task row and audit event were not written within TASK_WRITES_WAIT_MS (workers down or behind): the inbox and the audit log show it once they are',
  schema: TaskActionResultSchema,
};

function encodeCursor(r: TaskRow): string {
  return Buffer.from(JSON.stringify([r.due_at ? r.due_at.toISOString() : null, r.id])).toString('base64url');
}

function decodeCursor(cursor: string): { dueAt: string | null; id: string } {
  try {
    const [dueAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if ((dueAt !== null && typeof dueAt !== 'string') || typeof id !== 'string') throw new Error();
    if (dueAt !== null && Number.isNaN(Date.parse(dueAt))) throw new Error();
    return { dueAt, id };
  } catch {
    throw new InputError('The cursor is not valid.', [{ path: 'query.cursor', message: 'not a cursor returned by this API' }]);
  }
}

const idParam = z.object({ id: z.string().min(1).max(300) });
const csv = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (typeof v === 'string' ? v.split(',').filter(Boolean) : v), z.array(item));

export function taskRouter(api: Api, deps: { tasks: TaskService }): Router {
  const router = Router();

  api.route(router, {
    method: 'get',
    path: '/tasks',
    summary: "The caller's inbox: own tasks and the agency's unassigned ones, by due instant, keyset-paginated",
    tags: ['tasks'],
    auth: true,
    query: z.object({
      status: csv(z.enum(['open', 'claimed', 'done', 'cancelled'])).optional().describe('Comma-separated; default open,claimed'),
      step: z.string().max(80).optional(),
      caseType: z.string().max(40).optional(),
      dueBefore: z.string().datetime({ offset: true }).optional(),
      overdue: z.enum(['true', 'false']).optional(),
      mine: z.enum(['true', 'false']).optional().describe('Only tasks assigned to me'),
      agency: z.string().max(64).optional().describe('Restrict to one agency (within what the caller may see)'),
      limit: z.coerce.number().int().min(1).max(100).default(50),
      cursor: z.string().max(500).optional(),
    }),
    responses: { 200: { description: 'A page of tasks', schema: z.object({ items: z.array(TaskSchema), nextCursor: z.string().nullable() }) } },
    handler: async ({ query, req }) => {
      const rows = await deps.tasks.store.page(
        {
          status: query.status ?? ['open', 'claimed'],
          step: query.step,
          caseType: query.caseType,
          dueBefore: query.dueBefore ? new Date(query.dueBefore) : undefined,
          overdueAt: query.overdue === 'true' ? new Date() : undefined,
          assignee: query.mine === 'true' ? req.user!.sub : undefined,
          agencyIds: query.agency ? [query.agency] : undefined,
          limit: query.limit + 1,
          after: query.cursor ? decodeCursor(query.cursor) : undefined,
        },
        caslBranches(rulesToAST(req.ability, 'read', 'Task')),
      );
      const page = rows.slice(0, query.limit);
      return { items: page.map((r) => taskJson(r)), nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!) : null };
    },
  });

  api.route(router, {
    method: 'get',
    path: '/tasks/:id',
    summary: 'One task',
    tags: ['tasks'],
    auth: true,
    params: idParam,
    responses: { 200: { description: 'The task', schema: TaskSchema }, 404: { description: 'No such task visible to the caller' } },
    handler: async ({ params, req }) => taskJson(await deps.tasks.visible(req, params.id)),
  });

  for (const action of ['claim', 'unclaim'] as const) {
    api.route(router, {
      method: 'post',
      path: `/tasks/:id/${action}`,
      summary: action === 'claim' ? 'Take the task' : 'Release the task back to the agency queue',
      tags: ['tasks'],
      auth: true,
      params: idParam,
      responses: { 200: { description: 'New state', schema: TaskActionResultSchema }, 202: ACCEPTED, 404: { description: 'Not found' }, 409: { description: 'Not allowed in this state' } },
      handler: async ({ params, req, res }) => actionJson(await deps.tasks.act(req, params.id, action, {}), res),
    });
  }

  api.route(router, {
    method: 'post',
    path: '/tasks/:id/complete',
    summary: 'Decide the task with one of its outcomes (the workflow validates it)',
    tags: ['tasks'],
    auth: true,
    params: idParam,
    body: z.object({ outcome: z.string().min(1).max(80), payload: z.record(z.string(), z.unknown()).optional() }),
    responses: { 200: { description: 'New state', schema: TaskActionResultSchema }, 202: ACCEPTED, 404: { description: 'Not found' }, 409: { description: 'Not allowed in this state' } },
    handler: async ({ params, body, req, res }) => actionJson(await deps.tasks.act(req, params.id, 'complete', body), res),
  });

  api.route(router, {
    method: 'post',
    path: '/tasks/:id/reassign',
    summary: 'Give the task to another officer, or back to the queue with null (supervisors)',
    tags: ['tasks'],
    auth: true,
    params: idParam,
    body: z.object({ assignee: z.string().min(1).max(200).nullable() }),
    responses: { 200: { description: 'New state', schema: TaskActionResultSchema }, 202: ACCEPTED, 404: { description: 'Not found' } },
    handler: async ({ params, body, req, res }) => actionJson(await deps.tasks.act(req, params.id, 'reassign', body), res),
  });

  api.route(router, {
    method: 'post',
    path: '/tasks/bulk',
    summary: 'Claim or reassign several tasks; one result per task',
    tags: ['tasks'],
    auth: true,
    body: z.object({ action: z.enum(['claim', 'reassign']), taskIds: z.array(z.string().min(1).max(300)).min(1).max(100), assignee: z.string().min(1).max(200).nullable().optional() }),
    responses: {
      200: {
        description: 'Per-item results',
        schema: z.object({ results: z.array(z.object({ taskId: z.string(), status: z.number(), task: TaskSchema.optional(), problem: z.object({ title: z.string(), detail: z.string() }).optional() })) }),
      },
    },
    handler: async ({ body, req }) => {
      if (body.action === 'reassign' && body.assignee === undefined) throw new InputError('reassign needs an assignee (or null).', [{ path: 'body.assignee', message: 'required for reassign' }]);
      const results = [];
      for (const taskId of [...new Set(body.taskIds)]) {
        try {
          const r = await deps.tasks.act(req, taskId, body.action, { assignee: body.assignee ?? null });
          results.push({ taskId, status: r.applied ? 200 : 202, task: taskJson(r.task) });
        } catch (err) {
          if (err instanceof HttpError) results.push({ taskId, status: err.status, problem: { title: err.title, detail: err.message } });
          else if ((err as { name?: string }).name === 'ForbiddenError') results.push({ taskId, status: 403, problem: { title: 'Forbidden', detail: (err as Error).message } });
          else throw err;
        }
      }
      return { results };
    },
  });
  return router;
}
