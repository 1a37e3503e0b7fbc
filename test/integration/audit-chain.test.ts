/**
 * The audit log's hash chain against the real PostgreSQL: appends racing on the same case, from
 * several connections, each key appended more than once (a retried activity), and an officer's
 * task action (task row and audit event in one transaction) among them. The chain must never fork
 * and every key must be appended once.
 */
import { createActivities } from '../../activities';
import { createMailer, type Mailer } from '../../activities/mailer';
import { auditStore, type AuditEventInput } from '../../db/audit-store';
import { createDb, type Db } from '../../db/knex';
import { system, uniqueId } from '../helpers/system';

describe('audit chain (real PostgreSQL)', () => {
  let db: Db;
  let mailer: Mailer;
  beforeAll(() => {
    db = createDb(system.databaseUrl(), { poolMax: 8 });
    mailer = createMailer({ smtpUrl: system.smtpUrl(), from: 'motcua test <test@motcua.local>' });
  });
  afterAll(async () => {
    mailer.close();
    await db.destroy();
  });

  const event = (caseId: string, n: number): AuditEventInput => ({
    dedupeKey: `${caseId}:run:${n}`,
    caseType: 'chain',
    caseId,
    agencyId: 'H99.20',
    workflowId: caseId,
    runId: 'run',
    actor: 'system',
    actorRole: 'system',
    action: `step.${n}`,
    after: { n },
    at: new Date(Date.UTC(2026, 11, 2, 8, 0, n)).toISOString(),
  });

  /** An open task row as the case's openTask activity leaves it. */
  const openTaskRow = (caseId: string, taskId: string, at: Date) =>
    db('tasks').insert({ id: taskId, case_type: 'chain', case_id: caseId, workflow_id: caseId, step: 'review', title: 'Thẩm định', agency_id: 'H99.20', candidate_role: 'officer', status: 'open', priority: 0, outcomes: ['approve'], created_at: at, updated_at: at });

  it('racing appends of two cases, each key three times: one event per key, both chains verify', async () => {
    const audit = auditStore(db);
    const cases = [uniqueId('CHAIN'), uniqueId('CHAIN')];
    const attempts = cases.flatMap((c) => Array.from({ length: 20 }, (_, n) => event(c, n))).flatMap((e) => [e, e, e]);
    attempts.sort(() => Math.random() - 0.5);
    const results = await Promise.all(attempts.map((e) => audit.append(e).then((r) => ({ key: e.dedupeKey, ...r }))));

    const byKey = new Map<string, Array<(typeof results)[number]>>();
    for (const r of results) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    expect(byKey.size).toBe(40);
    for (const rs of byKey.values()) {
      expect(rs.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(new Set(rs.map((r) => `${r.id}:${r.hash}`)).size).toBe(1); // a duplicate answers the stored event
    }
    for (const c of cases) {
      expect(await audit.verify('chain', c)).toEqual({ ok: true, events: 20 });
      const rows = await audit.forCase('chain', c);
      expect(rows[0]!.prev_hash).toBeNull();
    }
  });

  it('a task action writes its row and its event together, once however often it is retried', async () => {
    const caseId = uniqueId('CHAIN');
    const taskId = `${caseId}:review:1`;
    const at = new Date(Date.UTC(2026, 11, 2, 8, 0, 0));
    await openTaskRow(caseId, taskId, at);
    const activities = createActivities({ db, mailer, publicUrl: 'http://localhost:3000' });
    const claim = { task: { kind: 'assign' as const, taskId, assignee: 'officer-stp-01', atMs: at.getTime() + 1_000 }, audit: event(caseId, 1) };
    const decide = { task: { kind: 'finish' as const, taskId, status: 'done' as const, outcome: 'approve', completedBy: 'officer-stp-01', atMs: at.getTime() + 2_000 }, audit: event(caseId, 2) };
    await activities.recordTaskAction(claim);
    await activities.recordTaskAction(decide);
    // Retries, late: the claim again after the decision changes nothing.
    await Promise.all([activities.recordTaskAction(claim), activities.recordTaskAction(decide), activities.recordTaskAction(claim)]);
    expect(await db('tasks').where({ id: taskId }).first()).toMatchObject({ status: 'done', outcome: 'approve', completed_by: 'officer-stp-01', assignee: 'officer-stp-01' });
    expect((await auditStore(db).forCase('chain', caseId)).map((e) => e.action)).toEqual(['step.1', 'step.2']);
    expect(await auditStore(db).verify('chain', caseId)).toEqual({ ok: true, events: 2 });
  });

  it('a late reassignment write does not overwrite a newer one', async () => {
    const caseId = uniqueId('CHAIN');
    const taskId = `${caseId}:review:1`;
    const at = Date.UTC(2026, 11, 2, 8, 0, 0);
    await openTaskRow(caseId, taskId, new Date(at));
    const activities = createActivities({ db, mailer, publicUrl: 'http://localhost:3000' });
    await activities.recordTaskAction({ task: { kind: 'assign', taskId, assignee: 'officer-stp-02', atMs: at + 2_000 }, audit: event(caseId, 2) });
    await activities.recordTaskAction({ task: { kind: 'assign', taskId, assignee: 'officer-stp-01', atMs: at + 1_000 }, audit: event(caseId, 1) });
    expect(await db('tasks').where({ id: taskId }).first()).toMatchObject({ status: 'claimed', assignee: 'officer-stp-02' });
  });
});
