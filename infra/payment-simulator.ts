/**
 * A payment-provider simulator for development and tests: a real HTTP server on loopback that
 * behaves like a bank or payment gateway towards the portal. It takes checkouts, lets the payer
 * pay or fail (a page for people, a scenario for tests), sends HMAC-signed callbacks (retried
 * until acknowledged; optionally twice, late, or as a literal replay), takes refunds, and serves a
 * daily statement of its own ledger in the provider's format (camt.053 or CSV). Tests may put an
 * exact statement file in place for a day.
 *
 * Routes, per provider `:p`:
 *   POST /:p/checkout      {reference, amountVnd, callbackUrl, description?, scenario?, delayMs?, paidAt?}
 *   GET  /:p/pay/:txn      payment page;  POST /:p/pay/:txn {result: 'pay' | 'fail', scenario?, paidAt?}
 *   POST /:p/refunds       {reference, amountVnd}
 *   GET  /:p/statements/:date            the statement (uploaded file, else generated once the day closed; 404 before)
 *   PUT  /:p/statements/:date            put a statement file in place (tests, demos)
 *   GET  /:p/transactions                the ledger (tests)
 */
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderRow } from '../db/payment-store';
import { camt053Document, statementCsv } from '../domain/statements';
import { callbackSigningInput, reconciliationWindow, type StatementLine } from '../domain/payments';

export type SimScenario = 'pay' | 'fail' | 'duplicate' | 'replay' | 'delay' | 'manual';

export interface SimProvider {
  id: string;
  name: string;
  kind: 'bank' | 'intermediary';
  secret: string;
  format: 'camt053' | 'csv';
}

export interface SimTransaction {
  providerTxnId: string;
  reference: string;
  amountVnd: number;
  callbackUrl: string;
  status: 'pending' | 'paid' | 'failed' | 'refunded';
  bookedAt?: string;
  refundedAt?: string;
  callbacksSent: number;
  meta: { transactionType?: string; agencyId?: string; dossierCode?: string };
}

export interface RunningPaymentSimulator {
  url: string;
  providers: SimProvider[];
  /** What to store in payment_providers for each simulated provider. */
  providerRows(): ProviderRow[];
  ledger(provider: string): SimTransaction[];
  /** Sends a callback now, as the provider would (tests: forged signatures, stale timestamps, replays). */
  sendCallback(provider: string, providerTxnId: string, o?: { outcome?: 'paid' | 'failed' | 'refunded'; nonce?: string; timestamp?: string; secret?: string; amountVnd?: number }): Promise<{ status: number; body: string; nonce: string }>;
  stop(): Promise<void>;
}

export const SIM_PROVIDERS: SimProvider[] = [
  { id: 'SIMBANK', name: 'Ngân hàng mô phỏng (camt.053)', kind: 'bank', secret: 'simbank-development-secret', format: 'camt053' },
  { id: 'SIMPAY', name: 'Trung gian thanh toán mô phỏng (CSV)', kind: 'intermediary', secret: 'simpay-development-secret', format: 'csv' },
];

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const text = (await readRaw(req)).toString('utf8');
  if (!text) return {};
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  return JSON.parse(text) as Record<string, unknown>;
}

async function readRaw(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The simulated provider closes its books at 22:00 local time, as the built-in policy's cut-off. */
const CUTOFF_MS = 22 * 3600_000;
function dayWindow(date: string): [number, number] {
  const w = reconciliationWindow(date, CUTOFF_MS);
  return [w.startMs, w.endMs];
}

export async function startPaymentSimulator(opts: { port?: number; host?: string; providers?: SimProvider[]; log?: (line: string) => void } = {}): Promise<RunningPaymentSimulator> {
  const providers = opts.providers ?? SIM_PROVIDERS;
  const host = opts.host ?? '127.0.0.1';
  const byId = new Map(providers.map((p) => [p.id, p]));
  const ledgers = new Map<string, Map<string, SimTransaction>>(providers.map((p) => [p.id, new Map()]));
  const uploads = new Map<string, Buffer>();
  const timers = new Set<NodeJS.Timeout>();
  let seq = 0;
  let url = '';

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  async function post(provider: SimProvider, tx: SimTransaction, o: { outcome?: 'paid' | 'failed' | 'refunded'; nonce?: string; timestamp?: string; secret?: string; amountVnd?: number } = {}) {
    const outcome = o.outcome ?? (tx.status === 'pending' ? 'failed' : tx.status);
    const body = JSON.stringify({
      reference: tx.reference,
      providerTxnId: tx.providerTxnId,
      outcome,
      amountVnd: o.amountVnd ?? tx.amountVnd,
      at: outcome === 'refunded' ? tx.refundedAt : tx.bookedAt ?? new Date().toISOString(),
    });
    const timestamp = o.timestamp ?? String(Math.floor(Date.now() / 1000));
    const nonce = o.nonce ?? randomBytes(12).toString('hex');
    const signature = createHmac('sha256', o.secret ?? provider.secret).update(callbackSigningInput(timestamp, nonce, body)).digest('hex');
    tx.callbacksSent++;
    const res = await fetch(tx.callbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-provider-timestamp': timestamp, 'x-provider-nonce': nonce, 'x-provider-signature': signature },
      body,
    });
    return { status: res.status, body: await res.text(), nonce };
  }

  /** Delivers a callback like a gateway: retried with back-off until a 2xx (or 4xx: given up). */
  function deliver(provider: SimProvider, tx: SimTransaction, o: { outcome?: 'paid' | 'failed' | 'refunded'; nonce?: string } = {}, attempt = 1, delayMs = 50) {
    later(delayMs, () => {
      post(provider, tx, o).then(
        (r) => {
          if (r.status >= 500 && attempt < 20) deliver(provider, tx, o, attempt + 1, Math.min(5000, 200 * 2 ** attempt));
        },
        () => {
          if (attempt < 20) deliver(provider, tx, o, attempt + 1, Math.min(5000, 200 * 2 ** attempt));
        },
      );
    });
  }

  function settle(provider: SimProvider, tx: SimTransaction, result: 'pay' | 'fail', scenario: SimScenario, paidAt?: string) {
    if (tx.status !== 'pending') return;
    tx.status = result === 'pay' ? 'paid' : 'failed';
    tx.bookedAt = paidAt ?? new Date().toISOString();
    const nonce = randomBytes(12).toString('hex');
    deliver(provider, tx, { nonce });
    if (scenario === 'duplicate') deliver(provider, tx, {}, 1, 150); // a second callback, freshly signed
    if (scenario === 'replay') deliver(provider, tx, { nonce }, 1, 150); // the very same callback again
  }

  function statementLines(provider: SimProvider, date: string): StatementLine[] {
    const [start, end] = dayWindow(date);
    const lines: StatementLine[] = [];
    for (const tx of ledgers.get(provider.id)!.values()) {
      const booked = tx.bookedAt ? Date.parse(tx.bookedAt) : NaN;
      if (tx.status !== 'pending' && tx.status !== 'failed' && booked >= start && booked < end) {
        lines.push({ lineNo: lines.length + 1, reference: tx.reference, providerTxnId: tx.providerTxnId, amountVnd: tx.amountVnd, bookedAt: tx.bookedAt!, status: 'booked', ...tx.meta });
      }
      const refunded = tx.refundedAt ? Date.parse(tx.refundedAt) : NaN;
      if (refunded >= start && refunded < end) {
        lines.push({ lineNo: lines.length + 1, reference: tx.reference, providerTxnId: `${tx.providerTxnId}-R`, amountVnd: tx.amountVnd, bookedAt: tx.refundedAt!, status: 'reversed', ...tx.meta });
      }
    }
    return lines;
  }

  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    };
    const handle = async () => {
      const u = new URL(req.url ?? '/', 'http://sim');
      const parts = u.pathname.split('/').filter(Boolean);
      const provider = byId.get(parts[0] ?? '');
      if (!provider) return send(404, { error: 'unknown provider' });
      const ledger = ledgers.get(provider.id)!;
      const [, what, arg] = parts;
      if (req.method === 'POST' && what === 'checkout') {
        const b = await readJson(req);
        const reference = String(b.reference ?? '');
        const amountVnd = Number(b.amountVnd);
        const callbackUrl = String(b.callbackUrl ?? '');
        if (!reference || !Number.isInteger(amountVnd) || amountVnd <= 0 || !/^https?:\/\//.test(callbackUrl)) return send(400, { error: 'reference, amountVnd and callbackUrl are required' });
        const existing = [...ledger.values()].find((t) => t.reference === reference);
        const tx: SimTransaction = existing ?? {
          providerTxnId: `${provider.id}-${Date.now().toString(36).toUpperCase()}-${String(++seq).padStart(6, '0')}`,
          reference,
          amountVnd,
          callbackUrl,
          status: 'pending',
          callbacksSent: 0,
          meta: { transactionType: b.transactionType as string | undefined, agencyId: b.agencyId as string | undefined, dossierCode: b.dossierCode as string | undefined },
        };
        if (!existing) {
          ledger.set(tx.providerTxnId, tx);
          const scenario = (b.scenario as SimScenario | undefined) ?? 'manual';
          const paidAt = typeof b.paidAt === 'string' ? b.paidAt : undefined;
          const delay = Number(b.delayMs ?? (scenario === 'delay' ? 2000 : 100));
          if (scenario !== 'manual') later(delay, () => settle(provider, tx, scenario === 'fail' ? 'fail' : 'pay', scenario, paidAt));
        }
        return send(existing ? 200 : 201, { providerTxnId: tx.providerTxnId, payUrl: `${url}/${provider.id}/pay/${tx.providerTxnId}` });
      }
      if (what === 'pay' && arg) {
        const tx = ledger.get(arg);
        if (!tx) return send(404, { error: 'unknown transaction' });
        if (req.method === 'POST') {
          const b = await readJson(req);
          settle(provider, tx, b.result === 'fail' ? 'fail' : 'pay', (b.scenario as SimScenario | undefined) ?? 'manual', typeof b.paidAt === 'string' ? b.paidAt : undefined);
          return send(200, `<p>${tx.status === 'paid' ? 'Thanh toán thành công' : 'Thanh toán không thành công'}: ${escapeHtml(tx.reference)}</p>`, 'text/html; charset=utf-8');
        }
        return send(
          200,
          `<!doctype html><meta charset="utf-8"><title>${escapeHtml(provider.name)}</title><h1>${escapeHtml(provider.name)}</h1>` +
            `<p>Mã thanh toán ${escapeHtml(tx.reference)}: ${tx.amountVnd.toLocaleString('vi-VN')} đồng — trạng thái ${tx.status}</p>` +
            `<form method="post"><button name="result" value="pay">Thanh toán</button> <button name="result" value="fail">Hủy</button></form>`,
          'text/html; charset=utf-8',
        );
      }
      if (req.method === 'POST' && what === 'refunds') {
        const b = await readJson(req);
        const tx = [...ledger.values()].find((t) => t.reference === b.reference);
        if (!tx) return send(404, { error: 'unknown reference' });
        if (tx.status === 'refunded') return send(200, { providerTxnId: tx.providerTxnId, status: 'refunded' });
        if (tx.status !== 'paid') return send(409, { error: `transaction is ${tx.status}` });
        tx.status = 'refunded';
        tx.refundedAt = new Date().toISOString();
        deliver(provider, tx, { outcome: 'refunded' });
        return send(201, { providerTxnId: tx.providerTxnId, status: 'refunded' });
      }
      if (what === 'statements' && arg && /^\d{4}-\d{2}-\d{2}$/.test(arg)) {
        const key = `${provider.id}/${arg}`;
        if (req.method === 'PUT') {
          uploads.set(key, await readRaw(req));
          return send(204, '');
        }
        if (req.method === 'DELETE') {
          uploads.delete(key);
          return send(204, '');
        }
        const uploaded = uploads.get(key);
        const type = provider.format === 'camt053' ? 'application/xml' : 'text/csv; charset=utf-8';
        if (uploaded) return send(200, uploaded, type);
        if (dayWindow(arg)[1] > Date.now()) return send(404, { error: 'the statement of this day is not available yet' });
        const lines = statementLines(provider, arg);
        if (provider.format === 'csv') return send(200, statementCsv(lines), type);
        const [start, end] = dayWindow(arg);
        return send(
          200,
          camt053Document(
            {
              messageId: `${provider.id}-${arg}`,
              createdAt: new Date().toISOString(),
              statementId: `${provider.id}-${arg}`,
              accountId: `${provider.id}-PORTAL`,
              fromDateTime: new Date(start).toISOString(),
              toDateTime: new Date(end - 1000).toISOString(),
              declaredCount: lines.length,
              declaredSumVnd: lines.reduce((s, l) => s + l.amountVnd, 0),
            },
            lines,
          ),
          type,
        );
      }
      if (req.method === 'GET' && what === 'transactions') return send(200, [...ledger.values()]);
      return send(404, { error: 'no such route' });
    };
    handle().catch((err: unknown) => send(500, { error: String(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  url = `http://${host}:${(server.address() as AddressInfo).port}`;
  opts.log?.(`payment simulator on ${url} (${providers.map((p) => p.id).join(', ')})`);

  return {
    url,
    providers,
    providerRows: () =>
      providers.map((p) => ({
        id: p.id,
        name: p.name,
        kind: p.kind,
        hmac_secret: p.secret,
        checkout_url: `${url}/${p.id}/checkout`,
        refund_url: `${url}/${p.id}/refunds`,
        statement_url: `${url}/${p.id}/statements/{date}`,
        statement_format: p.format,
        contact: `doisoat@${p.id.toLowerCase()}.example (mô phỏng)`,
        active: true,
      })),
    ledger: (id) => [...(ledgers.get(id)?.values() ?? [])],
    sendCallback: (id, txn, o) => {
      const provider = byId.get(id);
      const tx = ledgers.get(id)?.get(txn);
      if (!provider || !tx) throw new Error(`no transaction ${id}/${txn}`);
      return post(provider, tx, o);
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
