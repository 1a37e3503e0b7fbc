/**
 * The benchmark worker's bundle: every product workflow plus a no-op baseline — a workflow that
 * returns at once, and one that answers a no-op update until told to finish.
 */
import { condition, defineSignal, defineUpdate, setHandler } from '@temporalio/workflow';

export * from '../workflows';

export const noopUpdate = defineUpdate<number, [number]>('noop');
export const finishSignal = defineSignal('finish');

export async function noopWorkflow(): Promise<string> {
  return 'ok';
}

export async function noopUpdateWorkflow(): Promise<void> {
  let done = false;
  setHandler(noopUpdate, (n) => n);
  setHandler(finishSignal, () => void (done = true));
  await condition(() => done);
}
