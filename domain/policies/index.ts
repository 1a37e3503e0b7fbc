export * from './policy';
export { BUILTIN_POLICY } from './builtin';
