/**
 * Daily reconciliation (đối soát, QĐ 31/2021 Art 36): one provider's statement for a business day
 * matched line by line against the portal's payments, in compact memory so that a million
 * payments and a million lines fit comfortably: payments are kept in typed arrays indexed through
 * an arena-backed string table (no object per payment), matched lines are only counted, and only
 * the exceptions (rare) are kept as objects. Pure: no I/O.
 */
import { formatInstantVN } from './calendar';
import type { ExceptionKind, PaymentStatus, PortalPayment, ReconciliationException, ReconciliationTotal, StatementLine } from './payments';
import { EXCEPTION_KINDS, PAYMENT_STATUSES } from './payments';
import { instantMs } from './statements';

// ---------------------------------------------------------------------------------------------
// A compact set of strings

function grown<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(a: T, min: number): T {
  if (a.length >= min) return a;
  let n = Math.max(16, a.length * 2);
  while (n < min) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/**
 * An append-only set of strings numbered 0, 1, 2… in insertion order, stored as UTF-8 bytes (lone
 * surrogates kept as-is, so every JS string round-trips) in one growing arena, with an
 * open-addressing hash table of indices: 20–36 bytes plus the string's length per entry, and
 * nothing for the garbage collector to trace.
 */
export class StringTable {
  private bytes = new Uint8Array(1 << 16);
  private used = 0;
  /** Entry i is bytes[offsets[i], offsets[i + 1]). */
  private offsets = new Uint32Array(1025);
  /**
   * Open addressing, linear probing, at most half full: slot k is [hash, index + 1] at 2k, 2k + 1
   * (index + 1 = 0: empty). The hash sits next to the index so that a probe touches one cache line.
   */
  private slots = new Int32Array(2 * 2048);
  private scratch = new Uint8Array(256);
  private scratchLength = 0;
  private scratchHash = 0;
  size = 0;

  /** The index of `s`, or -1. */
  indexOf(s: string): number {
    const r = this.probe(s);
    return r >= 0 ? r : -1;
  }

  /** The index of `s`, added at the end if it was not there. */
  add(s: string): number {
    const r = this.probe(s);
    if (r >= 0) return r;
    const index = this.size++;
    const len = this.scratchLength;
    if (this.used + len > this.bytes.length) this.bytes = grown(this.bytes, this.used + len);
    const bytes = this.bytes;
    const scratch = this.scratch;
    for (let k = 0, at = this.used; k < len; k++) bytes[at + k] = scratch[k]!;
    this.used += len;
    if (index + 2 > this.offsets.length) this.offsets = grown(this.offsets, index + 2);
    this.offsets[index + 1] = this.used;
    const slot = -r - 1;
    this.slots[2 * slot] = this.scratchHash;
    this.slots[2 * slot + 1] = index + 1;
    if (this.size * 4 > this.slots.length) this.rehash(this.slots.length);
    return index;
  }

  /** Makes room for `count` strings in all (spares the rehashing while they come). */
  reserve(count: number): void {
    let capacity = this.slots.length >> 1;
    while (count * 2 > capacity) capacity *= 2;
    if (capacity * 2 > this.slots.length) this.rehash(capacity);
    if (count + 1 > this.offsets.length) this.offsets = grown(this.offsets, count + 1);
  }

  /** The string at `index`. */
  get(index: number): string {
    if (!(index >= 0 && index < this.size)) throw new RangeError(`no string ${index}`);
    return decodeUtf8(this.bytes, this.offsets[index]!, this.offsets[index + 1]!);
  }

  /** Finds `s` (encoded into the scratch buffer): its index, or -(free slot + 1). */
  private probe(s: string): number {
    const len = this.encode(s);
    const buf = this.scratch;
    let h = this.scratchHash;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    this.scratchHash = h;
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    const bytes = this.bytes;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const v = slots[2 * slot + 1]!;
      if (v === 0) return -slot - 1;
      if (slots[2 * slot] !== h) continue;
      const start = this.offsets[v - 1]!;
      if (this.offsets[v]! - start !== len) continue;
      let k = 0;
      while (k < len && bytes[start + k] === buf[k]) k++;
      if (k === len) return v - 1;
    }
  }

  /** Moves the entries to a table of `capacity` slots (a power of 2). */
  private rehash(capacity: number): void {
    const old = this.slots;
    const slots = new Int32Array(2 * capacity);
    const mask = capacity - 1;
    for (let k = 1; k < old.length; k += 2) {
      if (old[k] === 0) continue;
      const h = old[k - 1]!;
      let slot = h & mask;
      while (slots[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      slots[2 * slot] = h;
      slots[2 * slot + 1] = old[k]!;
    }
    this.slots = slots;
  }

  /** UTF-8 of `s` into the scratch buffer, its FNV-1a hash (unmixed) into scratchHash; its length. */
  private encode(s: string): number {
    const n = s.length;
    if (this.scratch.length < n * 3) this.scratch = new Uint8Array(n * 3);
    const buf = this.scratch;
    let h = 0x811c9dc5;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[i] = c;
      h = Math.imul(h ^ c, 0x01000193);
    }
    this.scratchHash = h;
    this.scratchLength = i < n ? this.encodeFrom(s, i) : n;
    return this.scratchLength;
  }

  /** encode() from the first non-ASCII character on. */
  private encodeFrom(s: string, from: number): number {
    const n = s.length;
    const buf = this.scratch;
    let h = this.scratchHash;
    let j = from;
    for (let i = from; i < n; i++) {
      const c = s.charCodeAt(i);
      const at = j;
      if (c < 0x80) {
        buf[j++] = c;
      } else if (c < 0x800) {
        buf[j++] = 0xc0 | (c >> 6);
        buf[j++] = 0x80 | (c & 63);
      } else {
        const d = c >= 0xd800 && c < 0xdc00 && i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (d >= 0xdc00 && d < 0xe000) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          buf[j++] = 0xf0 | (cp >> 18);
          buf[j++] = 0x80 | ((cp >> 12) & 63);
          buf[j++] = 0x80 | ((cp >> 6) & 63);
          buf[j++] = 0x80 | (cp & 63);
          i++;
        } else {
          buf[j++] = 0xe0 | (c >> 12);
          buf[j++] = 0x80 | ((c >> 6) & 63);
          buf[j++] = 0x80 | (c & 63);
        }
      }
      for (let k = at; k < j; k++) h = Math.imul(h ^ buf[k]!, 0x01000193);
    }
    this.scratchHash = h;
    return j;
  }
}

function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  const units: number[] = [];
  for (let i = start; i < end; ) {
    const b = bytes[i]!;
    if (b < 0x80) {
      units.push(b);
      i++;
    } else if (b < 0xe0) {
      units.push(((b & 31) << 6) | (bytes[i + 1]! & 63));
      i += 2;
    } else if (b < 0xf0) {
      units.push(((b & 15) << 12) | ((bytes[i + 1]! & 63) << 6) | (bytes[i + 2]! & 63));
      i += 3;
    } else {
      const cp = ((b & 7) << 18) | ((bytes[i + 1]! & 63) << 12) | ((bytes[i + 2]! & 63) << 6) | (bytes[i + 3]! & 63);
      units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 1023));
      i += 4;
    }
  }
  let s = '';
  for (let i = 0; i < units.length; i += 4096) s += String.fromCharCode(...units.slice(i, i + 4096));
  return s;
}

// ---------------------------------------------------------------------------------------------
// The reconciler

const PAID = PAYMENT_STATUSES.indexOf('paid');
const PAYMENT_STATUS_CODE = new Map(PAYMENT_STATUSES.map((s, i) => [s, i]));

/** Totals' statuses: `matched`, then the exception kinds in their declared order. */
const TOTAL_STATUSES: readonly ReconciliationTotal['status'][] = ['matched', ...EXCEPTION_KINDS];
const MATCHED = 0;
const KIND_CODE = new Map<ExceptionKind, number>(EXCEPTION_KINDS.map((k, i) => [k, i + 1]));
/** Slots per agency × transaction type in the totals arrays (≥ TOTAL_STATUSES.length). */
const STATUS_SLOTS = 8;
/** A payment's record: amount, paidAtMs, first line + 1, group * 8 + status. */
const RECORD = 4;
const AMOUNT = 0;
const PAID_AT = 1;
const FIRST_LINE = 2;
const GROUP_STATUS = 3;
/** Groups stay below this so that group * 8 + status is a 31-bit integer. */
const MAX_GROUPS = 1 << 27;

/**
 * Whether a statement line's status agrees with the portal's: money booked for a payment the
 * portal has as paid (or since refunded); a reversal of one being or already refunded; a rejection
 * of one the portal never had as paid.
 */
export function statusesAgree(statement: StatementLine['status'], portal: PaymentStatus): boolean {
  switch (statement) {
    case 'booked':
      return portal === 'paid' || portal === 'refund_requested' || portal === 'refunded';
    case 'reversed':
      return portal === 'refund_requested' || portal === 'refunded';
    case 'rejected':
      return portal === 'pending' || portal === 'failed' || portal === 'expired';
  }
}

export interface ReconcilerOptions {
  /** The business day, YYYY-MM-DD (for the exceptions' details). */
  businessDate: string;
  /** The day's window [startMs, endMs), epoch ms: lines booked outside it are `late`. */
  startMs: number;
  endMs: number;
  /** How many payments will be added, if known: the tables are sized once instead of growing. */
  expectedPayments?: number;
}

export interface ReconciliationResult {
  matched: number;
  /** Sorted by kind (in EXCEPTION_KINDS order), then key. */
  exceptions: ReconciliationException[];
  /** Per agency × transaction type × status (`matched` or the exception kind), sorted. */
  totals: ReconciliationTotal[];
  statementLines: number;
  statementSumVnd: number;
}

/**
 * Matches one day's statement against the portal's payments. Feed every candidate payment with
 * addPayment (those the provider's statement may mention: paid, refunded or requested around the
 * day; a line whose reference was not added is `unknown_to_portal`), then every statement line in
 * file order with line(), then call finish() once.
 *
 * A line is classified by the first rule that applies:
 * 1. `duplicate`: its provider transaction ID, or its reference, was on an earlier line (key
 *    `reference#lineNo`, or `providerTxnId#lineNo` without a reference);
 * 2. `unknown_to_portal`: no candidate payment has its reference (key: the reference, else the
 *    provider transaction ID);
 * 3. `late`: booked outside [startMs, endMs);
 * 4. `status_mismatch`: the statuses disagree (statusesAgree);
 * 5. `amount_mismatch`;
 * 6. matched — counted, not stored.
 * Every payment the portal has as `paid` within the window that no line mentions (by reference)
 * is `missing_from_statement` (key: the reference).
 *
 * Memory, all in typed arrays: per payment its reference's bytes and about 60 more (record, hash
 * table); per statement line its provider transaction ID's bytes and about 30 more; the
 * exceptions as objects. At 1,000,000 payments and lines, about 150 MB.
 */
export class Reconciler {
  private readonly refs = new StringTable();
  /**
   * Payment i (its reference's index in refs) is the record at i * RECORD: amount, paidAtMs (NaN
   * if none), the lineNo + 1 of the first statement line with its reference (0: none yet), and
   * group * 8 + status code, its group being its agency × transaction type. Together (32 bytes)
   * so that matching a line reads one place in memory.
   */
  private records = new Float64Array(1024 * RECORD);

  /** Agency IDs and transaction types, interned. */
  private readonly names = new Map<string, number>();
  private readonly nameList: string[] = [];
  /** Groups: per agency name id, transaction-type name id → group; and back. */
  private readonly groups: Array<Map<number, number> | undefined> = [];
  private readonly groupAgency: number[] = [];
  private readonly groupType: number[] = [];
  /** Totals per group × status, at group * STATUS_SLOTS + status. */
  private totalCount = new Float64Array(64 * STATUS_SLOTS);
  private totalAmount = new Float64Array(64 * STATUS_SLOTS);

  /** Provider transaction IDs on the statement so far, with the lineNo + 1 of their first line. */
  private readonly txns = new StringTable();
  private txnLine = new Int32Array(1024);
  /** References on the statement unknown to the portal (rare), likewise. */
  private readonly unknown = new StringTable();
  private unknownLine = new Int32Array(64);

  private readonly exceptions: ReconciliationException[] = [];
  private matched = 0;
  private lines = 0;
  private sumVnd = 0;
  private reading = false;
  private finished = false;

  constructor(private readonly o: ReconcilerOptions) {
    if (!(o.startMs < o.endMs)) throw new RangeError(`empty window [${o.startMs}, ${o.endMs})`);
    const expected = Math.ceil(o.expectedPayments ?? 0);
    if (expected > 0) {
      this.refs.reserve(expected);
      this.records = new Float64Array(expected * RECORD);
    }
  }

  /** Payments indexed so far. */
  get payments(): number {
    return this.refs.size;
  }

  /** Indexes a candidate payment; all of them come before the first line. */
  addPayment(p: PortalPayment): void {
    if (this.reading || this.finished) throw new Error('addPayment after the statement lines started');
    const status = PAYMENT_STATUS_CODE.get(p.status);
    if (status === undefined) throw new RangeError(`payment ${p.reference}: unknown status ${String(p.status)}`);
    const before = this.refs.size;
    const i = this.refs.add(p.reference);
    if (i < before) throw new Error(`payment ${p.reference} added twice`);
    if ((i + 1) * RECORD > this.records.length) this.records = grown(this.records, (i + 1) * RECORD);
    const r = i * RECORD;
    this.records[r + AMOUNT] = p.amountVnd;
    this.records[r + PAID_AT] = p.paidAtMs ?? NaN;
    this.records[r + FIRST_LINE] = 0;
    this.records[r + GROUP_STATUS] = this.groupOf(p.agencyId, p.transactionType) * 8 + status;
  }

  /**
   * Classifies one statement line (lines in file order). `bookedAtMs` is `l.bookedAt` parsed, when
   * the caller has it already (the statement reader does).
   */
  line(l: StatementLine, bookedAtMs?: number): void {
    if (this.finished) throw new Error('line after finish');
    if (!this.reading) {
      this.reading = true;
      this.txns.reserve(this.refs.size); // about as many lines as payments
    }
    this.lines++;
    this.sumVnd += l.amountVnd;

    if (l.providerTxnId) {
      const before = this.txns.size;
      const t = this.txns.add(l.providerTxnId);
      if (t < before) {
        this.duplicate(l, `provider transaction ${l.providerTxnId} already on statement line ${this.txnLine[t]! - 1}`);
        return;
      }
      if (t >= this.txnLine.length) this.txnLine = grown(this.txnLine, t + 1);
      this.txnLine[t] = l.lineNo + 1;
    }
    const i = l.reference ? this.refs.indexOf(l.reference) : -1;
    if (i < 0) {
      if (l.reference) {
        const before = this.unknown.size;
        const u = this.unknown.add(l.reference);
        if (u < before) {
          this.duplicate(l, `reference ${l.reference} already on statement line ${this.unknownLine[u]! - 1}`);
          return;
        }
        if (u >= this.unknownLine.length) this.unknownLine = grown(this.unknownLine, u + 1);
        this.unknownLine[u] = l.lineNo + 1;
      }
      const what = l.reference ? `no portal payment with reference ${l.reference}` : `no reference (provider transaction ${l.providerTxnId})`;
      this.exception('unknown_to_portal', l, -1, l.reference || l.providerTxnId || `line#${l.lineNo}`, `${what}; statement ${l.amountVnd} VND ${l.status}`);
      return;
    }
    const records = this.records;
    const r = i * RECORD;
    const first = records[r + FIRST_LINE]!;
    if (first !== 0) {
      this.duplicate(l, `reference ${l.reference} already on statement line ${first - 1}`, i);
      return;
    }
    records[r + FIRST_LINE] = l.lineNo + 1;
    const bookedMs = bookedAtMs ?? instantMs(l.bookedAt);
    if (bookedMs === undefined) throw new RangeError(`statement line ${l.lineNo}: booked at "${l.bookedAt}" is not an instant`);
    if (bookedMs < this.o.startMs || bookedMs >= this.o.endMs) {
      this.exception('late', l, i, l.reference, `booked at ${l.bookedAt}, outside business day ${this.o.businessDate} [${formatInstantVN(this.o.startMs)}, ${formatInstantVN(this.o.endMs)})`);
      return;
    }
    const groupStatus = records[r + GROUP_STATUS]!;
    const portalStatus = PAYMENT_STATUSES[groupStatus & 7]!;
    if (!statusesAgree(l.status, portalStatus)) {
      this.exception('status_mismatch', l, i, l.reference, `statement ${l.status}, portal ${portalStatus}`);
      return;
    }
    const portalAmount = records[r + AMOUNT]!;
    if (l.amountVnd !== portalAmount) {
      this.exception('amount_mismatch', l, i, l.reference, `statement ${l.amountVnd} VND, portal ${portalAmount} VND`);
      return;
    }
    this.matched++;
    const slot = (groupStatus >>> 3) * STATUS_SLOTS + MATCHED;
    this.totalCount[slot]!++;
    this.totalAmount[slot]! += l.amountVnd;
  }

  /** The day's result; adds the `missing_from_statement` exceptions. Call once. */
  finish(): ReconciliationResult {
    if (this.finished) throw new Error('finish called twice');
    this.finished = true;
    const { startMs, endMs } = this.o;
    const records = this.records;
    for (let i = 0; i < this.refs.size; i++) {
      const r = i * RECORD;
      const paidAt = records[r + PAID_AT]!;
      const groupStatus = records[r + GROUP_STATUS]!;
      if ((groupStatus & 7) !== PAID || records[r + FIRST_LINE] !== 0 || !(paidAt >= startMs && paidAt < endMs)) continue;
      const reference = this.refs.get(i);
      const amount = records[r + AMOUNT]!;
      const g = groupStatus >>> 3;
      this.exceptions.push({
        kind: 'missing_from_statement',
        key: reference,
        reference,
        portalAmountVnd: amount,
        portalStatus: 'paid',
        agencyId: this.nameList[this.groupAgency[g]!]!,
        transactionType: this.nameList[this.groupType[g]!]!,
        detail: `portal paid ${amount} VND at ${formatInstantVN(paidAt)}, not on the statement`,
      });
      this.addTotal(g, KIND_CODE.get('missing_from_statement')!, amount);
    }
    const kindOrder = (k: ExceptionKind) => KIND_CODE.get(k)!;
    const exceptions = this.exceptions.sort(
      (a, b) => kindOrder(a.kind) - kindOrder(b.kind) || compare(a.key, b.key) || (a.lineNo ?? 0) - (b.lineNo ?? 0),
    );
    const totals: Array<ReconciliationTotal & { order: number }> = [];
    for (let g = 0; g < this.groupAgency.length; g++) {
      for (let st = 0; st < TOTAL_STATUSES.length; st++) {
        const count = this.totalCount[g * STATUS_SLOTS + st]!;
        if (count === 0) continue;
        const agencyId = this.nameList[this.groupAgency[g]!]!;
        const transactionType = this.nameList[this.groupType[g]!]!;
        totals.push({ agencyId, transactionType, status: TOTAL_STATUSES[st]!, count, amountVnd: this.totalAmount[g * STATUS_SLOTS + st]!, order: st });
      }
    }
    totals.sort((a, b) => compare(a.agencyId, b.agencyId) || compare(a.transactionType, b.transactionType) || a.order - b.order);
    return {
      matched: this.matched,
      exceptions,
      totals: totals.map(({ order: _order, ...t }) => t),
      statementLines: this.lines,
      statementSumVnd: this.sumVnd,
    };
  }

  private nameId(name: string): number {
    let id = this.names.get(name);
    if (id === undefined) {
      id = this.nameList.length;
      const owned = own(name);
      this.names.set(owned, id);
      this.nameList.push(owned);
    }
    return id;
  }

  /** The group of an agency × transaction type, created on first sight. */
  private groupOf(agencyId: string, transactionType: string): number {
    const a = this.nameId(agencyId);
    const t = this.nameId(transactionType);
    let byType = this.groups[a];
    if (!byType) this.groups[a] = byType = new Map();
    let g = byType.get(t);
    if (g === undefined) {
      g = this.groupAgency.length;
      if (g >= MAX_GROUPS) throw new RangeError('too many agency × transaction type groups');
      byType.set(t, g);
      this.groupAgency.push(a);
      this.groupType.push(t);
      if ((g + 1) * STATUS_SLOTS > this.totalCount.length) {
        this.totalCount = grown(this.totalCount, (g + 1) * STATUS_SLOTS);
        this.totalAmount = grown(this.totalAmount, (g + 1) * STATUS_SLOTS);
      }
    }
    return g;
  }

  private addTotal(group: number, status: number, amountVnd: number): void {
    this.totalCount[group * STATUS_SLOTS + status]!++;
    this.totalAmount[group * STATUS_SLOTS + status]! += amountVnd;
  }

  private duplicate(l: StatementLine, detail: string, payment = l.reference ? this.refs.indexOf(l.reference) : -1): void {
    this.exception('duplicate', l, payment, `${l.reference || l.providerTxnId}#${l.lineNo}`, detail);
  }

  /** Records an exception for line `l` (payment `i`, or -1 if unknown) and counts it in the totals. */
  private exception(kind: ExceptionKind, l: StatementLine, i: number, key: string, detail: string): void {
    const e: ReconciliationException = { kind, key: own(key), lineNo: l.lineNo, statementAmountVnd: l.amountVnd, statementStatus: l.status, detail: own(detail) };
    if (l.reference) e.reference = own(l.reference);
    if (l.providerTxnId) e.providerTxnId = own(l.providerTxnId);
    let g: number;
    if (i >= 0) {
      const groupStatus = this.records[i * RECORD + GROUP_STATUS]!;
      e.portalAmountVnd = this.records[i * RECORD + AMOUNT]!;
      e.portalStatus = PAYMENT_STATUSES[groupStatus & 7]!;
      g = groupStatus >>> 3;
    } else {
      g = this.groupOf(l.agencyId ?? '', l.transactionType ?? '');
    }
    const agencyId = this.nameList[this.groupAgency[g]!]!;
    const transactionType = this.nameList[this.groupType[g]!]!;
    if (agencyId) e.agencyId = agencyId;
    if (transactionType) e.transactionType = transactionType;
    this.exceptions.push(e);
    this.addTotal(g, KIND_CODE.get(kind)!, l.amountVnd);
  }
}

/**
 * A copy of `s` that keeps nothing else alive. Statement readers hand over substrings of their
 * 64 KiB input chunks, which V8 keeps as views into (or ropes over) the chunk: the few strings an
 * exception keeps would otherwise pin whole chunks of the file. The slice of the concatenation
 * flattens it into a fresh string.
 */
function own(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

/** Code-unit order: deterministic whatever the host's locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
