/**
 * Fault injection: the Temporal dev server (its own, on a SQLite file) is killed with SIGKILL and
 * restarted on the same port and file while citizens keep submitting feedback through the API —
 * once briefly (the client's gRPC retries ride it out) and once for longer than those retries
 * last (the API must answer 503 problem+json, never 500); the operator keeps classifying through
 * the API meanwhile. Every acknowledged case (a 201) must exist on the restarted server, reach its
 * next task, and get exactly one receipt, with nothing doubled; a few are then driven to
 * publication through the officers' updates. A client without an Idempotency-Key that gives up on
 * a 503 is measured too: what it leaves behind is reported.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createMailer, type Mailer } from '../../activities/mailer';
import { createApp, type App } from '../../api/app';
import { createAuthenticator, mintToken } from '../../api/auth';
import { recoverIntakes } from '../../api/services/intake-recovery';
import { auditStore } from '../../db/audit-store';
import { createDb, type Db } from '../../db/knex';
import { FEEDBACK_STEPS } from '../helpers/feedback-steps';
import { createLogger } from '../../infra/logger';
import { freePort, isPortOpen } from '../../infra/ports';
import { startTemporalDevServer, type RunningTemporal } from '../../infra/temporal-server';
import { ensureTemporalCli } from '../../infra/tools';
import { caseViewQuery, completeTaskUpdate } from '../../workflows/lib/case-messages';
import { TEST_SECRET } from '../helpers/api';
import { eventually, mailMatching, system, TEST_WORKFLOWS, uniqueId } from '../helpers/system';

const ROOT = path.resolve(__dirname, '../..');
const NAMESPACE = 'default';
const STEPS = FEEDBACK_STEPS;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stderr.write(`[faults/temporal-restart] ${line}\n`);

describe('Temporal dev server killed and restarted under load', () => {
  const run = Date.now();
  const taskQueue = uniqueId('restart');
  let tmp: string;
  let binary: string;
  let port: number;
  let dbFile: string;
  let temporal: RunningTemporal;
  let connection: Connection;
  let native: NativeConnection;
  let client: Client;
  let db: Db;
  let mailer: Mailer;
  let app: App;
  let worker: Worker;
  let workerRun: Promise<void>;
  let workerRestarts = 0;
  let shuttingDown = false;

  const startServer = () => startTemporalDevServer({ binary, port, dbFile, namespace: NAMESPACE });

  /** Runs the worker; should it die (e.g. on losing the server), it is recreated and the death counted. */
  async function startWorker(): Promise<void> {
    worker = await Worker.create({
      connection: native,
      namespace: NAMESPACE,
      taskQueue,
      workflowsPath: TEST_WORKFLOWS,
      activities: createActivities({ db, mailer, publicUrl: 'http://localhost:3000' }),
    });
    workerRun = worker.run().catch(async (err: unknown) => {
      if (shuttingDown) return;
      workerRestarts++;
      log(`worker died (${String(err)}): recreating it`);
      for (;;) {
        try {
          await startWorker();
          return;
        } catch (e) {
          if (shuttingDown) return;
          log(`worker re-creation failed (${String(e)}), retrying`);
          await sleep(1000);
        }
      }
    });
  }

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'motcua-temporal-restart-'));
    dbFile = path.join(tmp, 'temporal.sqlite');
    port = await freePort();
    binary = await ensureTemporalCli(ROOT, log);
    temporal = await startServer();
    connection = await Connection.connect({ address: temporal.address });
    native = await NativeConnection.connect({ address: temporal.address });
    client = new Client({ connection, namespace: NAMESPACE });
    db = createDb(system.databaseUrl(), { poolMax: 10 });
    mailer = createMailer({ smtpUrl: system.smtpUrl(), from: 'motcua test <test@motcua.local>' });
    app = createApp({ db, temporal: client, taskQueue, auth: createAuthenticator({ secret: TEST_SECRET }), logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'), rateLimitPerMinute: 1_000_000 });
    await startWorker();
  }, 120_000);

  afterAll(async () => {
    shuttingDown = true;
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun?.catch(() => undefined);
    await connection?.close();
    await native?.close();
    mailer?.close();
    await db?.destroy();
    await temporal?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('loses no acknowledged case; the API answers 503 (never 500) while the server is down', async () => {
    const citizenSub = `citizen-trestart-${run}`;
    const hastySub = `citizen-trestart-nokey-${run}`;
    const citizen = `Bearer ${await mintToken(TEST_SECRET, { sub: citizenSub, role: 'citizen' })}`;
    const hasty = `Bearer ${await mintToken(TEST_SECRET, { sub: hastySub, role: 'citizen' })}`;
    const operatorAuth = `Bearer ${await mintToken(TEST_SECRET, { sub: 'operator-01', role: 'operator', agencyId: 'VPCP' })}`;

    const acknowledged = new Map<string, string>(); // code → submitter e-mail, in order of acknowledgement
    const ackTimes: number[] = [];
    const unexpected: string[] = [];
    let down = false;
    let stopLoad = false;
    let submitted = 0;
    let unavailable = 0;
    let unavailableWhileDown = 0;
    let inboxReads = 0;
    let slowest = 0;
    /** A 503 must be problem+json with Retry-After; anything but `ok` or a 503 is recorded as unexpected. */
    const judge = (res: request.Response, what: string, ...ok: number[]): 'ok' | 'unavailable' | 'other' => {
      if (ok.includes(res.status)) return 'ok';
      if (res.status === 503) {
        if (!/application\/problem\+json/.test(res.headers['content-type'] ?? '') || res.body.status !== 503 || !res.headers['retry-after']) unexpected.push(`${what}: a 503 that is not problem+json with Retry-After: ${res.text.slice(0, 200)}`);
        unavailable++;
        if (down) unavailableWhileDown++;
        return 'unavailable';
      }
      unexpected.push(`${what}: ${res.status} ${res.text.slice(0, 300)}${down ? ' (server down)' : ''}`);
      return 'other';
    };
    const feedbackBody = (who: string, i: number, email: string) => ({
      title: `Phản ánh khi máy chủ khởi động lại ${who}-${i}`,
      content: `Nội dung phản ánh số ${i} của người gửi ${who} trong thử nghiệm khởi động lại máy chủ quy trình.`,
      receivingAgencyId: 'H99.20',
      submitter: { fullName: 'Người thử', address: 'Số 1 đường Minh Họa', phone: '0912345678', email },
    });

    // Citizens submit continuously; a 503 is retried with the same Idempotency-Key until acknowledged.
    const submitter = async (n: number) => {
      for (let i = 0; !stopLoad; i++) {
        const email = `trestart.${run}.${n}.${i}@nguoidan.motcua.local`;
        const key = `trestart-${run}-${n}-${i}`;
        submitted++;
        for (let attempt = 0; ; attempt++) {
          const t0 = Date.now();
          const res = await request(app.app).post('/feedback').set('Authorization', citizen).set('Idempotency-Key', key).send(feedbackBody(String(n), i, email));
          slowest = Math.max(slowest, Date.now() - t0);
          const verdict = judge(res, `POST /feedback ${key}`, 201);
          if (verdict === 'ok') {
            acknowledged.set(res.body.code, email);
            ackTimes.push(Date.now());
            break;
          }
          if (verdict === 'other') break;
          if (attempt > 200) throw new Error(`${key} never acknowledged`);
          await sleep(500);
        }
        await sleep(1000);
      }
    };
    // A client without an Idempotency-Key that gives up on a 503: what it leaves behind is counted.
    const hastyAcks = new Set<string>();
    let hastyGaveUp = 0;
    const hastySubmitter = async () => {
      for (let i = 0; !stopLoad; i++) {
        const res = await request(app.app).post('/feedback').set('Authorization', hasty).send(feedbackBody('nokey', i, `trestart.${run}.nokey.${i}@nguoidan.motcua.local`));
        const verdict = judge(res, 'POST /feedback (no key)', 201);
        if (verdict === 'ok') hastyAcks.add(res.body.code);
        if (verdict === 'unavailable') hastyGaveUp++;
        await sleep(1000);
      }
    };
    // The operator classifies cases through the API as their tasks appear (one a second), retrying a
    // 503; a 409 after a 503 means the first attempt went through before its answer was lost.
    const classified = new Set<string>();
    let decisionsRetried = 0;
    let slowestDecision = 0;
    const operatorDesk = async () => {
      while (!stopLoad) {
        await sleep(1000);
        const [row] = await db('tasks').whereIn('case_id', [...acknowledged.keys()]).whereNotIn('case_id', [...classified]).where({ step: 'classify', status: 'open' }).orderBy('created_at').limit(1).select('id', 'case_id');
        if (!row) continue;
        for (let attempt = 0; ; attempt++) {
          const t0 = Date.now();
          const res = await request(app.app).post(`/tasks/${encodeURIComponent(row.id)}/complete`).set('Authorization', operatorAuth).send({ outcome: 'within' });
          slowestDecision = Math.max(slowestDecision, Date.now() - t0);
          const verdict = judge(res, `POST /tasks/${row.id}/complete`, ...(attempt > 0 ? [200, 409] : [200]));
          if (verdict === 'ok') {
            classified.add(row.case_id);
            if (attempt > 0) decisionsRetried++;
            break;
          }
          if (verdict === 'other' || attempt > 100) break;
          await sleep(500);
        }
      }
    };
    const inbox = async () => {
      while (!stopLoad) {
        const res = await request(app.app).get('/tasks').query({ caseType: 'feedback', step: 'classify', limit: 20 }).set('Authorization', operatorAuth);
        inboxReads++;
        judge(res, 'GET /tasks', 200);
        await sleep(300);
      }
    };
    const load = Promise.all([submitter(0), submitter(1), submitter(2), hastySubmitter(), operatorDesk(), inbox()]);

    // ---- faults: a short outage, then one longer than the client's gRPC retries (~20 s) ----
    const outages: Array<{ killedAt: number; restartAt: number; downMs: number; listeningMs: number; readyMs: number }> = [];
    const outage = async (downForMs: number) => {
      const exited = new Promise((r) => temporal.child.once('exit', r));
      temporal.child.kill('SIGKILL');
      await exited;
      down = true;
      const killedAt = Date.now();
      await sleep(downForMs);
      const restartAt = Date.now();
      let listeningAt = 0;
      let settled = false;
      const starting = startServer().finally(() => void (settled = true));
      while (!listeningAt && !settled) {
        if (await isPortOpen(port)) listeningAt = Date.now();
        else await sleep(50);
      }
      temporal = await starting;
      down = false;
      outages.push({ killedAt, restartAt, downMs: Date.now() - killedAt, listeningMs: (listeningAt || Date.now()) - restartAt, readyMs: Date.now() - restartAt });
    };
    /** Lets the load run for `ms` and at least until `more` further submissions are acknowledged. */
    const steady = async (ms: number, more: number, what: string) => {
      const from = acknowledged.size;
      await sleep(ms);
      await eventually(() => Promise.resolve(acknowledged.size), (n) => n >= from + more, what, 90_000);
    };
    await steady(10_000, 6, 'cases acknowledged before the first fault');
    await outage(2_000);
    await steady(10_000, 6, 'submissions acknowledged again after the first restart');
    await outage(25_000);
    await steady(10_000, 6, 'submissions acknowledged again after the second restart');
    stopLoad = true;
    await load;
    expect(unexpected).toEqual([]);
    expect(unavailableWhileDown).toBeGreaterThan(0); // the long outage outlasted the client's retries

    // ---- recovery: every acknowledged case is on the restarted server and at its next task ----
    const recoveryStarted = Date.now();
    const codes = [...acknowledged.keys()];
    const nextStep = (code: string) => (classified.has(code) ? 'accept' : 'classify');
    for (const code of codes) {
      const d = await client.workflow.getHandle(code).describe();
      expect(d.type).toBe('feedbackWorkflow');
      expect(d.status.name).toBe('RUNNING');
    }
    await eventually(
      () => db('tasks').whereIn('case_id', codes).where({ status: 'open' }).select('case_id', 'step'),
      (rows) => rows.length === codes.length && codes.every((c) => rows.some((r: { case_id: string; step: string }) => r.case_id === c && r.step === nextStep(c))),
      `each of the ${codes.length} acknowledged cases at its next task`,
      150_000,
    );
    for (const code of codes) {
      const view = await client.workflow.getHandle(code).query(caseViewQuery);
      expect(view.openTasks.map((t) => t.step)).toEqual([nextStep(code)]);
      expect(view.decisions.map((d) => d.step)).toEqual(classified.has(code) ? ['classify'] : []);
    }
    const receipts = await eventually(
      () => mailMatching((m) => m.to.some((to) => to.startsWith(`trestart.${run}.`))),
      (ms) => codes.every((c) => ms.some((m) => m.to.includes(acknowledged.get(c)!))),
      'a receipt for every acknowledged case',
      150_000,
    );
    const recoveryMs = Date.now() - recoveryStarted;

    // Exactly one receipt per case, one feedback row per acknowledged submission, one task per step,
    // one case.started and one task.opened per task: nothing doubled by the restarts.
    for (const code of codes) expect(receipts.filter((m) => m.to.includes(acknowledged.get(code)!))).toHaveLength(1);
    expect((await db('feedback').where({ submitted_by: citizenSub }).pluck('code')).sort()).toEqual([...codes].sort());
    const perStep = await db('tasks').whereIn('case_id', codes).groupBy('case_id', 'step').select('case_id', 'step').count<{ count: string }[]>('* as count');
    expect(perStep.filter((r) => Number(r.count) !== 1)).toEqual([]);
    expect(perStep).toHaveLength(codes.length + classified.size);
    const audit = await db('audit_events').whereIn('case_id', codes).where({ case_type: 'feedback' }).select('case_id', 'action', 'after');
    for (const code of codes) {
      const mine = audit.filter((a: { case_id: string }) => a.case_id === code);
      expect(mine.filter((a: { action: string }) => a.action === 'case.started')).toHaveLength(1);
      expect(mine.filter((a: { action: string }) => a.action === 'task.completed')).toHaveLength(classified.has(code) ? 1 : 0);
      const opened = mine.filter((a: { action: string }) => a.action === 'task.opened').map((a: { after: { taskId: string } }) => a.after.taskId);
      expect(opened.sort()).toEqual(classified.has(code) ? [`${code}:accept:1`, `${code}:classify:1`] : [`${code}:classify:1`]);
      expect(await auditStore(db).verify('feedback', code)).toMatchObject({ ok: true });
    }
    // The client without a key: each row it left either has its workflow or was never acknowledged.
    const hastyRows = await db('feedback').where({ submitted_by: hastySub }).pluck('code');
    const orphans: string[] = [];
    for (const code of hastyRows) {
      const running = await client.workflow.getHandle(code).describe().then(() => true, (err: unknown) => (err instanceof WorkflowNotFoundError ? false : Promise.reject(err)));
      if (!running) orphans.push(code);
    }
    expect(orphans.filter((c) => hastyAcks.has(c))).toEqual([]);
    // The intake recovery pass starts every case the hasty client left without a workflow, once.
    const recovery = await recoverIntakes({ db, temporal: client, taskQueue, operatorAgencyId: 'VPCP' }, { codes: hastyRows, olderThanMs: 0 });
    expect(recovery.failed).toEqual([]);
    expect(recovery.started.map((s) => s.code)).toEqual(expect.arrayContaining(orphans));
    for (const code of orphans) {
      await eventually(() => db('tasks').where({ id: `${code}:classify:1` }).first(), (t) => !!t, `${code}: recovered case at classification`, 60_000);
    }
    const again = await recoverIntakes({ db, temporal: client, taskQueue, operatorAgencyId: 'VPCP' }, { codes: hastyRows, olderThanMs: 0 });
    expect(again.started).toEqual([]);
    const startedEvents = await db('audit_events').whereIn('case_id', hastyRows).where({ case_type: 'feedback', action: 'case.started' }).pluck('case_id');
    expect(startedEvents.sort()).toEqual([...hastyRows].sort());

    // ---- the recovered cases still work: three of them run to publication through officers' updates ----
    const driven = [codes[0]!, codes[Math.floor(codes.length / 2)]!, codes.at(-1)!];
    await Promise.all(
      driven.map(async (code) => {
        const h = client.workflow.getHandle(code);
        for (const [step, actor, outcome, payload] of STEPS) {
          const view = await eventually(() => h.query(caseViewQuery), (v) => v.openTasks.some((t) => t.step === step) || v.decisions.some((d) => d.step === step), `${code}: ${step} open`, 60_000);
          const task = view.openTasks.find((t) => t.step === step);
          if (task) await h.executeUpdate(completeTaskUpdate, { args: [{ taskId: task.taskId, actor, actorScope: [actor.agencyId!], outcome, payload }] });
        }
        expect(await h.result()).toEqual({ status: 'published' });
      }),
    );
    for (const code of driven) {
      expect(await db('feedback').where({ code }).first('status')).toEqual({ status: 'published' });
      expect(await db('tasks').where({ case_id: code }).pluck('status')).toEqual(Array(5).fill('done'));
    }

    const gap = (o: (typeof outages)[number]) => ((ackTimes.find((t) => t > o.restartAt) ?? NaN) - o.killedAt) / 1000;
    log(
      `${submitted} keyed submissions, ${codes.length} acknowledged (201), ${classified.size} classified through the API (${decisionsRetried} after a 503, slowest ${(slowestDecision / 1000).toFixed(1)} s); ` +
        `${unavailable} answers 503 (${unavailableWhileDown} while the server was down), 0 × 500; ${inboxReads} inbox reads; slowest POST /feedback ${(slowest / 1000).toFixed(1)} s; ` +
        outages.map((o, i) => `outage ${i + 1}: down ${(o.downMs / 1000).toFixed(1)} s, restart ${(o.listeningMs / 1000).toFixed(1)} s to listening / ${(o.readyMs / 1000).toFixed(1)} s to ready, first 201 ${gap(o).toFixed(1)} s after the kill`).join('; ') +
        `; all ${codes.length} cases recovered (on the server, at their next task, 1 receipt each) ${(recoveryMs / 1000).toFixed(1)} s after the load stopped; ` +
        `${driven.length} driven to publication; worker re-created ${workerRestarts} time(s); ` +
        `client without Idempotency-Key: ${hastyAcks.size} acknowledged, gave up on ${hastyGaveUp} 503s, leaving ${orphans.length} feedback row(s) without a workflow, all started by the intake recovery pass`,
    );
  }, 300_000);
});
