/**
 * One dossier from online submission to evaluation through the API, on the real dev server,
 * PostgreSQL, SMTP sink and a real HTTP receiver for the portal sync: validation, Idempotency-Key,
 * the inbox, fees, the owner's view with letters, the public lookup (three fields, rate-limited),
 * the confidential evaluation and the statistics.
 */
import request from 'supertest';
import { DEMO_CATALOGUE } from '../../db/seed-catalogue';
import type { ApiContext } from '../helpers/api';
import { runningSystem, type RunningSystem } from '../helpers/harness';
import { startPortalReceiver, type PortalReceiver } from '../helpers/portal-receiver';
import { eventually, mailMatching } from '../helpers/system';

// Codes of this file's own (the procedure API test imports the demo codes into the same database).
const CATALOGUE = DEMO_CATALOGUE.map((p) => ({ ...p, record: { ...p.record, code: p.record.code.replace('H99-', 'D99-') } }));

const body = {
  procedureCode: 'D99-TP-001',
  agencyId: 'H99.20',
  returnMethod: 'online',
  documents: ['Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp', 'Bản chụp căn cước'],
  applicant: { fullName: 'Lê Thị Cúc', idNumber: '001190012345', address: 'Số 9 phố Minh Họa', phone: '0911222333', email: 'le.thi.cuc@nguoidan.motcua.local' },
};

describe('a dossier through the API', () => {
  let running: RunningSystem;
  let api: ApiContext;
  let portal: PortalReceiver;
  const app = () => api.app.app;
  beforeAll(async () => {
    portal = await startPortalReceiver();
    running = await runningSystem({ portalSyncUrl: portal.url });
    ({ api } = running);
    const op = `Bearer ${await api.token('operator', 'VPCP', 'operator-01')}`;
    await request(app()).post('/procedures/import').set('Authorization', op).send({ format: 'json', items: CATALOGUE }).expect(200);
    for (let i = 0; i < 200; i++) {
      const r = await request(app()).get('/procedures/D99-TP-001');
      if (r.status === 200) break;
      await new Promise((res) => setTimeout(res, 50));
    }
  });
  afterAll(async () => {
    await running.close();
    await portal.close();
  });

  const as = async (role: Parameters<ApiContext['token']>[0], agency?: string, sub?: string) => `Bearer ${await api.token(role, agency, sub)}`;  async function complete(caseId: string, step: string, auth: string, outcome: string, payload: Record<string, unknown> = {}) {
    const list = await eventually(() => request(app()).get('/tasks').query({ caseType: 'dossier', step, limit: 100 }).set('Authorization', auth), (r) => r.body.items?.some((x: { caseId: string }) => x.caseId === caseId), `${step} task of ${caseId}`);
    const id = list.body.items.find((x: { caseId: string }) => x.caseId === caseId).id;
    return request(app()).post(`/tasks/${encodeURIComponent(id)}/complete`).set('Authorization', auth).send({ outcome, payload });
  }
  const count = async () => Number((await api.db('dossiers').count<{ count: string }[]>('* as count'))[0]!.count);

  it('rejects bad submissions with field errors and writes nothing', async () => {
    const citizen = await as('citizen', undefined, 'citizen-cuc');
    const before = await count();
    const bad = await request(app()).post('/dossiers').set('Authorization', citizen).send({ ...body, documents: [], applicant: { ...body.applicant, phone: '123' } }).expect(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.applicant.phone', 'body.documents']);
    await request(app()).post('/dossiers').set('Authorization', citizen).send({ ...body, procedureCode: 'NO-SUCH' }).expect(400);
    const wrongAgency = await request(app()).post('/dossiers').set('Authorization', citizen).send({ ...body, agencyId: 'H99.21' }).expect(400);
    expect(wrongAgency.body.errors[0]).toMatchObject({ path: 'body.agencyId' });
    await request(app()).post('/dossiers').set('Authorization', citizen).send({ ...body, channel: 'counter' }).expect(400);
    await request(app()).post('/dossiers').set('Authorization', await as('officer', 'H99.21')).send({ ...body, channel: 'counter' }).expect(403);
    expect(await count()).toBe(before);
  });

  it('runs from online submission to evaluation', async () => {
    const citizen = await as('citizen', undefined, 'citizen-cuc');
    const officer = await as('officer', 'H99.20', 'officer-stp-01');
    const leader = await as('supervisor', 'H99.20', 'supervisor-stp-01');

    // Three retries of one request: one dossier, one code.
    const answers = await Promise.all([1, 2, 3].map(() => request(app()).post('/dossiers').set('Authorization', citizen).set('Idempotency-Key', 'cuc-lltp-2026-0001').send(body)));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    const { code } = answers[0]!.body;
    expect(code).toMatch(/^H99\.20-\d{6}-\d{4}$/);
    expect(answers.map((a) => a.body)).toEqual([1, 2, 3].map(() => ({ code, status: 'received', procedureVersion: 1 })));
    expect(await api.db('dossiers').where({ owner_sub: 'citizen-cuc' }).count<{ count: string }[]>('* as count')).toEqual([{ count: '1' }]);

    // The public lookup: the procedure name, the degree of completion and the appointment date — nothing else.
    const pub = await request(app()).get(`/public/dossiers/${code}`).expect(200);
    expect(Object.keys(pub.body).sort()).toEqual(['appointmentDate', 'completion', 'procedureName']);
    expect(pub.body).toMatchObject({ procedureName: CATALOGUE[0]!.record.name, completion: { percent: 10 }, appointmentDate: null });
    expect(JSON.stringify(pub.body)).not.toMatch(/Cúc|0911222333|001190012345|citizen-cuc|H99\.20"/);
    await request(app()).get('/public/dossiers/H99.20-261123-9999').expect(404);

    expect((await complete(code, 'check', officer, 'accept')).status).toBe(200);
    const accepted = await eventually(() => request(app()).get(`/public/dossiers/${code}`), (r) => r.body.appointmentDate !== null, 'appointment date');
    expect(accepted.body.completion.percent).toBe(40);
    expect((await complete(code, 'appraise', officer, 'propose_approve', { note: 'Không có án tích' })).status).toBe(200);
    expect((await complete(code, 'approve', leader, 'approve')).status).toBe(200);
    expect((await complete(code, 'collect_fee', officer, 'paid', { receiptNumber: 'BL-2026-77' })).status).toBe(200);
    expect((await complete(code, 'return', officer, 'returned')).status).toBe(200);

    const mine = await eventually(() => request(app()).get(`/dossiers/${code}`).set('Authorization', citizen), (r) => r.body.status === 'returned' && r.body.history.length === 5, 'returned');
    expect(mine.body).toMatchObject({ status: 'returned', paid: true, feeTotalVnd: 200000, timeliness: 'early', procedure: { code: 'D99-TP-001', version: 1 } });
    expect(mine.body.applicant).toBeUndefined();
    expect(mine.body.letters.map((l: { form: string }) => l.form)).toEqual(['01', 'early']);
    expect(mine.body.history.map((h: { status: string }) => h.status)).toEqual(['processing', 'approving', 'awaiting_payment', 'result_ready', 'returned']);
    await request(app()).get(`/dossiers/${code}`).set('Authorization', await as('citizen', undefined, 'someone-else')).expect(404);
    const official = await request(app()).get(`/dossiers/${code}`).set('Authorization', officer).expect(200);
    expect(official.body.applicant).toMatchObject({ fullName: 'Lê Thị Cúc', phone: '0911222333' });

    const mails = await mailMatching((m) => m.to.includes(body.applicant.email));
    expect(mails.map((m) => m.subject)).toEqual([`[Một cửa] Giấy tiếp nhận hồ sơ và hẹn trả kết quả — ${code}`, `[Một cửa] Thông báo có kết quả giải quyết hồ sơ — ${code}`]);
    expect(portal.forCode(code).map((r) => r.body.seq)).toEqual([1, 2, 3, 4, 5]);

    // The evaluation: once, by the owner; the evaluator is not stored.
    await request(app()).post(`/dossiers/${code}/evaluation`).set('Authorization', await as('citizen', undefined, 'someone-else')).send({ satisfaction: 1 }).expect(404);
    await request(app()).post(`/dossiers/${code}/evaluation`).set('Authorization', citizen).send({ satisfaction: 6 }).expect(400);
    await request(app()).post(`/dossiers/${code}/evaluation`).set('Authorization', citizen).send({ satisfaction: 5, comment: 'Nhanh, đúng hẹn' }).expect(201);
    await request(app()).post(`/dossiers/${code}/evaluation`).set('Authorization', citizen).send({ satisfaction: 4 }).expect(409);
    const evaluation = await api.db('dossier_evaluations').where({ code }).first();
    expect(Object.values(evaluation).join(' ')).not.toContain('citizen-cuc');

    const stats = await request(app()).get('/stats/dossiers').query({ agency: 'H99', from: '2026-01-01', to: '2027-12-31' }).set('Authorization', await as('supervisor', 'H99')).expect(200);
    expect(stats.body).toMatchObject({ agencies: expect.arrayContaining(['H99', 'H99.20']), early: expect.any(Number), evaluations: { count: expect.any(Number) } });
    expect(stats.body.received).toBeGreaterThanOrEqual(1);
    expect(stats.body.early).toBeGreaterThanOrEqual(1);
    expect(stats.body.indices.index9Online).toBeGreaterThan(0);
    expect(stats.body.grade.band).toEqual(expect.stringMatching(/excellent|good|fair|average|weak/));
    await request(app()).get('/stats/dossiers').query({ agency: 'H99', from: '2026-01-01', to: '2026-12-31' }).set('Authorization', officer).expect(403);
    await request(app()).get('/stats/dossiers').query({ agency: 'H99.21', from: '2026-01-01', to: '2026-12-31' }).set('Authorization', leader).expect(403);
  });

  it('a supplement goes to the case only when one is awaited', async () => {
    const citizen = await as('citizen', undefined, 'citizen-dung');
    const officer = await as('supervisor', 'H99.20', 'supervisor-stp-01'); // the department's leader covers its office H99.20.01
    const { body: created } = await request(app()).post('/dossiers').set('Authorization', citizen).send({ ...body, procedureCode: 'D99-TP-002', agencyId: 'H99.20.01' }).expect(201);
    await request(app()).post(`/dossiers/${created.code}/supplement`).set('Authorization', citizen).send({ documents: ['Giấy chứng sinh'] }).expect(409);
    expect((await complete(created.code, 'check', officer, 'supplement', { missing: 'Giấy chứng sinh' })).status).toBe(200);
    await eventually(() => request(app()).get(`/dossiers/${created.code}`).set('Authorization', citizen), (r) => r.body.status === 'awaiting_supplement', 'awaiting supplement');
    await request(app()).post(`/dossiers/${created.code}/supplement`).set('Authorization', citizen).send({ documents: ['Giấy chứng sinh'] }).expect(202);
    await eventually(() => request(app()).get('/tasks').query({ caseType: 'dossier', step: 'check', limit: 100 }).set('Authorization', officer), (r) => r.body.items?.some((x: { id: string }) => x.id === `${created.code}:check:2`), 'check reopened');
  });

  it('rate-limits the public lookup per address', async () => {
    let last = 200;
    for (let i = 0; i < 40 && last !== 429; i++) last = (await request(app()).get('/public/dossiers/H99.20-261123-9998')).status;
    expect(last).toBe(429);
  });
});
