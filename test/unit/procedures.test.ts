/** Pure parts of the catalogue: CSV parsing, month arithmetic for periodic review, record rules. */
import { csvObjects, parseCsv } from '../../domain/csv';
import { addMonths, formatDate, parseDate } from '../../domain/calendar/days';
import { canonicalJson, decisionProblems, recordProblems, type ProcedureRecord } from '../../domain/procedures';
import { DEMO_CATALOGUE } from '../../db/seed-catalogue';

describe('CSV (RFC 4180)', () => {
  it('parses quoted fields with commas, doubled quotes, line breaks, CRLF and a BOM', () => {
    expect(parseCsv('\uFEFFa,b,c\r\n1,"x, y","say ""hi"""\n2,"two\nlines",\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
      ['2', 'two\nlines', ''],
    ]);
  });
  it('names the line of a malformed record', () => {
    expect(() => parseCsv('a,b\n1,"open')).toThrow('line 2: a quoted field is not closed');
    expect(() => parseCsv('a\n"x"y')).toThrow('line 2: text after a closing quote');
    expect(() => parseCsv('a\nx"y')).toThrow('line 2: a quote inside an unquoted field');
    expect(() => csvObjects('a,b\n1')).toThrow('line 2: 1 fields, the header has 2');
    expect(() => csvObjects('a,a\n1,2')).toThrow('column "a" appears twice');
  });
  it('maps records to the header, skipping blank lines', () => {
    expect(csvObjects('code,name\nX1,Một\n\nX2,Hai\n')).toEqual([
      { code: 'X1', name: 'Một' },
      { code: 'X2', name: 'Hai' },
    ]);
  });
});

describe('addMonths', () => {
  it.each([
    ['2026-01-31', 1, '2026-02-28'],
    ['2028-01-31', 1, '2028-02-29'],
    ['2026-11-23', 12, '2027-11-23'],
    ['2026-12-15', 1, '2027-01-15'],
    ['2026-03-31', -1, '2026-02-28'],
  ])('%s + %d months = %s', (from, n, to) => {
    expect(formatDate(addMonths(parseDate(from), n))).toBe(to);
  });
});

describe('procedure records', () => {
  const base = DEMO_CATALOGUE[0]!.record;
  it('needs exactly one kind of time limit and a consistent online level', () => {
    expect(recordProblems(base)).toEqual([]);
    expect(recordProblems({ ...base, timeLimit: { workingDays: 3, calendarDays: 5, text: 'x' } })).toEqual(['timeLimit: give exactly one of workingDays and calendarDays']);
    expect(recordProblems({ ...base, submissionMethods: ['counter'] } as ProcedureRecord)).toEqual(['onlineLevel: an online service needs the online submission method']);
  });
  it('checks decision dates', () => {
    expect(decisionProblems({ signedOn: '2026-02-01', effectiveOn: '2026-01-31' })).toEqual(['effectiveOn: before signedOn']);
    expect(decisionProblems({ signedOn: '2026-02-30', effectiveOn: '2026-03-01' })).toEqual(['signedOn: not a date (YYYY-MM-DD)']);
  });
  it('compares records whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe(canonicalJson({ a: [{ d: 2 }], b: 1 }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: 2 }));
  });
  it('the demo catalogue passes its own rules', () => {
    for (const { record, decision } of DEMO_CATALOGUE) expect([record.code, ...recordProblems(record), ...decisionProblems(decision)]).toEqual([record.code]);
  });
});
