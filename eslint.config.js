// Lint rules: ESLint's and typescript-eslint's recommended sets, plus the few house rules below.
// Formatting is Prettier's job (`npm run format`), checked by `npm run check`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.switchyard/', 'dist/', 'web/dist/', 'bench/results/', 'migrations/meta/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'node:vm', message: 'User code runs only in a real sandbox.' }] },
      ],
      eqeqeq: ['error', 'always'],
    },
  },
);
