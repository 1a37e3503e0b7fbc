/**
 * The Temporal CLI dev server as a child process: SQLite file (or in memory), UI, namespace and
 * search attributes registered at start-up. Used by `motcua start` and the system tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../temporal.config';

export interface RunningTemporal {
  address: string;
  uiUrl?: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startTemporalDevServer(opts: {
  binary: string;
  port: number;
  uiPort?: number;
  dbFile?: string;
  namespace: string;
  log?: (line: string) => void;
}): Promise<RunningTemporal> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--namespace', opts.namespace, '--log-level', 'warn'];
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  // Dynamic config that production clusters also want: updates and schedules on, fast visibility.
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true');
  args.push('--dynamic-config-value', 'frontend.workerVersioningWorkflowAPIs=true');
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');

  const child = spawn(opts.binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  let output = '';
  const onData = (b: Buffer) => {
    output = (output + b.toString()).slice(-8000);
    opts.log?.(b.toString().trimEnd());
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Whatever ends this process (Ctrl-C handled by another library's exit hook, process.exit, a
  // crashed test run), the server must not outlive it.
  const killOnExit = () => {
    if (child.exitCode === null) child.kill(opts.dbFile ? 'SIGTERM' : 'SIGKILL');
  };
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));

  const address = `127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const early = await Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 250))]);
    if (early !== 'running') throw new Error(`Temporal dev server exited (${early}) during start-up:\n${output}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: opts.namespace });
        break;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Temporal dev server not ready on ${address} after 60 s: ${String(err)}\n${output}`);
      }
    }
  }
  return {
    address,
    uiUrl: opts.uiPort ? `http://localhost:${opts.uiPort}` : undefined,
    child,
    // A server with a database file shuts down gracefully; an in-memory one (tests) has nothing to flush.
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill(opts.dbFile ? 'SIGTERM' : 'SIGKILL');
      const timeout = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
