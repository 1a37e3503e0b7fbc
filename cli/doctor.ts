/**
 * `motcua doctor`: runs the diagnostics workflow (Temporal → activity → PostgreSQL write → SMTP
 * send → timer) and reports each check with its latency. Exit code 0 only if every check passed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../infra/config';
import type { Endpoints } from '../infra/local';
import { diagnosticsWorkflow } from '../workflows';

export interface CheckResult {
  name: string;
  ok: boolean;
  latencyMs: number;
  detail?: string;
}

async function timed(name: string, fn: () => Promise<string | void>): Promise<CheckResult> {
  const started = performance.now();
  try {
    const detail = await fn();
    return { name, ok: true, latencyMs: Math.round(performance.now() - started), detail: detail ?? undefined };
  } catch (err) {
    return { name, ok: false, latencyMs: Math.round(performance.now() - started), detail: (err as Error).message };
  }
}

export async function runDoctor(config: Config, endpoints: Endpoints, opts: { timeoutMs?: number } = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let connection: Connection | undefined;
  const connect = await timed('temporal: connect', async () => {
    connection = await Connection.connect({ address: endpoints.temporalAddress, connectTimeout: 5000 });
    const info = await connection.workflowService.getSystemInfo({});
    return `server ${info.serverVersion || 'unknown version'} at ${endpoints.temporalAddress}`;
  });
  results.push(connect);
  if (!connection) return results;
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const workflowId = `doctor-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
    const mailTo = 'doctor@motcua.local';
    let result: Awaited<ReturnType<typeof diagnosticsWorkflow>> | undefined;
    results.push(
      await timed('workflow: start → activities → timer → result', async () => {
        const handle = await client.workflow.start(diagnosticsWorkflow, {
          taskQueue: config.temporal.taskQueue,
          workflowId,
          args: [{ mailTo, timerMs: 1000 }],
          workflowExecutionTimeout: `${Math.round((opts.timeoutMs ?? 30_000) / 1000)}s`,
        });
        result = await handle.result();
        return `workflow ${workflowId}`;
      }),
    );
    if (result) {
      results.push({ name: 'activity: PostgreSQL write', ok: true, latencyMs: Math.round(result.pgWriteMs) });
      results.push({ name: 'activity: SMTP send', ok: true, latencyMs: Math.round(result.smtpMs), detail: result.messageId });
      results.push({ name: 'timer: 1 s durable timer', ok: result.timerMs >= 1000, latencyMs: result.timerMs });
      if (endpoints.mailDir) {
        const dir = endpoints.mailDir;
        results.push(
          await timed('smtp sink: message received', async () => {
            const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.eml')) : [];
            const found = files.find((f) => fs.readFileSync(path.join(dir, f), 'utf8').includes(`${workflowId}@motcua.local`));
            if (!found) throw new Error(`no message for ${workflowId} in ${dir}`);
            return found;
          }),
        );
      }
    }
  } finally {
    await connection.close();
  }
  return results;
}

export function printDoctor(results: CheckResult[], out: (line: string) => void): boolean {
  for (const r of results) {
    out(`${r.ok ? 'ok  ' : 'FAIL'}  ${r.name.padEnd(48)} ${String(r.latencyMs).padStart(6)} ms${r.detail ? `  ${r.detail}` : ''}`);
  }
  const ok = results.length > 1 && results.every((r) => r.ok);
  out(ok ? 'All checks passed.' : 'Some checks failed: is the worker running (`motcua worker` or `motcua start`)?');
  return ok;
}
