/**
 * Online payments (QĐ 31/2021 Chapter V): payment requests for fees and charges, providers'
 * signed callbacks, daily statements and their reconciliation (đối soát, Art 36), and inquiries
 * (tra soát) on the exceptions. Pure: no I/O.
 */
import { formatDate, localDay, parseDate, startOfDay } from './calendar/days';

/** Transaction types carry a code of the form `G22.99.…` (QĐ 31 Art 33). */
export const TRANSACTION_TYPE = /^G22\.99\.\d{2}(\.\d{2}){0,2}$/;

/**
 * Payment references the portal issues: `PAY` + local date `yyyyMMdd` + a 6-digit daily sequence +
 * 6 random base32 characters (so a reference cannot be guessed from another).
 */
export const PAYMENT_REFERENCE = /^PAY\d{14}[0-9A-Z]{6}$/;

/** The provider's own identifier: letters, digits, `-`, `_`, 2–20 characters. */
export const PROVIDER_ID = /^[A-Z][A-Z0-9_-]{1,19}$/;

export const PAYMENT_STATUSES = ['pending', 'paid', 'failed', 'expired', 'refund_requested', 'refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** What a provider's callback reports about one payment. */
export type CallbackOutcome = 'paid' | 'failed' | 'refunded';

/** One line of a provider's daily statement, whatever the file format. */
export interface StatementLine {
  /** 1-based position of the entry in the file (line for CSV, entry for camt.053). */
  lineNo: number;
  /** The portal's payment reference (camt.053 EndToEndId; CSV `reference`). */
  reference: string;
  /** The provider's transaction ID (camt.053 AcctSvcrRef; CSV `provider_txn_id`). */
  providerTxnId: string;
  amountVnd: number;
  /** ISO 8601 instant the provider booked it. */
  bookedAt: string;
  /** `booked`: money moved; `reversed`: a reversal/refund entry; `rejected`: failed at the bank. */
  status: 'booked' | 'reversed' | 'rejected';
  transactionType?: string;
  agencyId?: string;
  dossierCode?: string;
}

/** A portal payment as the reconciliation sees it. */
export interface PortalPayment {
  reference: string;
  provider: string;
  agencyId: string;
  transactionType: string;
  amountVnd: number;
  status: PaymentStatus;
  /** When the provider confirmed it (from the signed callback), epoch ms; undefined if never paid. */
  paidAtMs?: number;
  dossierCode?: string;
}

export const EXCEPTION_KINDS = [
  'unknown_to_portal', // on the statement, no such payment at the portal
  'missing_from_statement', // paid at the portal in the day's window, absent from the statement
  'amount_mismatch',
  'duplicate', // the same reference (or provider transaction) twice on the statement
  'status_mismatch', // e.g. booked at the bank, failed/pending/refunded at the portal
  'late', // booked outside the business day's window (after the cut-off)
] as const;
export type ExceptionKind = (typeof EXCEPTION_KINDS)[number];

export interface ReconciliationException {
  kind: ExceptionKind;
  /** The payment reference, or the provider transaction ID when the reference is unknown. */
  key: string;
  reference?: string;
  providerTxnId?: string;
  lineNo?: number;
  statementAmountVnd?: number;
  portalAmountVnd?: number;
  portalStatus?: PaymentStatus;
  statementStatus?: StatementLine['status'];
  agencyId?: string;
  transactionType?: string;
  detail: string;
}

/** One row of the day's report: totals per agency × transaction type × status (Art 36.3). */
export interface ReconciliationTotal {
  agencyId: string;
  transactionType: string;
  /** `matched` or an exception kind. */
  status: 'matched' | ExceptionKind;
  count: number;
  amountVnd: number;
}

export function paymentWorkflowId(reference: string): string {
  return `payment:${reference}`;
}

export function reconciliationWorkflowId(provider: string, businessDate: string): string {
  return `reconciliation:${provider}:${businessDate}`;
}

export function inquiryWorkflowId(provider: string, businessDate: string, kind: ExceptionKind, key: string): string {
  return `inquiry:${provider}:${businessDate}:${kind}:${key}`;
}

/** What a provider signs: `<timestamp>.<nonce>.<raw body>` with HMAC-SHA256, hex, per-provider secret. */
export function callbackSigningInput(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}.${nonce}.${body}`;
}

/** The outcomes of an inquiry (tra soát), each recorded with evidence. */
export const INQUIRY_RESOLUTIONS = ['corrected', 'refunded', 'written_off', 'confirmed_by_bank'] as const;
export type InquiryResolution = (typeof INQUIRY_RESOLUTIONS)[number];

/**
 * The window of business day `date` for a cut-off at `cutoffMs` after local midnight: from the
 * previous day's cut-off (inclusive) to this day's (exclusive). Entries booked outside are late.
 */
export function reconciliationWindow(businessDate: string, cutoffMs: number): { startMs: number; endMs: number } {
  const day = parseDate(businessDate);
  return { startMs: startOfDay(day - 1) + cutoffMs, endMs: startOfDay(day) + cutoffMs };
}

/** The business day a scheduled run at `atMs` reconciles: the local day before. */
export function previousBusinessDate(atMs: number): string {
  return formatDate(localDay(atMs) - 1);
}

/** The transaction type of a dossier's fees and charges (phí, lệ phí thủ tục hành chính). */
export const DOSSIER_FEE_TRANSACTION_TYPE = 'G22.99.01';
