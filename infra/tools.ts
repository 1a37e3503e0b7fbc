/**
 * The Temporal binaries the project runs locally, built from official sources into `.tools/`:
 * - the Temporal CLI (dev server), from its Go module pinned in tools/temporal-cli/go.mod;
 * - Temporal's Java time-skipping test server, from Maven Central pinned in tools/test-server/pom.xml.
 * Each build is stamped with its pinned version and redone only when the pin changes.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export class ToolError extends Error {}

export interface ToolPaths {
  temporal: string;
  testServer: string;
}

type Log = (line: string) => void;

function read(file: string): string {
  return fs.readFileSync(file, 'utf8');
}

export function pinnedTemporalCliVersion(home: string): string {
  const m = /github\.com\/temporalio\/cli (v[\w.\-+]+)/.exec(read(path.join(home, 'tools/temporal-cli/go.mod')));
  if (!m?.[1]) throw new ToolError('tools/temporal-cli/go.mod does not pin github.com/temporalio/cli');
  return m[1];
}

export function pinnedTestServerVersion(home: string): string {
  const pom = read(path.join(home, 'tools/test-server/pom.xml'));
  const m = /<artifactId>temporal-test-server<\/artifactId>\s*<version>([^<]+)<\/version>/.exec(pom);
  if (!m?.[1]) throw new ToolError('tools/test-server/pom.xml does not pin io.temporal:temporal-test-server');
  return m[1];
}

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, cmd);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function stampMatches(stamp: string, version: string, binary: string): boolean {
  return fs.existsSync(binary) && fs.existsSync(stamp) && read(stamp).trim() === version;
}

function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; log: Log }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onData = (buf: Buffer) => {
      const text = buf.toString();
      tail = (tail + text).slice(-4000);
      // eslint-disable-next-line no-control-regex
      for (const line of text.replace(/\x1b\[[0-9;]*m/g, '').split('\n')) if (line.trim()) opts.log(`  ${line.trim()}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new ToolError(`${cmd} ${args.join(' ')} exited with ${code}\n${tail}`)),
    );
  });
}

/** The Temporal CLI: an explicit TEMPORAL_CLI, a `temporal` on PATH at the pinned version, or a build. */
export async function ensureTemporalCli(home: string, log: Log = console.error): Promise<string> {
  const version = pinnedTemporalCliVersion(home);
  if (process.env.TEMPORAL_CLI) return process.env.TEMPORAL_CLI;
  const onPath = which('temporal');
  if (onPath) {
    try {
      const out = execFileSync(onPath, ['--version'], { encoding: 'utf8' });
      if (out.includes(version.replace(/^v/, ''))) return onPath;
    } catch {
      /* unusable binary on PATH: build our own */
    }
  }
  const bin = path.join(home, '.tools/bin/temporal');
  const stamp = `${bin}.version`;
  if (stampMatches(stamp, version, bin)) return bin;
  if (!which('go')) {
    throw new ToolError(
      `The Temporal CLI ${version} is needed for the local dev server and is not installed.\n` +
        `Install Go (https://go.dev/doc/install, or 'apt-get install golang') and run again: the project builds it\n` +
        `from its Go module into .tools/bin. Or put a 'temporal' ${version} binary on PATH, or set\n` +
        `TEMPORAL_ADDRESS to an existing Temporal cluster.`,
    );
  }
  const started = Date.now();
  log(`Building the Temporal CLI ${version} from its Go module (first run only, a few minutes)…`);
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  await run('go', ['build', '-o', bin, 'github.com/temporalio/cli/cmd/temporal'], {
    cwd: path.join(home, 'tools/temporal-cli'),
    env: { CGO_ENABLED: '0' },
    log,
  });
  fs.writeFileSync(stamp, version + '\n');
  log(`Built .tools/bin/temporal ${version} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return bin;
}

/** Temporal's Java time-skipping test server behind a wrapper script the SDK can exec. */
export async function ensureTestServer(home: string, log: Log = console.error): Promise<string> {
  const version = pinnedTestServerVersion(home);
  const wrapper = path.join(home, '.tools/bin/temporal-test-server');
  const stamp = `${wrapper}.version`;
  if (stampMatches(stamp, version, wrapper)) return wrapper;
  if (!which('mvn') || !which('java')) {
    throw new ToolError(
      `Temporal's time-skipping test server ${version} needs Java 17+ and Maven to fetch it from Maven Central.\n` +
        `Install them ('apt-get install openjdk-17-jre-headless maven') and run again.`,
    );
  }
  const started = Date.now();
  log(`Fetching io.temporal:temporal-test-server:${version} from Maven Central (first run only)…`);
  const classpathFile = path.join(home, '.tools/test-server.classpath');
  fs.mkdirSync(path.dirname(wrapper), { recursive: true });
  await run(
    'mvn',
    ['-B', '-q', `-Dmaven.repo.local=${path.join(home, '.tools/m2')}`, 'dependency:build-classpath', `-Dmdep.outputFile=${classpathFile}`],
    { cwd: path.join(home, 'tools/test-server'), log },
  );
  const classpath = read(classpathFile).trim();
  // JVM flags keep start-up well inside the SDK's 5 s wait: a small heap, tiered C1 only, one GC thread.
  fs.writeFileSync(
    wrapper,
    `#!/bin/sh\n# Generated by infra/tools.ts: Temporal's time-skipping test server ${version} (Maven Central).\n` +
      `exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss1m -Xmx512m -cp '${classpath}' io.temporal.testserver.TestServer "$@"\n`,
    { mode: 0o755 },
  );
  fs.writeFileSync(stamp, version + '\n');
  log(`Prepared .tools/bin/temporal-test-server ${version} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return wrapper;
}

export async function ensureTools(home: string, log: Log = console.error): Promise<ToolPaths> {
  const [temporal, testServer] = await Promise.all([ensureTemporalCli(home, log), ensureTestServer(home, log)]);
  return { temporal, testServer };
}
