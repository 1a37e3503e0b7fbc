/** Statement files: the serialisers, the streaming reader (round trips, chunk boundaries, every problem with its line) and the fixtures. */
import path from 'node:path';
import { readStatement, readStatementFile, StatementFormatError, MAX_PROBLEMS, MAX_RECORD_CHARS, type StatementFormat, type StatementProblem } from '../../activities/statements';
import type { StatementLine } from '../../domain/payments';
import { camt053Document, instantMs, parseAmountVnd, statementCsv, STATEMENT_CSV_COLUMNS, type Camt053Header } from '../../domain/statements';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'statements');
const HEADER = STATEMENT_CSV_COLUMNS.join(',');

async function* feed(parts: Array<Buffer | string>): AsyncGenerator<Buffer | string> {
  for (const p of parts) yield p;
}

/** Splits `buf` at the given offsets. */
function split(buf: Buffer, at: number[]): Buffer[] {
  const parts: Buffer[] = [];
  let from = 0;
  for (const k of [...at, buf.length]) {
    parts.push(buf.subarray(from, k));
    from = k;
  }
  return parts;
}

async function read(parts: Array<Buffer | string> | Buffer | string, format: StatementFormat) {
  const lines: StatementLine[] = [];
  const summary = await readStatement(feed(Array.isArray(parts) ? parts : [parts]), format, (l) => lines.push(l));
  return { lines, summary };
}

async function problems(parts: Array<Buffer | string> | Buffer | string, format: StatementFormat): Promise<StatementProblem[]> {
  const err = await read(parts, format).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StatementFormatError);
  return (err as StatementFormatError).problems;
}

let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);

/** Lines exercising quoting, Vietnamese text, an astral character and every status. */
const LINES: StatementLine[] = [
  { lineNo: 1, reference: 'PAY20260302080000AAAAA1', providerTxnId: 'SB-0001', amountVnd: 150000, bookedAt: '2026-03-02T08:00:05+07:00', status: 'booked', transactionType: 'G22.99.01.01', agencyId: 'H12.20', dossierCode: 'H12.20-260302-0001' },
  { lineNo: 2, reference: 'PAY20260302081500AAAAA2', providerTxnId: 'SB,0002', amountVnd: 0, bookedAt: '2026-03-02T01:15:09.123Z', status: 'reversed', agencyId: 'Sở Tư pháp, tỉnh "Đồng Nai"' },
  { lineNo: 3, reference: 'PAY20260302090000AAAAA3', providerTxnId: 'SB<0003>&', amountVnd: 9_000_000_000_000, bookedAt: '2026-03-02T09:00:40-05:30', status: 'rejected', dossierCode: 'Hồ sơ 🏛 số 3' },
  { lineNo: 4, reference: 'PAY20260302093000AAAAA4', providerTxnId: 'SB0004', amountVnd: 42, bookedAt: '2026-03-02T23:59:59+07:00', status: 'booked', transactionType: 'G22.99.02' },
];

const HEADER_CAMT: Camt053Header = {
  messageId: 'SIMBANK-2026-03-02',
  createdAt: '2026-03-03T01:00:00+07:00',
  statementId: 'STMT-1 & <2>',
  accountId: 'SIMBANK-PORTAL',
  fromDateTime: '2026-03-02T00:00:00+07:00',
  toDateTime: '2026-03-02T23:59:59+07:00',
};

const withoutLineNo = (ls: StatementLine[]) => ls.map(({ lineNo: _lineNo, ...rest }) => rest);

describe('statement field rules', () => {
  it('reads strict ISO 8601 instants with an offset', () => {
    expect(instantMs('2026-03-02T08:00:05+07:00')).toBe(Date.UTC(2026, 2, 2, 1, 0, 5));
    expect(instantMs('2026-03-02T01:00:05Z')).toBe(Date.UTC(2026, 2, 2, 1, 0, 5));
    expect(instantMs('2026-03-02T01:00:05.1239Z')).toBe(Date.UTC(2026, 2, 2, 1, 0, 5, 123));
    expect(instantMs('2026-03-02T01:00-05:30')).toBe(Date.UTC(2026, 2, 2, 6, 30));
    expect(instantMs('2028-02-29T00:00:00Z')).toBe(Date.UTC(2028, 1, 29));
    for (const bad of ['2026-02-30T09:00:00+07:00', '2026-02-29T09:00:00Z', '2026-03-02T24:00:00Z', '2026-03-02T10:00:60Z', '2026-03-02T10:00:00', '2026-03-02T10:00:00+15:00', '2026-03-02 10:00:00Z', '2026-03-02T10:00:00.Z', '2026-03-02T10:00:00+0700', '2026-3-02T10:00:00Z', '']) {
      expect([bad, instantMs(bad)]).toEqual([bad, undefined]);
    }
    expect(instantMs('2026-03-02T10:00:00', 420)).toBe(Date.UTC(2026, 2, 2, 3));
  });

  it('agrees with Date.parse on valid instants from 1600 to 2400', () => {
    for (let k = 0; k < 20_000; k++) {
      const ms = Date.UTC(1600, 0, 1) + Math.floor(rnd() * 800 * 365.25 * 86_400_000);
      const offset = Math.floor(rnd() * 57 - 28) * 30;
      const local = new Date(ms + offset * 60_000).toISOString().slice(0, 23);
      const text = `${local}${offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}:${String(Math.abs(offset) % 60).padStart(2, '0')}`}`;
      if (instantMs(text) !== ms || Date.parse(text) !== ms) expect([text, instantMs(text), Date.parse(text)]).toEqual([text, ms, ms]);
    }
  });

  it('reads whole, safe, non-negative amounts of VND', () => {
    expect(parseAmountVnd('150000')).toBe(150000);
    expect(parseAmountVnd('0')).toBe(0);
    for (const bad of ['150000.50', '150000.00', '-1', '1e5', ' 1', '', '9007199254740992']) expect(parseAmountVnd(bad)).toBeUndefined();
    expect(parseAmountVnd('150000.00', true)).toBe(150000);
    expect(parseAmountVnd('150000.50', true)).toBeUndefined();
  });
});

describe('statement serialisers', () => {
  it('writes the CSV header and quotes fields that need it', () => {
    expect(statementCsv([LINES[1]!])).toBe(
      `${HEADER}\nPAY20260302081500AAAAA2,"SB,0002",2026-03-02T01:15:09.123Z,0,VND,reversed,,"Sở Tư pháp, tỉnh ""Đồng Nai""",\n`,
    );
  });

  it('writes camt.053.001.08 entries: reversal as DBIT with RvslInd, rejection as RJCT, everything escaped', () => {
    const xml = camt053Document({ ...HEADER_CAMT, declaredCount: 4, declaredSumVnd: 7 }, LINES);
    expect(xml).toContain('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">');
    expect(xml).toContain('<NbOfNtries>4</NbOfNtries>');
    expect(xml).toContain('<Sum>7</Sum>');
    expect(xml).toContain('<Id>STMT-1 &amp; &lt;2&gt;</Id>');
    expect(xml).toContain('<AcctSvcrRef>SB&lt;0003&gt;&amp;</AcctSvcrRef>');
    expect(xml).toMatch(/<CdtDbtInd>DBIT<\/CdtDbtInd>\s*<RvslInd>true<\/RvslInd>\s*<Sts><Cd>BOOK<\/Cd><\/Sts>/);
    expect(xml).toContain('<Sts><Cd>RJCT</Cd></Sts>');
    expect(xml).toContain('<Ustrd>Sở Tư pháp, tỉnh &quot;Đồng Nai&quot;|</Ustrd>');
    expect(xml).toContain('<BkTxCd><Prtry><Cd>G22.99.01.01</Cd></Prtry></BkTxCd>');
    expect(xml.match(/<Ntry>/g)).toHaveLength(4);
    expect(camt053Document(HEADER_CAMT, [])).not.toContain('TxsSummry');
  });
});

describe('readStatement round trips', () => {
  it('CSV: serialiser → reader gives the same lines, line numbers counting the header', async () => {
    const { lines, summary } = await read(statementCsv(LINES), 'csv');
    expect(withoutLineNo(lines)).toEqual(withoutLineNo(LINES));
    expect(lines.map((l) => l.lineNo)).toEqual([2, 3, 4, 5]);
    expect(summary).toEqual({ lines: 4, sumVnd: LINES.reduce((s, l) => s + l.amountVnd, 0), header: {} });
  });

  it('camt.053: serialiser → reader gives the same lines, numbered by entry, and the header', async () => {
    const sum = LINES.reduce((s, l) => s + l.amountVnd, 0);
    const { lines, summary } = await read(camt053Document({ ...HEADER_CAMT, declaredCount: 4, declaredSumVnd: sum }, LINES), 'camt053');
    expect(lines).toEqual(LINES);
    expect(summary).toEqual({
      lines: 4,
      sumVnd: sum,
      header: { statementId: 'STMT-1 & <2>', accountId: 'SIMBANK-PORTAL', fromDate: '2026-03-02T00:00:00+07:00', toDate: '2026-03-02T23:59:59+07:00', declaredCount: 4, declaredSumVnd: sum },
    });
  });

  it('CSV with CRLF or CR line ends, a BOM, blank lines and a last line without a line end', async () => {
    const body = statementCsv(LINES).trimEnd();
    for (const eol of ['\r\n', '\r']) {
      const text = '\ufeff' + body.replace(/\n/g, eol).replace(eol, eol + eol);
      const { lines } = await read(Buffer.from(text), 'csv');
      expect(withoutLineNo(lines)).toEqual(withoutLineNo(LINES));
      expect(lines.map((l) => l.lineNo)).toEqual([3, 4, 5, 6]);
    }
  });

  it('a quoted field spanning lines keeps its line end and shifts the following line numbers', async () => {
    const multi = [{ ...LINES[0]!, dossierCode: 'dòng 1\r\ndòng 2\nhết' }, LINES[3]!];
    const { lines } = await read(statementCsv(multi), 'csv');
    expect(withoutLineNo(lines)).toEqual(withoutLineNo(multi));
    expect(lines.map((l) => l.lineNo)).toEqual([2, 5]);
  });
});

describe('readStatement across chunk boundaries', () => {
  const csvText = '\ufeff' + `${HEADER}\r\n` + statementCsv([...LINES, { ...LINES[0]!, reference: 'PAY20260302080000AAAAA9', dossierCode: 'a "b"\r\nc, đ 🏛' }]).split('\n').slice(1).join('\r\n');
  const csv = Buffer.from(csvText);
  const camt = Buffer.from(camt053Document({ ...HEADER_CAMT, declaredCount: 4 }, LINES));

  it('the test documents contain what they should test', () => {
    expect(csvText).toContain('\r\n');
    expect(csv.length).toBeGreaterThan(csvText.length); // multibyte characters
    expect(camt.toString()).toContain('🏛');
  });

  for (const [format, doc] of [['csv', csv], ['camt053', camt]] as const) {
    it(`${format}: split in two at every byte offset`, async () => {
      const whole = await read(doc, format);
      expect(whole.lines.length).toBeGreaterThanOrEqual(4);
      for (let k = 1; k < doc.length; k++) {
        const parts = await read(split(doc, [k]), format);
        if (JSON.stringify(parts) !== JSON.stringify(whole)) expect([k, parts]).toEqual([k, whole]);
      }
    });

    it(`${format}: one byte at a time, random chunk sizes, text chunks split inside surrogate pairs`, async () => {
      const whole = await read(doc, format);
      expect(await read(split(doc, [...Array(doc.length - 1).keys()].map((i) => i + 1)), format)).toEqual(whole);
      for (let run = 0; run < 100; run++) {
        const cuts: number[] = [];
        for (let at = Math.ceil(rnd() * 40); at < doc.length; at += Math.ceil(rnd() * 40)) cuts.push(at);
        expect(await read(split(doc, cuts), format)).toEqual(whole);
      }
      const text = doc.toString('utf8');
      const astral = text.indexOf('🏛');
      expect(await read([text.slice(0, astral + 1), text.slice(astral + 1)], format)).toEqual(whole);
      const chars: string[] = [];
      for (let i = 0; i < text.length; i += 3) chars.push(text.slice(i, i + 3));
      expect(await read(chars, format)).toEqual(whole);
    });
  }
});

describe('readStatement: the fixtures', () => {
  const fixture = (name: string) => path.join(FIXTURES, name);
  const readFile = async (name: string, format: StatementFormat) => {
    const lines: StatementLine[] = [];
    const summary = await readStatementFile(fixture(name), format, (l) => lines.push(l));
    return { lines, summary };
  };

  it('day.csv and day.camt053.xml hold the same nine lines', async () => {
    const csv = await readFile('day.csv', 'csv');
    const camt = await readFile('day.camt053.xml', 'camt053');
    expect(csv.lines.map((l) => l.lineNo)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(camt.lines.map((l) => l.lineNo)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(withoutLineNo(camt.lines)).toEqual(withoutLineNo(csv.lines));
    expect(csv.summary).toEqual({ lines: 9, sumVnd: 980000, header: {} });
    expect(camt.summary).toEqual({
      lines: 9,
      sumVnd: 980000,
      header: { statementId: 'SIMBANK-STMT-20260302', accountId: 'SIMBANK-PORTAL', fromDate: '2026-03-02T00:00:00+07:00', toDate: '2026-03-02T23:59:59+07:00', declaredCount: 9, declaredSumVnd: 980000 },
    });
    expect(camt.lines[2]!.bookedAt).toBe('2026-03-02T09:00:40+07:00'); // no offset in the file: Vietnam time
    expect(camt.lines[3]!.bookedAt).toBe('2026-03-03T00:00:00+07:00'); // BookgDt/Dt: local midnight
    expect(camt.lines[4]!.reference).toBe('PAY20260302103000AAAAA6'); // CDATA
    expect(camt.lines[5]!.status).toBe('reversed');
    expect(camt.lines[6]).toEqual({
      lineNo: 7,
      reference: 'PAY20260302113000AAAAA8',
      providerTxnId: 'SB0008',
      amountVnd: 70000,
      bookedAt: '2026-03-02T11:30:00.250+07:00',
      status: 'rejected',
      transactionType: 'G22.99.02',
      agencyId: 'Sở Tư pháp',
      dossierCode: 'HS-Đà Nẵng, "01" & <02>',
    });
    expect(camt.lines[7]).toEqual({ lineNo: 8, reference: 'PAY20260302120000ZZZZZ9', providerTxnId: 'SB0009', amountVnd: 40000, bookedAt: '2026-03-02T12:00:00+07:00', status: 'booked' });
  });

  it('hands over each line with its booking instant parsed', async () => {
    for (const [name, format] of [['day.csv', 'csv'], ['day.camt053.xml', 'camt053'], ['day-v02.camt053.xml', 'camt053']] as const) {
      const seen: Array<[string, number]> = [];
      await readStatementFile(fixture(name), format, (l, ms) => seen.push([l.bookedAt, ms]));
      expect(seen.length).toBeGreaterThan(1);
      for (const [text, ms] of seen) expect([text, ms]).toEqual([text, instantMs(text)]);
    }
  });

  it('camt.053.001.02: status as text, date-only booking, IBAN, DBIT as a reversal', async () => {
    const { lines, summary } = await readFile('day-v02.camt053.xml', 'camt053');
    expect(lines).toEqual([
      { lineNo: 1, reference: 'PAY20260302080000AAAAA1', providerTxnId: 'OB-1', amountVnd: 150000, bookedAt: '2026-03-02T00:00:00+07:00', status: 'booked' },
      { lineNo: 2, reference: 'PAY20260302110000AAAAA7', providerTxnId: 'OB-2', amountVnd: 80000, bookedAt: '2026-03-02T11:00:00+07:00', status: 'reversed' },
    ]);
    expect(summary.header).toEqual({ statementId: 'OLDBANK-20260302', accountId: 'VN00OLDB0000000000001234', declaredCount: 2, declaredSumVnd: 230000 });
  });

  it('malformed.csv: every problem, with its line, field and message', async () => {
    const lines: StatementLine[] = [];
    const err = await readStatementFile(fixture('malformed.csv'), 'csv', (l) => lines.push(l)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatementFormatError);
    expect((err as StatementFormatError).problems).toEqual([
      { lineNo: 2, field: 'currency', message: '"USD", expected VND' },
      { lineNo: 3, field: 'amount_vnd', message: '"150000.50" is not a whole, non-negative number of VND' },
      { lineNo: 4, field: 'reference', message: 'empty' },
      { lineNo: 5, field: 'booked_at', message: '"2026-02-30T09:00:00+07:00" is not an ISO 8601 instant with an offset or Z' },
      { lineNo: 6, message: '6 fields, the header has 9' },
      { lineNo: 7, field: 'booked_at', message: '"2026-03-02T10:00:00" is not an ISO 8601 instant with an offset or Z' },
      { lineNo: 7, field: 'status', message: '"settled", expected booked, reversed or rejected' },
      { lineNo: 7, field: 'transaction_type', message: '"X1" is not a transaction type G22.99.…' },
      { lineNo: 9, message: 'a quoted field is not closed at the end of the file' },
    ]);
    expect((err as Error).message).toBe('statement has 9 problems: line 2 currency: "USD", expected VND; line 3 amount_vnd: "150000.50" is not a whole, non-negative number of VND; line 4 reference: empty; …');
    // The valid line was handed over before the error: the caller discards it.
    expect(lines.map((l) => l.lineNo)).toEqual([8]);
  });

  it('malformed.camt053.xml: every entry problem with its line and entry, and the summary mismatch', async () => {
    const err = await readStatementFile(fixture('malformed.camt053.xml'), 'camt053', () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatementFormatError);
    expect((err as StatementFormatError).problems).toEqual([
      { lineNo: 12, entryNo: 1, field: 'Amt/@Ccy', message: 'currency USD, expected VND' },
      { lineNo: 21, entryNo: 2, field: 'Amt', message: '"150000.50" is not a whole, non-negative number of VND' },
      { lineNo: 30, entryNo: 3, field: 'EndToEndId', message: 'neither an EndToEndId nor an AcctSvcrRef' },
      { lineNo: 38, entryNo: 4, field: 'BookgDt/DtTm', message: '"2026-02-30T09:00:00+07:00" is not an ISO 8601 date-time' },
      { lineNo: 47, entryNo: 5, field: 'Sts', message: 'no status' },
      { lineNo: 10, field: 'TxsSummry/TtlNtries/NbOfNtries', message: 'declares 6 entries, the statement has 5' },
    ]);
  });

  it('broken.camt053.xml: malformed XML stops the reading at its line and column', async () => {
    const lines: StatementLine[] = [];
    const err = await readStatementFile(fixture('broken.camt053.xml'), 'camt053', (l) => lines.push(l)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatementFormatError);
    expect((err as StatementFormatError).problems).toEqual([{ lineNo: 19, message: expect.stringMatching(/^malformed XML at 19:\d+: unexpected close tag/) }]);
    expect(lines).toHaveLength(1);
  });

  it('a missing file rejects with the file system error', async () => {
    await expect(readStatementFile(fixture('nonexistent.csv'), 'csv', () => undefined)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('readStatement: malformed input', () => {
  const row = (over: Partial<Record<(typeof STATEMENT_CSV_COLUMNS)[number], string>> = {}) =>
    STATEMENT_CSV_COLUMNS.map((c) => over[c] ?? { reference: 'PAY20260302080000AAAAA1', provider_txn_id: 'SB1', booked_at: '2026-03-02T08:00:00+07:00', amount_vnd: '1000', currency: 'VND', status: 'booked', transaction_type: '', agency_id: '', dossier_code: '' }[c]).join(',');
  const camt = (entries: string, ns = 'urn:iso:std:iso:20022:tech:xsd:camt.053.001.08', summary = '') =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="${ns}"><BkToCstmrStmt><Stmt><Id>S</Id>${summary}\n${entries}</Stmt></BkToCstmrStmt></Document>\n`;
  const entry = (amt = '<Amt Ccy="VND">1000</Amt>') =>
    `<Ntry>${amt}<CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><DtTm>2026-03-02T08:00:00+07:00</DtTm></BookgDt><AcctSvcrRef>SB1</AcctSvcrRef><BkTxCd/></Ntry>\n`;

  it('CSV: a wrong header stops the reading at line 1', async () => {
    const doc = `reference,provider_txn_id,booked_at,amount,currency,status,transaction_type,agency_id,dossier_code\n${row()}\nbroken\n`;
    expect(await problems(doc, 'csv')).toEqual([
      { lineNo: 1, message: `the header must be "${HEADER}", found "reference,provider_txn_id,booked_at,amount,currency,status,transaction_type,agency_id,dossier_code"` },
    ]);
    expect(await problems(`${STATEMENT_CSV_COLUMNS.slice().reverse().join(',')}\n`, 'csv')).toHaveLength(1);
  });

  it('CSV: wrong field counts, stray quotes, an unclosed quote, an empty file', async () => {
    expect(await problems(`${HEADER}\n${row()},extra\n${row()}\na,b\n`, 'csv')).toEqual([
      { lineNo: 2, message: '10 fields, the header has 9' },
      { lineNo: 4, message: '2 fields, the header has 9' },
    ]);
    expect(await problems(`${HEADER}\n${row({ dossier_code: 'a"b' })}\n${row({ agency_id: '"x"y' })}\n`, 'csv')).toEqual([
      { lineNo: 2, message: 'a quote inside an unquoted field' },
      { lineNo: 3, message: 'text after a closing quote' },
    ]);
    expect(await problems(`${HEADER}\n${row()}\n${row({ dossier_code: '"never closed' })}\n${row()}\n`, 'csv')).toEqual([
      { lineNo: 3, message: 'a quoted field is not closed at the end of the file' },
    ]);
    expect(await problems('', 'csv')).toEqual([{ lineNo: 1, message: 'the file is empty: no header row' }]);
  });

  it('CSV: a runaway quoted field is refused past MAX_RECORD_CHARS instead of filling memory', async () => {
    const big = 'x'.repeat(64 * 1024);
    const parts = [`${HEADER}\n${row()}\n"`, ...Array<string>(Math.ceil(MAX_RECORD_CHARS / big.length) + 2).fill(big)];
    expect(await problems(parts, 'csv')).toEqual([{ lineNo: 3, message: `a record longer than ${MAX_RECORD_CHARS} characters (a quoted field that is never closed?)` }]);
  });

  it('records the first MAX_PROBLEMS problems and counts them all', async () => {
    const doc = `${HEADER}\n` + Array.from({ length: 150 }, () => row({ currency: 'USD' })).join('\n');
    const err = (await read(doc, 'csv').catch((e: unknown) => e)) as StatementFormatError;
    expect(err.problems).toHaveLength(MAX_PROBLEMS);
    expect(err.total).toBe(150);
    expect(err.problems[99]).toEqual({ lineNo: 101, field: 'currency', message: '"USD", expected VND' });
    expect(err.message).toMatch(/^statement has 150 problems: line 2 currency/);
  });

  it('invalid UTF-8 and a file cut inside a character', async () => {
    expect(await problems([Buffer.from(`${HEADER}\n`), Buffer.from([0x50, 0xff, 0x41])], 'csv')).toEqual([{ message: expect.stringMatching(/^invalid UTF-8 in bytes \d+–\d+$/) }]);
    expect(await problems([Buffer.from(`${HEADER}\n${row()}\n`), Buffer.from('Đ').subarray(0, 1)], 'csv')).toEqual([{ message: 'the file ends inside a UTF-8 sequence' }]);
  });

  it('camt.053: the wrong root or namespace stops the reading', async () => {
    expect(await problems(camt(entry(), 'urn:iso:std:iso:20022:tech:xsd:camt.054.001.08'), 'camt053')).toEqual([
      { lineNo: 2, message: 'the root element must be Document in a camt.053.001.02–08 namespace, found Document in "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"' },
    ]);
    expect(await problems('<Document><Stmt/></Document>', 'camt053')).toEqual([
      { lineNo: 1, message: 'the root element must be Document in a camt.053.001.02–08 namespace, found Document in no namespace' },
    ]);
    for (const v of ['02', '04', '08']) expect((await read(camt(entry(), `urn:iso:std:iso:20022:tech:xsd:camt.053.001.${v}`), 'camt053')).lines).toHaveLength(1);
  });

  it('camt.053: a decimal amount, a foreign currency, a missing amount', async () => {
    expect(await problems(camt(entry('<Amt Ccy="VND">1000.5</Amt>') + entry('<Amt Ccy="EUR">1000</Amt>') + entry('') + entry('<Amt Ccy="VND">1000.00</Amt>')), 'camt053')).toEqual([
      { lineNo: 3, entryNo: 1, field: 'Amt', message: '"1000.5" is not a whole, non-negative number of VND' },
      { lineNo: 4, entryNo: 2, field: 'Amt/@Ccy', message: 'currency EUR, expected VND' },
      { lineNo: 5, entryNo: 3, field: 'Amt', message: 'no amount' },
    ]);
  });

  it('camt.053: statuses other than BOOK and RJCT, batch entries, bad transaction types', async () => {
    const doc = camt(
      entry().replace('<Cd>BOOK</Cd>', '<Cd>PDNG</Cd>') +
        entry().replace('<BkTxCd/>', '<BkTxCd/><NtryDtls><TxDtls><Refs><EndToEndId>A</EndToEndId></Refs></TxDtls><TxDtls><Refs><EndToEndId>B</EndToEndId></Refs></TxDtls></NtryDtls>') +
        entry().replace('<BkTxCd/>', '<BkTxCd><Prtry><Cd>XYZ</Cd></Prtry></BkTxCd>') +
        entry().replace('<CdtDbtInd>CRDT</CdtDbtInd>', ''),
    );
    expect(await problems(doc, 'camt053')).toEqual([
      { lineNo: 3, entryNo: 1, field: 'Sts', message: 'status PDNG: only booked (BOOK) and rejected (RJCT) entries are reconciled' },
      { lineNo: 4, entryNo: 2, field: 'NtryDtls/TxDtls', message: '2 transactions in one entry: batch bookings are not reconciled' },
      { lineNo: 5, entryNo: 3, field: 'BkTxCd/Prtry/Cd', message: '"XYZ" is not a transaction type G22.99.…' },
      { lineNo: 6, entryNo: 4, field: 'CdtDbtInd', message: 'no credit/debit indicator' },
    ]);
  });

  it('camt.053: the summary sum must match; bad dates; no booking date', async () => {
    const summary = '<TxsSummry><TtlNtries><NbOfNtries>2</NbOfNtries><Sum>3000</Sum></TtlNtries></TxsSummry>';
    expect(await problems(camt(entry() + entry(), undefined, summary), 'camt053')).toEqual([
      { lineNo: 2, field: 'TxsSummry/TtlNtries/Sum', message: 'declares a sum of 3000 VND, the entries add up to 2000 VND' },
    ]);
    expect(
      await problems(
        camt(entry().replace(/<BookgDt>.*<\/BookgDt>/, '<BookgDt><Dt>2026-13-01</Dt></BookgDt>') + entry().replace(/<BookgDt>.*<\/BookgDt>/, '') + entry().replace('+07:00', 'Z+1')),
        'camt053',
      ),
    ).toEqual([
      { lineNo: 3, entryNo: 1, field: 'BookgDt/Dt', message: '"2026-13-01" is not an ISO 8601 date' },
      { lineNo: 4, entryNo: 2, field: 'BookgDt', message: 'no booking date' },
      { lineNo: 5, entryNo: 3, field: 'BookgDt/DtTm', message: '"2026-03-02T08:00:00Z+1" is not an ISO 8601 date-time' },
    ]);
  });

  it('camt.053: a runaway text node is refused past MAX_RECORD_CHARS instead of filling memory', async () => {
    const big = 'x'.repeat(64 * 1024);
    const parts = [camt(entry()).split('</Stmt>')[0]! + '<Ntry><Amt Ccy="VND">', ...Array<string>(Math.ceil(MAX_RECORD_CHARS / big.length) + 2).fill(big)];
    expect(await problems(parts, 'camt053')).toEqual([{ lineNo: 4, message: `an XML text, comment or tag longer than ${MAX_RECORD_CHARS} characters` }]);
  });

  it('camt.053: not well-formed, empty, a DOCTYPE, no Stmt', async () => {
    expect(await problems('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">\n<Stmt>\n</Document>', 'camt053')).toEqual([
      { lineNo: 3, message: expect.stringMatching(/^malformed XML at 3:\d+: unexpected close tag/) },
    ]);
    expect(await problems('', 'camt053')).toEqual([{ lineNo: 1, message: expect.stringMatching(/^malformed XML at 1:0: document must contain a root element/) }]);
    expect(await problems('<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY a "aaaa">]>\n<Document/>', 'camt053')).toEqual([{ lineNo: 2, message: 'a DOCTYPE declaration is not allowed' }]);
    expect(await problems('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt/></Document>', 'camt053')).toEqual([{ message: 'no BkToCstmrStmt/Stmt element' }]);
  });
});
