/** The daily reconciliation: every exception kind, totals, duplicates, determinism, and the compact string table under it. */
import path from 'node:path';
import { readStatementFile, type StatementFormat } from '../../activities/statements';
import type { PaymentStatus, PortalPayment, ReconciliationException, StatementLine } from '../../domain/payments';
import { EXCEPTION_KINDS } from '../../domain/payments';
import { Reconciler, StringTable, statusesAgree, type ReconcilerOptions, type ReconciliationResult } from '../../domain/reconciliation';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'statements');
const at = (local: string) => Date.parse(`${local}+07:00`);
const DAY = { businessDate: '2026-03-02', startMs: at('2026-03-02T00:00:00'), endMs: at('2026-03-03T00:00:00') };

const pay = (reference: string, amountVnd: number, status: PaymentStatus, paidAt?: string, agencyId = 'H12.20', transactionType = 'G22.99.01.01'): PortalPayment => ({
  reference,
  provider: 'SIMBANK',
  agencyId,
  transactionType,
  amountVnd,
  status,
  ...(paidAt ? { paidAtMs: at(paidAt) } : {}),
});

/** The payments the fixtures day.csv and day.camt053.xml are reconciled against. */
const FIXTURE_PAYMENTS: PortalPayment[] = [
  pay('PAY20260302080000AAAAA1', 150000, 'paid', '2026-03-02T08:00:00'), // matched
  pay('PAY20260302081500AAAAA2', 200000, 'paid', '2026-03-02T08:15:00'), // the statement says 250000
  pay('PAY20260302090000AAAAA3', 100000, 'pending', undefined, 'H12.21', 'G22.99.02'), // booked at the bank
  pay('PAY20260302093000AAAAA4', 50000, 'paid', '2026-03-02T23:59:30', 'H12.21', 'G22.99.02'), // booked after midnight
  pay('PAY20260302100000AAAAA5', 300000, 'paid', '2026-03-02T10:00:00'), // not on the statement
  pay('PAY20260302103000AAAAA6', 120000, 'paid', '2026-03-02T10:30:00'), // matched, then listed again
  pay('PAY20260302110000AAAAA7', 80000, 'refunded', '2026-02-27T10:00:00'), // reversed: matched
  pay('PAY20260302113000AAAAA8', 70000, 'failed', undefined, 'H12.21', 'G22.99.02'), // rejected: matched
  pay('PAY20260302123000AAAAB1', 90000, 'paid', '2026-03-01T15:00:00'), // the day before, not on it: fine
];

function reconcile(payments: PortalPayment[], lines: StatementLine[], day: ReconcilerOptions = DAY): ReconciliationResult {
  const r = new Reconciler(day);
  for (const p of payments) r.addPayment(p);
  for (const l of lines) r.line(l);
  return r.finish();
}

let n = 0;
const line = (reference: string, amountVnd: number, over: Partial<StatementLine> = {}): StatementLine => ({
  lineNo: ++n,
  reference,
  providerTxnId: `TXN${n}`,
  amountVnd,
  bookedAt: '2026-03-02T12:00:00+07:00',
  status: 'booked',
  ...over,
});

async function fixtureLines(name: string, format: StatementFormat): Promise<StatementLine[]> {
  const lines: StatementLine[] = [];
  await readStatementFile(path.join(FIXTURES, name), format, (l) => lines.push(l));
  return lines;
}

describe('Reconciler on the fixture statements', () => {
  for (const [file, format, dupLine, unknownLine] of [
    ['day.csv', 'csv', 10, 9],
    ['day.camt053.xml', 'camt053', 9, 8],
  ] as const) {
    it(`${file}: every exception kind, the matched lines and the totals`, async () => {
      const result = reconcile(FIXTURE_PAYMENTS, await fixtureLines(file, format));
      expect(result.matched).toBe(4);
      expect(result.statementLines).toBe(9);
      expect(result.statementSumVnd).toBe(980000);
      expect(result.exceptions.map((e) => [e.kind, e.key])).toEqual([
        ['unknown_to_portal', 'PAY20260302120000ZZZZZ9'],
        ['missing_from_statement', 'PAY20260302100000AAAAA5'],
        ['amount_mismatch', 'PAY20260302081500AAAAA2'],
        ['duplicate', `PAY20260302103000AAAAA6#${dupLine}`],
        ['status_mismatch', 'PAY20260302090000AAAAA3'],
        ['late', 'PAY20260302093000AAAAA4'],
      ]);
      const byKind = Object.fromEntries(result.exceptions.map((e) => [e.kind, e])) as Record<string, ReconciliationException>;
      expect(byKind['unknown_to_portal']).toEqual({
        kind: 'unknown_to_portal',
        key: 'PAY20260302120000ZZZZZ9',
        reference: 'PAY20260302120000ZZZZZ9',
        providerTxnId: 'SB0009',
        lineNo: unknownLine,
        statementAmountVnd: 40000,
        statementStatus: 'booked',
        detail: 'no portal payment with reference PAY20260302120000ZZZZZ9; statement 40000 VND booked',
      });
      expect(byKind['missing_from_statement']).toEqual({
        kind: 'missing_from_statement',
        key: 'PAY20260302100000AAAAA5',
        reference: 'PAY20260302100000AAAAA5',
        portalAmountVnd: 300000,
        portalStatus: 'paid',
        agencyId: 'H12.20',
        transactionType: 'G22.99.01.01',
        detail: 'portal paid 300000 VND at 2026-03-02T10:00:00.000+07:00, not on the statement',
      });
      expect(byKind['amount_mismatch']).toMatchObject({ statementAmountVnd: 250000, portalAmountVnd: 200000, portalStatus: 'paid', agencyId: 'H12.20', detail: 'statement 250000 VND, portal 200000 VND' });
      expect(byKind['duplicate']).toMatchObject({ reference: 'PAY20260302103000AAAAA6', providerTxnId: 'SB0010', lineNo: dupLine, detail: `reference PAY20260302103000AAAAA6 already on statement line ${dupLine - 4}` });
      expect(byKind['status_mismatch']).toMatchObject({ statementStatus: 'booked', portalStatus: 'pending', agencyId: 'H12.21', transactionType: 'G22.99.02', detail: 'statement booked, portal pending' });
      expect(byKind['late']).toMatchObject({
        detail: 'booked at 2026-03-03T00:00:00+07:00, outside business day 2026-03-02 [2026-03-02T00:00:00.000+07:00, 2026-03-03T00:00:00.000+07:00)',
      });
      expect(result.totals).toEqual([
        { agencyId: '', transactionType: '', status: 'unknown_to_portal', count: 1, amountVnd: 40000 },
        { agencyId: 'H12.20', transactionType: 'G22.99.01.01', status: 'matched', count: 3, amountVnd: 350000 },
        { agencyId: 'H12.20', transactionType: 'G22.99.01.01', status: 'missing_from_statement', count: 1, amountVnd: 300000 },
        { agencyId: 'H12.20', transactionType: 'G22.99.01.01', status: 'amount_mismatch', count: 1, amountVnd: 250000 },
        { agencyId: 'H12.20', transactionType: 'G22.99.01.01', status: 'duplicate', count: 1, amountVnd: 120000 },
        { agencyId: 'H12.21', transactionType: 'G22.99.02', status: 'matched', count: 1, amountVnd: 70000 },
        { agencyId: 'H12.21', transactionType: 'G22.99.02', status: 'status_mismatch', count: 1, amountVnd: 100000 },
        { agencyId: 'H12.21', transactionType: 'G22.99.02', status: 'late', count: 1, amountVnd: 50000 },
      ]);
    });
  }

  it('the same result whatever order the payments come in, and on every run', async () => {
    const lines = await fixtureLines('day.csv', 'csv');
    const first = JSON.stringify(reconcile(FIXTURE_PAYMENTS, lines));
    expect(JSON.stringify(reconcile([...FIXTURE_PAYMENTS].reverse(), lines))).toBe(first);
    expect(JSON.stringify(reconcile([...FIXTURE_PAYMENTS.slice(4), ...FIXTURE_PAYMENTS.slice(0, 4)], lines))).toBe(first);
    expect(JSON.stringify(reconcile(FIXTURE_PAYMENTS, lines, { ...DAY, expectedPayments: 3 }))).toBe(first);
    expect(JSON.stringify(reconcile(FIXTURE_PAYMENTS, lines, { ...DAY, expectedPayments: 100_000 }))).toBe(first);
  });
});

describe('Reconciler rules', () => {
  it('matched lines are counted, not kept', () => {
    const ps = [pay('PAY20260302080000AAAAA1', 1000, 'paid', '2026-03-02T08:00:00'), pay('PAY20260302080000AAAAA2', 2000, 'refund_requested', '2026-03-02T09:00:00')];
    const result = reconcile(ps, [line('PAY20260302080000AAAAA1', 1000), line('PAY20260302080000AAAAA2', 2000)]);
    expect(result).toEqual({
      matched: 2,
      exceptions: [],
      totals: [{ agencyId: 'H12.20', transactionType: 'G22.99.01.01', status: 'matched', count: 2, amountVnd: 3000 }],
      statementLines: 2,
      statementSumVnd: 3000,
    });
  });

  it('the window is [start, end): a line booked at the start matches, one at the end is late', () => {
    const ps = ['A', 'B', 'C'].map((s) => pay(`PAY2026030200000000000${s}`, 1000, 'paid', '2026-03-02T08:00:00'));
    const result = reconcile(ps, [
      line(ps[0]!.reference, 1000, { bookedAt: '2026-03-01T17:00:00Z' }),
      line(ps[1]!.reference, 1000, { bookedAt: '2026-03-03T00:00:00+07:00' }),
      line(ps[2]!.reference, 1000, { bookedAt: '2026-03-01T23:59:59.999+07:00' }),
    ]);
    expect(result.matched).toBe(1);
    expect(result.exceptions.map((e) => [e.kind, e.key])).toEqual([
      ['late', ps[1]!.reference],
      ['late', ps[2]!.reference],
    ]);
  });

  it('status agreement: booked ↔ paid/refund_requested/refunded, reversed ↔ refund_requested/refunded, rejected ↔ pending/failed/expired', () => {
    const table = (['booked', 'reversed', 'rejected'] as const).map((s) =>
      (['pending', 'paid', 'failed', 'expired', 'refund_requested', 'refunded'] as const).filter((p) => statusesAgree(s, p)),
    );
    expect(table).toEqual([['paid', 'refund_requested', 'refunded'], ['refund_requested', 'refunded'], ['pending', 'failed', 'expired']]);
    const ps = [pay('PAY20260302000000000001', 1000, 'paid', '2026-03-02T08:00:00'), pay('PAY20260302000000000002', 1000, 'paid', '2026-03-02T08:00:00'), pay('PAY20260302000000000003', 1000, 'expired')];
    const result = reconcile(ps, [
      line(ps[0]!.reference, 1000, { status: 'reversed' }),
      line(ps[1]!.reference, 1000, { status: 'rejected' }),
      line(ps[2]!.reference, 1000, { status: 'booked' }),
    ]);
    expect(result.exceptions.map((e) => [e.kind, e.key, e.detail])).toEqual([
      ['status_mismatch', ps[0]!.reference, 'statement reversed, portal paid'],
      ['status_mismatch', ps[1]!.reference, 'statement rejected, portal paid'],
      ['status_mismatch', ps[2]!.reference, 'statement booked, portal expired'],
    ]);
  });

  it('a late line is not also an amount or status mismatch; a status mismatch is not also an amount mismatch', () => {
    const ps = [pay('PAY20260302000000000001', 1000, 'pending'), pay('PAY20260302000000000002', 1000, 'pending')];
    const result = reconcile(ps, [line(ps[0]!.reference, 5, { bookedAt: '2026-03-04T08:00:00+07:00' }), line(ps[1]!.reference, 5)]);
    expect(result.exceptions.map((e) => e.kind)).toEqual(['status_mismatch', 'late']);
  });

  it('duplicates: the same reference, the same provider transaction, the same unknown reference', () => {
    const ps = [pay('PAY20260302000000000001', 1000, 'paid', '2026-03-02T08:00:00'), pay('PAY20260302000000000002', 2000, 'paid', '2026-03-02T08:00:00')];
    const first = line(ps[0]!.reference, 1000, { providerTxnId: 'T1' });
    const lines = [
      first,
      line(ps[0]!.reference, 1000, { providerTxnId: 'T2' }), // same reference
      line(ps[1]!.reference, 2000, { providerTxnId: 'T1' }), // same provider transaction, another reference
      line('PAY20260302999999ZZZZZZ', 500, { providerTxnId: 'T3' }),
      line('PAY20260302999999ZZZZZZ', 500, { providerTxnId: 'T4' }), // the same unknown reference
      line('', 700, { providerTxnId: 'T5', agencyId: 'H99', transactionType: 'G22.99.03' }), // no reference at all
      line('', 700, { providerTxnId: 'T5' }),
    ];
    const result = reconcile(ps, lines);
    const ln = lines.map((l) => l.lineNo);
    expect(result.matched).toBe(1);
    expect(result.exceptions.map((e) => [e.kind, e.key, e.detail])).toEqual([
      ['unknown_to_portal', 'PAY20260302999999ZZZZZZ', 'no portal payment with reference PAY20260302999999ZZZZZZ; statement 500 VND booked'],
      ['unknown_to_portal', 'T5', 'no reference (provider transaction T5); statement 700 VND booked'],
      // The payment whose reference only came on a duplicated provider transaction was not really reported.
      ['missing_from_statement', ps[1]!.reference, 'portal paid 2000 VND at 2026-03-02T08:00:00.000+07:00, not on the statement'],
      ['duplicate', `PAY20260302000000000001#${ln[1]}`, `reference PAY20260302000000000001 already on statement line ${ln[0]}`],
      ['duplicate', `PAY20260302000000000002#${ln[2]}`, `provider transaction T1 already on statement line ${ln[0]}`],
      ['duplicate', `PAY20260302999999ZZZZZZ#${ln[4]}`, `reference PAY20260302999999ZZZZZZ already on statement line ${ln[3]}`],
      ['duplicate', `T5#${ln[6]}`, `provider transaction T5 already on statement line ${ln[5]}`],
    ]);
    // Exceptions on unknown references carry the statement's agency and type; duplicates of known ones the portal's.
    expect(result.exceptions[1]).toMatchObject({ agencyId: 'H99', transactionType: 'G22.99.03' });
    expect(result.exceptions[4]).toMatchObject({ agencyId: 'H12.20', portalAmountVnd: 2000 });
    expect(new Set(result.exceptions.map((e) => `${e.kind}:${e.key}`)).size).toBe(result.exceptions.length);
  });

  it('missing_from_statement: only payments the portal has as paid within the window', () => {
    const ps = [
      pay('PAY20260302000000000001', 1000, 'paid', '2026-03-02T08:00:00'),
      pay('PAY20260302000000000002', 1000, 'paid', '2026-03-03T00:00:00'),
      pay('PAY20260302000000000003', 1000, 'paid', '2026-03-01T23:59:59'),
      pay('PAY20260302000000000004', 1000, 'pending'),
      pay('PAY20260302000000000005', 1000, 'refunded', '2026-03-02T08:00:00'),
      pay('PAY20260302000000000006', 1000, 'paid'), // paid with no time recorded: not in the window
    ];
    expect(reconcile(ps, []).exceptions.map((e) => [e.kind, e.key])).toEqual([['missing_from_statement', 'PAY20260302000000000001']]);
  });

  it('refuses misuse: the same payment twice, payments after lines, finishing twice, an empty window', () => {
    const r = new Reconciler(DAY);
    r.addPayment(pay('PAY20260302000000000001', 1000, 'paid'));
    expect(() => r.addPayment(pay('PAY20260302000000000001', 1000, 'paid'))).toThrow('added twice');
    r.line(line('PAY20260302000000000001', 1000));
    expect(() => r.addPayment(pay('PAY20260302000000000002', 1000, 'paid'))).toThrow('after the statement lines');
    r.finish();
    expect(() => r.finish()).toThrow('twice');
    expect(() => r.line(line('PAY20260302000000000001', 1000))).toThrow('after finish');
    expect(() => new Reconciler({ ...DAY, endMs: DAY.startMs })).toThrow(RangeError);
  });

  it('agrees with a plain Map-based reconciliation on 20,000 random payments and lines', () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const statuses: PaymentStatus[] = ['pending', 'paid', 'paid', 'paid', 'paid', 'failed', 'expired', 'refund_requested', 'refunded'];
    const payments: PortalPayment[] = [];
    for (let i = 0; i < 20_000; i++) {
      payments.push({
        reference: `PAY20260302${String(i).padStart(6, '0')}${pick(['ĐB', 'AB', '🏛'])}${i % 7}`,
        provider: 'SIMBANK',
        agencyId: pick(['H12.20', 'H12.21', 'G01.05']),
        transactionType: pick(['G22.99.01.01', 'G22.99.02']),
        amountVnd: 1000 * (1 + Math.floor(rnd() * 500)),
        status: pick(statuses),
        ...(rnd() < 0.9 ? { paidAtMs: DAY.startMs - 3_600_000 + Math.floor(rnd() * 27 * 3_600_000) } : {}),
      });
    }
    const lines: StatementLine[] = [];
    for (let i = 0; i < 20_000; i++) {
      const p = rnd() < 0.97 ? pick(payments) : undefined;
      lines.push({
        lineNo: i + 1,
        reference: p?.reference ?? (rnd() < 0.5 ? '' : `UNKNOWN${Math.floor(rnd() * 300)}`),
        providerTxnId: rnd() < 0.01 ? `T${Math.floor(rnd() * 100)}` : `T${i + 1000}`,
        amountVnd: p && rnd() < 0.98 ? p.amountVnd : 1000 * Math.floor(rnd() * 500),
        bookedAt: new Date(DAY.startMs - 3_600_000 + Math.floor(rnd() * 26 * 3_600_000)).toISOString(),
        status: pick(['booked', 'booked', 'booked', 'reversed', 'rejected'] as const),
      });
    }
    const result = reconcile(payments, lines);
    const expected = naiveReconcile(payments, lines);
    expect(result.matched).toBe(expected.matched);
    expect(result.exceptions.map((e) => `${e.kind} ${e.key}`)).toEqual(expected.exceptions);
    expect(new Set(EXCEPTION_KINDS.filter((k) => result.exceptions.some((e) => e.kind === k))).size).toBe(EXCEPTION_KINDS.length);
    expect(result.totals.reduce((s, t) => s + t.count, 0)).toBe(lines.length + result.exceptions.filter((e) => e.kind === 'missing_from_statement').length);
  });
});

/** The same rules with plain Maps and objects: what the compact reconciler must agree with. */
function naiveReconcile(payments: PortalPayment[], lines: StatementLine[]): { matched: number; exceptions: string[] } {
  const byRef = new Map(payments.map((p) => [p.reference, p]));
  const seenRef = new Set<string>();
  const seenTxn = new Set<string>();
  const out: Array<[ExceptionKindIndex: number, key: string]> = [];
  const add = (kind: (typeof EXCEPTION_KINDS)[number], key: string) => out.push([EXCEPTION_KINDS.indexOf(kind), key]);
  let matched = 0;
  for (const l of lines) {
    if (l.providerTxnId && seenTxn.has(l.providerTxnId)) {
      add('duplicate', `${l.reference || l.providerTxnId}#${l.lineNo}`);
      continue;
    }
    if (l.providerTxnId) seenTxn.add(l.providerTxnId);
    if (l.reference && seenRef.has(l.reference)) {
      add('duplicate', `${l.reference}#${l.lineNo}`);
      continue;
    }
    if (l.reference) seenRef.add(l.reference);
    const p = byRef.get(l.reference);
    if (!p) {
      add('unknown_to_portal', l.reference || l.providerTxnId);
      continue;
    }
    const booked = Date.parse(l.bookedAt);
    if (booked < DAY.startMs || booked >= DAY.endMs) add('late', l.reference);
    else if (!statusesAgree(l.status, p.status)) add('status_mismatch', l.reference);
    else if (l.amountVnd !== p.amountVnd) add('amount_mismatch', l.reference);
    else matched++;
  }
  for (const p of payments) {
    if (p.status === 'paid' && p.paidAtMs !== undefined && p.paidAtMs >= DAY.startMs && p.paidAtMs < DAY.endMs && !seenRef.has(p.reference)) add('missing_from_statement', p.reference);
  }
  out.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return { matched, exceptions: out.map(([k, key]) => `${EXCEPTION_KINDS[k]} ${key}`) };
}

describe('StringTable', () => {
  it('numbers strings in insertion order and finds them again, whatever their characters', () => {
    const t = new StringTable();
    const strings = ['', 'a', 'PAY20260302080000AAAAA1', 'Sở Tư pháp', '🏛 UBND', '\ud800 lone', 'x\udc00', 'a\u0000b'];
    for (let i = 0; i < 50_000; i++) strings.push(`K${i.toString(36)}${i % 3 === 0 ? 'đ' : ''}`);
    expect(strings.map((s) => t.add(s))).toEqual(strings.map((_, i) => i));
    expect(t.size).toBe(strings.length);
    strings.forEach((s, i) => {
      if (t.indexOf(s) !== i || t.get(i) !== s) expect([s, t.indexOf(s), t.get(i)]).toEqual([s, i, s]);
    });
    expect(t.add('Sở Tư pháp')).toBe(3);
    expect(t.size).toBe(strings.length);
    expect(t.indexOf('Sở Tư phap')).toBe(-1);
    expect(t.indexOf('K0 ')).toBe(-1);
    expect(() => t.get(strings.length)).toThrow(RangeError);
  });
});
