// ESLint for the TypeScript (src/, test/) and the build scripts: the recommended rules of ESLint and
// typescript-eslint. Formatting is Prettier's job (`npm run format`); `npm run lint` checks both.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'templates/', 'test/golden/', 'node_modules/', '.bench/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Control characters are what these patterns look for: names and paths must not carry them.
      'no-control-regex': 'off',
      // Prettier wraps code at 120 columns but not comments; strings (messages, Markdown rows) may run longer.
      'max-len': [
        'error',
        {
          code: 120,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreRegExpLiterals: true,
          ignoreUrls: true,
        },
      ],
    },
  },
  {
    // Every child process goes through run() (src/run.ts): execa, an argument array (never a shell string), a
    // process group stopped as a whole, loaded only when a child runs (docs/architecture.md).
    files: ['src/**'],
    ignores: ['src/vendor/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['child_process', 'node:child_process', 'execa'].map((name) => ({
            name,
            message: 'Run a child process with run() from src/run.ts.',
          })),
        },
      ],
    },
  },
  {
    // A --json report is read as the loose JSON it is.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // CommonJS on purpose: the bin runs on any Node (it prints the version needed); the bundle's shim.
    files: ['bin/*.cjs', 'scripts/import-meta-url.js'],
    languageOptions: { sourceType: 'commonjs', globals: { __filename: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
