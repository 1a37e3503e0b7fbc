// ESLint flat config: type-aware rules everywhere, and the Temporal determinism rule that
// workflow code may not import Node built-ins or anything that does I/O.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http', 'https', 'net', 'os', 'path', 'process', 'readline', 'stream', 'timers', 'tls', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', '.data/**', 'coverage/**', '*.js', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts', 'domain/**/*.ts', 'test/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...nodeBuiltins.map((name) => ({ name, message: 'Workflow and domain code must be deterministic: no Node built-ins.' })),
          ...nodeBuiltins.map((name) => ({ name: `node:${name}`, message: 'Workflow and domain code must be deterministic: no Node built-ins.' })),
        ],
        patterns: [
          { group: ['**/db/**', '**/api/**', 'knex', 'pg', 'nodemailer', 'express'], message: 'Workflows and domain never import I/O layers.' },
          { group: ['**/activities', '**/activities/**'], allowTypeImports: true, message: 'Import activities by type only.' },
        ],
      }],
    },
  },
);
