/**
 * The e-mail outbox against the real PostgreSQL and real SMTP servers on loopback: a relay that
 * cannot be reached, one that rejects a mailbox for good (550), and the development sink that
 * accepts everything. What arrives is counted at the sink.
 */
import { SMTPServer } from 'smtp-server';
import { createMailer, type Mailer } from '../../activities/mailer';
import { auditStore } from '../../db/audit-store';
import { messageIdFor, outboxCounts, redeliverDue, sendOnce, type MailClaimant } from '../../db/mail-ledger';
import { freePort } from '../../infra/ports';
import { ensureMailRedeliverySchedule } from '../../worker/schedules';
import { eventually, mailMatching, systemContext, uniqueId, type SystemContext } from '../helpers/system';

const FROM = 'motcua test <test@motcua.local>';
const HOUR = 3_600_000;
const activity = (id: string): MailClaimant => ({ id, workflowId: `wf-${id}`, runId: 'run-1' });

describe('e-mail outbox (real PostgreSQL and SMTP)', () => {
  let ctx: SystemContext;
  let down: Mailer;
  let rejecting: { server: SMTPServer; mailer: Mailer; accepted: number };
  beforeAll(async () => {
    ctx = await systemContext();
    down = createMailer({ smtpUrl: `smtp://127.0.0.1:${await freePort()}`, from: FROM });
    // A relay that knows no mailbox `khongton-…` (550) and accepts, and drops, everything else.
    let accepted = 0;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onRcptTo(address, _session, cb) {
        if (address.address.startsWith('khongton-')) {
          const err = Object.assign(new Error('5.1.1 Mailbox does not exist'), { responseCode: 550 });
          cb(err);
          return;
        }
        cb();
      },
      onData(stream, _session, cb) {
        stream.resume();
        stream.on('end', () => {
          accepted++;
          rejecting.accepted = accepted;
          cb();
        });
      },
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    rejecting = { server, mailer: createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, from: FROM }), accepted: 0 };
  });
  afterAll(async () => {
    down?.close();
    rejecting?.mailer.close();
    await new Promise<void>((resolve) => (rejecting ? rejecting.server.close(() => resolve()) : resolve()));
    await ctx?.close();
  });

  const mail = (to: string, subject: string) => ({ to: [to] as [string], subject, text: `Nội dung thư ${subject}.` });
  const row = (key: string) => ctx.db('sent_emails').where({ dedupe_key: key }).first();

  it('a relay that cannot be reached queues the message; the next due pass delivers it once', async () => {
    const run = uniqueId('outbox');
    const to = `${run}@nguoidan.motcua.local`;
    const key = `feedback:${run}:receipt:1:${to}`;
    const now = new Date();
    expect(await sendOnce(ctx.db, down, key, mail(to, `Tiếp nhận ${run}`), { about: { caseType: 'feedback', caseId: run }, claimant: activity(run), now })).toBe('queued');
    const queued = await row(key);
    expect(queued).toMatchObject({ status: 'queued', attempts: 1, body: `Nội dung thư Tiếp nhận ${run}.`, case_type: 'feedback', case_id: run, claimed_by: null });
    expect(queued.last_error).toMatch(/ECONNREFUSED/);
    expect(new Date(queued.next_attempt_at).getTime()).toBe(now.getTime() + 30_000);
    // The activity's next attempt (after a later failure of its own) tries once more and queues it again.
    expect(await sendOnce(ctx.db, down, key, mail(to, `Tiếp nhận ${run}`), { claimant: activity(run), now })).toBe('queued');
    expect((await row(key)).attempts).toBe(2);

    const claimant = activity('redelivery');
    const giveUpAfterMs = 72 * HOUR;
    // Not due yet.
    expect(await redeliverDue(ctx.db, ctx.mailer, { claimant, giveUpAfterMs, keyPrefix: `feedback:${run}:`, now: new Date(now.getTime() + 10_000) })).toMatchObject({ due: 0 });
    // Still down when due: back-off grows (third attempt: 2 min).
    const later = new Date(now.getTime() + 120_000);
    expect(await redeliverDue(ctx.db, down, { claimant, giveUpAfterMs, keyPrefix: `feedback:${run}:`, now: later })).toMatchObject({ due: 1, queued: 1, sent: 0 });
    expect(new Date((await row(key)).next_attempt_at).getTime()).toBe(later.getTime() + 120_000);
    // The relay is back.
    const back = new Date(later.getTime() + 120_000);
    expect(await redeliverDue(ctx.db, ctx.mailer, { claimant, giveUpAfterMs, keyPrefix: `feedback:${run}:`, now: back })).toMatchObject({ due: 1, sent: 1, waiting: expect.any(Number) });
    expect(await row(key)).toMatchObject({ status: 'sent', attempts: 4, last_error: null, claimed_by: null, lease_until: null });
    expect(await redeliverDue(ctx.db, ctx.mailer, { claimant, giveUpAfterMs, keyPrefix: `feedback:${run}:`, now: new Date(back.getTime() + HOUR) })).toMatchObject({ due: 0 });
    expect(await sendOnce(ctx.db, ctx.mailer, key, mail(to, `Tiếp nhận ${run}`), { claimant: activity(run) })).toBe('already-sent');
    const got = await eventually(() => mailMatching((m) => m.to.includes(to)), (m) => m.length >= 1, 'the redelivered message');
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ subject: `Tiếp nhận ${run}`, messageId: messageIdFor(key) });
    expect((await auditStore(ctx.db).forCase('feedback', run)).map((e) => e.action)).not.toContain('notification.failed');
  });

  it('two redelivery passes at once deliver each message once', async () => {
    const run = uniqueId('outbox-race');
    const keys: string[] = [];
    const now = new Date();
    for (let i = 0; i < 20; i++) {
      const to = `${run}-${i}@nguoidan.motcua.local`;
      keys.push(`alert:${run}:${i}:${to}`);
      expect(await sendOnce(ctx.db, down, keys[i]!, mail(to, `Cảnh báo ${run} ${i}`), { now })).toBe('queued');
    }
    const opts = { giveUpAfterMs: 72 * HOUR, keyPrefix: `alert:${run}:`, now: new Date(now.getTime() + 60_000) };
    const [a, b] = await Promise.all([
      redeliverDue(ctx.db, ctx.mailer, { ...opts, claimant: activity('pass-a') }),
      redeliverDue(ctx.db, ctx.mailer, { ...opts, claimant: activity('pass-b') }),
    ]);
    expect(a.sent + b.sent).toBe(20);
    const got = await eventually(() => mailMatching((m) => m.subject.startsWith(`Cảnh báo ${run} `)), (m) => m.length >= 20, 'twenty messages');
    // Give a doubled delivery time to land before counting.
    await new Promise((r) => setTimeout(r, 500));
    expect((await mailMatching((m) => m.subject.startsWith(`Cảnh báo ${run} `))).length).toBe(got.length);
    expect(got).toHaveLength(20);
    expect(new Set(got.map((m) => m.messageId)).size).toBe(20);
  });

  it("a claim is another sender's until its lease runs out; the same activity takes it back at once", async () => {
    const run = uniqueId('outbox-lease');
    const to = `${run}@nguoidan.motcua.local`;
    const key = `dossier:${run}:01#1:${to}`;
    expect(await sendOnce(ctx.db, down, key, mail(to, `Giấy tiếp nhận ${run}`))).toBe('queued');
    // As if activity A had claimed it and died between the SMTP acceptance and the mark.
    const leaseUntil = new Date(Date.now() + 60_000);
    await ctx.db('sent_emails').where({ dedupe_key: key }).update({ status: 'sending', claimed_by: 'A', lease_until: leaseUntil });
    expect(await redeliverDue(ctx.db, ctx.mailer, { claimant: activity('redelivery'), giveUpAfterMs: 72 * HOUR, keyPrefix: `dossier:${run}:` })).toMatchObject({ due: 0 });
    expect(await sendOnce(ctx.db, ctx.mailer, key, mail(to, `Giấy tiếp nhận ${run}`), { claimant: activity('B') })).toBe('queued');
    expect(await sendOnce(ctx.db, ctx.mailer, key, mail(to, `Giấy tiếp nhận ${run}`), { claimant: { id: 'A', workflowId: 'wf', runId: 'r' } })).toBe('sent');
    // A lease that ran out is taken over by the redelivery pass.
    const key2 = `dossier:${run}:02#1:${to}`;
    expect(await sendOnce(ctx.db, down, key2, mail(to, `Phiếu bổ sung ${run}`))).toBe('queued');
    await ctx.db('sent_emails').where({ dedupe_key: key2 }).update({ status: 'sending', claimed_by: 'A', lease_until: new Date(Date.now() - 1000) });
    expect(await redeliverDue(ctx.db, ctx.mailer, { claimant: activity('redelivery'), giveUpAfterMs: 72 * HOUR, keyPrefix: `dossier:${run}:` })).toMatchObject({ due: 1, sent: 1 });
    const got = await eventually(() => mailMatching((m) => m.to.includes(to)), (m) => m.length >= 2, 'both letters');
    expect(got.map((m) => m.subject).sort()).toEqual([`Giấy tiếp nhận ${run}`, `Phiếu bổ sung ${run}`]);
  });

  it('a mailbox rejected for good (550) is given up at once and audited on its case', async () => {
    const run = uniqueId('outbox-550');
    const bad = `khongton-${run}@nguoidan.motcua.local`;
    const good = `${run}@nguoidan.motcua.local`;
    const before = rejecting.accepted;
    expect(await sendOnce(ctx.db, rejecting.mailer, `feedback:${run}:receipt:1:${bad}`, mail(bad, 'Tiếp nhận'), { about: { caseType: 'feedback', caseId: run, agencyId: 'H99.20' }, claimant: activity(run) })).toBe('failed');
    expect(await sendOnce(ctx.db, rejecting.mailer, `feedback:${run}:receipt:1:${good}`, mail(good, 'Tiếp nhận'), { about: { caseType: 'feedback', caseId: run }, claimant: activity(run) })).toBe('sent');
    expect(rejecting.accepted).toBe(before + 1);
    expect(await row(`feedback:${run}:receipt:1:${bad}`)).toMatchObject({ status: 'failed', attempts: 1 });
    expect((await row(`feedback:${run}:receipt:1:${bad}`)).last_error).toMatch(/550/);
    // Its retry does not send again.
    expect(await sendOnce(ctx.db, rejecting.mailer, `feedback:${run}:receipt:1:${bad}`, mail(bad, 'Tiếp nhận'), { claimant: activity(run) })).toBe('failed');
    const events = (await auditStore(ctx.db).forCase('feedback', run)).filter((e) => e.action === 'notification.failed');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'system', workflow_id: `wf-${run}`, agency_id: 'H99.20' });
    expect(events[0]!.after).toMatchObject({ recipient: bad, attempts: 1 });
    expect(await auditStore(ctx.db).verify('feedback', run)).toMatchObject({ ok: true });
  });

  it('a message undelivered past the give-up age is given up, audited once, never sent', async () => {
    const run = uniqueId('outbox-giveup');
    const to = `${run}@nguoidan.motcua.local`;
    const key = `dossier:${run}:result#1:${to}`;
    const now = new Date();
    expect(await sendOnce(ctx.db, down, key, mail(to, `Kết quả ${run}`), { about: { caseType: 'dossier', caseId: run }, now })).toBe('queued');
    const claimant = activity('redelivery');
    expect(await redeliverDue(ctx.db, ctx.mailer, { claimant, giveUpAfterMs: 72 * HOUR, keyPrefix: `dossier:${run}:`, now: new Date(now.getTime() + 73 * HOUR) })).toMatchObject({ due: 1, failed: 1, sent: 0 });
    expect(await row(key)).toMatchObject({ status: 'failed' });
    expect(await redeliverDue(ctx.db, ctx.mailer, { claimant, giveUpAfterMs: 72 * HOUR, keyPrefix: `dossier:${run}:`, now: new Date(now.getTime() + 74 * HOUR) })).toMatchObject({ due: 0 });
    const events = (await auditStore(ctx.db).forCase('dossier', run)).filter((e) => e.action === 'notification.failed');
    expect(events).toHaveLength(1);
    expect(events[0]!.after).toMatchObject({ recipient: to, subject: `Kết quả ${run}` });
    expect(await mailMatching((m) => m.to.includes(to))).toHaveLength(0);
    const counts = await outboxCounts(ctx.db);
    expect(counts.failed).toBeGreaterThanOrEqual(1);
  });

  it('the redelivery schedule runs the pass on the worker', async () => {
    const run = uniqueId('outbox-schedule');
    const to = `${run}@nguoidan.motcua.local`;
    const key = `feedback:${run}:published:1:${to}`;
    // First tried two minutes ago (real time: the schedule's pass uses the clock).
    expect(await sendOnce(ctx.db, down, key, mail(to, `Đã trả lời ${run}`), { now: new Date(Date.now() - 120_000) })).toBe('queued');
    const scheduleId = uniqueId('mail-redelivery-test');
    await ensureMailRedeliverySchedule(ctx.client, ctx.taskQueue, scheduleId);
    await ensureMailRedeliverySchedule(ctx.client, ctx.taskQueue, scheduleId);
    const schedule = ctx.client.schedule.getHandle(scheduleId);
    try {
      const worker = await ctx.createWorker();
      await worker.runUntil(async () => {
        await schedule.trigger();
        await eventually(() => row(key), (r) => r.status === 'sent', 'the message sent by the scheduled pass', 60_000);
      });
    } finally {
      await schedule.delete();
    }
    expect(await mailMatching((m) => m.to.includes(to))).toHaveLength(1);
  });
});
