// ESLint (flat config): the recommended rules everywhere; browser globals for the
// widget's own code, node globals for the build script and the tests.
import js from '@eslint/js';
import globals from 'globals';

export default [
  // the build output goes to ../build/widget/, outside this folder; build/ in case
  { ignores: ['node_modules/', 'build/'] },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  {
    files: ['src/**/*.js'],
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: 'module',
      globals: globals.browser,
    },
  },
  {
    files: ['build.mjs', 'eslint.config.mjs', 'test/**/*.mjs'],
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      globals: globals.node,
    },
  },
];
