/**
 * A real HTTP server on loopback standing in for the national portal's status-sync endpoint, written
 * for the tests: it takes each `Idempotency-Key` once (a replay is acknowledged, not recorded again),
 * and can refuse the first attempts of some keys with a 500, so that retries happen.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  key: string;
  body: { code: string; seq: number; status: string; [k: string]: unknown };
}

export interface PortalReceiver {
  url: string;
  /** Accepted deliveries, in arrival order. */
  received: Received[];
  /** Every request, including refused ones and replays. */
  requests: number;
  /** Refuse the next `n` requests with a 500. */
  failNext(n: number): void;
  forCode(code: string): Received[];
  close(): Promise<void>;
}

export async function startPortalReceiver(): Promise<PortalReceiver> {
  const received: Received[] = [];
  const seen = new Set<string>();
  let failures = 0;
  const state = { requests: 0 };
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString('utf8')));
    req.on('end', () => {
      state.requests++;
      const key = req.headers['idempotency-key'];
      if (req.method !== 'POST' || typeof key !== 'string') {
        res.writeHead(400).end();
        return;
      }
      if (failures > 0) {
        failures--;
        res.writeHead(500).end('try again');
        return;
      }
      if (!seen.has(key)) {
        seen.add(key);
        received.push({ key, body: JSON.parse(data) as Received['body'] });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/sync`,
    received,
    get requests() {
      return state.requests;
    },
    failNext(n) {
      failures = n;
    },
    forCode: (code) => received.filter((r) => r.body.code === code),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
