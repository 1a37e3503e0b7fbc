/**
 * Conformance run against an agency system being onboarded (Circular 01/2018/TT-VPCP Art 21): the
 * portal plays its side of the contract in domain/onboarding.ts — status sync, dossier intake,
 * signed payment notifications — against the agency's endpoints and grades each requested check
 * pass or fail, with its evidence: every HTTP exchange as sent and as answered (bodies cut at 2 KiB;
 * the signing secret is never recorded, only the signature). An agency-side problem (connection
 * refused, timeout, wrong status, malformed body) is a failed check with a precise detail, never an
 * exception. The synthetic dossiers are `ONBOARD-<runId>-<letter>`, so `runId` must be unique per run.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { CHECK_IDS, CHECK_TITLES, type CheckId, type CheckResult, type Endpoints, type Exchange } from '../domain/onboarding';
import { callbackSigningInput } from '../domain/payments';

export interface ConformanceOptions {
  endpoints: Endpoints;
  requireTls: boolean;
  /** The callback secret agreed at registration (signs payment notifications; never recorded). */
  secret: string;
  checks: CheckId[];
  /** The policy's limit on the p95 of the run's response times. */
  maxResponseMs: number;
  /** Unique per run: names the synthetic dossiers. */
  runId: string;
  /** Per request, headers and body included (default 5 s). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const EVIDENCE_BODY_BYTES = 2048;
const RESPONSE_HEADERS = ['content-type', 'content-length', 'location', 'retry-after', 'www-authenticate'];
const SYNC_STATUSES = ['received', 'processing', 'result_ready', 'returned'] as const;
/** Requests `response_time` makes itself when nothing else was exchanged in the run. */
const TIMING_SAMPLES = 3;
const USER_AGENT = 'motcua-conformance/1';

/** One answer as a check sees it: the full body (the evidence keeps a truncated copy). */
interface Answer {
  method: string;
  url: string;
  /** Undefined when no complete response came back (see `error`). */
  status?: number;
  contentType: string;
  text: string;
  error?: string;
}

interface Outcome {
  pass: boolean;
  detail: string;
  /** Evidence other than the check's own exchanges (response_time: the slowest of the run). */
  evidence?: Exchange[];
}

interface Run {
  o: ConformanceOptions;
  timeoutMs: number;
  /** Every exchange of the run, in order. */
  all: Exchange[];
  /** The exact status-sync bodies sent, per code and seq (a replay sends the very same bytes). */
  sent: Map<string, Map<number, string>>;
  /** The code `status_sync.order` completed in this run. */
  orderCode?: string;
  /** The payment notification body sent by `payment_callback.signed`. */
  paymentBody?: string;
}

type Send = (method: string, url: string, init?: { headers?: Record<string, string>; body?: string }) => Promise<Answer>;
type Check = (run: Run, send: Send) => Promise<Outcome>;

const pass = (detail: string, evidence?: Exchange[]): Outcome => ({ pass: true, detail, evidence });
const fail = (detail: string, evidence?: Exchange[]): Outcome => ({ pass: false, detail, evidence });

function clip(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= EVIDENCE_BODY_BYTES) return text;
  return `${bytes.subarray(0, EVIDENCE_BODY_BYTES).toString('utf8')}… [truncated, ${bytes.length} bytes]`;
}

function networkError(err: unknown, timeoutMs: number): string {
  // Duck-typed: fetch's errors may come from another realm (e.g. under jest), where `instanceof Error` is false.
  const e = (err && typeof err === 'object' ? err : {}) as { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = e.cause && typeof e.cause === 'object' ? e.cause : undefined;
  if (cause && typeof cause.code === 'string') return typeof cause.message === 'string' && cause.message ? `${cause.code}: ${cause.message}` : cause.code;
  if (cause && typeof cause.message === 'string' && cause.message) return cause.message;
  return typeof e.message === 'string' && e.message ? e.message : String(err);
}

/** "got 500 (text/plain) "…"" or "got no answer (ECONNREFUSED …)", for details. */
function got(a: Answer): string {
  if (a.status === undefined) return `got no answer (${a.error ?? 'unknown error'})`;
  const body = a.text.trim() ? ` ${JSON.stringify(a.text.length > 200 ? `${a.text.slice(0, 200)}…` : a.text)}` : ' with an empty body';
  return `got ${a.status}${a.contentType ? ` (${a.contentType})` : ''}${body}`;
}

const is2xx = (a: Answer) => a.status !== undefined && a.status >= 200 && a.status < 300;

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');
const statusUrl = (run: Run, code: string) => `${trimSlash(run.o.endpoints.statusSyncUrl)}/${encodeURIComponent(code)}`;
const code = (run: Run, letter: string) => `ONBOARD-${run.o.runId}-${letter}`;

/** A `send` that records its exchanges into `into` and the run's list. */
function sender(run: Run, into: Exchange[]): Send {
  return async (method, url, init = {}) => {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers };
    const recorded: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) recorded[k] = run.o.secret && v.includes(run.o.secret) ? '[redacted]' : v;
    const exchange: Exchange = { request: { method, url, headers: recorded, ...(init.body !== undefined ? { body: clip(init.body) } : {}) }, ms: 0 };
    into.push(exchange);
    run.all.push(exchange);
    const answer: Answer = { method, url, contentType: '', text: '' };
    const started = performance.now();
    try {
      const res = await fetch(url, { method, headers, body: init.body, redirect: 'manual', signal: AbortSignal.timeout(run.timeoutMs) });
      const picked: Record<string, string> = {};
      for (const h of RESPONSE_HEADERS) {
        const v = res.headers.get(h);
        if (v !== null) picked[h] = v;
      }
      exchange.response = { status: res.status, headers: picked, body: '' };
      const text = await res.text();
      exchange.response.body = clip(text);
      Object.assign(answer, { status: res.status, contentType: picked['content-type'] ?? '', text });
    } catch (err) {
      answer.error = networkError(err, run.timeoutMs);
      if (exchange.response) answer.error = `answered ${exchange.response.status} but the body did not arrive: ${answer.error}`;
      exchange.error = answer.error;
    }
    exchange.ms = Math.round(performance.now() - started);
    return answer;
  };
}

/** Posts one status with its idempotency key; undefined when acknowledged as the contract says, else what went wrong. */
async function postStatus(run: Run, send: Send, dossier: string, seq: number, status: string): Promise<string | undefined> {
  const body = JSON.stringify({ code: dossier, seq, status, at: new Date().toISOString() });
  const bySeq = run.sent.get(dossier) ?? new Map<number, string>();
  bySeq.set(seq, body);
  run.sent.set(dossier, bySeq);
  const a = await send('POST', run.o.endpoints.statusSyncUrl, { headers: { 'idempotency-key': `${dossier}:${seq}` }, body });
  const expected = `POST seq ${seq} (${status}) of ${dossier}: expected 2xx {code, seq, accepted: true}`;
  if (!is2xx(a)) return `${expected}, ${got(a)}`;
  const ack = jsonObject(a.text);
  if (!ack || ack.code !== dossier || ack.seq !== seq || ack.accepted !== true) return `${expected}, ${got(a)}`;
  return undefined;
}

const reachability: Check = async (run, send) => {
  const { statusSyncUrl, intakeUrl, paymentCallbackUrl } = run.o.endpoints;
  const urls = [...new Set([statusSyncUrl, intakeUrl, paymentCallbackUrl])];
  const problems: string[] = [];
  const answered: string[] = [];
  for (const url of urls) {
    let scheme: string;
    try {
      scheme = new URL(url).protocol;
    } catch {
      problems.push(`not a valid URL: ${JSON.stringify(url)}`);
      continue;
    }
    if (scheme !== 'http:' && scheme !== 'https:') {
      problems.push(`not an http(s) URL: ${url}`);
      continue;
    }
    if (run.o.requireTls && scheme !== 'https:') problems.push(`TLS required: ${url}`);
    let a = await send('HEAD', url);
    // A server that does not do HEAD on this path may say so (405) or not implement it (501).
    if (a.status === 405 || a.status === 501) a = await send('GET', url);
    if (a.status === undefined || a.status >= 500) problems.push(`${a.method} ${url}: expected an HTTP answer below 500, ${got(a)}`);
    else answered.push(`${a.method} ${url} → ${a.status}`);
  }
  return problems.length ? fail(problems.join('; ')) : pass(`${urls.length} endpoint(s) answered: ${answered.join(', ')}`);
};

const statusOrder: Check = async (run, send) => {
  const dossier = code(run, 'A');
  for (const [i, status] of SYNC_STATUSES.entries()) {
    const problem = await postStatus(run, send, dossier, i + 1, status);
    if (problem) return fail(problem);
  }
  run.orderCode = dossier;
  return pass(`${dossier}: seq 1–${SYNC_STATUSES.length} (${SYNC_STATUSES.join(', ')}) each acknowledged {accepted: true}`);
};

const statusIdempotent: Check = async (run, send) => {
  let dossier = run.orderCode;
  let posted: number = SYNC_STATUSES.length;
  if (!dossier) {
    dossier = code(run, 'B');
    posted = 2;
    for (let seq = 1; seq <= posted; seq++) {
      const problem = await postStatus(run, send, dossier, seq, SYNC_STATUSES[seq - 1]!);
      if (problem) return fail(`setup: ${problem}`);
    }
  }
  const replayed = await send('POST', run.o.endpoints.statusSyncUrl, { headers: { 'idempotency-key': `${dossier}:2` }, body: run.sent.get(dossier)!.get(2)! });
  if (!is2xx(replayed)) return fail(`replay of seq 2 of ${dossier} with the same Idempotency-Key: expected 2xx, ${got(replayed)}`);

  const url = statusUrl(run, dossier);
  const listed = await send('GET', url);
  const expected = SYNC_STATUSES.slice(0, posted).map((status, i) => ({ seq: i + 1, status }));
  const expectedSeqs = expected.map((s) => s.seq);
  const what = `GET ${url}: expected 200 {code, statuses} listing seq [${expectedSeqs.join(', ')}] once each in order`;
  if (listed.status !== 200) return fail(`${what}, ${got(listed)}`);
  const statuses = jsonObject(listed.text)?.statuses;
  if (!Array.isArray(statuses) || !statuses.every((s) => s && typeof s === 'object')) return fail(`${what}, ${got(listed)}`);
  const items = statuses as Array<{ seq?: unknown; status?: unknown }>;
  const seqs = items.map((s) => s.seq);
  if (seqs.length !== expectedSeqs.length || seqs.some((s, i) => s !== expectedSeqs[i])) {
    const counts = new Map<unknown, number>();
    for (const s of seqs) counts.set(s, (counts.get(s) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n > 1).map(([s, n]) => `seq ${String(s)} recorded ${n} times`);
    return fail(`${what}, got seq [${seqs.map(String).join(', ')}]${twice.length ? ` (${twice.join(', ')})` : ''}`);
  }
  const wrong = expected.find((e, i) => items[i]!.status !== e.status);
  if (wrong) return fail(`${what}: seq ${wrong.seq} listed as ${JSON.stringify(items[wrong.seq - 1]!.status)}, sent ${JSON.stringify(wrong.status)}`);
  return pass(`replay of seq 2 of ${dossier} acknowledged (${replayed.status}); ${url} lists seq [${expectedSeqs.join(', ')}] once each in order`);
};

const statusOutOfOrder: Check = async (run, send) => {
  const dossier = code(run, 'C');
  const body = JSON.stringify({ code: dossier, seq: 2, status: SYNC_STATUSES[1], at: new Date().toISOString() });
  const a = await send('POST', run.o.endpoints.statusSyncUrl, { headers: { 'idempotency-key': `${dossier}:2` }, body });
  if (a.status === 409) return pass(`seq 2 of ${dossier} without seq 1 refused with 409`);
  const accepted = is2xx(a) ? ' — the status was accepted out of order' : '';
  return fail(`POST seq 2 of ${dossier} (seq 1 never sent): expected 409, ${got(a)}${accepted}`);
};

function intakePayload(run: Run, letter: string) {
  return {
    dossierCode: code(run, letter),
    procedureCode: 'ONBOARDING-TEST',
    applicant: { fullName: 'Nguyễn Văn Thử', phone: '0900000000' },
    documents: ['don-de-nghi.pdf'],
  };
}

const intakeValid: Check = async (run, send) => {
  const payload = intakePayload(run, 'I');
  const a = await send('POST', run.o.endpoints.intakeUrl, { body: JSON.stringify(payload) });
  const receipt = jsonObject(a.text)?.receiptCode;
  if (a.status === 201 && typeof receipt === 'string' && receipt.trim()) return pass(`${payload.dossierCode} received: 201 with receipt code ${receipt}`);
  return fail(`POST ${run.o.endpoints.intakeUrl} with a valid payload (${payload.dossierCode}): expected 201 {receiptCode} with a non-empty receipt code, ${got(a)}`);
};

const intakeInvalid: Check = async (run, send) => {
  const { applicant: _applicant, ...payload } = intakePayload(run, 'J');
  const a = await send('POST', run.o.endpoints.intakeUrl, { body: JSON.stringify(payload) });
  const problemJson = /^application\/problem\+json\s*(;|$)/i.test(a.contentType);
  if (a.status === 400 && problemJson && jsonObject(a.text)) return pass(`a payload without applicant refused: 400 ${a.contentType}`);
  const why = a.status === 400 && problemJson ? ' (the body is not a JSON object)' : '';
  return fail(`POST ${run.o.endpoints.intakeUrl} with a payload missing applicant: expected 400 with an application/problem+json body, ${got(a)}${why}`);
};

function paymentBody(run: Run): string {
  run.paymentBody ??= JSON.stringify({ reference: code(run, 'P'), dossierCode: code(run, 'I'), amountVnd: 10_000, outcome: 'paid', at: new Date().toISOString() });
  return run.paymentBody;
}

function signedHeaders(body: string, key: string): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString('hex');
  const signature = createHmac('sha256', key).update(callbackSigningInput(timestamp, nonce, body)).digest('hex');
  return { 'x-portal-timestamp': timestamp, 'x-portal-nonce': nonce, 'x-portal-signature': signature };
}

const paymentSigned: Check = async (run, send) => {
  const body = paymentBody(run);
  const a = await send('POST', run.o.endpoints.paymentCallbackUrl, { headers: signedHeaders(body, run.o.secret), body });
  if (is2xx(a)) return pass(`a correctly signed notification accepted: ${a.status}`);
  return fail(`POST ${run.o.endpoints.paymentCallbackUrl} signed with the agreed secret: expected 2xx, ${got(a)}`);
};

const paymentForged: Check = async (run, send) => {
  const body = paymentBody(run);
  // Fresh timestamp and nonce (so only the signature is wrong), signed with a key that is not the secret.
  const a = await send('POST', run.o.endpoints.paymentCallbackUrl, { headers: signedHeaders(body, `forged-${randomBytes(16).toString('hex')}`), body });
  if (a.status === 401) return pass('a notification with a forged X-Portal-Signature refused: 401');
  const accepted = is2xx(a) ? ' — the forged notification was accepted' : '';
  return fail(`POST ${run.o.endpoints.paymentCallbackUrl} with a forged X-Portal-Signature: expected 401, ${got(a)}${accepted}`);
};

const responseTime: Check = async (run, send) => {
  if (run.all.length === 0) {
    for (let i = 0; i < TIMING_SAMPLES; i++) await send('GET', statusUrl(run, code(run, 'T')));
  }
  const sample = run.all;
  const slowest = [...sample].sort((a, b) => b.ms - a.ms).slice(0, 5);
  if (!sample.some((e) => e.response)) return fail(`none of the run's ${sample.length} exchange(s) got an HTTP answer: response time not measurable`, slowest);
  const p95 = percentile(sample.map((e) => e.ms), 0.95);
  const top = slowest[0]!;
  const detail = `p95 ${p95} ms over ${sample.length} exchange(s), limit ${run.o.maxResponseMs} ms (slowest: ${top.request.method} ${top.request.url} ${top.ms} ms)`;
  return p95 <= run.o.maxResponseMs ? pass(detail, slowest) : fail(`${detail}: over the limit`, slowest);
};

const CHECKS: Record<CheckId, Check> = {
  reachability,
  'status_sync.order': statusOrder,
  'status_sync.idempotent': statusIdempotent,
  'status_sync.out_of_order': statusOutOfOrder,
  'intake.valid': intakeValid,
  'intake.invalid': intakeInvalid,
  'payment_callback.signed': paymentSigned,
  'payment_callback.forged': paymentForged,
  response_time: responseTime,
};

/**
 * Runs the requested checks in CHECK_IDS order (`response_time` last, over every exchange of the
 * run) and returns one result per check, in that order.
 */
export async function runConformance(o: ConformanceOptions): Promise<CheckResult[]> {
  const run: Run = { o, timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS, all: [], sent: new Map() };
  const results: CheckResult[] = [];
  for (const checkId of CHECK_IDS.filter((id) => o.checks.includes(id))) {
    const exchanges: Exchange[] = [];
    const started = performance.now();
    const outcome = await CHECKS[checkId](run, sender(run, exchanges));
    results.push({
      checkId,
      title: CHECK_TITLES[checkId],
      verdict: outcome.pass ? 'pass' : 'fail',
      detail: outcome.detail,
      ms: Math.round(performance.now() - started),
      exchanges: outcome.evidence ?? exchanges,
    });
  }
  return results;
}
