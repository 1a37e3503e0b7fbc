/**
 * Every side effect the workflows take. Workflows import this module by type only:
 * `proxyActivities<Activities>()`.
 */
import type { ActivityDeps } from './deps';
import { diagnosticActivities } from './diagnostics';
import { kernelActivities } from './kernel';
import { digestActivities } from './digest';
import { feedbackActivities } from './feedback';
import { procedureActivities } from './procedures';
import { dossierActivities } from './dossiers';
import { paymentActivities } from './payments';
import { onboardingActivities } from './onboarding';
import { mailOutboxActivities } from './mail-outbox';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    ...diagnosticActivities(deps),
    ...kernelActivities(deps),
    ...digestActivities(deps),
    ...feedbackActivities(deps),
    ...procedureActivities(deps),
    ...dossierActivities(deps),
    ...paymentActivities(deps),
    ...onboardingActivities(deps),
    ...mailOutboxActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
