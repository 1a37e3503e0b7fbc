/** The workflow bundle's entry point: every workflow type the worker runs. */
export { diagnosticsWorkflow } from './diagnostics';
export { dailyDigestWorkflow } from './digest';
export { feedbackWorkflow } from './feedback';
export { procedureWorkflow } from './procedure';
export { dossierWorkflow, consultationWorkflow } from './dossier';
export { paymentWorkflow, paymentInquiryWorkflow, reconciliationWorkflow } from './payment';
export { serviceOnboardingWorkflow } from './onboarding';
export { mailRedeliveryWorkflow } from './mail';
