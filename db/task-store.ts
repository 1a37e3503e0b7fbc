/** The tasks read model: written by kernel activities, read by the inbox. */
import type { Knex } from 'knex';
import type { Db } from './knex';

export interface TaskRow {
  id: string;
  case_type: string;
  case_id: string;
  workflow_id: string;
  step: string;
  title: string;
  agency_id: string;
  candidate_role: string;
  assignee: string | null;
  status: 'open' | 'claimed' | 'done' | 'cancelled';
  priority: number;
  due_at: Date | null;
  outcomes: string[];
  outcome: string | null;
  completed_by: string | null;
  created_at: Date;
  claimed_at: Date | null;
  completed_at: Date | null;
}

export interface InboxFilter {
  status?: Array<TaskRow['status']>;
  step?: string;
  caseType?: string;
  dueBefore?: Date;
  overdueAt?: Date;
  assignee?: string;
  agencyIds?: string[];
  limit: number;
  after?: { dueAt: string | null; id: string };
}

export function taskStore(db: Db) {
  return {
    /** Opens (or re-opens after a retry) a task; never moves a finished task back. */
    async upsertOpen(row: Pick<TaskRow, 'id' | 'case_type' | 'case_id' | 'workflow_id' | 'step' | 'title' | 'agency_id' | 'candidate_role' | 'priority' | 'due_at' | 'outcomes'>, createdAt: Date): Promise<void> {
      await db('tasks')
        .insert({ ...row, status: 'open', created_at: createdAt, updated_at: createdAt })
        .onConflict('id')
        .merge(['title', 'due_at', 'priority', 'updated_at'])
        .whereIn('tasks.status', ['open', 'claimed']);
    },
    /** Sets the holder; a write older than the row's last change (a late retry) changes nothing. */
    async setAssignee(id: string, assignee: string | null, at: Date): Promise<void> {
      await db('tasks')
        .where({ id })
        .whereIn('status', ['open', 'claimed'])
        .where('updated_at', '<=', at)
        .update({ assignee, status: assignee ? 'claimed' : 'open', claimed_at: assignee ? at : null, updated_at: at });
    },
    async setDue(id: string, dueAt: Date | null, at: Date): Promise<void> {
      await db('tasks').where({ id }).whereIn('status', ['open', 'claimed']).update({ due_at: dueAt, updated_at: at });
    },
    async finish(id: string, f: { status: 'done' | 'cancelled'; outcome?: string; completedBy?: string; at: Date }): Promise<void> {
      await db('tasks')
        .where({ id })
        .whereIn('status', ['open', 'claimed'])
        .update({ status: f.status, outcome: f.outcome ?? null, completed_by: f.completedBy ?? null, completed_at: f.at, updated_at: f.at });
    },
    async get(id: string): Promise<TaskRow | undefined> {
      return db<TaskRow>('tasks').where({ id }).first();
    },
    /**
     * A keyset page, sorted by due instant (nulls last) then ID, restricted by the caller's CASL
     * rules given as OR-branches: each branch is its own ordered, limited subquery (an index scan
     * on the branch's index), and the union is cut to the page.
     */
    async page(filter: InboxFilter, branches: Array<(q: Knex.QueryBuilder) => void>): Promise<TaskRow[]> {
      const ORDER = 'due_at asc nulls last, id asc';
      const sub = (branch: (q: Knex.QueryBuilder) => void) => {
        const q = db<TaskRow>('tasks').select('*').where(branch);
        if (filter.status?.length) q.whereIn('status', filter.status);
        if (filter.step) q.where('step', filter.step);
        if (filter.caseType) q.where('case_type', filter.caseType);
        if (filter.dueBefore) q.where('due_at', '<', filter.dueBefore);
        if (filter.overdueAt) q.where('due_at', '<=', filter.overdueAt).whereIn('status', ['open', 'claimed']);
        if (filter.assignee) q.where('assignee', filter.assignee);
        if (filter.agencyIds) q.whereIn('agency_id', filter.agencyIds);
        if (filter.after) {
          const { dueAt, id } = filter.after;
          if (dueAt === null) q.whereNull('due_at').where('id', '>', id);
          else q.where((w) => w.whereRaw('(due_at, id) > (?::timestamptz, ?)', [dueAt, id]).orWhereNull('due_at'));
        }
        return q.orderByRaw(ORDER).limit(filter.limit);
      };
      if (branches.length === 1) return sub(branches[0]!);
      return db
        .select('*')
        .from(db.union(branches.map((b) => sub(b)), true).as('t'))
        .orderByRaw(ORDER)
        .limit(filter.limit) as unknown as Promise<TaskRow[]>;
    },
  };
}

export type TaskStore = ReturnType<typeof taskStore>;
