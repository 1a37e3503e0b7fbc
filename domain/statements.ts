/**
 * Providers' daily statements (QĐ 31/2021 Art 36) in the two formats the portal reads: a CSV file
 * with a fixed header and an ISO 20022 camt.053.001.08 BankToCustomerStatement. Serialisers that
 * produce the files piece by piece (for the provider simulator and the benchmarks) and the strict
 * field rules the streaming reader (activities/statements.ts) applies. Pure: no I/O.
 */
import { csvField } from './csv';
import type { StatementLine } from './payments';

/** The CSV header row, in this order. */
export const STATEMENT_CSV_COLUMNS = [
  'reference',
  'provider_txn_id',
  'booked_at',
  'amount_vnd',
  'currency',
  'status',
  'transaction_type',
  'agency_id',
  'dossier_code',
] as const;

export const STATEMENT_STATUSES: readonly StatementLine['status'][] = ['booked', 'reversed', 'rejected'];

/** The namespace the serialiser writes. */
export const CAMT053_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:camt.053.001.08';

/** The namespaces the reader accepts: camt.053.001.02 through camt.053.001.08. */
export const CAMT053_ACCEPTED_NAMESPACE = /^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.0[2-8]$/;

/** What the camt.053 document says about itself, ahead of the entries. */
export interface Camt053Header {
  /** GrpHdr/MsgId. */
  messageId: string;
  /** GrpHdr/CreDtTm and Stmt/CreDtTm: ISO 8601 instant. */
  createdAt: string;
  /** Stmt/Id. */
  statementId: string;
  /** Stmt/Acct/Id/Othr/Id: the portal's collection account at the provider. */
  accountId: string;
  /** Stmt/FrToDt/FrDtTm and ToDtTm: the business day's window, ISO 8601 instants. */
  fromDateTime: string;
  toDateTime: string;
  /** Stmt/TxsSummry/TtlNtries/NbOfNtries; the summary is written only when a count or a sum is given. */
  declaredCount?: number;
  /** Stmt/TxsSummry/TtlNtries/Sum: the sum of the entries' amounts (all positive). */
  declaredSumVnd?: number;
  /** The opening booked balance (Stmt/Bal, which the schema requires at least once); 0 by default. */
  openingBalanceVnd?: number;
}

// ---------------------------------------------------------------------------------------------
// Field rules shared by the reader and the tests.

/** A whole, non-negative number of VND (the đồng has no minor unit), as written in the CSV. */
export const AMOUNT_VND = /^\d+$/;

/** The amount a statement field holds, or undefined when it is not a whole, safe, non-negative number. */
export function parseAmountVnd(text: string, allowZeroFraction = false): number | undefined {
  let digits = text;
  if (allowZeroFraction) {
    const dot = text.indexOf('.');
    if (dot >= 0) {
      if (!/^\.0+$/.test(text.slice(dot))) return undefined;
      digits = text.slice(0, dot);
    }
  }
  if (!AMOUNT_VND.test(digits)) return undefined;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : undefined;
}

const DIGIT_0 = 48;

/** The two decimal digits at s[at], s[at + 1] as a number, or -1. */
function twoDigits(s: string, at: number): number {
  const a = s.charCodeAt(at) - DIGIT_0;
  const b = s.charCodeAt(at + 1) - DIGIT_0;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of the `YYYY-MM-DD` calendar date at the start of s, or -1e9 if it is not one. */
function dayAt(s: string): number {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return -1e9; // '-'
  const c = twoDigits(s, 0);
  const yy = twoDigits(s, 2);
  const m = twoDigits(s, 5);
  const d = twoDigits(s, 8);
  if (c < 0 || yy < 0 || m < 1 || m > 12 || d < 1) return -1e9;
  const y = c * 100 + yy;
  if (d > daysInMonth(y, m)) return -1e9;
  // Howard Hinnant's days_from_civil.
  const ys = m <= 2 ? y - 1 : y;
  const era = Math.floor(ys / 400);
  const yoe = ys - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/** True for a calendar date `YYYY-MM-DD`. */
export function isIsoDate(s: string): boolean {
  return s.length === 10 && dayAt(s) !== -1e9;
}

/**
 * Epoch milliseconds of a strict ISO 8601 instant `YYYY-MM-DDTHH:MM[:SS[.fraction]]` followed by `Z`
 * or `±HH:MM` (a real calendar date, hours 00–23, offsets up to ±14:00), or undefined. Unlike
 * `Date.parse`, refuses 30 February and 24:00, and never guesses the host's zone. With
 * `assumeOffsetMinutes`, an instant without an offset is read at that offset.
 */
export function instantMs(s: string, assumeOffsetMinutes?: number): number | undefined {
  const n = s.length;
  if (n < 16 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58) return undefined; // 'T', ':'
  const day = dayAt(s);
  const h = twoDigits(s, 11);
  const mi = twoDigits(s, 14);
  if (day === -1e9 || h < 0 || h > 23 || mi < 0 || mi > 59) return undefined;
  let i = 16;
  let sec = 0;
  let ms = 0;
  if (s.charCodeAt(16) === 58) {
    sec = twoDigits(s, 17);
    if (sec < 0 || sec > 59) return undefined;
    i = 19;
    if (s.charCodeAt(19) === 46) {
      // '.' and 1–9 digits; milliseconds, the rest truncated
      let k = 20;
      for (; k < n && k < 29; k++) {
        const dig = s.charCodeAt(k) - DIGIT_0;
        if (dig < 0 || dig > 9) break;
        if (k < 23) ms += dig * (k === 20 ? 100 : k === 21 ? 10 : 1);
      }
      if (k === 20) return undefined;
      i = k;
    }
  }
  let offsetMin: number;
  const c = s.charCodeAt(i);
  if (i === n) {
    if (assumeOffsetMinutes === undefined) return undefined;
    offsetMin = assumeOffsetMinutes;
  } else if (c === 90 && i + 1 === n) {
    offsetMin = 0; // 'Z'
  } else {
    if ((c !== 43 && c !== 45) || i + 6 !== n || s.charCodeAt(i + 3) !== 58) return undefined;
    const oh = twoDigits(s, i + 1);
    const om = twoDigits(s, i + 4);
    if (oh < 0 || om < 0 || om > 59 || oh * 60 + om > 14 * 60) return undefined;
    offsetMin = c === 45 ? -(oh * 60 + om) : oh * 60 + om;
  }
  return day * 86_400_000 + ((h * 60 + mi - offsetMin) * 60 + sec) * 1000 + ms;
}

// ---------------------------------------------------------------------------------------------
// CSV

/** One data row of the statement CSV, LF-terminated. */
export function statementCsvRow(l: StatementLine): string {
  return [
    csvField(l.reference),
    csvField(l.providerTxnId),
    csvField(l.bookedAt),
    String(l.amountVnd),
    'VND',
    l.status,
    csvField(l.transactionType ?? ''),
    csvField(l.agencyId ?? ''),
    csvField(l.dossierCode ?? ''),
  ].join(',') + '\n';
}

/**
 * The statement as CSV, the header row first and then one row per line (RFC 4180 quoting where a
 * field needs it, LF line ends). Writes what it is given (`lineNo` is not written): the reader,
 * not the serialiser, validates, so the simulator can also produce broken files.
 */
export function* statementCsvChunks(lines: Iterable<StatementLine>): Generator<string> {
  yield STATEMENT_CSV_COLUMNS.join(',') + '\n';
  for (const l of lines) yield statementCsvRow(l);
}

/** The whole CSV document as one string (small statements, tests). */
export function statementCsv(lines: Iterable<StatementLine>): string {
  return [...statementCsvChunks(lines)].join('');
}

// ---------------------------------------------------------------------------------------------
// camt.053

/** Escapes text for XML character data and double-quoted attribute values. */
export function xmlEscape(s: string): string {
  return /[&<>"'\r]/.test(s)
    ? s.replace(/[&<>"'\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : c === "'" ? '&apos;' : '&#13;'))
    : s;
}

/** One Ntry element (indented for a Stmt child). */
export function camt053Entry(l: StatementLine): string {
  const reversed = l.status === 'reversed';
  const remittance = l.agencyId !== undefined || l.dossierCode !== undefined ? `${l.agencyId ?? ''}|${l.dossierCode ?? ''}` : undefined;
  return (
    '      <Ntry>\n' +
    `        <Amt Ccy="VND">${l.amountVnd}</Amt>\n` +
    `        <CdtDbtInd>${reversed ? 'DBIT' : 'CRDT'}</CdtDbtInd>\n` +
    (reversed ? '        <RvslInd>true</RvslInd>\n' : '') +
    `        <Sts><Cd>${l.status === 'rejected' ? 'RJCT' : 'BOOK'}</Cd></Sts>\n` +
    `        <BookgDt><DtTm>${xmlEscape(l.bookedAt)}</DtTm></BookgDt>\n` +
    (l.providerTxnId ? `        <AcctSvcrRef>${xmlEscape(l.providerTxnId)}</AcctSvcrRef>\n` : '') +
    (l.transactionType !== undefined ? `        <BkTxCd><Prtry><Cd>${xmlEscape(l.transactionType)}</Cd></Prtry></BkTxCd>\n` : '        <BkTxCd/>\n') +
    '        <NtryDtls>\n' +
    '          <TxDtls>\n' +
    (l.reference ? `            <Refs><EndToEndId>${xmlEscape(l.reference)}</EndToEndId></Refs>\n` : '') +
    (remittance !== undefined ? `            <RmtInf><Ustrd>${xmlEscape(remittance)}</Ustrd></RmtInf>\n` : '') +
    '          </TxDtls>\n' +
    '        </NtryDtls>\n' +
    '      </Ntry>\n'
  );
}

/**
 * The statement as a camt.053.001.08 document, piece by piece: the prologue (GrpHdr, Stmt header,
 * opening balance, the optional TxsSummry), one Ntry per line, the epilogue. Per line: Amt in VND;
 * CdtDbtInd CRDT, or DBIT with RvslInd true for a reversal; Sts/Cd BOOK, or RJCT for a rejected
 * entry; BookgDt/DtTm; AcctSvcrRef = providerTxnId; BkTxCd/Prtry/Cd = transactionType;
 * NtryDtls/TxDtls/Refs/EndToEndId = reference; RmtInf/Ustrd = `<agencyId>|<dossierCode>`.
 * Like the CSV serialiser, writes what it is given.
 */
export function* camt053Chunks(header: Camt053Header, lines: Iterable<StatementLine>): Generator<string> {
  const summary =
    header.declaredCount !== undefined || header.declaredSumVnd !== undefined
      ? '      <TxsSummry>\n        <TtlNtries>\n' +
        (header.declaredCount !== undefined ? `          <NbOfNtries>${header.declaredCount}</NbOfNtries>\n` : '') +
        (header.declaredSumVnd !== undefined ? `          <Sum>${header.declaredSumVnd}</Sum>\n` : '') +
        '        </TtlNtries>\n      </TxsSummry>\n'
      : '';
  yield '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Document xmlns="${CAMT053_NAMESPACE}">\n` +
    '  <BkToCstmrStmt>\n' +
    '    <GrpHdr>\n' +
    `      <MsgId>${xmlEscape(header.messageId)}</MsgId>\n` +
    `      <CreDtTm>${xmlEscape(header.createdAt)}</CreDtTm>\n` +
    '    </GrpHdr>\n' +
    '    <Stmt>\n' +
    `      <Id>${xmlEscape(header.statementId)}</Id>\n` +
    `      <CreDtTm>${xmlEscape(header.createdAt)}</CreDtTm>\n` +
    `      <FrToDt><FrDtTm>${xmlEscape(header.fromDateTime)}</FrDtTm><ToDtTm>${xmlEscape(header.toDateTime)}</ToDtTm></FrToDt>\n` +
    `      <Acct><Id><Othr><Id>${xmlEscape(header.accountId)}</Id></Othr></Id></Acct>\n` +
    '      <Bal>\n' +
    '        <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>\n' +
    `        <Amt Ccy="VND">${Math.abs(header.openingBalanceVnd ?? 0)}</Amt>\n` +
    `        <CdtDbtInd>${(header.openingBalanceVnd ?? 0) < 0 ? 'DBIT' : 'CRDT'}</CdtDbtInd>\n` +
    `        <Dt><DtTm>${xmlEscape(header.fromDateTime)}</DtTm></Dt>\n` +
    '      </Bal>\n' +
    summary;
  for (const l of lines) yield camt053Entry(l);
  yield '    </Stmt>\n  </BkToCstmrStmt>\n</Document>\n';
}

/** The whole camt.053 document as one string (small statements, tests). */
export function camt053Document(header: Camt053Header, lines: Iterable<StatementLine>): string {
  return [...camt053Chunks(header, lines)].join('');
}
