/**
 * discardUnreadBody (api/app.ts): found by the 100,000-request fuzz run — a GET carrying a 120 KB
 * body of a type no parser takes, answered with a large report, reached the client as "aborted".
 * Real Express and real HTTP on loopback; the answer is a 300 KB document.
 */
import express from 'express';
import request from 'supertest';
import { discardUnreadBody } from '../../api/app';

function appWith(middleware: express.RequestHandler[]): express.Express {
  const app = express();
  app.use(express.json());
  for (const m of middleware) app.use(m);
  app.get('/big', async (_req, res) => {
    await new Promise((r) => setTimeout(r, 5));
    res.json({ text: 'a'.repeat(300_000) });
  });
  return app;
}

async function attempts(app: express.Express, body: string): Promise<{ ok: number; errors: string[] }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as { port: number };
  let ok = 0;
  const errors: string[] = [];
  try {
    for (let i = 0; i < 10; i++) {
      try {
        const res = await request(`http://127.0.0.1:${port}`).get('/big').set('Content-Type', 'application/merge-patch+json').send(body).timeout({ deadline: 10_000 });
        if (res.status === 200 && (res.body as { text: string }).text.length === 300_000) ok++;
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  } finally {
    await new Promise((r) => server.close(r));
  }
  return { ok, errors };
}

describe('a request body no parser takes', () => {
  it('without discardUnreadBody, a large answer is cut off (the failure it prevents)', async () => {
    const r = await attempts(appWith([]), '['.repeat(120_000));
    expect(r.ok).toBeLessThan(10);
  });

  it('is read and discarded, and the whole answer arrives', async () => {
    expect(await attempts(appWith([discardUnreadBody]), '['.repeat(120_000))).toEqual({ ok: 10, errors: [] });
  });

  it('drops the connection past 1 MiB', async () => {
    const r = await attempts(appWith([discardUnreadBody]), '['.repeat(3 * 1024 * 1024));
    expect(r.ok).toBeLessThan(10);
  });
});
