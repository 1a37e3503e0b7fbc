/** The knex factory and the migration runner. */
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { migrationSource } from '../migrations';

export type Db = Knex;

// A SQL `date` is a calendar date, not an instant: keep it as 'YYYY-MM-DD' instead of a Date at
// host-zone midnight (which would shift it in any zone but the host's).
pg.types.setTypeParser(pg.types.builtins.DATE, (value: string) => value);

export function createDb(url: string, opts: { poolMax?: number } = {}): Db {
  return knexFactory({
    client: 'pg',
    connection: { connectionString: url, application_name: 'motcua' },
    pool: { min: 0, max: opts.poolMax ?? 10 },
    acquireConnectionTimeout: 10_000,
  });
}

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

export async function pingDb(db: Db): Promise<void> {
  await db.raw('select 1');
}
