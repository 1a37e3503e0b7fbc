/**
 * The benchmark worker's bundle: every product workflow plus a no-op baseline — a workflow that
 * returns at once, one that answers a no-op update until told to finish, and one that collects
 * signals to make a history of any length.
 */
import { condition, defineSignal, defineUpdate, setHandler } from '@temporalio/workflow';

export * from '../workflows';

export const noopUpdate = defineUpdate<number, [number]>('noop');
export const finishSignal = defineSignal('finish');
export const tickSignal = defineSignal<[number]>('tick');

export async function noopWorkflow(): Promise<string> {
  return 'ok';
}

export async function noopUpdateWorkflow(): Promise<void> {
  let done = false;
  setHandler(noopUpdate, (n) => n);
  setHandler(finishSignal, () => void (done = true));
  await condition(() => done);
}

/** A long history on demand: every tick signal is an event (plus workflow tasks) until finish. */
export async function longHistoryWorkflow(): Promise<number> {
  let ticks = 0;
  let done = false;
  setHandler(tickSignal, () => void ticks++);
  setHandler(finishSignal, () => void (done = true));
  await condition(() => done);
  return ticks;
}
