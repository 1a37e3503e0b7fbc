/**
 * Reads a provider's daily statement (CSV or ISO 20022 camt.053) as a stream, in bounded memory:
 * bytes are decoded with a streaming UTF-8 decoder, CSV goes through an incremental RFC 4180 state
 * machine, camt.053 through the saxes streaming XML parser. Every line is validated and handed to
 * the caller as soon as it is complete; nothing accumulates here but counters and up to
 * MAX_PROBLEMS problems. Field rules live in domain/statements.ts.
 */
import fs from 'node:fs';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import type { StatementLine } from '../domain/payments';
import { TRANSACTION_TYPE } from '../domain/payments';
import { CAMT053_ACCEPTED_NAMESPACE, STATEMENT_CSV_COLUMNS, instantMs, isIsoDate, parseAmountVnd } from '../domain/statements';

export type StatementFormat = 'camt053' | 'csv';

export interface StatementSummary {
  /** Lines handed to onLine. */
  lines: number;
  /** The sum of their amounts. */
  sumVnd: number;
  /** What a camt.053 says about itself (empty for CSV). */
  header: {
    statementId?: string;
    accountId?: string;
    fromDate?: string;
    toDate?: string;
    declaredCount?: number;
    declaredSumVnd?: number;
  };
}

export interface StatementProblem {
  /** CSV: the physical line (the header is line 1). camt.053: the XML line of the element. */
  lineNo?: number;
  /** camt.053: the 1-based entry (Ntry) number, which is the StatementLine.lineNo. */
  entryNo?: number;
  /** The CSV column or the camt.053 element/attribute. */
  field?: string;
  message: string;
}

/** Collected problems stop being recorded after this many (the count goes on). */
export const MAX_PROBLEMS = 100;
/** A CSV record or an XML construct longer than this is refused (an unclosed quote, a runaway text node). */
export const MAX_RECORD_CHARS = 1 << 20;
const READ_CHUNK_BYTES = 64 * 1024;
/** Vietnam's fixed offset: date-only and zone-less camt.053 booking dates are local. */
const VN_OFFSET = '+07:00';
const VN_OFFSET_MINUTES = 7 * 60;

export class StatementFormatError extends Error {
  constructor(
    readonly problems: StatementProblem[],
    /** All problems found, including those past MAX_PROBLEMS that were not recorded. */
    readonly total: number = problems.length,
  ) {
    super(StatementFormatError.summarise(problems, total));
    this.name = 'StatementFormatError';
  }

  private static summarise(problems: StatementProblem[], total: number): string {
    const shown = problems.slice(0, 3).map((p) => {
      const where = [p.lineNo !== undefined ? `line ${p.lineNo}` : '', p.entryNo !== undefined ? `entry ${p.entryNo}` : '', p.field ?? ''].filter(Boolean).join(' ');
      return where ? `${where}: ${p.message}` : p.message;
    });
    return `statement has ${total} problem${total === 1 ? '' : 's'}: ${shown.join('; ')}${total > shown.length ? '; …' : ''}`;
  }
}

/** At most 60 characters of a value, for a problem's message. */
function clip(v: string): string {
  return v.length > 60 ? v.slice(0, 60) + '…' : v;
}

/** A value as quoted in a problem's message. */
function shown(v: string): string {
  return JSON.stringify(clip(v));
}

/** Collects problems; a fatal one ends the reading (what follows cannot be interpreted). */
class Problems {
  readonly list: StatementProblem[] = [];
  total = 0;
  fatal = false;

  add(p: StatementProblem): void {
    this.total++;
    if (this.list.length < MAX_PROBLEMS) this.list.push(p);
  }

  stop(p: StatementProblem): void {
    this.add(p);
    this.fatal = true;
  }
}

/** Receives each line, with its booking instant already parsed (epoch ms). */
export type StatementLineHandler = (l: StatementLine, bookedAtMs: number) => void;

/**
 * Reads a statement from `source` (the file's bytes, or text) chunk by chunk, calling `onLine` for
 * each valid line as soon as it has been read. Every problem is collected (line or entry number,
 * field, message; the first MAX_PROBLEMS of them) and, if there were any, a StatementFormatError is
 * thrown at the end — or as soon as reading cannot go on (malformed XML, wrong header or
 * namespace, invalid UTF-8). `onLine` has then already been called for the valid lines read so
 * far: the caller must discard everything it accumulated when this rejects.
 *
 * The lines' strings are substrings of the decoded chunks, which V8 may keep alive with them: a
 * caller that keeps many lines' strings (rather than a few, or none) should copy them.
 */
export async function readStatement(
  source: AsyncIterable<Buffer | string>,
  format: StatementFormat,
  onLine: StatementLineHandler,
): Promise<StatementSummary> {
  const problems = new Problems();
  const summary: StatementSummary = { lines: 0, sumVnd: 0, header: {} };
  const emit: StatementLineHandler = (l, bookedAtMs) => {
    summary.lines++;
    summary.sumVnd += l.amountVnd;
    onLine(l, bookedAtMs);
  };
  const sink = format === 'csv' ? csvStatementSink(problems, emit) : camt053StatementSink(problems, emit, summary);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytes = 0;
  for await (const chunk of source) {
    let text: string;
    if (typeof chunk === 'string') {
      text = chunk;
    } else {
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        problems.stop({ message: `invalid UTF-8 in bytes ${bytes}–${bytes + chunk.length - 1}` });
        break;
      }
      bytes += chunk.length;
    }
    if (text) sink.write(text);
    if (problems.fatal) break;
  }
  if (!problems.fatal) {
    try {
      const rest = decoder.decode();
      if (rest) sink.write(rest);
    } catch {
      problems.stop({ message: 'the file ends inside a UTF-8 sequence' });
    }
  }
  if (!problems.fatal) sink.end();
  if (!problems.fatal && !Number.isSafeInteger(summary.sumVnd)) problems.add({ message: `the sum of the amounts, ${summary.sumVnd}, is beyond exact arithmetic` });
  if (problems.total) throw new StatementFormatError(problems.list, problems.total);
  return summary;
}

/** readStatement over a file, read 64 KiB at a time. */
export function readStatementFile(path: string, format: StatementFormat, onLine: StatementLineHandler): Promise<StatementSummary> {
  return readStatement(fs.createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }), format, onLine);
}

interface TextSink {
  write(text: string): void;
  end(): void;
}

// ---------------------------------------------------------------------------------------------
// CSV

const COMMA = 44;
const QUOTE = 34;
const CR = 13;
const LF = 10;

// States of the CSV machine.
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** A quote seen inside a quoted field: a doubled quote or the closing one, the next character decides. */
const QUOTE_IN_QUOTED = 3;
/** After the closing quote: a comma, a line end or the end of the file must follow. */
const AFTER_QUOTE = 4;
/** After a CR that ended a record: an LF right after it belongs to the same line end. */
const AFTER_CR = 5;

/**
 * Incremental RFC 4180: records end at CRLF, LF or CR; a quoted field may contain commas, doubled
 * quotes and line ends, and every token may be split across writes. Records go to `onRecord` with
 * the physical line they start on.
 */
class CsvRecordReader {
  private state = FIELD_START;
  private field = '';
  private record: string[] = [];
  private recordChars = 0;
  /** The physical line of the next character. */
  private line = 1;
  private recordLine = 1;
  private quoteLine = 1;
  private started = false;

  constructor(
    private readonly onRecord: (fields: string[], lineNo: number) => void,
    private readonly problems: Problems,
  ) {}

  write(s: string): void {
    const n = s.length;
    let i = 0;
    if (!this.started) {
      this.started = true;
      if (s.charCodeAt(0) === 0xfeff) i = 1; // a byte-order mark given as text
    }
    while (i < n && !this.problems.fatal) {
      switch (this.state) {
        case AFTER_CR:
          if (s.charCodeAt(i) === LF) i++;
          this.state = FIELD_START;
          break;
        case FIELD_START:
          if (s.charCodeAt(i) === QUOTE) {
            this.state = QUOTED;
            this.quoteLine = this.line;
            i++;
          } else {
            this.state = UNQUOTED;
          }
          break;
        case UNQUOTED: {
          let j = i;
          let c = 0;
          for (; j < n; j++) {
            c = s.charCodeAt(j);
            if (c === COMMA || c === LF || c === CR || c === QUOTE) break;
          }
          if (j > i) this.append(s.slice(i, j));
          if (j === n) {
            i = n;
          } else if (c === QUOTE) {
            this.problems.add({ lineNo: this.line, message: 'a quote inside an unquoted field' });
            this.append('"');
            i = j + 1;
          } else {
            i = j + 1;
            this.endField(c);
          }
          break;
        }
        case QUOTED: {
          const q = s.indexOf('"', i);
          const end = q < 0 ? n : q;
          for (let k = s.indexOf('\n', i); k >= 0 && k < end; k = s.indexOf('\n', k + 1)) this.line++;
          if (end > i) this.append(s.slice(i, end));
          if (q < 0) {
            i = n;
          } else {
            i = q + 1;
            this.state = QUOTE_IN_QUOTED;
          }
          break;
        }
        case QUOTE_IN_QUOTED:
          if (s.charCodeAt(i) === QUOTE) {
            this.append('"');
            this.state = QUOTED;
            i++;
          } else {
            this.state = AFTER_QUOTE;
          }
          break;
        case AFTER_QUOTE: {
          const c = s.charCodeAt(i);
          if (c === COMMA || c === LF || c === CR) {
            i++;
            this.endField(c);
          } else {
            this.problems.add({ lineNo: this.line, message: 'text after a closing quote' });
            this.state = UNQUOTED;
          }
          break;
        }
      }
    }
  }

  end(): void {
    switch (this.state) {
      case QUOTED:
        this.problems.add({ lineNo: this.quoteLine, message: 'a quoted field is not closed at the end of the file' });
        break;
      case FIELD_START:
        if (this.record.length) this.endField(LF); // "a,b," at the end: a last, empty field
        break;
      case UNQUOTED:
      case QUOTE_IN_QUOTED:
      case AFTER_QUOTE:
        this.endField(LF);
        break;
      default: // AFTER_CR: the last record has been delivered
    }
  }

  private append(text: string): void {
    this.field += text;
    this.recordChars += text.length;
    if (this.recordChars > MAX_RECORD_CHARS) {
      this.problems.stop({
        lineNo: this.recordLine,
        message: `a record longer than ${MAX_RECORD_CHARS} characters${this.state === QUOTED ? ' (a quoted field that is never closed?)' : ''}`,
      });
    }
  }

  /** Ends the field at `c`: a comma starts the next field, a line end delivers the record. */
  private endField(c: number): void {
    this.record.push(this.field);
    this.field = '';
    if (c === COMMA) {
      this.state = FIELD_START;
      return;
    }
    const record = this.record;
    const lineNo = this.recordLine;
    this.record = [];
    this.recordChars = 0;
    this.line++;
    this.recordLine = this.line;
    this.state = c === CR ? AFTER_CR : FIELD_START;
    this.onRecord(record, lineNo);
  }
}

const CSV_HEADER = STATEMENT_CSV_COLUMNS.join(',');
const COLUMN_COUNT = STATEMENT_CSV_COLUMNS.length;

function csvStatementSink(problems: Problems, emit: StatementLineHandler): TextSink {
  let header = false;
  const reader = new CsvRecordReader((fields, lineNo) => {
    if (!header) {
      header = true;
      const found = fields.map((f) => f.trim()).join(',');
      if (found !== CSV_HEADER) {
        problems.stop({ lineNo, message: `the header must be "${CSV_HEADER}", found "${found.length > 200 ? found.slice(0, 200) + '…' : found}"` });
      }
      return;
    }
    if (fields.length === 1 && fields[0] === '') return; // a blank line
    csvLine(fields, lineNo, problems, emit);
  }, problems);
  return {
    write: (text) => reader.write(text),
    end: () => {
      reader.end();
      if (!header && !problems.fatal) problems.add({ lineNo: 1, message: 'the file is empty: no header row' });
    },
  };
}

/** One data row: emitted as a StatementLine, or its problems recorded. */
function csvLine(f: string[], lineNo: number, problems: Problems, emit: StatementLineHandler): void {
  if (f.length !== COLUMN_COUNT) {
    problems.add({ lineNo, message: `${f.length} field${f.length === 1 ? '' : 's'}, the header has ${COLUMN_COUNT}` });
    return;
  }
  const [reference, providerTxnId, bookedAt, amount, currency, status, transactionType, agencyId, dossierCode] = f as [string, string, string, string, string, string, string, string, string];
  const before = problems.total;
  if (!reference) problems.add({ lineNo, field: 'reference', message: 'empty' });
  if (!providerTxnId) problems.add({ lineNo, field: 'provider_txn_id', message: 'empty' });
  const bookedAtMs = instantMs(bookedAt);
  if (bookedAtMs === undefined) problems.add({ lineNo, field: 'booked_at', message: `${shown(bookedAt)} is not an ISO 8601 instant with an offset or Z` });
  const amountVnd = parseAmountVnd(amount);
  if (amountVnd === undefined) problems.add({ lineNo, field: 'amount_vnd', message: `${shown(amount)} is not a whole, non-negative number of VND` });
  if (currency !== 'VND') problems.add({ lineNo, field: 'currency', message: `${shown(currency)}, expected VND` });
  if (status !== 'booked' && status !== 'reversed' && status !== 'rejected') problems.add({ lineNo, field: 'status', message: `${shown(status)}, expected booked, reversed or rejected` });
  if (transactionType && !TRANSACTION_TYPE.test(transactionType)) problems.add({ lineNo, field: 'transaction_type', message: `${shown(transactionType)} is not a transaction type G22.99.…` });
  if (problems.total !== before) return;
  const line: StatementLine = { lineNo, reference, providerTxnId, amountVnd: amountVnd!, bookedAt, status: status as StatementLine['status'] };
  if (transactionType) line.transactionType = transactionType;
  if (agencyId) line.agencyId = agencyId;
  if (dossierCode) line.dossierCode = dossierCode;
  emit(line, bookedAtMs!);
}

// ---------------------------------------------------------------------------------------------
// camt.053

/**
 * The elements the reader looks at, as a tree of local names under the document element. The
 * children are in a Map: saxes makes a new string for every tag name, and a Map hashes it where
 * an object's property lookup would first have to find its interned twin (measured: twice as slow).
 */
interface XmlNode {
  /** Text content is collected. */
  leaf: boolean;
  kids: Map<string, XmlNode> | undefined;
}

const node = (kids?: Record<string, XmlNode>): XmlNode => ({ leaf: false, kids: kids ? new Map(Object.entries(kids)) : undefined });
const leaf = (): XmlNode => ({ leaf: true, kids: undefined });
const setKids = (n: XmlNode, kids: Record<string, XmlNode>) => (n.kids = new Map(Object.entries(kids)));

const X = {
  stmtId: leaf(),
  acctIban: leaf(),
  acctOthrId: leaf(),
  from: leaf(),
  to: leaf(),
  nbOfNtries: leaf(),
  sum: leaf(),
  amt: leaf(),
  cdtDbtInd: leaf(),
  rvslInd: leaf(),
  sts: leaf(),
  stsCd: leaf(),
  bookgDtTm: leaf(),
  bookgDt: leaf(),
  acctSvcrRef: leaf(),
  bkTxCd: leaf(),
  txDtls: node(),
  endToEndId: leaf(),
  refsAcctSvcrRef: leaf(),
  ustrd: leaf(),
  ntry: node(),
  ttlNtries: node(),
  stmt: node(),
};
setKids(X.txDtls, {
  Refs: node({ EndToEndId: X.endToEndId, AcctSvcrRef: X.refsAcctSvcrRef }),
  RmtInf: node({ Ustrd: X.ustrd }),
});
setKids(X.sts, { Cd: X.stsCd, Prtry: X.stsCd });
setKids(X.ntry, {
  Amt: X.amt,
  CdtDbtInd: X.cdtDbtInd,
  RvslInd: X.rvslInd,
  Sts: X.sts,
  BookgDt: node({ DtTm: X.bookgDtTm, Dt: X.bookgDt }),
  AcctSvcrRef: X.acctSvcrRef,
  BkTxCd: node({ Prtry: node({ Cd: X.bkTxCd }) }),
  NtryDtls: node({ TxDtls: X.txDtls }),
});
setKids(X.ttlNtries, { NbOfNtries: X.nbOfNtries, Sum: X.sum });
setKids(X.stmt, {
  Id: X.stmtId,
  FrToDt: node({ FrDtTm: X.from, ToDtTm: X.to }),
  Acct: node({ Id: node({ IBAN: X.acctIban, Othr: node({ Id: X.acctOthrId }) }) }),
  TxsSummry: node({ TtlNtries: X.ttlNtries }),
  Ntry: X.ntry,
});
const DOCUMENT = node({ BkToCstmrStmt: node({ Stmt: X.stmt }) });

interface Entry {
  lineNo: number;
  amount?: string;
  currency?: string;
  cdtDbtInd?: string;
  reversal: boolean;
  status?: string;
  bookedAt?: string;
  bookedDate?: string;
  acctSvcrRef?: string;
  endToEndId?: string;
  transactionType?: string;
  remittance?: string;
  transactions: number;
}

/**
 * saxes stores each event handler as a property of the parser when on() is called. Added one by
 * one after construction, more than six of them turn the parser into a dictionary-mode object in
 * V8, and every character it reads gets about four times slower (measured on Node 20: 50 → 12 MB/s).
 * Creating the properties in the constructor keeps it a fast object.
 */
class Camt053Parser extends SaxesParser<{ xmlns: true; position: true }> {
  constructor() {
    super({ xmlns: true, position: true });
    const self = this as unknown as Record<string, unknown>;
    self['openTagHandler'] = undefined;
    self['closeTagHandler'] = undefined;
    self['textHandler'] = undefined;
    self['cdataHandler'] = undefined;
    self['errorHandler'] = undefined;
    self['doctypeHandler'] = undefined;
    self['xmldeclHandler'] = undefined;
  }
}

/** camt.053 through saxes (namespaces on): element paths matched against the tree above. */
function camt053StatementSink(problems: Problems, emit: StatementLineHandler, summary: StatementSummary): TextSink {
  const parser = new Camt053Parser();
  const stack: (XmlNode | null)[] = [];
  let ns = '';
  let text = '';
  let entry: Entry | undefined;
  let entries = 0;
  let entriesSumVnd = 0;
  let statements = 0;
  let summaryLine = 0;
  let lastEvent = 0;

  parser.on('error', (err) => {
    if (problems.fatal) return;
    const m = /^(\d+):(\d+): (.*)$/s.exec(err.message);
    problems.stop(m ? { lineNo: Number(m[1]), message: `malformed XML at ${m[1]}:${m[2]}: ${m[3]}` } : { message: `malformed XML: ${err.message}` });
  });
  parser.on('doctype', () => {
    if (!problems.fatal) problems.stop({ lineNo: parser.line, message: 'a DOCTYPE declaration is not allowed' });
  });
  parser.on('xmldecl', (decl) => {
    if (decl.encoding && !/^utf-?8$/i.test(decl.encoding)) problems.stop({ lineNo: parser.line, message: `encoding ${decl.encoding}: only UTF-8 is read` });
  });
  const onText = (t: string) => {
    lastEvent = parser.position;
    if (!stack[stack.length - 1]?.leaf) return;
    text += t;
    if (text.length > MAX_RECORD_CHARS && !problems.fatal) problems.stop({ lineNo: parser.line, message: `an element's text longer than ${MAX_RECORD_CHARS} characters` });
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('opentag', (tag: SaxesTagNS) => {
    lastEvent = parser.position;
    if (problems.fatal) return;
    if (stack.length === 0) {
      if (tag.local !== 'Document' || !CAMT053_ACCEPTED_NAMESPACE.test(tag.uri)) {
        problems.stop({
          lineNo: parser.line,
          message: `the root element must be Document in a camt.053.001.02–08 namespace, found ${clip(tag.local)} in ${tag.uri ? shown(tag.uri) : 'no namespace'}`,
        });
        return;
      }
      ns = tag.uri;
      stack.push(DOCUMENT);
      return;
    }
    const parent = stack[stack.length - 1];
    const n = tag.uri === ns ? parent?.kids?.get(tag.local) : undefined;
    stack.push(n ?? null);
    if (!n) return;
    if (n.leaf) text = '';
    if (n === X.ntry) {
      entries++;
      entry = { lineNo: parser.line, reversal: false, transactions: 0 };
    } else if (n === X.amt && entry) {
      entry.currency = tag.attributes['Ccy']?.value ?? '';
    } else if (n === X.txDtls && entry) {
      entry.transactions++;
    } else if (n === X.stmt) {
      statements++;
      if (statements === 2) problems.add({ lineNo: parser.line, field: 'Stmt', message: 'more than one Stmt: one statement per file' });
    } else if (n === X.ttlNtries) {
      summaryLine = parser.line;
    }
  });
  parser.on('closetag', () => {
    lastEvent = parser.position;
    if (problems.fatal) return;
    const n = stack.pop();
    if (!n) return;
    if (n.leaf) {
      const value = text.trim();
      text = '';
      closeLeaf(n, value);
    } else if (n === X.ntry && entry) {
      closeEntry(entry, entries);
      entry = undefined;
    }
  });

  const header = summary.header;
  const closeLeaf = (n: XmlNode, value: string) => {
    if (entry) {
      const e = entry;
      if (n === X.amt) e.amount = value;
      else if (n === X.cdtDbtInd) e.cdtDbtInd = value;
      else if (n === X.rvslInd) e.reversal = value === 'true' || value === '1';
      else if (n === X.stsCd || (n === X.sts && value)) e.status = value; // v08 Sts/Cd, or text as in v02–v07
      else if (n === X.bookgDtTm) e.bookedAt = value;
      else if (n === X.bookgDt) e.bookedDate = value;
      else if (n === X.acctSvcrRef) e.acctSvcrRef = value;
      else if (n === X.refsAcctSvcrRef) e.acctSvcrRef ??= value;
      else if (n === X.endToEndId) e.endToEndId = value;
      else if (n === X.bkTxCd) e.transactionType = value;
      else if (n === X.ustrd) e.remittance = value;
      return;
    }
    if (n === X.stmtId) header.statementId = value;
    else if (n === X.acctIban || n === X.acctOthrId) header.accountId = value;
    else if (n === X.from) header.fromDate = value;
    else if (n === X.to) header.toDate = value;
    else if (n === X.nbOfNtries) {
      if (/^\d+$/.test(value)) header.declaredCount = Number(value);
      else problems.add({ lineNo: parser.line, field: 'TxsSummry/TtlNtries/NbOfNtries', message: `${shown(value)} is not a number of entries` });
    } else if (n === X.sum) {
      const sum = parseAmountVnd(value, true);
      if (sum !== undefined) header.declaredSumVnd = sum;
      else problems.add({ lineNo: parser.line, field: 'TxsSummry/TtlNtries/Sum', message: `${shown(value)} is not a whole number of VND` });
    }
  };

  const closeEntry = (e: Entry, entryNo: number) => {
    const before = problems.total;
    const at = { lineNo: e.lineNo, entryNo };
    let amountVnd: number | undefined;
    if (e.amount === undefined) {
      problems.add({ ...at, field: 'Amt', message: 'no amount' });
    } else {
      if (e.currency !== 'VND') problems.add({ ...at, field: 'Amt/@Ccy', message: e.currency ? `currency ${clip(e.currency)}, expected VND` : 'no currency, expected VND' });
      amountVnd = parseAmountVnd(e.amount, true);
      if (amountVnd === undefined) problems.add({ ...at, field: 'Amt', message: `${shown(e.amount)} is not a whole, non-negative number of VND` });
      else entriesSumVnd += amountVnd;
    }
    if (e.cdtDbtInd !== 'CRDT' && e.cdtDbtInd !== 'DBIT') {
      problems.add({ ...at, field: 'CdtDbtInd', message: e.cdtDbtInd === undefined ? 'no credit/debit indicator' : `${shown(e.cdtDbtInd)}, expected CRDT or DBIT` });
    }
    let status: StatementLine['status'] | undefined;
    if (e.status === 'BOOK') status = e.reversal || e.cdtDbtInd === 'DBIT' ? 'reversed' : 'booked';
    else if (e.status === 'RJCT') status = 'rejected';
    else problems.add({ ...at, field: 'Sts', message: e.status === undefined ? 'no status' : `status ${clip(e.status)}: only booked (BOOK) and rejected (RJCT) entries are reconciled` });
    let bookedAt: string | undefined;
    let bookedAtMs: number | undefined;
    if (e.bookedAt !== undefined) {
      bookedAtMs = instantMs(e.bookedAt, VN_OFFSET_MINUTES);
      if (bookedAtMs === undefined) problems.add({ ...at, field: 'BookgDt/DtTm', message: `${shown(e.bookedAt)} is not an ISO 8601 date-time` });
      else bookedAt = instantMs(e.bookedAt) === undefined ? e.bookedAt + VN_OFFSET : e.bookedAt; // no offset: Vietnam time
    } else if (e.bookedDate !== undefined) {
      if (!isIsoDate(e.bookedDate)) problems.add({ ...at, field: 'BookgDt/Dt', message: `${shown(e.bookedDate)} is not an ISO 8601 date` });
      else {
        bookedAt = `${e.bookedDate}T00:00:00${VN_OFFSET}`;
        bookedAtMs = instantMs(bookedAt);
      }
    } else {
      problems.add({ ...at, field: 'BookgDt', message: 'no booking date' });
    }
    const reference = e.endToEndId === 'NOTPROVIDED' ? '' : (e.endToEndId ?? '');
    const providerTxnId = e.acctSvcrRef ?? '';
    if (!reference && !providerTxnId) problems.add({ ...at, field: 'EndToEndId', message: 'neither an EndToEndId nor an AcctSvcrRef' });
    if (e.transactions > 1) problems.add({ ...at, field: 'NtryDtls/TxDtls', message: `${e.transactions} transactions in one entry: batch bookings are not reconciled` });
    if (e.transactionType && !TRANSACTION_TYPE.test(e.transactionType)) {
      problems.add({ ...at, field: 'BkTxCd/Prtry/Cd', message: `${shown(e.transactionType)} is not a transaction type G22.99.…` });
    }
    if (problems.total !== before) return;
    const line: StatementLine = { lineNo: entryNo, reference, providerTxnId, amountVnd: amountVnd!, bookedAt: bookedAt!, status: status! };
    if (e.transactionType) line.transactionType = e.transactionType;
    if (e.remittance !== undefined) {
      const bar = e.remittance.indexOf('|');
      if (bar >= 0) {
        const agencyId = e.remittance.slice(0, bar);
        const dossierCode = e.remittance.slice(bar + 1);
        if (agencyId) line.agencyId = agencyId;
        if (dossierCode) line.dossierCode = dossierCode;
      }
    }
    emit(line, bookedAtMs!);
  };

  return {
    write(chunk: string) {
      parser.write(chunk);
      if (!problems.fatal && parser.position - lastEvent > MAX_RECORD_CHARS) {
        problems.stop({ lineNo: parser.line, message: `an XML text, comment or tag longer than ${MAX_RECORD_CHARS} characters` });
      }
    },
    end() {
      parser.close();
      if (problems.fatal) return;
      if (statements === 0) {
        problems.add({ message: 'no BkToCstmrStmt/Stmt element' });
        return;
      }
      if (header.declaredCount !== undefined && header.declaredCount !== entries) {
        problems.add({ lineNo: summaryLine, field: 'TxsSummry/TtlNtries/NbOfNtries', message: `declares ${header.declaredCount} entries, the statement has ${entries}` });
      }
      if (header.declaredSumVnd !== undefined && header.declaredSumVnd !== entriesSumVnd) {
        problems.add({ lineNo: summaryLine, field: 'TxsSummry/TtlNtries/Sum', message: `declares a sum of ${header.declaredSumVnd} VND, the entries add up to ${entriesSumVnd} VND` });
      }
    },
  };
}
