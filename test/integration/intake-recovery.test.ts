/**
 * Intake recovery against the dev server and PostgreSQL: an intake whose workflow start cannot
 * reach Temporal answers 503 once the start deadline passes and leaves its rows; the recovery
 * pass starts those cases (feedback and dossier), once.
 */
import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { createApp } from '../../api/app';
import { createAuthenticator, mintToken } from '../../api/auth';
import { createLogger } from '../../infra/logger';
import { TEST_SECRET } from '../helpers/api';
import { recoverIntakes } from '../../api/services/intake-recovery';
import { procedureStore } from '../../db/procedure-store';
import { DEMO_CATALOGUE } from '../../db/seed-catalogue';
import { freePort } from '../../infra/ports';
import { WORKFLOW_START_DEADLINE_MS } from '../../temporal.config';
import { feedbackWorkflow } from '../../workflows';
import { eventually, systemContext, uniqueId, type SystemContext } from '../helpers/system';

describe('intake recovery (dev server, PostgreSQL)', () => {
  let ctx: SystemContext;
  let blackhole: net.Server;
  let silent: Connection;
  const sockets = new Set<net.Socket>();
  const tag = uniqueId('RC').slice(3, 9).toUpperCase().replace(/[^A-Z0-9]/g, 'X');
  const procedureCode = `RC${tag}-TP-001`;
  beforeAll(async () => {
    ctx = await systemContext();
    // A "Temporal" that accepts connections and never answers: the start must give up by its deadline.
    blackhole = net.createServer((socket) => void sockets.add(socket));
    const port = await freePort();
    await new Promise<void>((resolve) => blackhole.listen(port, '127.0.0.1', resolve));
    silent = Connection.lazy({ address: `127.0.0.1:${port}` });
    const base = DEMO_CATALOGUE.find((p) => p.record.code === 'H99-TP-001')!;
    await ctx.db.transaction((trx) => procedureStore(ctx.db).insertDraft(trx, { record: { ...base.record, code: procedureCode }, decision: null, enteredBy: 'test', status: 'published' }));
    await procedureStore(ctx.db).activate(procedureCode, 1, '2020-01-01');
  });
  afterAll(async () => {
    // The client first: its calls still waiting on the silent server end as cancelled (not retried).
    await silent?.close().catch(() => undefined);
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => (blackhole ? blackhole.close(() => resolve()) : resolve()));
    await ctx?.close();
  });

  it('a start that cannot reach Temporal fails within its deadline; the pass starts the cases it left, once', async () => {
    const run = uniqueId('recover');
    // The API on a Temporal that never answers: 503 problem documents once the start deadline passes.
    const { app } = createApp({ db: ctx.db, temporal: new Client({ connection: silent }), taskQueue: ctx.taskQueue, auth: createAuthenticator({ secret: TEST_SECRET }), logger: createLogger('silent'), rateLimitPerMinute: 1_000_000 });
    const citizen = `Bearer ${await mintToken(TEST_SECRET, { sub: `citizen-${run}`, role: 'citizen' })}`;
    const started = Date.now();
    const fb = await request(app)
      .post('/feedback')
      .set('Authorization', citizen)
      .send({ title: 'Phản ánh khi hệ thống gián đoạn', content: `Nội dung phản ánh ${run} gửi khi máy chủ quy trình không trả lời.`, receivingAgencyId: 'H99.20', submitter: { fullName: 'Người thử', address: 'Số 1 đường Minh Họa', phone: '0912345678', email: `${run}@nguoidan.motcua.local` } });
    const feedbackMs = Date.now() - started;
    const ds = await request(app)
      .post('/dossiers')
      .set('Authorization', citizen)
      .send({ procedureCode, agencyId: 'H99.20', returnMethod: 'online', documents: ['Tờ khai'], applicant: { fullName: 'Người thử', address: 'Số 1 phố Minh Họa', phone: '0912345678', email: `${run}-hs@nguoidan.motcua.local` } });
    for (const res of [fb, ds]) {
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.headers['retry-after']).toBe('5');
    }
    // Without the deadline the client would wait on this server for ever (the test would time out).
    process.stderr.write(`[intake-recovery] POST /feedback against a silent Temporal answered 503 after ${feedbackMs} ms (start deadline ${WORKFLOW_START_DEADLINE_MS} ms)\n`);

    const feedbackCode = await ctx.db('feedback').where({ submitted_by: `citizen-${run}` }).first('code').then((r: { code: string }) => r.code);
    const dossierCode = await ctx.db('dossiers').where({ owner_sub: `citizen-${run}` }).first('code').then((r: { code: string }) => r.code);
    const codes = [feedbackCode, dossierCode];
    const deps = { db: ctx.db, temporal: ctx.client, taskQueue: ctx.taskQueue, operatorAgencyId: 'VPCP' };
    // Too recent for the pass: an intake may still be starting it.
    expect(await recoverIntakes(deps, { codes })).toEqual({ started: [], failed: [], closed: [] });

    const worker = await ctx.createWorker();
    await worker.runUntil(async () => {
      const pass = await recoverIntakes(deps, { codes, olderThanMs: 0 });
      expect(pass.failed).toEqual([]);
      expect(pass.started).toEqual([
        { caseType: 'feedback', code: feedbackCode },
        { caseType: 'dossier', code: dossierCode },
      ]);
      await eventually(() => ctx.db('tasks').where({ id: `${feedbackCode}:classify:1` }).first(), (t) => !!t, 'the feedback case at classification', 60_000);
      await eventually(() => ctx.db('tasks').where({ id: `${dossierCode}:check:1` }).first(), (t) => !!t, 'the dossier case at its first check', 60_000);
      // Both started now: the next pass has nothing to do.
      expect(await recoverIntakes(deps, { codes, olderThanMs: 0 })).toEqual({ started: [], failed: [], closed: [] });
    });
    const started2 = await ctx.db('audit_events').whereIn('case_id', codes).where({ action: 'case.started' }).select('case_type', 'case_id');
    expect(started2).toHaveLength(2);
    const dossierRun = await ctx.client.workflow.getHandle(dossierCode).describe();
    expect(dossierRun.status.name).toBe('RUNNING');
  });

  it('leaves to an operator a row whose workflow closed before starting the case, and rows older than the window', async () => {
    const code = `PAKN.29991231.${String(Math.floor(Math.random() * 9000) + 1000)}`;
    const old = `PAKN.29991230.${String(Math.floor(Math.random() * 9000) + 1000)}`;
    const row = (c: string, receivedAt: Date) => ({ code: c, status: 'received', channel: 'portal', submitted_by: 'citizen-recovery', title: 'Phản ánh', content: 'Nội dung phản ánh để thử phục hồi.', receiving_agency_id: 'H99.20', received_at: receivedAt });
    await ctx.db('feedback').insert([row(code, new Date(Date.now() - 600_000)), row(old, new Date(Date.now() - 8 * 86_400_000))]);
    // Started and terminated before any worker ran it: no case.started, and its ID may not be reused.
    const h = await ctx.client.workflow.start(feedbackWorkflow, { taskQueue: ctx.taskQueue, workflowId: code, args: [{ code, receivedAtMs: Date.now(), receivingAgencyId: 'H99.20', operatorAgencyId: 'VPCP' }] });
    await h.terminate('test: closed before the case started');
    const deps = { db: ctx.db, temporal: ctx.client, taskQueue: ctx.taskQueue, operatorAgencyId: 'VPCP' };
    expect(await recoverIntakes(deps, { codes: [code, old] })).toEqual({ started: [], failed: [], closed: [{ caseType: 'feedback', code }] });
    await expect(ctx.client.workflow.getHandle(old).describe()).rejects.toThrow();
  });
});
