/**
 * `npm run bench [-- --smoke] [-- --only name]`: every benchmark prints its figure as a ratio to a
 * baseline measured in the same run, with the absolute numbers for context, and writes JSON to
 * bench/results/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchResult } from './harness';
import { workingDaysBench } from './working-days';
import { inboxBench } from './inbox';
import { casesBench } from './cases';
import { historyBench } from './history';
import { reconciliationBench } from './reconciliation';
import { parkedBench } from './parked';

const BENCHES: Record<string, (opts: { smoke: boolean }) => BenchResult | BenchResult[] | Promise<BenchResult | BenchResult[]>> = {
  'working-days': workingDaysBench,
  inbox: inboxBench,
  cases: casesBench,
  history: historyBench,
  reconciliation: reconciliationBench,
  parked: parkedBench,
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { smoke: { type: 'boolean', default: false }, only: { type: 'string' } } });
  const names = values.only ? values.only.split(',') : Object.keys(BENCHES);
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  console.log(`motcua benchmarks${values.smoke ? ' (smoke)' : ''} on ${machine}\n`);
  const results: BenchResult[] = [];
  for (const name of names) {
    const bench = BENCHES[name];
    if (!bench) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(BENCHES).join(', ')}`);
    for (const r of [await bench({ smoke: values.smoke ?? false })].flat()) {
    results.push(r);
    const figures = Object.entries(r.figures).map(([k, v]) => `${k}=${typeof v === 'number' ? v.toLocaleString('en-US') : v}`).join(', ');
    console.log(`${r.name}: ${r.ratio.toFixed(1)}× (${r.ratioLabel}); goal ${r.goal}: ${r.met ? 'met' : 'NOT met'}\n  ${r.description}\n  ${figures}\n`);
    }
  }
  const dir = path.join(__dirname, '..', '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ machine, smoke: values.smoke, at: new Date().toISOString(), results }, null, 2));
  console.log(`results written to ${path.relative(process.cwd(), file)}`);
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
