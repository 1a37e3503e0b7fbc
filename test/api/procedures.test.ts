/**
 * The procedure catalogue through the API on the real dev server and PostgreSQL: all-or-nothing
 * import (JSON and CSV) with its report, the public search and "which version on date X", a new
 * version entered, edited, refused to its own editor and published by a second person, agency
 * scope, Idempotency-Key, and withdrawal.
 */
import request from 'supertest';
import { DEMO_CATALOGUE } from '../../db/seed-catalogue';
import { formatDate, localDay } from '../../domain/calendar';
import type { ApiContext } from '../helpers/api';
import { runningSystem, type RunningSystem } from '../helpers/harness';
import { eventually } from '../helpers/system';

const CSV_HEADER =
  'code,name,sector,level,agencyId,competentAuthority,implementingAgencyIds,steps,submissionMethods,documents,timeLimitWorkingDays,timeLimitCalendarDays,timeLimitText,applicants,result,conditions,fees,legalBasis,onlineLevel,decisionNumber,signerLevel,signedOn,effectiveOn';
const csvRow = (code: string, level = 'province') =>
  `${code},"Chứng thực bản sao từ bản chính giấy tờ, văn bản",Chứng thực,${level},H99.20,Phòng Tư pháp,H99.20,"Nộp hồ sơ|Kiểm tra, chứng thực|Trả kết quả",counter,"[{""name"":""Bản chính giấy tờ"",""copies"":{""originals"":1,""copies"":0},""required"":true}]",,2,Trong ngày hoặc ngày làm việc tiếp theo,Cá nhân,Bản sao được chứng thực,,"[{""name"":""Phí chứng thực"",""kind"":""fee"",""amountVnd"":2000}]",Nghị định số 23/2015/NĐ-CP,none,88/QĐ-UBND,provincialChair,2025-07-01,2025-07-01`;

describe('procedure catalogue through the API', () => {
  let running: RunningSystem;
  let api: ApiContext;
  const app = () => api.app.app;
  beforeAll(async () => {
    running = await runningSystem();
    ({ api } = running);
  });
  afterAll(() => running.close());

  const as = async (role: Parameters<ApiContext['token']>[0], agency?: string, sub?: string) => `Bearer ${await api.token(role, agency, sub)}`;
  const count = async (code: string) => Number((await api.db('procedure_versions').where({ code }).count<{ count: string }[]>('* as count'))[0]!.count);  async function taskOf(caseId: string, step: string, auth: string): Promise<string> {
    const res = await eventually(() => request(app()).get('/tasks').query({ caseType: 'procedure', step, limit: 100 }).set('Authorization', auth), (r) => r.body.items?.some((x: { caseId: string }) => x.caseId === caseId), `${step} task of ${caseId}`);
    return res.body.items.find((x: { caseId: string }) => x.caseId === caseId).id;
  }

  it('imports a catalogue all or nothing, with a report of what was rejected and why', async () => {
    const operator = await as('operator', 'VPCP', 'operator-01');
    // One bad row (a level that does not exist) rejects the whole file; nothing is written.
    const bad = await request(app()).post('/procedures/import').set('Authorization', operator).send({ format: 'csv', csv: [CSV_HEADER, csvRow('H99-TP-101'), csvRow('H99-TP-102', 'village')].join('\r\n') }).expect(422);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.body.report.rejected).toEqual([{ item: 2, code: 'H99-TP-102', errors: [expect.objectContaining({ path: 'item.record.level' })] }]);
    expect(await count('H99-TP-101')).toBe(0);
    // A malformed CSV is reported with its line.
    const broken = await request(app()).post('/procedures/import').set('Authorization', operator).send({ format: 'csv', csv: `${CSV_HEADER}\n"unclosed` }).expect(422);
    expect(broken.body.report.rejected[0].errors[0].message).toMatch(/line 2: a quoted field is not closed/);
    // Unknown agency and a duplicate code in JSON items.
    const dup = await request(app())
      .post('/procedures/import')
      .set('Authorization', operator)
      .send({ format: 'json', items: [DEMO_CATALOGUE[0], DEMO_CATALOGUE[0], { ...DEMO_CATALOGUE[1], record: { ...DEMO_CATALOGUE[1]!.record, agencyId: 'NOPE' } }] })
      .expect(422);
    expect(dup.body.report.rejected.map((r: { item: number }) => r.item)).toEqual([2, 3]);
    expect(await count(DEMO_CATALOGUE[0]!.record.code)).toBe(0);

    // Officers may not import.
    await request(app()).post('/procedures/import').set('Authorization', await as('officer', 'H99.20')).send({ format: 'json', items: DEMO_CATALOGUE }).expect(403);

    const ok = await request(app()).post('/procedures/import').set('Authorization', operator).send({ format: 'json', items: DEMO_CATALOGUE }).expect(200);
    expect(ok.body).toMatchObject({ total: 4, rejected: [], unchanged: [] });
    expect(ok.body.imported).toHaveLength(4);
    const csv = await request(app()).post('/procedures/import').set('Authorization', operator).send({ format: 'csv', csv: `${CSV_HEADER}\n${csvRow('H99-TP-101')}\n` }).expect(200);
    expect(csv.body.imported).toEqual([{ code: 'H99-TP-101', version: 1 }]);
    // Re-running an import changes nothing.
    const again = await request(app()).post('/procedures/import').set('Authorization', operator).send({ format: 'json', items: DEMO_CATALOGUE }).expect(200);
    expect(again.body).toMatchObject({ imported: [], unchanged: expect.arrayContaining([{ code: 'H99-TP-001', version: 1 }]) });
    expect(await count('H99-TP-001')).toBe(1);
    await eventually(() => api.db('procedure_versions').whereIn('code', ['H99-TP-001', 'H99-TP-002', 'H99-TC-001', 'H99-XD-001', 'H99-TP-101']).where({ status: 'in_force' }), (r) => r.length === 5, 'imported versions in force');
  });

  it('answers the public without login: search, and the version in force on a date', async () => {
    // Other suites share the database (their own codes): look at this suite's H99- codes only.
    const mine = (items: Array<{ code: string }>) => items.filter((i) => i.code.startsWith('H99-'));
    const search = await request(app()).get('/procedures').query({ q: 'lý lịch tư pháp' }).expect(200);
    expect(mine(search.body.items).map((i) => i.code)).toEqual(['H99-TP-001']);
    expect(mine(search.body.items)[0]).toMatchObject({ timeLimit: { calendarDays: 10 }, onlineLevel: 'full', inForceFrom: '2025-07-01' });
    const communes = await request(app()).get('/procedures').query({ level: 'commune' }).expect(200);
    expect(mine(communes.body.items).map((i) => i.code).sort()).toEqual(['H99-TP-002', 'H99-XD-001']);
    const page1 = await request(app()).get('/procedures').query({ agency: 'H99.20', q: 'H99-TP', limit: 2 }).expect(200);
    const page2 = await request(app()).get('/procedures').query({ agency: 'H99.20', q: 'H99-TP', limit: 2, after: page1.body.next }).expect(200);
    expect([...page1.body.items, ...page2.body.items].map((i: { code: string }) => i.code)).toEqual(['H99-TP-001', 'H99-TP-002', 'H99-TP-101']);
    expect(page2.body.next).toBeNull();

    const one = await request(app()).get('/procedures/H99-TC-001').expect(200);
    expect(one.body.inForce).toMatchObject({ version: 1, record: { timeLimit: { workingDays: 3 }, fees: [expect.objectContaining({ amountVnd: 50000 }), expect.objectContaining({ amountVnd: 100000 })] } });
    expect(one.body.inForce.enteredBy).toBeUndefined();
    const before = await request(app()).get('/procedures/H99-TC-001').query({ at: '2025-06-30' }).expect(404);
    expect(before.body.history).toEqual([expect.objectContaining({ version: 1, inForceFrom: '2025-07-01' })]);
    await request(app()).get('/procedures/NO-SUCH-CODE').expect(404);
    await request(app()).get('/procedures/H99-TC-001').query({ at: '2025-02-30' }).expect(400);
  });

  it('a new version: entered (idempotent), edited, refused to its own editor, published by a second person; the old one answers for earlier dates', async () => {
    const officer = await as('officer', 'H99.20', 'officer-stp-01');
    const leader = await as('supervisor', 'H99.20', 'supervisor-stp-01');
    const leader2 = await as('supervisor', 'H99.20', 'supervisor-stp-02');
    const today = formatDate(localDay(Date.now()));
    const record = { ...DEMO_CATALOGUE[0]!.record, timeLimit: { calendarDays: 7, text: 'Không quá 07 ngày' } };
    const decision = { number: '2001/QĐ-UBND', signerLevel: 'provincialChair', signedOn: today, effectiveOn: today };

    // Bad input: a 400 problem document naming the fields; nothing written.
    const invalid = await request(app()).post('/procedures').set('Authorization', officer).send({ record: { ...record, timeLimit: { workingDays: 3, calendarDays: 7, text: 'x' } }, decision: { ...decision, effectiveOn: '2020-01-01' } }).expect(400);
    expect(invalid.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.decision.effectiveOn', 'body.record.timeLimit']);
    // Another agency may not enter it.
    await request(app()).post('/procedures').set('Authorization', await as('officer', 'H99.21')).send({ record, decision }).expect(403);
    expect(await count('H99-TP-001')).toBe(1);

    const answers = await Promise.all([1, 2, 3].map(() => request(app()).post('/procedures').set('Authorization', officer).set('Idempotency-Key', 'procedure-tp001-v2').send({ record, decision })));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    expect(answers.map((a) => a.body)).toEqual([1, 2, 3].map(() => ({ code: 'H99-TP-001', version: 2, status: 'draft' })));
    expect(await count('H99-TP-001')).toBe(2);
    // Without the key, a second draft while one is open is a conflict.
    await request(app()).post('/procedures').set('Authorization', officer).send({ record, decision }).expect(409);
    // Drafts are not public.
    await request(app()).get('/procedures/H99-TP-001/versions/2').expect(404);
    expect((await request(app()).get('/procedures/H99-TP-001/versions/2').set('Authorization', officer).expect(200)).body).toMatchObject({ status: 'draft', enteredBy: 'officer-stp-01' });

    // The leader corrects it (becoming an editor), the officer submits.
    await request(app()).put('/procedures/H99-TP-001/versions/2').set('Authorization', leader).send({ record: { ...record, conditions: ['Người yêu cầu từ đủ 14 tuổi trở lên'] }, decision }).expect(200);
    await request(app()).post(`/tasks/${encodeURIComponent(await taskOf('H99-TP-001@v2', 'submit', officer))}/complete`).set('Authorization', officer).send({ outcome: 'submit' }).expect(200);
    const review = await taskOf('H99-TP-001@v2', 'review', leader);
    const own = await request(app()).post(`/tasks/${encodeURIComponent(review)}/complete`).set('Authorization', leader).send({ outcome: 'publish' }).expect(403);
    expect(own.body.detail).toMatch(/Four eyes/);
    // Once submitted it can no longer be edited.
    await request(app()).put('/procedures/H99-TP-001/versions/2').set('Authorization', officer).send({ record, decision }).expect(409);
    await request(app()).post(`/tasks/${encodeURIComponent(review)}/complete`).set('Authorization', leader2).send({ outcome: 'publish' }).expect(200);

    // Activation writes the new version and retires the old one in two steps: wait for both.
    const settled = (r: request.Response) => r.body.inForce?.version === 2 && JSON.stringify(r.body.history?.map((h: { status: string }) => h.status)) === JSON.stringify(['superseded', 'in_force']);
    const now = await eventually(() => request(app()).get('/procedures/H99-TP-001'), settled, 'version 2 in force, version 1 superseded');
    expect(now.body.inForce).toMatchObject({ record: { timeLimit: { calendarDays: 7 }, conditions: ['Người yêu cầu từ đủ 14 tuổi trở lên'] }, inForceFrom: today });
    expect(now.body.history.map((h: { version: number; status: string }) => [h.version, h.status])).toEqual([
      [1, 'superseded'],
      [2, 'in_force'],
    ]);
    const yesterday = formatDate(localDay(Date.now()) - 1);
    expect((await request(app()).get('/procedures/H99-TP-001').query({ at: yesterday }).expect(200)).body.inForce.version).toBe(1);
  });

  it('withdrawal: a supervisor of the agency records the decision; a second one is refused', async () => {
    const today = formatDate(localDay(Date.now()));
    const w = { number: '3001/QĐ-UBND', signedOn: today, effectiveOn: formatDate(localDay(Date.now()) + 30), reason: 'Thủ tục được thay thế' };
    await request(app()).post('/procedures/H99-TC-001/withdraw').set('Authorization', await as('officer', 'H99.21')).send(w).expect(403);
    await request(app()).post('/procedures/H99-TC-001/withdraw').set('Authorization', await as('supervisor', 'H99.20')).send(w).expect(403);
    await request(app()).post('/procedures/H99-TC-001/withdraw').set('Authorization', await as('supervisor', 'H99.21')).send({ ...w, effectiveOn: '2020-01-01' }).expect(400);
    const ok = await request(app()).post('/procedures/H99-TC-001/withdraw').set('Authorization', await as('supervisor', 'H99.21')).send(w).expect(200);
    expect(ok.body).toEqual({ code: 'H99-TC-001', version: 1, status: 'in_force' });
    await request(app()).post('/procedures/H99-TC-001/withdraw').set('Authorization', await as('operator', 'VPCP')).send(w).expect(409);
    // Still in force until the withdrawal's effective date.
    expect((await request(app()).get('/procedures/H99-TC-001').expect(200)).body.inForce.version).toBe(1);
  });
});
