import fs from 'node:fs';
import { dropDatabase } from '../infra/postgres';
import type { LocalInfra } from '../infra/local';

export default async function teardown(): Promise<void> {
  const state = (globalThis as { __motcuaInfra?: { infra: LocalInfra; tmp: string; database: string; serverUrl: string } }).__motcuaInfra;
  if (!state) return;
  await dropDatabase(state.serverUrl, state.database).catch(() => undefined);
  await state.infra.stop();
  fs.rmSync(state.tmp, { recursive: true, force: true });
}
