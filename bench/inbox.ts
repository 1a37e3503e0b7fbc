/**
 * Inbox query at 1,000,000 tasks: a keyset page of 50 through the real code path (CASL rules
 * compiled to SQL, store query) for an officer and for a province supervisor, against a primary-key
 * lookup on the same table in the same run. Uses DATABASE_URL's server or an embedded PostgreSQL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rulesToAST } from '@casl/ability/extra';
import { defineAbilityFor } from '../api/ability';
import { caslBranches, caslWhere } from '../db/casl-sql';
import { createDb, migrateLatest } from '../db/knex';
import { seedDemoData } from '../db/seed';
import { taskStore } from '../db/task-store';
import { agencyStore } from '../db/agency-store';
import { dropDatabase, ensureDatabase, startEmbeddedPostgres } from '../infra/postgres';
import { freePort } from '../infra/ports';
import { percentile, type BenchResult } from './harness';


export async function inboxBench(opts: { smoke: boolean }): Promise<BenchResult> {
  const rows = opts.smoke ? 100_000 : 1_000_000;
  const iterations = opts.smoke ? 100 : 500;
  let stopPg: (() => Promise<void>) | undefined;
  let tmp: string | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'motcua-bench-'));
    fs.chmodSync(tmp, 0o755);
    const pg = await startEmbeddedPostgres({ dir: path.join(tmp, 'pg'), port: await freePort(), persistent: false });
    serverUrl = pg.url;
    stopPg = pg.stop;
  }
  const database = `motcua_bench_${Date.now()}`;
  const db = createDb(await ensureDatabase(serverUrl, database), { poolMax: 4 });
  try {
    await migrateLatest(db);
    await seedDemoData(db);
    // 200 departments under the demo province, tasks spread across them.
    await db.raw(`insert into agencies (id, code, name, parent_id, level) select 'B' || i, 'B' || i, 'Đơn vị ' || i, 'H99', 'department' from generate_series(1, 200) i`);
    const t0 = performance.now();
    await db.raw(
      `insert into tasks (id, case_type, case_id, workflow_id, step, title, agency_id, candidate_role, assignee, status, priority, due_at, outcomes)
       select 'T' || i, 'feedback', 'PAKN.' || i, 'PAKN.' || i, 'answer', 'Trả lời phản ánh', 'B' || (1 + i % 200), 'officer',
              case when i % 10 < 3 then 'officer-' || (i % 2000) end,
              case when i % 10 < 3 then 'claimed' when i % 10 = 9 then 'done' else 'open' end,
              0, now() + ((i % 120) - 60) * interval '1 day' + (i % 86400) * interval '1 second', '{approve}'
       from generate_series(1, ?) i`,
      [rows],
    );
    await db.raw('vacuum analyze tasks'); // the steady state autovacuum keeps
    const loadSeconds = (performance.now() - t0) / 1000;
    const store = taskStore(db);
    const scopes = { officer: ['B7'], supervisor: await agencyStore(db).descendants('H99') };
    const officer = defineAbilityFor({ sub: 'officer-7', role: 'officer', agencyId: 'B7' }, scopes.officer);
    const supervisor = defineAbilityFor({ sub: 'sup', role: 'supervisor', agencyId: 'H99' }, scopes.supervisor);

    const time = async (fn: () => Promise<unknown>) => {
      const s = performance.now();
      await fn();
      return performance.now() - s;
    };
    const measure = async (fn: (i: number) => Promise<unknown>) => {
      for (let i = 0; i < 20; i++) await fn(i); // warm-up
      const xs: number[] = [];
      for (let i = 0; i < iterations; i++) xs.push(await time(() => fn(i)));
      return { p50: percentile(xs, 50), p99: percentile(xs, 99) };
    };
    const page = (ability: typeof officer, deep: boolean) => async () => {
      const first = await store.page({ status: ['open', 'claimed'], limit: 50 }, caslBranches(rulesToAST(ability, 'read', 'Task')));
      if (!deep || first.length < 50) return first;
      const last = first[first.length - 1]!;
      return store.page({ status: ['open', 'claimed'], limit: 50, after: { dueAt: last.due_at!.toISOString(), id: last.id } }, caslBranches(rulesToAST(ability, 'read', 'Task')));
    };
    if (process.env.BENCH_EXPLAIN) {
      for (const ability of [officer, supervisor]) {
        const q = db('tasks').select('*').where(caslWhere(rulesToAST(ability, 'read', 'Task'))).whereIn('status', ['open', 'claimed']).orderByRaw('due_at asc nulls last, id asc').limit(51).toSQL();
        const plan = await db.raw(`explain (analyze, buffers) ${q.sql}`, q.bindings as never);
        console.log(q.sql, '\n', plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n'));
      }
    }
    const pk = await measure((i) => db('tasks').where({ id: `T${1 + ((i * 7919) % rows)}` }).first());
    const officerFirst = await measure(page(officer, false));
    const supervisorFirst = await measure(page(supervisor, false));
    const officerPage2 = await measure(page(officer, true));
    const worstP99 = Math.max(officerFirst.p99, supervisorFirst.p99);
    const ratio = worstP99 / pk.p99;
    return {
      name: 'inbox',
      description: `GET /tasks query path at ${rows.toLocaleString('en-US')} tasks (200 agencies): CASL-filtered keyset page of 50 vs primary-key lookup, p99 over ${iterations} runs`,
      ratio,
      ratioLabel: 'worst inbox p99 ÷ primary-key p99',
      goal: '≤ 5× and under 20 ms',
      met: ratio <= 5 && worstP99 < 20,
      figures: {
        rows,
        loadSeconds: Number(loadSeconds.toFixed(1)),
        pkP50ms: Number(pk.p50.toFixed(2)),
        pkP99ms: Number(pk.p99.toFixed(2)),
        officerP50ms: Number(officerFirst.p50.toFixed(2)),
        officerP99ms: Number(officerFirst.p99.toFixed(2)),
        provinceSupervisorP50ms: Number(supervisorFirst.p50.toFixed(2)),
        provinceSupervisorP99ms: Number(supervisorFirst.p99.toFixed(2)),
        officerTwoPagesP99ms: Number(officerPage2.p99.toFixed(2)),
      },
    };
  } finally {
    await db.destroy();
    await dropDatabase(serverUrl, database).catch(() => undefined);
    await stopPg?.();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}
