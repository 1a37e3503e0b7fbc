/** The API skeleton on a real Temporal client and a real PostgreSQL. */
import request from 'supertest';
import { mintToken } from '../../api/auth';
import { apiContext, type ApiContext } from '../helpers/api';

describe('API skeleton', () => {
  let ctx: ApiContext;
  let app: ApiContext['app'];

  beforeAll(async () => {
    ctx = await apiContext({ bodyLimit: '1kb', rateLimitPerMinute: 1000 });
    app = ctx.app;
  });
  afterAll(() => ctx.close());

  it('reports health and readiness of Temporal and PostgreSQL', async () => {
    await request(app.app).get('/health').expect(200, { status: 'ok' });
    const ready = await request(app.app).get('/ready').expect(200);
    expect(ready.body.status).toBe('ready');
    expect(ready.body.checks.temporal.ok).toBe(true);
    expect(ready.body.checks.postgres.ok).toBe(true);
  });

  it('answers unknown routes with a problem document', async () => {
    const res = await request(app.app).get('/no-such-thing').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, title: 'Not found', instance: '/no-such-thing' });
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
  });

  it('rejects a malformed or forged bearer token with 401', async () => {
    await request(app.app).get('/health').set('Authorization', 'Basic abc').expect(401);
    const forged = await mintToken('not-the-server-secret-but-long-enough-xxxxx', { sub: 'x', role: 'admin' });
    const res = await request(app.app).get('/health').set('Authorization', `Bearer ${forged}`).expect(401);
    expect(res.body.title).toBe('Unauthorized');
  });

  it('maps an oversized body to 413 and invalid JSON to 400', async () => {
    const big = await request(app.app).post('/health').set('Content-Type', 'application/json').send(JSON.stringify({ x: 'a'.repeat(5000) }));
    expect(big.status).toBe(413);
    expect(big.headers['content-type']).toMatch(/problem\+json/);
    const bad = await request(app.app).post('/health').set('Content-Type', 'application/json').send('{"x":');
    expect(bad.status).toBe(400);
  });

  it('serves an OpenAPI 3.1 document with the problem schema and Swagger UI', async () => {
    const doc = await request(app.app).get('/openapi.json').expect(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(doc.body.paths['/ready'].get).toBeDefined();
    expect(doc.body.components.schemas.Problem).toBeDefined();
    const ui = await request(app.app).get('/docs/').expect(200);
    expect(ui.text).toMatch(/swagger-ui/i);
  });

  it('exposes Prometheus metrics including HTTP latencies', async () => {
    await request(app.app).get('/health');
    const res = await request(app.app).get('/metrics').expect(200);
    expect(res.text).toMatch(/motcua_http_request_duration_seconds_bucket\{[^}]*route="\/health"/);
    expect(res.text).toMatch(/motcua_process_resident_memory_bytes/);
    // The e-mail outbox, from the database: undelivered mail by status.
    expect(res.text).toMatch(/motcua_mail_outbox_messages\{status="queued"\} \d+/);
    expect(res.text).toMatch(/motcua_mail_outbox_messages\{status="failed"\} \d+/);
  });

  it('limits the request rate with a 429 problem', async () => {
    const limited = await apiContext({ rateLimitPerMinute: 3 });
    try {
      for (let i = 0; i < 3; i++) await request(limited.app.app).get('/health').expect(200);
      const res = await request(limited.app.app).get('/health').expect(429);
      expect(res.body.title).toBe('Too many requests');
    } finally {
      await limited.close();
    }
  });
});
