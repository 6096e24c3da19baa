import js from '@eslint/js';
import ts from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

export default ts.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'models/',
      'train/out/',
      'train/data/',
      'coverage/',
      '.tmp/',
      '.bench/',
      'test-results/',
    ],
  },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser } },
  },
  {
    // The pure core may not reach for I/O, the DOM or onnxruntime.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'onnxruntime-*', '@huggingface/*', 'svelte', 'svelte/*'],
              message: 'The core is pure: inject I/O from the caller.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'fetch', 'document', 'window', 'navigator', 'process'],
    },
  },
  {
    // A failure ignored on purpose names why, through src/core/best-effort.ts.
    files: ['src/**/*.ts', 'src/**/*.svelte'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.property.name='catch'] > ArrowFunctionExpression[body.type=/^(Identifier|Literal)$/]",
          message: 'Use bestEffortValue(promise, fallback, reason) from src/core/best-effort.ts.',
        },
        {
          selector:
            "CallExpression[callee.property.name='catch'] > ArrowFunctionExpression[body.type='BlockStatement'][body.body.length=0]",
          message: 'Use bestEffort(promise, reason) from src/core/best-effort.ts.',
        },
      ],
    },
  },
);
