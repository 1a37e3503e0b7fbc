/**
 * Daily reconciliation at 1,000,000 payments and a 1,000,000-line statement, in both formats (CSV
 * and camt.053), written to a temporary file with the chunk serialisers. Baseline: streaming the
 * file through readStatementFile with a no-op onLine. Measured: indexing the payments into a
 * Reconciler, then the same read with every line matched, then finish(); the time spent making the
 * payment objects (the input, as the file is the baseline's) is measured in a dry run and left
 * out of the ratio. Each runs in a fresh child process (this file, forked with `--child`) so that
 * its peak RSS is its own; the best of a few alternating rounds counts.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { readStatementFile, type StatementFormat } from '../activities/statements';
import { formatInstantVN } from '../domain/calendar';
import type { ExceptionKind, PortalPayment, StatementLine } from '../domain/payments';
import { Reconciler } from '../domain/reconciliation';
import { camt053Chunks, statementCsvChunks } from '../domain/statements';
import type { BenchResult } from './harness';

const BUSINESS_DATE = '2026-03-02';
const START_MS = Date.parse('2026-03-02T00:00:00+07:00');
const END_MS = START_MS + 86_400_000;
const AGENCIES = Array.from({ length: 200 }, (_, i) => `G${String(i + 1).padStart(3, '0')}.${(i % 4) * 10}`);
const TYPES = ['G22.99.01.01', 'G22.99.01.02', 'G22.99.02', 'G22.99.03.05'];
const BASE32 = '0123456789ABCDEFGHIJKLMNOPQRSTUV';

/** Which payments get which exception: rare (about 0.1 % each), spread through the day. */
const isMissing = (i: number) => i % 997 === 1;
const isAmountMismatch = (i: number) => i % 1009 === 2;
const isStatusMismatch = (i: number) => i % 1013 === 3;
const isLate = (i: number) => i % 1019 === 4;
const isDuplicated = (i: number) => i % 1021 === 5;
const hasUnknownNeighbour = (i: number) => i % 1031 === 6;

function base32(i: number): string {
  let s = '';
  for (let k = 0; k < 6; k++, i = Math.floor(i / 32)) s = BASE32[i % 32]! + s;
  return s;
}

function paidAtMs(i: number, n: number): number {
  return START_MS + Math.floor((i * (86_000_000 / n)) / 1000) * 1000;
}

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

/** PAY + local date-time of payment + 6 base32 characters (unique per i), as the portal issues them. */
function reference(i: number, n: number, digits?: string): string {
  if (digits) return `PAY${digits}${base32(i)}`;
  const s = (paidAtMs(i, n) - START_MS) / 1000;
  return `PAY20260302${TWO_DIGITS[Math.floor(s / 3600)]}${TWO_DIGITS[Math.floor(s / 60) % 60]}${TWO_DIGITS[s % 60]}${base32(i)}`;
}

/** Payment i of n, as the portal has it. */
function payment(i: number, n: number): PortalPayment {
  const pending = isStatusMismatch(i);
  return {
    reference: reference(i, n),
    provider: 'SIMBANK',
    agencyId: AGENCIES[i % AGENCIES.length]!,
    transactionType: TYPES[i % TYPES.length]!,
    amountVnd: 10_000 * (1 + ((i * 7919) % 500)),
    status: pending ? 'pending' : 'paid',
    paidAtMs: pending ? undefined : paidAtMs(i, n),
  };
}

/** The provider's statement for the n payments, and the outcome the reconciliation must reach. */
function statement(n: number): { lines: () => Generator<StatementLine>; expected: Record<'matched' | ExceptionKind, number> } {
  const expected: Record<'matched' | ExceptionKind, number> = { matched: 0, unknown_to_portal: 0, missing_from_statement: 0, amount_mismatch: 0, duplicate: 0, status_mismatch: 0, late: 0 };
  for (let i = 0; i < n; i++) {
    if (hasUnknownNeighbour(i)) expected.unknown_to_portal++;
    if (isMissing(i)) {
      if (!isStatusMismatch(i)) expected.missing_from_statement++; // a pending payment missing is no exception
    } else {
      if (isDuplicated(i)) expected.duplicate++;
      if (isLate(i)) expected.late++;
      else if (isStatusMismatch(i)) expected.status_mismatch++;
      else if (isAmountMismatch(i)) expected.amount_mismatch++;
      else expected.matched++;
    }
  }
  function* lines(): Generator<StatementLine> {
    let lineNo = 0;
    for (let i = 0; i < n; i++) {
      const p = payment(i, n);
      const base = {
        reference: p.reference,
        providerTxnId: `SB${String(i).padStart(9, '0')}`,
        bookedAt: formatInstantVN(isLate(i) ? END_MS + 600_000 : paidAtMs(i, n)),
        status: 'booked' as const,
        transactionType: p.transactionType,
        agencyId: p.agencyId,
        dossierCode: `${p.agencyId}-260302-${String(i % 10_000).padStart(4, '0')}`,
      };
      if (!isMissing(i)) {
        yield { lineNo: ++lineNo, ...base, amountVnd: isAmountMismatch(i) ? p.amountVnd + 1000 : p.amountVnd };
        if (isDuplicated(i)) yield { lineNo: ++lineNo, ...base, providerTxnId: `SD${String(i).padStart(9, '0')}`, amountVnd: p.amountVnd };
      }
      if (hasUnknownNeighbour(i)) yield { lineNo: ++lineNo, ...base, reference: reference(i, n, '20260302999999'), providerTxnId: `SU${String(i).padStart(9, '0')}`, amountVnd: 50_000 };
    }
  }
  return { lines, expected };
}

/** Writes the chunks to `file` in 64 KiB writes, respecting back-pressure. */
async function writeChunks(file: string, chunks: Iterable<string>): Promise<void> {
  const out = fs.createWriteStream(file);
  let batch: string[] = [];
  let size = 0;
  for (const c of chunks) {
    batch.push(c);
    size += c.length;
    if (size >= 1 << 16) {
      const ok = out.write(batch.join(''));
      batch = [];
      size = 0;
      if (!ok) await once(out, 'drain');
    }
  }
  out.end(batch.join(''));
  await finished(out);
}

interface ChildResult {
  seconds: number;
  indexSeconds: number;
  /** Of which making the payment objects (measured in a dry run): the input, not the work. */
  generateSeconds: number;
  lines: number;
  maxRssMB: number;
  outcome?: Record<string, number>;
}

/** The child: one timed run of `mode` over `file`, its figures sent to the parent. */
async function child(mode: 'baseline' | 'measured', format: StatementFormat, file: string, n: number): Promise<ChildResult> {
  const t0 = performance.now();
  if (mode === 'baseline') {
    const summary = await readStatementFile(file, format, () => undefined);
    return { seconds: (performance.now() - t0) / 1000, indexSeconds: 0, generateSeconds: 0, lines: summary.lines, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  }
  let sink = 0;
  for (let i = 0; i < n; i++) sink += payment(i, n).amountVnd;
  const generateSeconds = (performance.now() - t0) / 1000;
  if (sink === 42) console.log(''); // keep the dry run observable
  const t1 = performance.now();
  const r = new Reconciler({ businessDate: BUSINESS_DATE, startMs: START_MS, endMs: END_MS, expectedPayments: n });
  for (let i = 0; i < n; i++) r.addPayment(payment(i, n));
  const indexSeconds = (performance.now() - t1) / 1000;
  const summary = await readStatementFile(file, format, (l, bookedAtMs) => r.line(l, bookedAtMs));
  const result = r.finish();
  const seconds = (performance.now() - t1) / 1000;
  const outcome: Record<string, number> = { matched: result.matched };
  for (const e of result.exceptions) outcome[e.kind] = (outcome[e.kind] ?? 0) + 1;
  return { seconds, indexSeconds, generateSeconds, lines: summary.lines, maxRssMB: process.resourceUsage().maxRSS / 1024, outcome };
}

async function runChild(mode: 'baseline' | 'measured', format: StatementFormat, file: string, n: number): Promise<ChildResult> {
  const proc = fork(__filename, ['--child', mode, format, file, String(n)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let result: ChildResult | undefined;
  proc.on('message', (m) => (result = m as ChildResult));
  const [code] = (await once(proc, 'exit')) as [number | null];
  if (code !== 0 || !result) throw new Error(`bench child ${mode} ${format} exited with ${code}`);
  return result;
}

export async function reconciliationBench(opts: { smoke: boolean }): Promise<BenchResult[]> {
  const n = opts.smoke ? 20_000 : 1_000_000;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'motcua-bench-reconciliation-'));
  const results: BenchResult[] = [];
  try {
    const { lines, expected } = statement(n);
    for (const format of ['csv', 'camt053'] as const) {
      const file = path.join(tmp, format === 'csv' ? 'statement.csv' : 'statement.xml');
      const w0 = performance.now();
      const count = Object.values(expected).reduce((a, b) => a + b, 0) - expected.missing_from_statement;
      await writeChunks(
        file,
        format === 'csv'
          ? statementCsvChunks(lines())
          : camt053Chunks(
              {
                messageId: `SIMBANK-${BUSINESS_DATE}`,
                createdAt: formatInstantVN(END_MS + 3_600_000),
                statementId: `SIMBANK-${BUSINESS_DATE}`,
                accountId: 'SIMBANK-PORTAL',
                fromDateTime: formatInstantVN(START_MS),
                toDateTime: formatInstantVN(END_MS - 1000),
                declaredCount: count,
              },
              lines(),
            ),
      );
      const writeSeconds = (performance.now() - w0) / 1000;
      const fileMB = fs.statSync(file).size / 2 ** 20;
      // Alternate the two, best of `rounds` each: the machine's noise hits both alike.
      const rounds = opts.smoke ? 1 : format === 'csv' ? 3 : 2;
      let baseline: ChildResult | undefined;
      let measured: ChildResult | undefined;
      for (let r = 0; r < rounds; r++) {
        const b = await runChild('baseline', format, file, n);
        const m = await runChild('measured', format, file, n);
        if (!baseline || b.seconds < baseline.seconds) baseline = b;
        if (!measured || net(m) < net(measured)) measured = m;
      }
      fs.rmSync(file, { force: true });
      if (baseline!.lines !== count || measured!.lines !== count) throw new Error(`${format}: read ${baseline!.lines}/${measured!.lines} lines, wrote ${count}`);
      for (const [k, v] of Object.entries(expected)) {
        if ((measured!.outcome![k] ?? 0) !== v) throw new Error(`${format}: ${k} ${measured!.outcome![k] ?? 0}, expected ${v}`);
      }
      const ratio = net(measured!) / baseline!.seconds;
      const exceptions = Object.entries(measured!.outcome!).filter(([k]) => k !== 'matched').reduce((s, [, v]) => s + v, 0);
      results.push({
        name: `reconciliation-${format}`,
        description: `${n.toLocaleString('en-US')} payments, ${count.toLocaleString('en-US')}-line ${format === 'csv' ? 'CSV' : 'camt.053'} statement (${fileMB.toFixed(0)} MB): index + stream-parse + match + finish vs stream-parse alone, each in a fresh process`,
        ratio,
        ratioLabel: 'index + parse + match (less making the payment objects) ÷ parse alone (s)',
        goal: '≤ 2× and peak RSS < 300 MB',
        met: ratio <= 2 && measured!.maxRssMB < 300,
        figures: {
          lines: count,
          fileMB: Math.round(fileMB),
          writeSeconds: round(writeSeconds),
          parseSeconds: round(baseline!.seconds),
          parseLinesPerSec: Math.round(count / baseline!.seconds),
          parsePeakRssMB: Math.round(baseline!.maxRssMB),
          measuredSeconds: round(net(measured!)),
          indexSeconds: round(measured!.indexSeconds - measured!.generateSeconds),
          parseAndMatchSeconds: round(measured!.seconds - measured!.indexSeconds),
          makingPaymentsSeconds: round(measured!.generateSeconds),
          measuredLinesPerSec: Math.round(count / net(measured!)),
          peakRssMB: Math.round(measured!.maxRssMB),
          matched: measured!.outcome!['matched'] ?? 0,
          exceptions,
        },
      });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return results;
}

const round = (x: number) => Math.round(x * 100) / 100;
/** The measured run's time without making the payment objects (the input, like writing the file for the baseline). */
const net = (r: ChildResult) => r.seconds - r.generateSeconds;

if (require.main === module && process.argv[2] === '--child') {
  const [, , , mode, format, file, n] = process.argv;
  child(mode as 'baseline' | 'measured', format as StatementFormat, file!, Number(n)).then(
    (r) => process.send!(r, () => process.exit(0)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
