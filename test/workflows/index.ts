/** The test worker's bundle: every product workflow plus the kernel test workflow. */
export * from '../../workflows';
export { kernelTestWorkflow } from './kernel-test';
