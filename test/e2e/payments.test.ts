/**
 * Payments end to end on the dev server, PostgreSQL and a payment-provider simulator on loopback
 * that calls the API back over HTTP: a dossier paid online (duplicate, replayed, forged, stale and
 * unknown callbacks), then the daily reconciliation started by its Temporal Schedule on real
 * camt.053 and CSV statements — every exception kind, inquiries opened and resolved through the
 * inbox, re-runs that change nothing, a corrected statement that clears an inquiry, and a
 * malformed statement rejected with its report and nothing imported.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { DEMO_CATALOGUE } from '../../db/seed-catalogue';
import { paymentStore } from '../../db/payment-store';
import { formatDate, localDay } from '../../domain/calendar/days';
import { reconciliationWindow, type StatementLine } from '../../domain/payments';
import { camt053Document, statementCsv } from '../../domain/statements';
import { startPaymentSimulator, type RunningPaymentSimulator } from '../../infra/payment-simulator';
import { ensureReconciliationSchedule, reconciliationScheduleId } from '../../worker/schedules';
import type { ApiContext } from '../helpers/api';
import { runningSystem, type RunningSystem } from '../helpers/harness';
import { eventually } from '../helpers/system';

const tag = randomBytes(3).toString('hex').toUpperCase();
const BANK = `PB${tag}`; // camt.053
const WALLET = `PC${tag}`; // CSV
const CATALOGUE = DEMO_CATALOGUE.filter((p) => p.record.code === 'H99-TP-001').map((p) => ({ ...p, record: { ...p.record, code: 'Y99-TP-001' } }));

describe('payments and daily reconciliation', () => {
  let running: RunningSystem;
  let api: ApiContext;
  let sim: RunningPaymentSimulator;
  const app = () => api.app.app;
  const as = async (role: Parameters<ApiContext['token']>[0], agency?: string, sub?: string) => `Bearer ${await api.token(role, agency, sub)}`;

  beforeAll(async () => {
    running = await runningSystem({ operatorAgencyId: 'VPCP' }, { listen: true });
    ({ api } = running);
    sim = await startPaymentSimulator({
      providers: [
        { id: BANK, name: 'Ngân hàng thử nghiệm', kind: 'bank', secret: `bank-secret-${tag}`, format: 'camt053' },
        { id: WALLET, name: 'Ví thử nghiệm', kind: 'intermediary', secret: `wallet-secret-${tag}`, format: 'csv' },
      ],
    });
    await paymentStore(api.db).upsertProviders(sim.providerRows());
    const op = await as('operator', 'VPCP', 'operator-01');
    await request(app()).post('/procedures/import').set('Authorization', op).send({ format: 'json', items: CATALOGUE }).expect(200);
    await eventually(() => request(app()).get('/procedures/Y99-TP-001'), (r) => r.status === 200, 'procedure in force');
  });
  afterAll(async () => {
    await running.close();
    await sim.stop();
  });

  async function complete(caseId: string, step: string, auth: string, outcome: string, payload: Record<string, unknown> = {}) {
    const list = await eventually(() => request(app()).get('/tasks').query({ step, limit: 100 }).set('Authorization', auth), (r) => r.body.items?.some((x: { caseId: string }) => x.caseId === caseId), `${step} task of ${caseId}`);
    const id = list.body.items.find((x: { caseId: string }) => x.caseId === caseId).id;
    return request(app()).post(`/tasks/${encodeURIComponent(id)}/complete`).set('Authorization', auth).send({ outcome, payload });
  }
  const paymentCount = async () => Number((await api.db('payments').count<{ count: string }[]>('* as count'))[0]!.count);

  it('pays a dossier online; every callback is verified and counted once', async () => {
    const citizen = await as('citizen', undefined, 'citizen-pay');
    const officer = await as('officer', 'H99.20', 'officer-stp-01');
    const leader = await as('supervisor', 'H99.20', 'supervisor-stp-01');
    const { body: dossier } = await request(app())
      .post('/dossiers')
      .set('Authorization', citizen)
      .send({ procedureCode: 'Y99-TP-001', agencyId: 'H99.20', returnMethod: 'online', documents: ['Tờ khai'], applicant: { fullName: 'Đỗ Văn Phí', address: 'Số 1 phố Thanh Toán', phone: '0912000111' } })
      .expect(201);
    const code = dossier.code as string;

    // Not yet awaiting payment: refused, nothing written.
    const before = await paymentCount();
    await request(app()).post(`/dossiers/${code}/payments`).set('Authorization', citizen).send({ provider: WALLET }).expect(409);
    await request(app()).post('/payments').set('Authorization', citizen).send({ provider: WALLET, agencyId: 'H99.20', transactionType: 'G23.1', amountVnd: 12.5, description: 'x' }).expect(400);
    await request(app()).post('/payments').set('Authorization', citizen).send({ provider: 'NOPE', agencyId: 'H99.20', transactionType: 'G22.99.02', amountVnd: 50_000, description: 'Phí thử' }).expect(400);
    expect(await paymentCount()).toBe(before);

    expect((await complete(code, 'check', officer, 'accept')).status).toBe(200);
    expect((await complete(code, 'appraise', officer, 'propose_approve', { note: 'Đủ điều kiện' })).status).toBe(200);
    expect((await complete(code, 'approve', leader, 'approve')).status).toBe(200);
    await eventually(() => api.db('dossiers').where({ code }).first(), (d) => d?.status === 'awaiting_payment', 'awaiting payment');

    // Three retries of one request: one payment, one page.
    const answers = await Promise.all([1, 2, 3].map(() => request(app()).post(`/dossiers/${code}/payments`).set('Authorization', citizen).set('Idempotency-Key', `pay-${code}`).send({ provider: WALLET })));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    const pay = answers[0]!.body;
    expect(answers.map((a) => a.body.reference)).toEqual([pay.reference, pay.reference, pay.reference]);
    expect(pay).toMatchObject({ status: 'pending', amountVnd: expect.any(Number), provider: WALLET });
    expect(pay.reference).toMatch(/^PAY\d{14}[0-9A-Z]{6}$/);
    expect(await api.db('payments').where({ dossier_code: code }).count<{ count: string }[]>('* as count')).toEqual([{ count: '1' }]);

    // The payer pays; the gateway sends its callback twice.
    await fetch(pay.payUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ result: 'pay', scenario: 'duplicate' }) });
    await eventually(() => api.db('payments').where({ reference: pay.reference }).first(), (p) => p?.status === 'paid', 'paid');
    await eventually(() => api.db('dossiers').where({ code }).first(), (d) => d?.payment_reference === pay.reference && d.status !== 'awaiting_payment', 'dossier moves on');
    const txn = sim.ledger(WALLET).find((t) => t.reference === pay.reference)!;
    await eventually(() => api.db('payment_callbacks').where({ reference: pay.reference }).select('verdict'), (rows) => rows.length === 2, 'both callbacks');

    // Forged, stale, replayed, unknown provider: refused and recorded; a late "failed" changes nothing.
    expect((await sim.sendCallback(WALLET, txn.providerTxnId, { secret: 'not-the-secret' })).status).toBe(401);
    expect((await sim.sendCallback(WALLET, txn.providerTxnId, { timestamp: String(Math.floor(Date.now() / 1000) - 3600) })).status).toBe(401);
    const again = await sim.sendCallback(WALLET, txn.providerTxnId, { nonce: 'fixed-nonce-0001' });
    expect(again.status).toBe(200);
    const replay = await sim.sendCallback(WALLET, txn.providerTxnId, { nonce: 'fixed-nonce-0001' });
    expect(replay.status).toBe(409);
    expect(JSON.parse(replay.body)).toMatchObject({ status: 409, verdict: 'replay' });
    expect((await sim.sendCallback(WALLET, txn.providerTxnId, { outcome: 'failed' })).status).toBe(200);
    expect((await sim.sendCallback(WALLET, txn.providerTxnId, { amountVnd: 1 })).status).toBe(422);
    const unknown = await request(app()).post('/payments/callbacks/NOSUCH').set('content-type', 'application/json').send('{}');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/application\/problem\+json/);

    const verdicts = (await api.db('payment_callbacks').where({ reference: pay.reference }).orderBy('id').pluck('verdict')) as string[];
    expect(verdicts.filter((v) => v === 'accepted')).toHaveLength(2); // the first "paid", the late "failed"
    expect(verdicts.sort()).toEqual(['accepted', 'accepted', 'amount_mismatch', 'bad_signature', 'duplicate', 'duplicate', 'replay', 'stale'].sort());
    await eventually(() => api.db('audit_events').where({ case_id: pay.reference }).pluck('action'), (a: string[]) => a.includes('payment.callback_ignored'), 'late failure seen');
    const actions = (await api.db('audit_events').where({ case_id: pay.reference }).pluck('action')) as string[];
    expect(actions.filter((a) => a === 'payment.paid')).toHaveLength(1);
    expect(await api.db('audit_events').where({ case_id: code, action: 'dossier.paid' }).count<{ count: string }[]>('* as count')).toEqual([{ count: '1' }]);
    expect((await api.db('payments').where({ reference: pay.reference }).first()).status).toBe('paid');

    // The payer and the agency's officials see it; another citizen does not.
    const view = await request(app()).get(`/payments/${pay.reference}`).set('Authorization', citizen).expect(200);
    expect(view.body).toMatchObject({ reference: pay.reference, status: 'paid', dossierCode: code, providerTxnId: txn.providerTxnId });
    await request(app()).get(`/payments/${pay.reference}`).set('Authorization', await as('citizen', undefined, 'someone-else')).expect(404);
    const official = await request(app()).get(`/payments/${pay.reference}`).set('Authorization', leader).expect(200);
    expect(official.body.callbacks.length).toBe(verdicts.length);

    // Refund: officials of the agency, once; the provider confirms by callback.
    await request(app()).post(`/payments/${pay.reference}/refund`).set('Authorization', citizen).send({ reason: 'Thu nhầm phí' }).expect(403);
    await request(app()).post(`/payments/${pay.reference}/refund`).set('Authorization', leader).send({ reason: 'Thu trùng lệ phí' }).expect(200);
    await request(app()).post(`/payments/${pay.reference}/refund`).set('Authorization', leader).send({ reason: 'Thu trùng lệ phí' }).expect(409);
    await eventually(() => api.db('payments').where({ reference: pay.reference }).first(), (p) => p?.status === 'refunded', 'refunded');
    const dv = await request(app()).get(`/dossiers/${code}`).set('Authorization', citizen).expect(200);
    expect(dv.body.payments).toEqual([expect.objectContaining({ reference: pay.reference, status: 'refunded', provider: WALLET })]);
  });

  /** A standalone payment, paid (or not) at the simulator at `paidAt`. */
  async function payment(provider: string, amountVnd: number, paidAt?: string): Promise<{ reference: string; providerTxnId: string }> {
    const citizen = await as('citizen', undefined, 'citizen-recon');
    const r = await request(app()).post('/payments').set('Authorization', citizen).send({ provider, agencyId: 'H99.20', transactionType: 'G22.99.02', amountVnd, description: 'Tiền phạt vi phạm hành chính (thử)' }).expect(201);
    if (paidAt) {
      await fetch(r.body.payUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ result: 'pay', paidAt }) });
      await eventually(() => api.db('payments').where({ reference: r.body.reference }).first(), (p) => p?.status === 'paid', 'paid');
    }
    const t = sim.ledger(provider).find((x) => x.reference === r.body.reference)!;
    return { reference: r.body.reference, providerTxnId: t.providerTxnId };
  }

  const put = (provider: string, date: string, body: string) => fetch(`${sim.url}/${provider}/statements/${date}`, { method: 'PUT', body });
  const day = () => api.db('reconciliations').where({ provider: BANK, business_date: yesterday }).first();
  const yesterday = formatDate(localDay(Date.now()) - 1);

  it('reconciles a camt.053 day started by its schedule: every exception kind, inquiries, re-runs', async () => {
    const noon = `${yesterday}T12:00:00+07:00`;
    const A = await payment(BANK, 100_000, noon); // matched
    const B = await payment(BANK, 200_000, noon); // amount differs on the statement
    const C = await payment(BANK, 300_000, noon); // missing from the statement
    const D = await payment(BANK, 400_000); // booked at the bank, never confirmed to the portal
    const E = await payment(BANK, 500_000, noon); // twice on the statement
    const F = await payment(BANK, 600_000, noon); // booked after the cut-off
    const window = reconciliationWindow(yesterday, 22 * 3600_000);
    const line = (n: number, p: { reference: string; providerTxnId: string }, amountVnd: number, bookedAt = noon): StatementLine => ({ lineNo: n, reference: p.reference, providerTxnId: p.providerTxnId, amountVnd, bookedAt, status: 'booked', transactionType: 'G22.99.02', agencyId: 'H99.20' });
    const lines = [
      line(1, A, 100_000),
      line(2, B, 250_000),
      line(3, D, 400_000),
      line(4, E, 500_000),
      line(5, E, 500_000),
      line(6, F, 600_000, `${yesterday}T23:30:00+07:00`),
      { ...line(7, { reference: 'PAY20991231000001ZZZZZZ', providerTxnId: `${BANK}-GHOST-1` }, 70_000), agencyId: undefined }, // no agency: the operator's
    ];
    const header = { messageId: `M-${tag}`, createdAt: new Date().toISOString(), statementId: `S-${tag}`, accountId: 'PORTAL', fromDateTime: new Date(window.startMs).toISOString(), toDateTime: new Date(window.endMs).toISOString() };
    await put(BANK, yesterday, camt053Document({ ...header, declaredCount: lines.length, declaredSumVnd: lines.reduce((s, l) => s + l.amountVnd, 0) }, lines));

    // The daily schedule, triggered now: it reconciles yesterday.
    await ensureReconciliationSchedule(running.sys.client, running.sys.taskQueue, BANK);
    await running.sys.client.schedule.getHandle(reconciliationScheduleId(BANK)).trigger();
    const closed = await eventually(day, (d) => d?.status === 'closed_with_exceptions', 'day reconciled', 60_000);
    expect(closed).toMatchObject({ statement_format: 'camt053', statement_lines: 7, matched: 2, exceptions: 6, runs: 1 }); // A, and E's first line
    const kinds = async () => (await api.db('reconciliation_exceptions').where({ provider: BANK, business_date: yesterday }).orderBy('kind').select('kind', 'reference', 'state'));
    expect(await kinds()).toEqual([
      { kind: 'amount_mismatch', reference: B.reference, state: 'open' },
      { kind: 'duplicate', reference: E.reference, state: 'open' },
      { kind: 'late', reference: F.reference, state: 'open' },
      { kind: 'missing_from_statement', reference: C.reference, state: 'open' },
      { kind: 'status_mismatch', reference: D.reference, state: 'open' },
      { kind: 'unknown_to_portal', reference: 'PAY20991231000001ZZZZZZ', state: 'open' },
    ]);

    // The report (Art 36.3) and its CSV, for the operator; a supervisor sees their agencies only.
    const op = await as('operator', 'VPCP', 'operator-01');
    const report = await request(app()).get('/reconciliations').query({ date: yesterday, provider: BANK }).set('Authorization', op).expect(200);
    expect(report.body).toHaveLength(1);
    expect(report.body[0]).toMatchObject({ provider: BANK, businessDate: yesterday, status: 'closed_with_exceptions', matched: 2, exceptionCount: 6 });
    expect(report.body[0].totals).toEqual(expect.arrayContaining([{ agencyId: 'H99.20', transactionType: 'G22.99.02', status: 'matched', count: 2, amountVnd: 600_000 }]));
    const csv = await request(app()).get('/reconciliations/export').query({ date: yesterday, provider: BANK }).set('Authorization', op).expect(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.text.split('\n').filter((l) => l.startsWith('exception,'))).toHaveLength(6);
    await request(app()).get('/reconciliations').query({ date: yesterday, agency: 'H99.21' }).set('Authorization', await as('supervisor', 'H99.20')).expect(403);
    await request(app()).get('/reconciliations').set('Authorization', await as('citizen')).expect(403);

    // Each exception is an inquiry (tra soát) in the agency's inbox, with a deadline.
    const officer = await as('officer', 'H99.20', 'officer-stp-01');
    const inquiries = await eventually(
      () => request(app()).get('/tasks').query({ step: 'resolve_inquiry', limit: 100 }).set('Authorization', officer),
      (r) => r.body.items?.filter((t: { caseId: string }) => t.caseId.includes(`:${BANK}:`)).length === 5,
      'inquiry tasks',
    );
    const mine = inquiries.body.items.filter((t: { caseId: string }) => t.caseId.includes(`:${BANK}:`));
    expect(mine.every((t: { dueAt: string | null }) => t.dueAt)).toBe(true);
    const unknownCase = `inquiry:${BANK}:${yesterday}:unknown_to_portal:PAY20991231000001ZZZZZZ`;
    const opTasks = await eventually(() => request(app()).get('/tasks').query({ step: 'resolve_inquiry', limit: 100 }).set('Authorization', op), (r) => r.body.items?.some((t: { caseId: string }) => t.caseId === unknownCase), 'operator gets the unattributed one');
    expect(opTasks.status).toBe(200);
    const amountCase = `inquiry:${BANK}:${yesterday}:amount_mismatch:${B.reference}`;
    expect((await complete(amountCase, 'resolve_inquiry', officer, 'confirmed_by_bank')).status).toBe(400); // evidence required
    expect((await complete(amountCase, 'resolve_inquiry', officer, 'confirmed_by_bank', { evidence: 'Ngân hàng xác nhận ghi có 250.000 đồng, công văn 12/NH' })).status).toBe(200);
    await eventually(() => api.db('reconciliation_exceptions').where({ inquiry_id: amountCase }).first(), (e) => e?.state === 'resolved' && e.resolution === 'confirmed_by_bank', 'resolved');

    // Re-running the same statement: same result, no second inquiry.
    await request(app()).post(`/reconciliations/${BANK}/${yesterday}/run`).set('Authorization', op).expect(202);
    await eventually(day, (d) => d?.runs === 2, 're-run');
    expect(await kinds()).toHaveLength(6);
    expect((await api.db('reconciliation_exceptions').where({ inquiry_id: amountCase }).first()).state).toBe('resolved');
    expect(Number((await api.db('tasks').where('case_id', 'like', `inquiry:${BANK}:%`).count<{ count: string }[]>('* as count'))[0]!.count)).toBe(6);

    // A corrected statement arrives late (C was booked after all): its inquiry is cleared.
    const corrected = [...lines, line(8, C, 300_000)];
    await put(BANK, yesterday, camt053Document({ ...header, declaredCount: corrected.length, declaredSumVnd: corrected.reduce((s, l) => s + l.amountVnd, 0) }, corrected));
    await request(app()).post(`/reconciliations/${BANK}/${yesterday}/run`).set('Authorization', op).expect(202);
    await eventually(day, (d) => d?.runs === 3 && d.matched === 3, 'third run');
    const missingCase = `inquiry:${BANK}:${yesterday}:missing_from_statement:${C.reference}`;
    expect((await api.db('reconciliation_exceptions').where({ inquiry_id: missingCase }).first()).state).toBe('cleared');
    const cleared = await eventually(() => running.sys.client.workflow.getHandle(missingCase).describe(), (d) => d.status.name === 'COMPLETED', 'inquiry closed');
    expect(cleared.status.name).toBe('COMPLETED');
    expect(await api.db('tasks').where({ case_id: missingCase }).first()).toMatchObject({ status: 'cancelled' });
  });

  it('rejects a malformed CSV statement with a precise report and imports nothing; a good one closes the day', async () => {
    const op = await as('operator', 'VPCP', 'operator-01');
    const noon = `${yesterday}T09:30:00+07:00`;
    const P = await payment(WALLET, 80_000, noon);
    const good = statementCsv([{ lineNo: 1, reference: P.reference, providerTxnId: P.providerTxnId, amountVnd: 80_000, bookedAt: noon, status: 'booked', transactionType: 'G22.99.02', agencyId: 'H99.20' }]);
    const [headerRow, row] = good.trimEnd().split('\n');
    await put(WALLET, yesterday, `${headerRow}\n${row!.replace('80000', '80000.50')}\n${row!.split(',').slice(0, 3).join(',')}\n`);
    await request(app()).post(`/reconciliations/${WALLET}/${yesterday}/run`).set('Authorization', op).expect(202);
    const rejected = await eventually(() => api.db('reconciliations').where({ provider: WALLET, business_date: yesterday }).first(), (d) => d?.status === 'rejected_statement', 'rejected');
    expect(rejected.problems).toEqual(expect.arrayContaining([expect.objectContaining({ lineNo: 2, field: 'amount_vnd' }), expect.objectContaining({ lineNo: 3 })]));
    expect(await api.db('reconciliation_totals').where({ provider: WALLET }).count<{ count: string }[]>('* as count')).toEqual([{ count: '0' }]);
    expect(await api.db('reconciliation_exceptions').where({ provider: WALLET }).count<{ count: string }[]>('* as count')).toEqual([{ count: '0' }]);

    await put(WALLET, yesterday, good);
    await request(app()).post(`/reconciliations/${WALLET}/${yesterday}/run`).set('Authorization', op).expect(202);
    const closed = await eventually(() => api.db('reconciliations').where({ provider: WALLET, business_date: yesterday }).first(), (d) => d?.status === 'closed', 'closed');
    expect(closed).toMatchObject({ statement_format: 'csv', statement_lines: 1, matched: 1, exceptions: 0 });
  });
});
