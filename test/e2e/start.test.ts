/**
 * End to end: spawn `motcua start` as a user would (from dist/), wait for /ready, run
 * `motcua doctor`, then Ctrl-C and check everything stopped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, isPortOpen } from '../../infra/ports';

const home = path.resolve(__dirname, '../..');
const bin = path.join(home, 'dist/bin/motcua.js');

describe('motcua start → ready → doctor → Ctrl-C', () => {
  let child: ChildProcess | undefined;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let output = '';

  beforeAll(async () => {
    if (!fs.existsSync(bin)) throw new Error('dist/ is missing: `npm test` builds it first');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'motcua-e2e-'));
    fs.chmodSync(dataDir, 0o755);
    env = {
      ...process.env,
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      PG_PORT: String(await freePort()),
      SMTP_SINK_PORT: String(await freePort()),
      PAYMENT_SIM_PORT: String(await freePort()),
      AGENCY_SIM_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
    };
    delete env.TEMPORAL_ADDRESS;
    delete env.DATABASE_URL;
    delete env.SMTP_URL;
  });

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('comes up, passes doctor and shuts down cleanly', async () => {
    child = spawn(process.execPath, [bin, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    const deadline = Date.now() + 90_000;
    while (!output.includes('motcua is up')) {
      if (child.exitCode !== null) throw new Error(`motcua start exited early:\n${output}`);
      if (Date.now() > deadline) throw new Error(`motcua start not up after 90 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const role of ['citizen', 'officer', 'supervisor', 'auditor', 'operator', 'admin']) {
      expect(output).toMatch(new RegExp(`\\n\\s+${role}\\s+eyJ`));
    }
    expect(output).toContain(`http://localhost:${env.TEMPORAL_UI_PORT}`);
    expect(output).toMatch(/demo feedback PAKN\.\d{8}\.\d{4}/);
    expect(output).toContain(`Payments     simulator http://127.0.0.1:${env.PAYMENT_SIM_PORT}`);
    expect(output).toContain('Onboarding   demo service H99.20-LLTP-ONLINE');
    // The demo dossier paid online at the simulator moved past the fees step.
    const dossiers = /demo dossiers ([^;]+);/.exec(output)![1]!.split(', ');
    expect(dossiers).toHaveLength(4);

    const ready = await fetch(`http://127.0.0.1:${env.PORT}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    const ui = await fetch(`http://127.0.0.1:${env.TEMPORAL_UI_PORT}/`);
    expect(ui.status).toBe(200);

    const doctor = spawnSync(process.execPath, [bin, 'doctor'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(doctor.stdout).toContain('All checks passed.');
    expect(doctor.status).toBe(0);

    child.kill('SIGINT');
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000));
    expect(await Promise.race([exited, timeout])).not.toBe('timeout');
    // Nothing it started survives: no listener on its ports, no process using its data folder.
    await new Promise((r) => setTimeout(r, 1000));
    for (const port of [env.PORT, env.TEMPORAL_PORT, env.PG_PORT, env.SMTP_SINK_PORT, env.PAYMENT_SIM_PORT, env.AGENCY_SIM_PORT]) {
      expect(await isPortOpen(Number(port))).toBe(false);
    }
    const survivors = spawnSync('pgrep', ['-f', dataDir], { encoding: 'utf8' }).stdout.trim();
    expect(survivors).toBe('');
  });

  it('rejects an unknown command with exit code 2 and usage', () => {
    const res = spawnSync(process.execPath, [bin, 'frobnicate'], { env, encoding: 'utf8' });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('Usage: motcua');
  });
});
