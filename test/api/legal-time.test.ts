/** Calendar, deadlines and policies through the API, on a real PostgreSQL. */
import request from 'supertest';
import { apiContext, type ApiContext } from '../helpers/api';

describe('legal-time API', () => {
  let ctx: ApiContext;
  beforeAll(async () => {
    ctx = await apiContext();
  });
  afterAll(() => ctx.close());

  it('GET /calendar/2026 lists days off and worked Saturdays with sources', async () => {
    const res = await request(ctx.app.app).get('/calendar/2026').expect(200);
    expect(res.body.status).toBe('official');
    expect(res.body.daysOff.map((d: { date: string }) => d.date)).toEqual(expect.arrayContaining(['2026-01-02', '2026-02-16', '2026-04-27', '2026-08-31']));
    expect(res.body.workedSaturdays.map((d: { date: string }) => d.date)).toEqual(['2026-01-10', '2026-08-22']);
    expect(res.body.sources.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining(['TB-9441-BNV-2025', 'CV-12729-VPCP-KGVX-2025']));
    const provisional = await request(ctx.app.app).get('/calendar/2031').expect(200);
    expect(provisional.body.status).toBe('provisional');
  });

  it('GET /deadlines answers with due date, end-of-day instant and calendar status', async () => {
    const res = await request(ctx.app.app).get('/deadlines').query({ from: '2026-02-13T09:00:00+07:00', workingDays: 1 }).expect(200);
    expect(res.body).toEqual({ from: '2026-02-13T09:00:00+07:00', workingDays: 1, dueDate: '2026-02-23', dueAt: '2026-02-23T23:59:59.999+07:00', calendar: 'official' });
    const cutoff = await request(ctx.app.app).get('/deadlines').query({ from: '2026-03-03T15:30:00+07:00', workingDays: 1, cutoff: '15:00' }).expect(200);
    expect(cutoff.body.dueDate).toBe('2026-03-05');
  });

  it('rejects bad deadline input with field errors', async () => {
    const res = await request(ctx.app.app).get('/deadlines').query({ from: '2026-02-13', workingDays: -1 }).expect(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain('query.workingDays');
    const noOffset = await request(ctx.app.app).get('/deadlines').query({ from: '2026-02-13T09:00:00', workingDays: 1 }).expect(400);
    expect(noOffset.body.errors[0].path).toBe('query.from');
    await request(ctx.app.app).get('/calendar/1900').expect(400);
  });

  it('lets only operators load a year; a bad year is rejected and nothing is written', async () => {
    const year = {
      reason: 'Thông báo thử nghiệm',
      sources: [{ id: 'TB-TEST', title: 'Thông báo nghỉ lễ năm 2029 (thử nghiệm)', issuer: 'Bộ Nội vụ', issued: '2028-10-01' }],
      daysOff: [{ date: '2029-03-05', name: 'Ngày nghỉ thử nghiệm', kind: 'extra', source: 'TB-TEST' }],
      workedSaturdays: [],
    };
    await request(ctx.app.app).put('/calendar/2029').send(year).expect(401);
    await request(ctx.app.app).put('/calendar/2029').set('Authorization', `Bearer ${await ctx.token('officer')}`).send(year).expect(403);
    const operator = `Bearer ${await ctx.token('operator', 'VPCP')}`;
    const bad = await request(ctx.app.app)
      .put('/calendar/2029')
      .set('Authorization', operator)
      .send({ ...year, daysOff: [{ date: '2029-03-03', name: 'Saturday', kind: 'extra', source: 'TB-TEST' }] })
      .expect(400);
    expect(bad.body.errors[0].message).toMatch(/weekend/);
    expect(await ctx.db('calendar_years').where({ year: 2029 }).count<{ count: string }[]>('* as count')).toEqual([{ count: '0' }]);

    const first = await request(ctx.app.app).put('/calendar/2029').set('Authorization', operator).send(year).expect(201);
    expect(first.body).toEqual({ year: 2029, version: 1 });
    const after = await request(ctx.app.app).get('/calendar/2029').expect(200);
    expect(after.body).toMatchObject({ status: 'official', version: 1 });
    const due = await request(ctx.app.app).get('/deadlines').query({ from: '2029-03-02T09:00:00+07:00', workingDays: 1 }).expect(200);
    expect(due.body.dueDate).toBe('2029-03-06');
    const second = await request(ctx.app.app).put('/calendar/2029').set('Authorization', operator).send({ ...year, daysOff: [] }).expect(201);
    expect(second.body.version).toBe(2);
    expect((await request(ctx.app.app).get('/deadlines').query({ from: '2029-03-02T09:00:00+07:00', workingDays: 1 })).body.dueDate).toBe('2029-03-05');
  });

  it('keeps loaded years append-only in the database', async () => {
    await expect(ctx.db('calendar_years').update({ reason: 'tampered' })).rejects.toThrow(/append-only/);
    await expect(ctx.db('calendar_years').delete()).rejects.toThrow(/append-only/);
  });

  it('publishes policy versions that apply from their effective date; versions are immutable', async () => {
    const list = await request(ctx.app.app).get('/policies').expect(200);
    expect(list.body.inForce).toBe('2021.1');
    const builtin = list.body.versions[0];
    expect(builtin.entries['feedback.transfer']).toMatchObject({ value: 5, unit: 'workingDays' });
    expect(builtin.entries['feedback.transfer'].citation).toMatch(/Decree 20\/2008/);

    const operator = `Bearer ${await ctx.token('operator', 'VPCP')}`;
    const next = { version: '2030.1', effectiveFrom: '2030-01-01', title: 'Thử nghiệm', entries: { ...builtin.entries, 'feedback.answer': { ...builtin.entries['feedback.answer'], value: 7 } } };
    await request(ctx.app.app).post('/policies').set('Authorization', `Bearer ${await ctx.token('supervisor')}`).send(next).expect(403);
    const missing = await request(ctx.app.app).post('/policies').set('Authorization', operator).send({ ...next, entries: { 'feedback.answer': next.entries['feedback.answer'] } }).expect(400);
    expect(missing.body.errors.map((e: { path: string }) => e.path)).toContain('body.entries.feedback.transfer');
    await request(ctx.app.app).post('/policies').set('Authorization', operator).send(next).expect(201);
    await request(ctx.app.app).post('/policies').set('Authorization', operator).send(next).expect(409);

    const before = await request(ctx.app.app).get('/policies/current').query({ at: '2029-12-31T23:00:00+07:00' }).expect(200);
    expect(before.body.version).toBe('2021.1');
    const after = await request(ctx.app.app).get('/policies/current').query({ at: '2030-01-01T00:30:00+07:00' }).expect(200);
    expect(after.body.version).toBe('2030.1');
    expect(after.body.entries['feedback.answer'].value).toBe(7);
  });

  it('documents the legal-time endpoints in OpenAPI', async () => {
    const doc = await request(ctx.app.app).get('/openapi.json').expect(200);
    for (const p of ['/calendar/{year}', '/deadlines', '/policies', '/policies/current']) expect(doc.body.paths[p]).toBeDefined();
  });
});
