/**
 * Conformance runs against the agency-system simulator on loopback: a conforming system passes
 * every check with its evidence, each break fails exactly its checks with a useful detail, a fixed
 * system passes the re-test, and an unreachable or failing system never makes the run throw.
 * Needs no PostgreSQL or Temporal (it sits with the system tests for its real HTTP servers).
 */
import { runConformance } from '../../activities/conformance';
import { CHECK_IDS, REGRESSION_CHECKS, type CheckId, type CheckResult } from '../../domain/onboarding';
import { startAgencySystem, type RunningAgencySystem } from '../../infra/agency-simulator';

const SECRET = 'agency-onboarding-test-secret';
let runNo = 0;
const runId = () => `${Date.now().toString(36)}-${++runNo}`;

const failed = (results: CheckResult[]) => results.filter((r) => r.verdict === 'fail').map((r) => r.checkId);
const byId = (results: CheckResult[], id: CheckId) => results.find((r) => r.checkId === id)!;

describe('conformance run against an agency system', () => {
  let agency: RunningAgencySystem;
  beforeAll(async () => {
    agency = await startAgencySystem({ secret: SECRET });
  });
  afterAll(() => agency.stop());
  beforeEach(() => agency.setBreaks([]));

  const run = (o: { checks?: CheckId[]; requireTls?: boolean; maxResponseMs?: number; timeoutMs?: number; id?: string } = {}) =>
    runConformance({
      endpoints: agency.endpoints,
      requireTls: o.requireTls ?? false,
      secret: SECRET,
      checks: o.checks ?? [...CHECK_IDS],
      maxResponseMs: o.maxResponseMs ?? 1000,
      runId: o.id ?? runId(),
      timeoutMs: o.timeoutMs,
    });

  it('passes every check against a conforming system, with the evidence of each', async () => {
    const id = runId();
    const before = agency.received();
    const results = await run({ id, checks: [...CHECK_IDS].reverse() });
    expect(results.map((r) => r.checkId)).toEqual([...CHECK_IDS]);
    for (const r of results) {
      expect({ checkId: r.checkId, verdict: r.verdict, detail: r.detail }).toEqual({ checkId: r.checkId, verdict: 'pass', detail: expect.any(String) });
      expect(r.exchanges.length).toBeGreaterThan(0);
      expect(r.title).toBeTruthy();
    }
    const order = byId(results, 'status_sync.order');
    expect(order.exchanges).toHaveLength(4);
    expect(order.exchanges[1]!.request).toMatchObject({ method: 'POST', url: agency.endpoints.statusSyncUrl, headers: { 'idempotency-key': `ONBOARD-${id}-A:2` } });
    expect(order.exchanges[1]!.response).toMatchObject({ status: 200, headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(order.exchanges[1]!.response!.body)).toEqual({ code: `ONBOARD-${id}-A`, seq: 2, accepted: true });

    const signed = byId(results, 'payment_callback.signed').exchanges[0]!.request.headers;
    expect(signed['x-portal-signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(signed['x-portal-timestamp']).toMatch(/^\d{10}$/);
    expect(JSON.stringify(results)).not.toContain(SECRET);

    const after = agency.received();
    expect(after.statuses[`ONBOARD-${id}-A`]).toEqual([
      { seq: 1, status: 'received' },
      { seq: 2, status: 'processing' },
      { seq: 3, status: 'result_ready' },
      { seq: 4, status: 'returned' },
    ]);
    expect(after.statuses[`ONBOARD-${id}-C`]).toBeUndefined(); // refused out of order
    expect(after.intakes - before.intakes).toBe(1);
    expect(after.payments - before.payments).toBe(1);
    expect(byId(results, 'response_time').detail).toMatch(/^p95 \d+ ms over \d+ exchange\(s\), limit 1000 ms/);
  });

  it('checks idempotency on a dossier of its own when the order check does not run', async () => {
    const id = runId();
    const results = await run({ id, checks: ['status_sync.idempotent'] });
    expect(failed(results)).toEqual([]);
    expect(results[0]!.exchanges.map((e) => e.request.method)).toEqual(['POST', 'POST', 'POST', 'GET']);
    expect(agency.received().statuses[`ONBOARD-${id}-B`]).toEqual([{ seq: 1, status: 'received' }, { seq: 2, status: 'processing' }]);
  });

  it('fails exactly the broken checks with precise details, then passes the re-test once fixed', async () => {
    agency.setBreaks(['no_idempotency', 'accepts_out_of_order', 'intake_plain_errors', 'ignores_signature']);
    const results = await run();
    expect(failed(results)).toEqual(['status_sync.idempotent', 'status_sync.out_of_order', 'intake.invalid', 'payment_callback.forged']);
    expect(byId(results, 'status_sync.idempotent').detail).toMatch(/expected 200 .* listing seq \[1, 2, 3, 4\] once each in order, got seq \[1, 2, 3, 4, 2\] \(seq 2 recorded 2 times\)/);
    expect(byId(results, 'status_sync.out_of_order').detail).toMatch(/expected 409, got 200 .*accepted out of order/);
    expect(byId(results, 'intake.invalid').detail).toMatch(/expected 400 with an application\/problem\+json body, got 400 \(text\/plain; charset=utf-8\) "invalid dossier: applicant"/);
    expect(byId(results, 'payment_callback.forged').detail).toMatch(/expected 401, got 200 .*forged notification was accepted/);

    agency.setBreaks([]);
    const retest = [...new Set([...failed(results), ...REGRESSION_CHECKS])];
    const again = await run({ checks: retest });
    expect(again.map((r) => r.checkId)).toEqual(CHECK_IDS.filter((id) => retest.includes(id)));
    expect(failed(again)).toEqual([]);
  });

  it('fails reachability when TLS is required and the endpoints are plain http', async () => {
    const results = await run({ requireTls: true, checks: ['reachability'] });
    expect(results[0]!.verdict).toBe('fail');
    expect(results[0]!.detail).toContain(`TLS required: ${agency.endpoints.statusSyncUrl}`);
    expect(results[0]!.detail).toContain(`TLS required: ${agency.endpoints.paymentCallbackUrl}`);
    expect(results[0]!.exchanges.length).toBeGreaterThan(0);
  });

  it('fails response time for a slow system, measuring with requests of its own when it runs alone', async () => {
    agency.setBreaks(['slow']);
    const slow = await run({ checks: ['response_time'], maxResponseMs: 1000 });
    expect(slow[0]!.verdict).toBe('fail');
    expect(slow[0]!.detail).toMatch(/^p95 1\d{3} ms over 3 exchange\(s\), limit 1000 ms .*over the limit/);
    expect(slow[0]!.exchanges).toHaveLength(3);
    agency.setBreaks([]);
    const fixed = await run({ checks: ['response_time'], maxResponseMs: 1000 });
    expect(fixed[0]!.verdict).toBe('pass');
  });

  it('records a timeout as a failure, not an exception', async () => {
    agency.setBreaks(['slow']);
    const results = await run({ checks: ['reachability', 'intake.valid'], timeoutMs: 300 });
    expect(failed(results)).toEqual(['reachability', 'intake.valid']);
    expect(results[0]!.detail).toContain('got no answer (no answer within 300 ms)');
    expect(results[0]!.exchanges[0]!.error).toBe('no answer within 300 ms');
  });

  it('fails reachability and status sync of a system that is down, without throwing', async () => {
    agency.setBreaks(['down']);
    const results = await run();
    expect(results).toHaveLength(CHECK_IDS.length);
    expect(failed(results)).toEqual(expect.arrayContaining(['reachability', 'status_sync.order', 'status_sync.idempotent', 'status_sync.out_of_order']));
    expect(byId(results, 'reachability').detail).toContain('expected an HTTP answer below 500, got 503');
    expect(byId(results, 'status_sync.order').detail).toMatch(/POST seq 1 \(received\) of ONBOARD-.*-A: expected 2xx \{code, seq, accepted: true\}, got 503/);
  });

  it('fails every check of an unreachable system, without throwing', async () => {
    const gone = await startAgencySystem({ secret: SECRET });
    await gone.stop();
    const results = await runConformance({ endpoints: gone.endpoints, requireTls: false, secret: SECRET, checks: [...CHECK_IDS], maxResponseMs: 1000, runId: runId() });
    expect(failed(results)).toEqual([...CHECK_IDS]);
    expect(byId(results, 'reachability').detail).toContain('got no answer (ECONNREFUSED');
    expect(byId(results, 'response_time').detail).toContain('response time not measurable');
  });
});
