/** Gapless daily codes and Idempotency-Keys on a real PostgreSQL, under concurrency and retries. */
import { createDb, type Db } from '../../db/knex';
import { IdempotencyConflictError, intakeStore, requestHash } from '../../db/intake-store';
import { parseDate } from '../../domain/calendar';
import { paknCode } from '../../domain/codes';
import { system, uniqueId } from '../helpers/system';

describe('case intake codes', () => {
  let db: Db;
  beforeAll(() => {
    db = createDb(system.databaseUrl(), { poolMax: 20 });
  });
  afterAll(() => db.destroy());

  it('issues 1..N without gaps or duplicates to concurrent intakes', async () => {
    const store = intakeStore(db);
    const series = uniqueId('S');
    const day = parseDate('2026-11-23');
    const codes = await Promise.all(
      Array.from({ length: 60 }, (_, i) => store.reserve({ series, day, scope: `citizen-${i}:feedback`, hash: requestHash({ i }), makeCode: (n) => paknCode(day, n) }).then((r) => r.code)),
    );
    expect([...codes].sort()).toEqual(Array.from({ length: 60 }, (_, i) => paknCode(day, i + 1)));
    // Another day starts again at 1.
    const next = await store.reserve({ series, day: day + 1, scope: 'x:feedback', hash: 'h', makeCode: (n) => paknCode(day + 1, n) });
    expect(next.code).toBe('PAKN.20261124.0001');
  });

  it('gives ten concurrent retries with one Idempotency-Key one code, and the stored answer afterwards', async () => {
    const store = intakeStore(db);
    const series = uniqueId('S');
    const day = parseDate('2026-11-23');
    const body = { title: 'Phản ánh', content: 'Nội dung' };
    const attempts = await Promise.all(
      Array.from({ length: 10 }, () => store.reserve({ series, day, scope: 'citizen-1:feedback', key: 'k-1', hash: requestHash(body), makeCode: (n) => paknCode(day, n) })),
    );
    expect(new Set(attempts.map((a) => a.code))).toEqual(new Set(['PAKN.20261123.0001']));
    expect(attempts.filter((a) => a.kind === 'new')).toHaveLength(1);
    expect(attempts.filter((a) => a.kind === 'pending')).toHaveLength(9);
    await store.complete({ scope: 'citizen-1:feedback', key: 'k-1', statusCode: 201, response: { code: 'PAKN.20261123.0001' } });
    const replay = await store.reserve({ series, day, scope: 'citizen-1:feedback', key: 'k-1', hash: requestHash(body), makeCode: (n) => paknCode(day, n) });
    expect(replay).toMatchObject({ kind: 'done', statusCode: 201, response: { code: 'PAKN.20261123.0001' } });
    // No number was burnt by the retries.
    expect((await store.reserve({ series, day, scope: 'citizen-2:feedback', hash: 'h', makeCode: (n) => paknCode(day, n) })).code).toBe('PAKN.20261123.0002');
  });

  it('refuses an Idempotency-Key reused with a different body', async () => {
    const store = intakeStore(db);
    const series = uniqueId('S');
    const day = parseDate('2026-11-23');
    await store.reserve({ series, day, scope: 'c:feedback', key: 'k', hash: requestHash({ a: 1 }), makeCode: (n) => paknCode(day, n) });
    await expect(store.reserve({ series, day, scope: 'c:feedback', key: 'k', hash: requestHash({ a: 2 }), makeCode: (n) => paknCode(day, n) })).rejects.toThrow(IdempotencyConflictError);
  });

  it('burns no number when the intake transaction fails', async () => {
    const store = intakeStore(db);
    const series = uniqueId('S');
    const day = parseDate('2026-11-23');
    await expect(store.reserve({ series, day, scope: 'c:feedback', hash: 'h', makeCode: () => { throw new Error('validation failed late'); } })).rejects.toThrow('late');
    expect((await store.reserve({ series, day, scope: 'c:feedback', hash: 'h', makeCode: (n) => paknCode(day, n) })).code).toBe('PAKN.20261123.0001');
  });
});
