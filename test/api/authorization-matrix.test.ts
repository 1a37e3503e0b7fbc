/**
 * The authorization matrix: roles × resources × actions × own/other agency, including what lists
 * reveal. Fixture rows are written straight to the read models (their workflows do not exist, so
 * an action that passes authorization ends in 409 "case closed" — distinguishable from 403/404).
 */
import request from 'supertest';
import { auditStore } from '../../db/audit-store';
import type { Role } from '../../domain/roles';
import { apiContext, type ApiContext } from '../helpers/api';
import { uniqueId } from '../helpers/system';

const run = uniqueId('m');
const T = (n: number) => `${run}:task:${n}`;
const tasks: Array<{ n: number; agency: string; assignee: string | null }> = [
  { n: 1, agency: 'H99.20', assignee: null },
  { n: 2, agency: 'H99.20', assignee: 'officer-stp-01' },
  { n: 3, agency: 'H99.20', assignee: 'officer-stp-02' },
  { n: 4, agency: 'H99.21', assignee: null },
  { n: 5, agency: 'H99.20.01', assignee: null },
  { n: 6, agency: 'VPCP', assignee: null },
];
const alertAgencies = { a1: 'H99.20', a2: 'H99.21', a3: 'H99' } as const;
const cases = { m1: 'H99.20', m2: 'H99.21' } as const;

interface Caller {
  name: string;
  role: Role;
  agency?: string;
  sub: string;
  tasks: number[];
  alerts: Array<keyof typeof alertAgencies>;
  history: Array<keyof typeof cases>;
  export: number;
  /** Task → expected status of POST /claim. */
  claim: Record<number, number>;
  /** Alert → expected status of POST /ack. */
  ack: Partial<Record<keyof typeof alertAgencies, number>>;
}

const callers: Caller[] = [
  { name: 'citizen', role: 'citizen', sub: 'citizen-1', tasks: [], alerts: [], history: [], export: 403, claim: { 1: 404 }, ack: { a1: 404 } },
  { name: 'officer of H99.20', role: 'officer', agency: 'H99.20', sub: 'officer-stp-01', tasks: [1, 2], alerts: [], history: ['m1'], export: 403, claim: { 1: 409, 2: 409, 3: 404, 4: 404, 5: 404 }, ack: { a1: 404 } },
  { name: 'supervisor of H99.20', role: 'supervisor', agency: 'H99.20', sub: 'supervisor-stp-01', tasks: [1, 2, 3, 5], alerts: ['a1'], history: ['m1'], export: 403, claim: { 3: 409, 5: 409, 4: 404, 6: 404 }, ack: { a1: 200, a2: 404, a3: 404 } },
  { name: 'supervisor of H99 (province)', role: 'supervisor', agency: 'H99', sub: 'supervisor-h99', tasks: [1, 2, 3, 4, 5], alerts: ['a1', 'a2', 'a3'], history: ['m1', 'm2'], export: 403, claim: { 4: 409, 6: 404 }, ack: { a3: 200 } },
  { name: 'auditor of H99.21', role: 'auditor', agency: 'H99.21', sub: 'auditor-21', tasks: [4], alerts: ['a2'], history: ['m2'], export: 200, claim: { 4: 403, 1: 404 }, ack: { a2: 403, a1: 404 } },
  { name: 'operator', role: 'operator', agency: 'VPCP', sub: 'operator-01', tasks: [6], alerts: [], history: [], export: 403, claim: { 6: 409, 1: 404 }, ack: { a1: 404 } },
  { name: 'admin', role: 'admin', sub: 'admin-01', tasks: [1, 2, 3, 4, 5, 6], alerts: ['a1', 'a2', 'a3'], history: ['m1', 'm2'], export: 200, claim: { 4: 409 }, ack: {} },
];

describe('authorization matrix', () => {
  let ctx: ApiContext;
  const alertIds: Record<string, string> = {};

  beforeAll(async () => {
    ctx = await apiContext();
    for (const t of tasks) {
      await ctx.db('tasks').insert({
        id: T(t.n),
        case_type: 'matrix',
        case_id: `${run}-${t.n}`,
        workflow_id: `${run}-missing-${t.n}`,
        step: 'review',
        title: 'Ma trận phân quyền',
        agency_id: t.agency,
        candidate_role: 'officer',
        assignee: t.assignee,
        status: t.assignee ? 'claimed' : 'open',
        priority: 0,
        due_at: new Date(Date.now() + t.n * 3600_000),
        outcomes: ['ok'],
      });
    }
    for (const [key, agency] of Object.entries(alertAgencies)) {
      const [row] = await ctx.db('alerts')
        .insert({ dedupe_key: `${run}:${key}`, case_type: 'matrix', case_id: `${run}-${key}`, workflow_id: 'x', clock_id: 'c', threshold_key: 'g0:due', kind: 'due', agency_id: agency, title: 't', due_at: new Date() })
        .returning('id');
      alertIds[key] = String((row as { id: string }).id);
    }
    for (const [key, agency] of Object.entries(cases)) {
      await auditStore(ctx.db).append({ dedupeKey: `${run}:${key}`, caseType: 'matrix', caseId: `${run}-${key}`, agencyId: agency, workflowId: 'x', runId: 'api', actor: 'system', actorRole: 'system', action: 'case.started', at: new Date().toISOString() });
    }
  });
  afterAll(() => ctx.close());

  const auth = async (c: Caller) => (c.role === 'citizen' || c.role === 'admin' ? `Bearer ${await ctx.token(c.role, undefined, c.sub)}` : `Bearer ${await ctx.token(c.role, c.agency, c.sub)}`);

  describe.each(callers)('$name', (c) => {
    it('lists exactly the tasks it may read, and each object check agrees with the list', async () => {
      const res = await request(ctx.app.app).get('/tasks').query({ caseType: 'matrix', limit: 100 }).set('Authorization', await auth(c)).expect(200);
      const listed = res.body.items.map((t: { id: string }) => t.id).filter((id: string) => id.startsWith(run));
      expect(listed.sort()).toEqual(c.tasks.map(T).sort());
      for (const t of tasks) {
        await request(ctx.app.app).get(`/tasks/${T(t.n)}`).set('Authorization', await auth(c)).expect(c.tasks.includes(t.n) ? 200 : 404);
      }
    });

    it('may claim only what its rules allow', async () => {
      for (const [n, status] of Object.entries(c.claim)) {
        await request(ctx.app.app).post(`/tasks/${T(Number(n))}/claim`).set('Authorization', await auth(c)).expect(status);
      }
    });

    it('sees and acknowledges only its alerts', async () => {
      const res = await request(ctx.app.app).get('/alerts').query({ limit: 100 }).set('Authorization', await auth(c)).expect(200);
      const mine = Object.entries(alertIds).filter(([, id]) => res.body.items.some((a: { id: string }) => a.id === id)).map(([k]) => k);
      expect(mine.sort()).toEqual([...c.alerts].sort());
      for (const [key, status] of Object.entries(c.ack)) {
        await request(ctx.app.app).post(`/alerts/${alertIds[key]}/ack`).set('Authorization', await auth(c)).expect(status!);
      }
    });

    it('reads the history of cases in scope only; exports only as auditor or admin, within scope', async () => {
      for (const key of Object.keys(cases) as Array<keyof typeof cases>) {
        await request(ctx.app.app).get(`/cases/matrix/${run}-${key}/history/verify`).set('Authorization', await auth(c)).expect(c.history.includes(key) ? 200 : 404);
      }
      const res = await request(ctx.app.app).get('/audit/export').query({ format: 'json' }).set('Authorization', await auth(c)).expect(c.export);
      if (c.export === 200) {
        const ids = res.text.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.case_type === 'matrix' && e.case_id.startsWith(run)).map((e) => e.case_id.slice(run.length + 1));
        expect(ids.sort()).toEqual([...c.history].sort());
      }
    });
  });

  it('anonymous callers get 401 on every protected resource', async () => {
    for (const path of ['/tasks', `/tasks/${T(1)}`, '/alerts', `/cases/matrix/${run}-m1/history`, '/audit/export']) {
      const res = await request(ctx.app.app).get(path).expect(401);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
  });

  it('exports CSV with a header and quoted JSON cells', async () => {
    const res = await request(ctx.app.app).get('/audit/export').query({ format: 'csv', agency: 'H99.20' }).set('Authorization', `Bearer ${await ctx.token('admin')}`).expect(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    expect(res.text.split('\n')[0]).toBe('id,at,case_type,case_id,agency_id,workflow_id,run_id,actor,actor_role,action,before,after,prev_hash,hash');
    expect(res.text).toContain(`${run}-m1`);
    expect(res.text).not.toContain(`${run}-m2`);
  });
});
