/**
 * Fault injection: the worker is a separate process (`motcua worker`, the production entry point)
 * killed with SIGKILL at random moments — during activities and between them — and restarted, many
 * times, while a batch of feedback cases runs to publication on the real dev server, PostgreSQL and
 * SMTP sink. Every case must complete; tasks, audit events and e-mails are counted where they land.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { auditStore } from '../../db/audit-store';
import { feedbackIntake } from '../../api/services/feedback-intake';
import type { Actor } from '../../domain/roles';
import { FEEDBACK_STEPS } from '../helpers/feedback-steps';
import { caseViewQuery, completeTaskUpdate } from '../../workflows/lib/case-messages';
import { mailMatching, system, systemContext, type SystemContext } from '../helpers/system';

const ROOT = path.resolve(__dirname, '../..');
const STEPS = FEEDBACK_STEPS;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MAX_KILLS = 40;

describe('kill -9 of the worker while cases run', () => {
  let sys: SystemContext;
  let worker: ChildProcess | undefined;
  let kills = 0;
  let stopKilling = false;

  function startWorker(): Promise<ChildProcess> {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/bin/motcua.js'), 'worker'], {
      cwd: ROOT,
      env: { ...process.env, MOTCUA_WORKFLOW_BUNDLE: bundleFile, NODE_ENV: 'test', TEMPORAL_ADDRESS: system.temporalAddress(), DATABASE_URL: system.databaseUrl(), SMTP_URL: system.smtpUrl(), TEMPORAL_TASK_QUEUE: sys.taskQueue, MIGRATE_ON_START: 'false', LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('polling task queue')) resolve(child);
      });
      child.stderr!.on('data', (d: Buffer) => void (out += d.toString()));
      child.once('exit', (code) => reject(new Error(`worker exited (${code}) before polling: ${out.slice(-2000)}`)));
    });
  }

  /**
   * Kills every 0.5–2.5 s after the worker polls, at most MAX_KILLS times: on a machine loaded by
   * other work a restarted worker may need longer than that to replay its cases, and unbounded kills
   * would then stop every case for good (seen while a 100,000-case benchmark shared the machine).
   * Idle runs here made 37–53 kills in the whole run.
   */
  async function killer(): Promise<void> {
    while (!stopKilling && kills < MAX_KILLS) {
      await sleep(500 + Math.random() * 2000);
      if (stopKilling) break;
      const w = worker!;
      const exited = new Promise((r) => w.once('exit', r));
      w.kill('SIGKILL');
      await exited;
      kills++;
      worker = await startWorker();
    }
  }

  let bundleFile: string;
  beforeAll(async () => {
    sys = await systemContext();
    // Bundle the product workflows once: a restarted worker then polls again within a second or two.
    const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
    bundleFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'motcua-faults-')), 'workflow-bundle.js');
    fs.writeFileSync(bundleFile, code);
    worker = await startWorker();
  });
  afterAll(async () => {
    stopKilling = true;
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker!.once('exit', r));
      worker.kill('SIGKILL');
      await exited;
    }
    await sys.close();
  });

  /**
   * Completes `step` of a case, surviving a dead worker: re-checks the case before retrying. The
   * budget is generous (≈5 min a step): on a loaded machine a worker killed every 0.5–2.5 s gets
   * little done between restarts, and this test is about what is doubled, not about speed.
   */
  async function step(handle: WorkflowHandle, name: string, actor: Actor, outcome: string, payload: Record<string, unknown>): Promise<void> {
    for (let attempt = 0; attempt < 2000 && !stopKilling; attempt++) {
      try {
        const view = await handle.query(caseViewQuery);
        if (view.decisions.some((d) => d.step === name)) return;
        const task = view.openTasks.find((t) => t.step === name);
        if (task) await handle.executeUpdate(completeTaskUpdate, { args: [{ taskId: task.taskId, actor, actorScope: [actor.agencyId!], outcome, payload }] });
      } catch {
        // The worker was killed under the query or the update: look again.
      }
      await sleep(150);
    }
    throw new Error(`${handle.workflowId}: step ${name} never completed`);
  }

  it('every case completes; no task, audit event or e-mail is doubled', async () => {
    const cases = 10;
    const intake = feedbackIntake({ db: sys.db, temporal: sys.client, taskQueue: sys.taskQueue, operatorAgencyId: 'VPCP' });
    const codes: string[] = [];
    for (let i = 0; i < cases; i++) {
      const { body } = await intake.submit({
        actorSub: `citizen-fault-${i}`,
        actorIsCitizen: true,
        channel: 'portal',
        key: `fault-${Date.now()}-${i}`,
        body: { title: `Phản ánh thử lỗi ${i}`, content: `Nội dung phản ánh số ${i} trong thử nghiệm dừng đột ngột tiến trình xử lý.`, receivingAgencyId: 'H99.20', submitter: { fullName: 'Người thử', address: 'Số 1 đường Minh Họa', phone: '0912345678', email: `fault${i}.${Date.now()}@nguoidan.motcua.local` } },
      });
      codes.push(body.code);
    }
    const killing = killer();
    await Promise.all(
      codes.map(async (code) => {
        const h = sys.client.workflow.getHandle(code);
        for (const [name, actor, outcome, payload] of STEPS) await step(h, name, actor, outcome, payload);
        expect(await h.result()).toEqual({ status: 'published' });
      }),
    );
    stopKilling = true;
    await killing;
    expect(kills).toBeGreaterThanOrEqual(3);

    const rawMails: number[] = [];
    for (const code of codes) {
      const row = await sys.db('feedback').where({ code }).first();
      expect(row.status).toBe('published');
      const tasks = await sys.db('tasks').where({ case_id: code }).select('id', 'status');
      expect(tasks.map((t: { id: string }) => t.id.split(':')[1]).sort()).toEqual(['accept', 'approve', 'check', 'classify', 'draft']);
      expect(tasks.every((t: { status: string }) => t.status === 'done')).toBe(true);
      const actions = (await auditStore(sys.db).forCase('feedback', code)).map((e) => e.action);
      expect(actions.filter((a) => a === 'task.completed')).toHaveLength(5);
      expect(actions.filter((a) => a === 'case.started')).toHaveLength(1);
      expect(await auditStore(sys.db).verify('feedback', code)).toMatchObject({ ok: true });
      const sub = await sys.db('feedback_submitters').where({ code }).first('email');
      const mails = await mailMatching((m) => m.to.includes(sub.email));
      // One receipt, one publication notice: distinct messages by Message-ID (a resend in the
      // window between SMTP acceptance and the ledger mark carries the same Message-ID).
      expect(new Set(mails.map((m) => m.messageId)).size).toBe(2);
      rawMails.push(mails.length);
    }
    const resent = rawMails.reduce((a, b) => a + b, 0) - 2 * cases;
    process.stderr.write(`[faults] ${cases} cases, ${kills} worker kills, ${resent} SMTP-level resends (same Message-ID)\n`);
  }, 1_500_000);
});
