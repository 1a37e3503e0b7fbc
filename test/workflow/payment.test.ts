/**
 * Payment workflows under time skipping with real activities (PostgreSQL) and the provider
 * simulator on loopback: an inquiry's deadline and escalation on the official calendar, then its
 * resolution with evidence; an unpaid request expiring; a day whose statement does not come,
 * with supervisors alerted, closed once the statement arrives.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../../db/knex';
import { paymentStore } from '../../db/payment-store';
import { formatDate, localDay } from '../../domain/calendar/days';
import { inquiryWorkflowId, paymentWorkflowId, reconciliationWorkflowId } from '../../domain/payments';
import type { Actor } from '../../domain/roles';
import { statementCsv } from '../../domain/statements';
import { startPaymentSimulator, type RunningPaymentSimulator } from '../../infra/payment-simulator';
import { completeTaskUpdate } from '../../workflows/lib/kernel';
import { paymentInquiryWorkflow, paymentWorkflow, reconciliationRerunSignal, reconciliationWorkflow } from '../../workflows/payment';
import { taskOpen, timeSkipping, type TimeSkipping } from '../helpers/harness';

const tag = randomBytes(3).toString('hex').toUpperCase();
const PROVIDER = `TS${tag}`;
const officer: Actor = { sub: 'officer-stp-01', role: 'officer', agencyId: 'H99.20' };

describe('payment workflows (time skipping, real PostgreSQL)', () => {
  let harness: TimeSkipping;
  let env: TimeSkipping['env'];
  let db: Db;
  let sim: RunningPaymentSimulator;
  const taskQueue = 'payment-test';
  beforeAll(async () => {
    sim = await startPaymentSimulator({ providers: [{ id: PROVIDER, name: 'Ngân hàng thử', kind: 'bank', secret: `s-${tag}`, format: 'csv' }] });
  });
  afterAll(() => sim.stop());
  // A test server per test (see procedure.test.ts).
  beforeEach(async () => {
    harness = await timeSkipping(taskQueue, { operatorAgencyId: 'VPCP' });
    ({ env, db } = harness);
    await paymentStore(db).upsertProviders(sim.providerRows());
  });
  afterEach(() => harness?.close());
  const withWorker = (fn: () => Promise<void>) => harness.withWorker(fn);

  it('an inquiry runs on its deadline: due, overdue and escalation alerts, then resolved with evidence', async () => {
    await withWorker(async () => {
      const date = formatDate(localDay(await env.currentTimeMs()) - 1);
      const key = `PAY${date.replace(/-/g, '')}000001ABCDEF`;
      const inquiryId = inquiryWorkflowId(PROVIDER, date, 'amount_mismatch', key);
      await db('reconciliation_exceptions').insert({ provider: PROVIDER, business_date: date, kind: 'amount_mismatch', key, reference: key, agency_id: 'H99.20', detail: 'statement 150000 VND, portal 100000 VND', inquiry_id: inquiryId, state: 'open' });
      const handle = harness.track(
        await env.client.workflow.start(paymentInquiryWorkflow, { taskQueue, workflowId: inquiryId, args: [{ inquiryId, provider: PROVIDER, businessDate: date, kind: 'amount_mismatch', key, agencyId: 'H99.20', detail: 'statement 150000 VND, portal 100000 VND', reference: key }] }),
      );
      const taskId = `${inquiryId}:resolve_inquiry:1`;
      await taskOpen(handle, taskId);
      await env.sleep('21 days');
      const alerts = await db('alerts').where({ case_id: inquiryId }).orderBy('id');
      expect(new Set(alerts.map((a) => a.kind))).toEqual(new Set(['reminder', 'due', 'overdue', 'escalation']));
      expect(alerts.find((a) => a.kind === 'escalation')).toMatchObject({ agency_id: 'H99' });
      // Evidence is required; then the resolution is recorded.
      await expect(handle.executeUpdate(completeTaskUpdate, { args: [{ taskId, actor: officer, actorScope: ['H99.20'], outcome: 'corrected' }] })).rejects.toMatchObject({ cause: { type: 'InvalidPayload' } });
      await handle.executeUpdate(completeTaskUpdate, { args: [{ taskId, actor: officer, actorScope: ['H99.20'], outcome: 'corrected', payload: { evidence: 'Điều chỉnh số tiền theo xác nhận của ngân hàng' } }] });
      expect(await handle.result()).toEqual({ status: 'resolved', resolution: 'corrected' });
      expect(await db('reconciliation_exceptions').where({ inquiry_id: inquiryId }).first()).toMatchObject({ state: 'resolved', resolution: 'corrected', resolved_by: officer.sub });
    });
  });

  it('an unpaid request expires at the end of its validity', async () => {
    await withWorker(async () => {
      const now = await env.currentTimeMs();
      const reference = `PAY${formatDate(localDay(now)).replace(/-/g, '')}900001EXPIRE`;
      await db('payments').insert({ reference, provider: PROVIDER, agency_id: 'H99.20', transaction_type: 'G22.99.02', amount_vnd: 50_000, description: 'Phí thử', payer_sub: 'citizen-x', status: 'pending', created_at: new Date(now), expires_at: new Date(now + 86_400_000) });
      const handle = harness.track(await env.client.workflow.start(paymentWorkflow, { taskQueue, workflowId: paymentWorkflowId(reference), args: [{ reference, provider: PROVIDER, agencyId: 'H99.20', amountVnd: 50_000, createdAtMs: now }] }));
      await env.sleep('2 days');
      expect(await handle.result()).toMatchObject({ reference, status: 'expired' });
      expect(await db('payments').where({ reference }).first()).toMatchObject({ status: 'expired' });
      expect(await db('audit_events').where({ case_id: reference }).pluck('action')).toContain('payment.expired');
    });
  });

  it('a day whose statement does not come alerts the supervisors; the late statement closes it', async () => {
    await withWorker(async () => {
      // A day not over at the provider yet (its statement answers 404 until one is put in place).
      const date = formatDate(localDay(Date.now()) + 1);
      const workflowId = reconciliationWorkflowId(PROVIDER, date);
      const handle = harness.track(await env.client.workflow.start(reconciliationWorkflow, { taskQueue, workflowId, args: [{ provider: PROVIDER, businessDate: date }] }));
      await env.sleep('4 days');
      expect(await db('reconciliations').where({ provider: PROVIDER, business_date: date }).first()).toMatchObject({ status: 'waiting_statement' });
      const alerts = await db('alerts').where({ case_id: `${PROVIDER}:${date}` }).orderBy('id');
      expect(alerts.map((a) => a.kind)).toEqual(expect.arrayContaining(['due', 'overdue']));
      expect(alerts.every((a) => a.agency_id === 'VPCP')).toBe(true);

      await fetch(`${sim.url}/${PROVIDER}/statements/${date}`, { method: 'PUT', body: statementCsv([]) });
      await handle.signal(reconciliationRerunSignal);
      expect(await handle.result()).toMatchObject({ status: 'closed', businessDate: date, matched: 0, exceptions: 0 });
      expect(await db('reconciliations').where({ provider: PROVIDER, business_date: date }).first()).toMatchObject({ status: 'closed', statement_lines: 0 });
    });
  });
});
