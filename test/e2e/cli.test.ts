/** The offline legal-time commands, run as a user would. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const bin = path.resolve(__dirname, '../../dist/bin/motcua.js');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

describe('motcua deadline / calendar', () => {
  it('prints one JSON object for a deadline', () => {
    const r = run('deadline', '--from', '2026-11-23T10:00:00+07:00', '--working-days', '3');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ from: '2026-11-23T10:00:00+07:00', workingDays: 3, dueDate: '2026-11-27', dueAt: '2026-11-27T23:59:59.999+07:00', calendar: 'official' });
  });

  it('marks a deadline that reaches an unannounced year provisional', () => {
    expect(JSON.parse(run('deadline', '--from', '2026-12-28T10:00:00+07:00', '--working-days', '10').stdout).calendar).toBe('provisional');
  });

  it.each([
    [['deadline', '--from', '2026-11-23', '--working-days', '3']],
    [['deadline', '--from', '2026-11-23T10:00:00+07:00', '--working-days', 'x']],
    [['deadline', '--working-days', '3']],
    [['calendar', '--year', 'abc']],
    [['calendar', '--bogus']],
  ])('exits 2 with a clear message on bad input %j', (args) => {
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^motcua: /);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('lists a year with its sources', () => {
    const r = run('calendar', '--year', '2024');
    expect(r.status).toBe(0);
    const y = JSON.parse(r.stdout);
    expect(y.status).toBe('official');
    expect(y.workedSaturdays).toEqual([expect.objectContaining({ date: '2024-05-04', replaces: '2024-04-29' })]);
  });
});
