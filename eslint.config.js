// Lint rules: the recommended sets of ESLint and typescript-eslint, plus the habits of STYLE.md
// that a linter can check (no `any`, no floating promises in server code).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Modules of server/store that only server/store may import. */
const STORE_PRIVATE = ['**/store/contract/adapter', '**/store/contract/adapter.js', '**/store/registry*', '**/store/sql', '**/store/sql/**'];
const STORE_PRIVATE_WHY = 'the store adapter is private to server/store: use the Store facade (store.users, store.topics...)';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['vitest.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  // The store adapter is private to server/store: the rest of the code uses the Store facade's
  // groups, and tests reach the adapter only through adapterOf (server/store/adapter-access.ts).
  {
    files: ['**/*.ts'],
    ignores: ['server/store/**', 'test/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: [...STORE_PRIVATE, '**/store/adapter-access*'], message: STORE_PRIVATE_WHY }] }] },
  },
  {
    files: ['test/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: STORE_PRIVATE, message: STORE_PRIVATE_WHY + ' (tests: adapterOf from server/store/adapter-access.js)' }] }] },
  },
  {
    files: ['bin/**', '*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
