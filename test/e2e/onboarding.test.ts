/**
 * Onboarding through the API on the dev server and PostgreSQL, against two real agency systems on
 * loopback — one conforming, one breaking the contract in several ways: the conforming one reaches
 * go-live (manual tests, four-eyes acceptance, the catalogue's online level from the go-live date);
 * the broken one loops back to the agency with evidence until it is fixed.
 */
import request from 'supertest';
import { DEMO_CATALOGUE } from '../../db/seed-catalogue';
import { MANUAL_CHECKLIST } from '../../domain/onboarding';
import { startAgencySystem, type RunningAgencySystem } from '../../infra/agency-simulator';
import type { ApiContext } from '../helpers/api';
import { runningSystem, type RunningSystem } from '../helpers/harness';
import { eventually, mailMatching } from '../helpers/system';

const SECRET = 'agency-callback-secret-0123456789';
const CATALOGUE = DEMO_CATALOGUE.filter((p) => p.record.code === 'H99-TP-001').map((p) => ({ ...p, record: { ...p.record, code: 'O99-TP-001', onlineLevel: 'none' as const, submissionMethods: ['counter' as const, 'post' as const] } }));

describe('onboarding an online service through the API', () => {
  let running: RunningSystem;
  let api: ApiContext;
  let good: RunningAgencySystem;
  let bad: RunningAgencySystem;
  const app = () => api.app.app;
  const as = async (role: Parameters<ApiContext['token']>[0], agency?: string, sub?: string) => `Bearer ${await api.token(role, agency, sub)}`;
  let today: string;

  beforeAll(async () => {
    running = await runningSystem({ operatorAgencyId: 'VPCP' });
    ({ api } = running);
    good = await startAgencySystem({ secret: SECRET });
    bad = await startAgencySystem({ secret: SECRET, breaks: ['no_idempotency', 'accepts_out_of_order', 'intake_plain_errors', 'ignores_signature'] });
    const op = await as('operator', 'VPCP', 'operator-01');
    await request(app()).post('/procedures/import').set('Authorization', op).send({ format: 'json', items: CATALOGUE }).expect(200);
    const r = await eventually(() => request(app()).get('/procedures/O99-TP-001'), (x) => x.status === 200, 'procedure in force');
    today = r.body.at;
  });
  afterAll(async () => {
    await running.close();
    await good.stop();
    await bad.stop();
  });

  const registration = (id: string, endpoints: RunningAgencySystem['endpoints'], extra: Record<string, unknown> = {}) => ({
    serviceId: id,
    name: `Cấp phiếu lý lịch tư pháp trực tuyến (${id})`,
    serviceType: 'dossier_service',
    agencyId: 'H99.20',
    procedureCodes: ['O99-TP-001'],
    targetLevel: 'partial',
    endpoints,
    requireTls: false,
    callbackSecret: SECRET,
    contacts: [{ name: 'Tổ kỹ thuật Sở Tư pháp', email: `kythuat-${id.toLowerCase()}@stp.motcua.local` }],
    plannedGoLive: today,
    ...extra,
  });
  async function task(caseId: string, step: string, auth: string): Promise<string> {
    const list = await eventually(() => request(app()).get('/tasks').query({ step, limit: 100 }).set('Authorization', auth), (r) => r.body.items?.some((x: { caseId: string }) => x.caseId === caseId), `${step} task of ${caseId}`, 30_000);
    return list.body.items.find((x: { caseId: string }) => x.caseId === caseId).id;
  }
  const complete = async (id: string, auth: string, outcome: string, payload: Record<string, unknown> = {}) => request(app()).post(`/tasks/${encodeURIComponent(id)}/complete`).set('Authorization', auth).send({ outcome, payload });
  const serviceCount = async () => Number((await api.db('online_services').count<{ count: string }[]>('* as count'))[0]!.count);

  it('refuses bad registrations with clear problems and writes nothing', async () => {
    const officer = await as('officer', 'H99.20', 'officer-stp-01');
    const before = await serviceCount();
    const bad1 = await request(app()).post('/onboardings').set('Authorization', officer).send({ ...registration('OB-BAD', good.endpoints), endpoints: { statusSyncUrl: 'ftp://x' }, contacts: [] }).expect(400);
    expect(bad1.headers['content-type']).toMatch(/application\/problem\+json/);
    await request(app()).post('/onboardings').set('Authorization', officer).send(registration('OB-BAD', good.endpoints, { procedureCodes: ['NO-SUCH-1'] })).expect(400);
    await request(app()).post('/onboardings').set('Authorization', await as('officer', 'H99.21')).send(registration('OB-BAD', good.endpoints)).expect(403);
    // Full online needs 30% of the procedure's dossiers online: none yet, and the figure is given.
    const full = await request(app()).post('/onboardings').set('Authorization', officer).send(registration('OB-FULL', good.endpoints, { targetLevel: 'full' })).expect(422);
    expect(full.body).toMatchObject({ requiredPercent: 30, onlineShare: { 'O99-TP-001': { online: 0, total: 0, percent: 0 } } });
    expect(await serviceCount()).toBe(before);
  });

  it('a conforming service: automated tests pass, manual tests, four-eyes acceptance, live in the catalogue', async () => {
    const officer = await as('officer', 'H99.20', 'officer-stp-01');
    const tester = await as('operator', 'VPCP', 'operator-01');
    const approver = await as('operator', 'VPCP', 'operator-02');
    const body = registration('OB-GOOD', good.endpoints);
    const first = await request(app()).post('/onboardings').set('Authorization', officer).send(body).expect(201);
    expect(first.body).toMatchObject({ serviceId: 'OB-GOOD', status: 'registered', onlineShare: { 'O99-TP-001': { percent: 0 } } });
    expect(first.body.callbackSecret).toBeUndefined();
    await request(app()).post('/onboardings').set('Authorization', officer).send(body).expect(201); // a retry: the same registration
    await request(app()).post('/onboardings').set('Authorization', officer).send({ ...body, name: 'Một dịch vụ khác' }).expect(409);

    const manual = await task('OB-GOOD', 'manual_tests', tester);
    const view = await request(app()).get('/onboardings/OB-GOOD').set('Authorization', officer).expect(200);
    expect(view.body.status).toBe('manual_testing');
    expect(view.body.checks).toHaveLength(9);
    expect(view.body.checks.every((c: { verdict: string; evidence: unknown[] }) => c.verdict === 'pass' && c.evidence.length > 0)).toBe(true);
    expect(good.received().statuses).not.toEqual({});

    const results = MANUAL_CHECKLIST.dossier_service.map((c) => ({ caseId: c.id, verdict: 'pass', note: 'Đạt yêu cầu' }));
    expect((await complete(manual, tester, 'recorded', { results })).status).toBe(200);
    const accept = await task('OB-GOOD', 'accept', tester);
    const refused = await complete(accept, tester, 'accept');
    expect(refused.status).toBe(403); // four eyes: the tester may not accept
    expect((await complete(accept, approver, 'accept')).status).toBe(200);
    await eventually(() => request(app()).get('/onboardings/OB-GOOD').set('Authorization', officer), (r) => r.body.status === 'live', 'live');

    const proc = await request(app()).get('/procedures/O99-TP-001').expect(200);
    expect(proc.body.inForce.record.onlineLevel).toBe('none');
    expect(proc.body).toMatchObject({ effectiveOnlineLevel: 'partial', onlineServices: [{ serviceId: 'OB-GOOD', level: 'partial', liveFrom: today }] });
    const yesterday = await request(app()).get('/procedures/O99-TP-001').query({ at: '2026-01-01' });
    expect(yesterday.status === 404 || yesterday.body.effectiveOnlineLevel === 'none').toBe(true);

    // The operator may suspend a live service; the agency may not.
    await request(app()).post('/onboardings/OB-GOOD/suspend').set('Authorization', officer).send({ reason: 'Thử quyền' }).expect(403);
    expect((await request(app()).post('/onboardings/OB-GOOD/suspend').set('Authorization', approver).send({ reason: 'Bảo trì hệ thống của Sở' }).expect(200)).body).toEqual({ status: 'suspended' });
    await request(app()).post('/onboardings/OB-GOOD/suspend').set('Authorization', approver).send({ reason: 'Bảo trì hệ thống của Sở' }).expect(409);
  });

  it('a broken service loops back with evidence until fixed; re-tests run what failed plus the regression set', async () => {
    const officer = await as('officer', 'H99.20', 'officer-stp-01');
    const tester = await as('operator', 'VPCP', 'operator-01');
    const approver = await as('operator', 'VPCP', 'operator-02');
    await request(app()).post('/onboardings').set('Authorization', officer).send(registration('OB-BROKEN', bad.endpoints)).expect(201);
    const fix = await task('OB-BROKEN', 'fix', officer);
    const view = await request(app()).get('/onboardings/OB-BROKEN').set('Authorization', officer).expect(200);
    expect(view.body.status).toBe('fixing');
    const failed = view.body.checks.filter((c: { verdict: string }) => c.verdict === 'fail');
    expect(failed.map((c: { checkId: string }) => c.checkId).sort()).toEqual(['intake.invalid', 'payment_callback.forged', 'status_sync.idempotent', 'status_sync.out_of_order']);
    for (const c of failed) {
      expect(c.detail.length).toBeGreaterThan(10);
      expect(c.evidence[0]).toMatchObject({ request: { method: 'POST' }, response: { status: expect.any(Number) } });
    }
    const run = await request(app()).get('/onboardings/OB-BROKEN/runs/1').set('Authorization', officer).expect(200);
    expect(run.body.checks).toHaveLength(9);
    expect(JSON.stringify(run.body)).not.toContain(SECRET);
    await eventually(() => mailMatching((m) => m.to.includes('kythuat-ob-broken@stp.motcua.local')), (ms) => ms.some((m) => /chưa đạt kiểm thử/.test(m.subject) && /Đồng bộ trạng thái: trạng thái bỏ bước phải bị từ chối/.test(m.text)), 'fix notice');
    await request(app()).get('/onboardings/OB-BROKEN').set('Authorization', await as('officer', 'H99.21')).expect(404);

    // Fixed: only what failed plus the regression set run again, then the manual round.
    bad.setBreaks([]);
    expect((await complete(fix, officer, 'fixed', { note: 'Đã sửa 4 lỗi theo biên bản kiểm thử' })).status).toBe(200);
    const manual = await task('OB-BROKEN', 'manual_tests', tester);
    const report = await request(app()).get('/onboardings/OB-BROKEN/report').set('Authorization', tester).expect(200);
    expect(report.body.runs.map((r: { kind: string; passed: boolean }) => [r.kind, r.passed])).toEqual([['test', false], ['retest', true]]);
    expect([...report.body.runs[1].checks].sort()).toEqual(['intake.invalid', 'payment_callback.forged', 'reachability', 'response_time', 'status_sync.idempotent', 'status_sync.order', 'status_sync.out_of_order']);
    expect(report.body.checks.find((c: { checkId: string }) => c.checkId === 'status_sync.idempotent')).toMatchObject({ passes: 1, fails: 1 });

    // A manual case fails: back to the agency; after the fix only that case is tested again.
    const results = MANUAL_CHECKLIST.dossier_service.map((c) => ({ caseId: c.id, verdict: c.id === 'pay-online' ? 'fail' : 'pass', note: c.id === 'pay-online' ? 'Không chuyển sang trang thanh toán' : '' }));
    expect((await complete(manual, tester, 'recorded', { results })).status).toBe(200);
    const fix2 = await task('OB-BROKEN', 'fix', officer);
    expect((await complete(fix2, officer, 'fixed', { note: 'Đã sửa liên kết thanh toán' })).status).toBe(200);
    const manual2 = await task('OB-BROKEN', 'manual_tests', tester);
    const incomplete = await complete(manual2, tester, 'recorded', { results: [] });
    expect(incomplete.status).toBe(400);
    expect((await complete(manual2, approver, 'recorded', { results: [{ caseId: 'pay-online', verdict: 'pass', note: 'Đạt' }] })).status).toBe(200);
    const accept = await task('OB-BROKEN', 'accept', tester);
    expect((await complete(accept, approver, 'accept')).status).toBe(403); // tested round 2
    const third = await as('operator', 'VPCP', 'operator-03');
    expect((await complete(accept, third, 'accept')).status).toBe(200);
    await eventually(() => api.db('online_services').where({ service_id: 'OB-BROKEN' }).first(), (r) => r?.status === 'live', 'live');
  });
});
