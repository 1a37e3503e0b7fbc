/**
 * One feedback from submission to publication through the API, on the real dev server, PostgreSQL
 * and SMTP: intake validation, Idempotency-Key, the inbox, clarification, publication, the public
 * search without personal data, rating and statistics.
 */
import request from 'supertest';
import type { ApiContext } from '../helpers/api';
import { runningSystem, type RunningSystem } from '../helpers/harness';
import { mailMatching } from '../helpers/system';

const body = {
  title: 'Chậm trả kết quả hồ sơ đăng ký khai sinh',
  content: 'Hồ sơ đăng ký khai sinh của con tôi nộp từ tháng trước nhưng đến nay vẫn chưa có kết quả.',
  receivingAgencyId: 'H99.20',
  submitter: { fullName: 'Trần Thị Hoa', address: 'Số 5 phố Minh Họa', phone: '0987654321', email: 'tran.thi.hoa@nguoidan.motcua.local' },
};

describe('feedback through the API', () => {
  let running: RunningSystem;
  let api: ApiContext;
  beforeAll(async () => {
    running = await runningSystem();
    ({ api } = running);
  });
  afterAll(() => running.close());

  const as = async (role: Parameters<ApiContext['token']>[0], agency?: string, sub?: string) => `Bearer ${await api.token(role, agency, sub)}`;
  async function taskOf(code: string, step: string, auth: string): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const res = await request(api.app.app).get('/tasks').query({ caseType: 'feedback', step, limit: 100 }).set('Authorization', auth);
      const t = res.body.items?.find((x: { caseId: string }) => x.caseId === code);
      if (t) return t.id;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no ${step} task for ${code}`);
  }
  async function statusOf(code: string, auth: string, want: string) {
    for (let i = 0; i < 200; i++) {
      const res = await request(api.app.app).get(`/feedback/${code}`).set('Authorization', auth);
      if (res.body.status === want) return res.body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${code} never reached ${want}`);
  }

  it('rejects invalid submissions with field errors and creates nothing', async () => {
    const citizen = await as('citizen', undefined, 'citizen-bad');
    const res = await request(api.app.app)
      .post('/feedback')
      .set('Authorization', citizen)
      .send({ ...body, content: 'This is written in English only, not in Vietnamese at all.', submitter: { ...body.submitter, phone: '12', email: 'nope' } })
      .expect(400);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.content', 'body.submitter.email', 'body.submitter.phone']);
    await request(api.app.app).post('/feedback').set('Authorization', citizen).send({ ...body, receivingAgencyId: 'NOPE' }).expect(400);
    expect(await api.db('feedback').where({ submitted_by: 'citizen-bad' }).count<{ count: string }[]>('* as count')).toEqual([{ count: '0' }]);
  });

  it('runs from submission to publication', async () => {
    const citizen = await as('citizen', undefined, 'citizen-hoa');
    // Ten retries of one request: one case, one code, one receipt.
    const answers = await Promise.all(Array.from({ length: 10 }, () => request(api.app.app).post('/feedback').set('Authorization', citizen).set('Idempotency-Key', 'hoa-2026-11-23-001').send(body)));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([201]));
    const codes = new Set(answers.map((a) => a.body.code));
    expect(codes.size).toBe(1);
    const code = answers[0]!.body.code as string;
    expect(code).toMatch(/^PAKN\.\d{8}\.\d{4}$/);
    await request(api.app.app).post('/feedback').set('Authorization', citizen).set('Idempotency-Key', 'hoa-2026-11-23-001').send({ ...body, title: 'Khác hẳn' }).expect(409);

    // Classification by the portal operator, transfer, acceptance, clarification, answer, approval, check.
    const operator = await as('operator', 'VPCP', 'operator-01');
    const officer = await as('officer', 'H99.20', 'officer-stp-01');
    const leader = await as('supervisor', 'H99.20', 'supervisor-stp-01');
    const classify = await taskOf(code, 'classify', operator);
    await request(api.app.app).post(`/tasks/${classify}/complete`).set('Authorization', operator).send({ outcome: 'outside' }).expect(400);
    await request(api.app.app).post(`/tasks/${classify}/complete`).set('Authorization', operator).send({ outcome: 'within' }).expect(200);
    await request(api.app.app).post(`/tasks/${await taskOf(code, 'accept', officer)}/complete`).set('Authorization', officer).send({ outcome: 'accept' }).expect(200);
    await request(api.app.app)
      .post(`/tasks/${await taskOf(code, 'draft', officer)}/complete`)
      .set('Authorization', officer)
      .send({ outcome: 'request_clarification', payload: { question: 'Đề nghị cho biết số giấy tiếp nhận hồ sơ.' } })
      .expect(200);
    await statusOf(code, citizen, 'awaiting_clarification');
    await request(api.app.app).post(`/feedback/${code}/clarification`).set('Authorization', await as('citizen', undefined, 'someone-else')).send({ text: 'x y' }).expect(404);
    await request(api.app.app).post(`/feedback/${code}/clarification`).set('Authorization', citizen).send({ text: 'Số giấy tiếp nhận: H99.20-261020-0012' }).expect(202);
    await statusOf(code, citizen, 'answering');
    const answerText = 'Sở Tư pháp đã trả kết quả đăng ký khai sinh ngày 20/11/2026 và xin lỗi bà vì sự chậm trễ.';
    await request(api.app.app).post(`/tasks/${await taskOf(code, 'draft', officer)}/complete`).set('Authorization', officer).send({ outcome: 'submit', payload: { answer: answerText } }).expect(200);
    await request(api.app.app).post(`/tasks/${await taskOf(code, 'approve', leader)}/complete`).set('Authorization', leader).send({ outcome: 'approve' }).expect(200);
    await request(api.app.app).post(`/tasks/${await taskOf(code, 'check', operator)}/complete`).set('Authorization', operator).send({ outcome: 'accept' }).expect(200);
    const published = await statusOf(code, citizen, 'published');
    expect(published.answer).toBe(answerText);
    expect(published.submitter).toBeUndefined(); // the owner's view does not echo the personal data
    expect(published.history.map((h: { step: string | null }) => h.step).filter(Boolean)).toEqual(['classify', 'accept', 'draft', 'draft', 'approve', 'check']);

    // Officials of the agency see the submitter; another department does not see the case at all.
    expect((await request(api.app.app).get(`/feedback/${code}`).set('Authorization', officer).expect(200)).body.submitter).toMatchObject({ fullName: 'Trần Thị Hoa' });
    await request(api.app.app).get(`/feedback/${code}`).set('Authorization', await as('officer', 'H99.21')).expect(404);

    // Public: searchable, no personal data anywhere in the answer.
    const pub = await request(api.app.app).get('/public/feedback').query({ q: 'khai sinh', agency: 'H99.20' }).expect(200);
    const item = pub.body.items.find((i: { code: string }) => i.code === code);
    expect(item).toMatchObject({ code, answer: answerText, agencyId: 'H99.20' });
    expect(JSON.stringify(pub.body)).not.toMatch(/Trần Thị Hoa|0987654321|tran\.thi\.hoa/);
    await request(api.app.app).get(`/public/feedback/${code}`).expect(200);

    // E-mails the submitter actually received.
    let mails = await mailMatching((m) => m.to.includes(body.submitter.email) && m.subject.includes(code));
    for (let i = 0; i < 100 && mails.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
      mails = await mailMatching((m) => m.to.includes(body.submitter.email) && m.subject.includes(code));
    }
    expect(mails.map((m) => m.subject.replace(` ${code}`, ''))).toEqual([
      '[Cổng Dịch vụ công] Đã tiếp nhận phản ánh, kiến nghị',
      '[Cổng Dịch vụ công] Đề nghị bổ sung thông tin cho phản ánh',
      '[Cổng Dịch vụ công] Đã có trả lời phản ánh, kiến nghị',
    ]);

    await request(api.app.app).post(`/feedback/${code}/rating`).set('Authorization', citizen).send({ rating: 6 }).expect(400);
    await request(api.app.app).post(`/feedback/${code}/rating`).set('Authorization', citizen).send({ rating: 4 }).expect(200);

    const today = new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 10);
    const stats = await request(api.app.app).get('/stats/feedback').query({ from: today, to: today }).set('Authorization', leader).expect(200);
    expect(stats.body).toMatchObject({ received: expect.any(Number), published: expect.any(Number), index8Score: expect.any(Number) });
    expect(stats.body.published).toBeGreaterThanOrEqual(1);
    expect(Object.keys(stats.body.averageWorkingDaysPerStep)).toEqual(expect.arrayContaining(['classify', 'accept', 'draft', 'approve', 'check']));
    expect(stats.body.averageWorkingDaysPerStep.classify.tasks).toBeGreaterThanOrEqual(1);
    expect(stats.body.averageWorkingDaysPerStep.classify.averageWorkingDays).toBeLessThanOrEqual(1); // decided the same day (or just past midnight)
    await request(api.app.app).get('/stats/feedback').query({ from: today, to: today }).set('Authorization', officer).expect(403);
  });

  it('accepts attachments within limits, shows them to the owner and officials only, and refuses the rest whole', async () => {
    const citizen = await as('citizen', undefined, 'citizen-att');
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(2000, 7)]);
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(500, 1)]);
    const att = (fileName: string, contentType: string, bytes: Buffer) => ({ fileName, contentType, dataBase64: bytes.toString('base64') });
    const refused = async (attachments: unknown[], path: string) => {
      const res = await request(api.app.app).post('/feedback').set('Authorization', citizen).send({ ...body, attachments }).expect(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    };
    await refused([att('a.exe', 'application/x-msdownload', pdf)], 'body.attachments.0.contentType');
    await refused([att('fake.pdf', 'application/pdf', png)], 'body.attachments.0');
    await refused(Array.from({ length: 6 }, () => att('a.pdf', 'application/pdf', pdf)), 'body.attachments');
    await refused([att('big.pdf', 'application/pdf', Buffer.concat([Buffer.from('%PDF'), Buffer.alloc(5 * 1024 * 1024)]))], 'body.attachments.0.dataBase64');
    expect(await api.db('feedback').where({ submitted_by: 'citizen-att' }).count<{ count: string }[]>('* as count')).toEqual([{ count: '0' }]);

    const ok = await request(api.app.app).post('/feedback').set('Authorization', citizen).send({ ...body, attachments: [att('don.pdf', 'application/pdf', pdf), att('ảnh chụp.png', 'image/png', png)] }).expect(201);
    const code = ok.body.code;
    const own = await request(api.app.app).get(`/feedback/${code}`).set('Authorization', citizen).expect(200);
    expect(own.body.attachments.map((a: { fileName: string; sizeBytes: number }) => [a.fileName, a.sizeBytes])).toEqual([['don.pdf', pdf.length], ['ảnh chụp.png', png.length]]);
    const file = await request(api.app.app)
      .get(`/feedback/${code}/attachments/${own.body.attachments[1].id}`)
      .set('Authorization', await as('supervisor', 'H99.20'))
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(file.headers['content-type']).toBe('image/png');
    expect(Buffer.compare(file.body as Buffer, png)).toBe(0);
    await request(api.app.app).get(`/feedback/${code}/attachments/${own.body.attachments[1].id}`).set('Authorization', await as('officer', 'H99.21')).expect(404);
  });

  it('flags possible duplicates (same submitter, or same content) for officials only', async () => {
    const citizen = await as('citizen', undefined, 'citizen-dup');
    const first = await request(api.app.app).post('/feedback').set('Authorization', citizen).send({ ...body, submitter: { ...body.submitter, email: 'dup@nguoidan.motcua.local' } }).expect(201);
    const second = await request(api.app.app)
      .post('/feedback')
      .set('Authorization', await as('officer', 'H99.20', 'officer-stp-01'))
      .send({ ...body, channel: 'phone', content: `  ${body.content.toUpperCase()}!!`, submitter: { ...body.submitter, email: 'other@nguoidan.motcua.local' } })
      .expect(201);
    const officialView = await request(api.app.app).get(`/feedback/${second.body.code}`).set('Authorization', await as('supervisor', 'H99.20')).expect(200);
    expect(officialView.body.channel).toBe('phone');
    expect(officialView.body.possibleDuplicates).toContain(first.body.code);
    const ownerView = await request(api.app.app).get(`/feedback/${first.body.code}`).set('Authorization', citizen).expect(200);
    expect(ownerView.body.possibleDuplicates).toBeUndefined();
  });
});
