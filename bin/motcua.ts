#!/usr/bin/env node
/** The `motcua` command. `motcua help` lists the subcommands. */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../infra/config';
import { defaultEndpoints } from '../infra/local';
import { createRuntime } from '../infra/runtime';
import { ToolError } from '../infra/tools';
import { createDb, migrateLatest } from '../db/knex';
import { seedDemoData } from '../db/seed';
import { mintToken } from '../api/auth';
import { isRole, ROLES } from '../domain/roles';
import { printDoctor, runDoctor } from '../cli/doctor';
import { start } from '../cli/start';
import { builtInCalendar, MAX_YEAR, MIN_YEAR } from '../domain/calendar';
import { deadlineAnswer } from '../api/routes/legal-time';

const USAGE = `Usage: motcua <command> [options]

  start                         Everything for local use: Temporal dev server, PostgreSQL, SMTP sink,
                                migrations, demo data, worker and API
  api                           The HTTP API only
  worker                        The Temporal worker only
  migrate                       Apply database migrations
  seed                          Load demo data
  token --role R [--agency A] [--sub S]
                                A development token (HS256, JWT_SECRET)
  doctor                        Diagnostics: Temporal → activity → PostgreSQL → SMTP → timer
  deadline --from <ISO instant> --working-days <N> [--cutoff HH:MM]
                                The due date of N working days (JSON), on the built-in calendar
  calendar --year <Y>           Days off and worked Saturdays of a year with their sources (JSON)
  help                          This text

Configuration comes from environment variables; see README.md.`;

class UsageError extends Error {}

const out = (line: string) => process.stdout.write(line + '\n');
const err = (line: string) => process.stderr.write(line + '\n');

async function waitForSignal(stop: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    const handler = () => resolve();
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  });
  await stop();
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    out(USAGE);
    return command ? 0 : 2;
  }
  if (command === 'deadline' || command === 'calendar') return legalTimeCommand(command, rest);
  const config: Config = loadConfig();
  switch (command) {
    case 'start':
      await start(config, out);
      return -1; // keep running until a signal
    case 'api':
    case 'worker': {
      const runtime = await createRuntime(config, defaultEndpoints(config), { api: command === 'api', worker: command === 'worker' });
      out(command === 'api' ? `motcua api listening on ${runtime.apiUrl}` : `motcua worker polling task queue ${config.temporal.taskQueue}`);
      await waitForSignal(() => runtime.stop());
      return 0;
    }
    case 'migrate':
    case 'seed': {
      const db = createDb(defaultEndpoints(config).databaseUrl);
      try {
        const applied = await migrateLatest(db);
        out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
        if (command === 'seed') out(`seeded ${(await seedDemoData(db)).agencies} agencies`);
      } finally {
        await db.destroy();
      }
      return 0;
    }
    case 'token': {
      const { values } = parseArgs({ args: rest, options: { role: { type: 'string' }, agency: { type: 'string' }, sub: { type: 'string' }, name: { type: 'string' } } });
      if (!isRole(values.role)) throw new UsageError(`--role must be one of: ${ROLES.join(', ')}`);
      if (!config.jwt.secret) throw new UsageError('token needs JWT_SECRET (development tokens are HS256)');
      out(
        await mintToken(config.jwt.secret, { sub: values.sub ?? `${values.role}-dev`, role: values.role, agencyId: values.agency, name: values.name }, {
          issuer: config.jwt.issuer,
          audience: config.jwt.audience,
        }),
      );
      return 0;
    }
    case 'doctor': {
      const results = await runDoctor(config, defaultEndpoints(config));
      return printDoctor(results, out) ? 0 : 1;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** Offline commands on the built-in calendar (official notices 2024–2026 + rules); no services needed. */
function legalTimeCommand(command: 'deadline' | 'calendar', args: string[]): number {
  const cal = builtInCalendar();
  if (command === 'deadline') {
    const { values } = parseArgs({ args, options: { from: { type: 'string' }, 'working-days': { type: 'string' }, cutoff: { type: 'string' } } });
    if (!values.from) throw new UsageError('deadline needs --from <ISO-8601 instant with offset>');
    const n = Number(values['working-days']);
    if (values['working-days'] === undefined || !Number.isInteger(n) || n < 0) throw new UsageError('--working-days must be a whole number ≥ 0');
    let cutoffMs: number | undefined;
    if (values.cutoff !== undefined) {
      const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(values.cutoff);
      if (!m) throw new UsageError('--cutoff must be HH:MM');
      cutoffMs = (Number(m[1]) * 60 + Number(m[2])) * 60_000;
    }
    try {
      out(JSON.stringify(deadlineAnswer(cal, values.from, n, cutoffMs)));
    } catch (e) {
      if (e instanceof RangeError) throw new UsageError(e.message);
      throw e;
    }
    return 0;
  }
  const { values } = parseArgs({ args, options: { year: { type: 'string' } } });
  const year = Number(values.year);
  if (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR) throw new UsageError(`--year must be a year from ${MIN_YEAR} to ${MAX_YEAR}`);
  out(JSON.stringify(cal.year(year), null, 2));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    if (e instanceof UsageError || String((e as { code?: string }).code).startsWith('ERR_PARSE_ARGS')) {
      err(`motcua: ${(e as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    if (e instanceof ConfigError || e instanceof ToolError) {
      err(`motcua: ${(e as Error).message}`);
      process.exit(2);
    }
    err(`motcua: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  },
);
