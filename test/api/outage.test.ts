/** A backing service that is down gives 503 problem documents (never 500), and /ready says which. */
import request from 'supertest';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { createAuthenticator, mintToken } from '../../api/auth';
import { createDb } from '../../db/knex';
import { createLogger } from '../../infra/logger';
import { freePort } from '../../infra/ports';
import { system } from '../helpers/system';

const secret = 'outage-test-secret-that-is-long-enough-0123456789';

describe('PostgreSQL unreachable', () => {
  it('answers 503 with Retry-After, and /ready reports postgres down', async () => {
    const db = createDb(`postgres://postgres:x@127.0.0.1:${await freePort()}/none`);
    const connection = await Connection.connect({ address: system.temporalAddress() });
    try {
      const { app } = createApp({ db, temporal: new Client({ connection }), taskQueue: 'x', auth: createAuthenticator({ secret }), logger: createLogger('silent') });
      const token = `Bearer ${await mintToken(secret, { sub: 's', role: 'supervisor', agencyId: 'H99.20' })}`;
      for (const path of ['/tasks', '/alerts', '/calendar/2026', '/policies']) {
        const res = await request(app).get(path).set('Authorization', token);
        expect([path, res.status]).toEqual([path, 503]);
        expect(res.headers['content-type']).toMatch(/problem\+json/);
        expect(res.headers['retry-after']).toBe('5');
      }
      const ready = await request(app).get('/ready').expect(503);
      expect(ready.body.checks).toMatchObject({ temporal: { ok: true }, postgres: { ok: false } });
    } finally {
      await connection.close();
      await db.destroy();
    }
  });
});
