/**
 * An agency-system simulator for onboarding tests and demos: a real HTTP server on loopback that
 * implements the agency side of the conformance contract in domain/onboarding.ts (status sync,
 * dossier intake, signed payment notifications), state in memory. With no breaks it conforms;
 * each break makes it fail one part of the contract the way real systems do, and breaks can be
 * switched at runtime (an agency fixing its system between runs).
 *
 * Routes:
 *   POST /api/status-sync        {code, seq, status, at} with Idempotency-Key <code>:<seq>
 *   GET  /api/status-sync/:code  {code, statuses: [{seq, status}]}
 *   POST /api/intake             {dossierCode, procedureCode, applicant: {fullName, phone}, documents}
 *   POST /api/payment-callback   {reference, dossierCode, amountVnd, outcome, at}, X-Portal-* signed
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Endpoints } from '../domain/onboarding';
import { callbackSigningInput } from '../domain/payments';

/**
 * - `no_idempotency`: a replayed status is recorded again.
 * - `accepts_out_of_order`: a status skipping one is accepted.
 * - `intake_plain_errors`: an invalid intake gets 400 text/plain instead of problem+json.
 * - `ignores_signature`: payment notifications are accepted whatever their signature.
 * - `slow`: every answer is delayed by ~1.5 s.
 * - `down`: every request gets 503.
 */
export type AgencyBreak = 'no_idempotency' | 'accepts_out_of_order' | 'intake_plain_errors' | 'ignores_signature' | 'slow' | 'down';

export interface RunningAgencySystem {
  url: string;
  endpoints: Endpoints;
  setBreaks(breaks: AgencyBreak[]): void;
  /** What the agency recorded: statuses per dossier code (in the order recorded), accepted intakes and payment notifications. */
  received(): { statuses: Record<string, Array<{ seq: number; status: string }>>; intakes: number; payments: number };
  stop(): Promise<void>;
}

const SLOW_MS = 1500;
const PROBLEM = 'application/problem+json';

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

function signatureValid(secret: string, req: http.IncomingMessage, body: string): boolean {
  const timestamp = req.headers['x-portal-timestamp'];
  const nonce = req.headers['x-portal-nonce'];
  const signature = req.headers['x-portal-signature'];
  if (typeof timestamp !== 'string' || typeof nonce !== 'string' || typeof signature !== 'string' || !/^[0-9a-f]{64}$/i.test(signature)) return false;
  const expected = createHmac('sha256', secret).update(callbackSigningInput(timestamp, nonce, body)).digest();
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}

export async function startAgencySystem(o: { secret: string; breaks?: AgencyBreak[]; port?: number; host?: string }): Promise<RunningAgencySystem> {
  const host = o.host ?? '127.0.0.1';
  let breaks = new Set<AgencyBreak>(o.breaks ?? []);
  const statuses = new Map<string, Array<{ seq: number; status: string }>>();
  const keys = new Set<string>();
  let intakes = 0;
  let payments = 0;
  const timers = new Set<NodeJS.Timeout>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown, type = 'application/json', headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const problem = (status: number, title: string, detail?: string) => send(status, { type: 'about:blank', title, status, ...(detail ? { detail } : {}) }, PROBLEM);

    const statusSync = async () => {
      const b = parseObject(await readBody(req));
      if (!b) return problem(400, 'Body is not a JSON object');
      const { code, seq, status } = b;
      if (!nonEmpty(code) || typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1 || !nonEmpty(status)) return problem(400, 'Invalid status', 'code, seq (a positive integer) and status are required');
      const header = req.headers['idempotency-key'];
      const key = typeof header === 'string' && header ? header : `${code}:${seq}`;
      const list = statuses.get(code) ?? [];
      const ack = { code, seq, accepted: true };
      if (keys.has(key) && !breaks.has('no_idempotency')) return send(200, ack);
      const last = list.reduce((m, s) => Math.max(m, s.seq), 0);
      if (seq > last + 1 && !breaks.has('accepts_out_of_order')) return problem(409, 'Status out of order', `seq ${seq} received before seq ${last + 1}`);
      keys.add(key);
      list.push({ seq, status });
      statuses.set(code, list);
      return send(200, ack);
    };

    const intake = async () => {
      const b = parseObject(await readBody(req));
      const applicant = b?.applicant as Record<string, unknown> | undefined;
      const missing = [
        !nonEmpty(b?.dossierCode) && 'dossierCode',
        !nonEmpty(b?.procedureCode) && 'procedureCode',
        !(applicant && typeof applicant === 'object' && nonEmpty(applicant.fullName) && nonEmpty(applicant.phone)) && 'applicant',
        !(Array.isArray(b?.documents) && (b.documents as unknown[]).every((d) => typeof d === 'string')) && 'documents',
      ].filter((f): f is string => Boolean(f));
      if (missing.length) {
        if (breaks.has('intake_plain_errors')) return send(400, `invalid dossier: ${missing.join(', ')}`, 'text/plain; charset=utf-8');
        return send(400, { type: 'about:blank', title: 'Invalid dossier', status: 400, detail: `missing or invalid: ${missing.join(', ')}`, missing }, PROBLEM);
      }
      intakes++;
      return send(201, { receiptCode: `TN-${String(intakes).padStart(6, '0')}` });
    };

    const paymentCallback = async () => {
      const text = await readBody(req);
      if (!breaks.has('ignores_signature') && !signatureValid(o.secret, req, text)) return problem(401, 'Invalid signature');
      const b = parseObject(text);
      if (!b || !nonEmpty(b.reference) || typeof b.amountVnd !== 'number' || !nonEmpty(b.outcome)) return problem(400, 'Invalid notification', 'reference, amountVnd and outcome are required');
      payments++;
      return send(200, { received: true });
    };

    const handle = async () => {
      if (breaks.has('slow')) await sleep(SLOW_MS);
      if (breaks.has('down')) return send(503, 'Service Unavailable', 'text/plain; charset=utf-8', { 'retry-after': '60' });
      const path = new URL(req.url ?? '/', 'http://agency').pathname.replace(/\/+$/, '');
      const m = /^\/api\/status-sync\/([^/]+)$/.exec(path);
      if (m) {
        if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, '', 'text/plain', { allow: 'GET, HEAD' });
        const dossier = decodeURIComponent(m[1]!);
        const list = statuses.get(dossier);
        return list ? send(200, { code: dossier, statuses: list }) : problem(404, 'Unknown dossier', dossier);
      }
      const routes: Record<string, () => Promise<void>> = { '/api/status-sync': statusSync, '/api/intake': intake, '/api/payment-callback': paymentCallback };
      const route = routes[path];
      if (!route) return problem(404, 'No such route');
      if (req.method !== 'POST') return send(405, '', 'text/plain', { allow: 'POST' });
      return route();
    };
    handle().catch((err: unknown) => {
      if (!res.headersSent) problem(500, 'Internal error', String(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;

  return {
    url,
    endpoints: { statusSyncUrl: `${url}/api/status-sync`, intakeUrl: `${url}/api/intake`, paymentCallbackUrl: `${url}/api/payment-callback` },
    setBreaks(b) {
      breaks = new Set(b);
    },
    received: () => ({
      statuses: Object.fromEntries([...statuses].map(([code, list]) => [code, list.map((s) => ({ ...s }))])),
      intakes,
      payments,
    }),
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
