// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// ESLint keeps only the last `no-restricted-imports` that matches a file, so each block lists every pattern it needs.
const RUNNER_ONLY_THROUGH_CONTEXT = { group: ['@actions/core', '@actions/exec'], message: 'Use the RunContext passed to run().' };
const OCTOKIT_ONLY_IN_GITHUB_CLIENT = { group: ['@actions/github', '@octokit/*'], message: 'Use the GitHubClient of src/lib/github/.' };

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.venv/', '.bench/', '.tmp/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error', 'warn', 'log'] }],
    },
  },
  {
    // Commands talk to the runner only through RunContext, so the same code serves the Action and the CLI.
    files: ['src/commands/**/*.ts', 'src/lib/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            RUNNER_ONLY_THROUGH_CONTEXT,
            // Octokit is reached only through the GitHub client's interface (src/lib/github/).
            OCTOKIT_ONLY_IN_GITHUB_CLIENT,
          ],
        },
      ],
      'no-console': 'error',
    },
  },
  {
    // The GitHub client is the one place that builds Octokit.
    files: ['src/lib/github/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [RUNNER_ONLY_THROUGH_CONTEXT] }],
    },
  },
  {
    // Contracts between steps live in src/lib; a command never imports another command.
    files: ['src/commands/*/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            RUNNER_ONLY_THROUGH_CONTEXT,
            OCTOKIT_ONLY_IN_GITHUB_CLIENT,
            { regex: '^\\.\\./(?!\\.\\./)[^/]+/', message: 'A command never imports another command: move the shared part to src/lib.' },
          ],
        },
      ],
    },
  },
  {
    // Lib code is shared by every command: it never reaches into one.
    files: ['src/lib/**/*.ts'],
    ignores: ['src/lib/github/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            RUNNER_ONLY_THROUGH_CONTEXT,
            OCTOKIT_ONLY_IN_GITHUB_CLIENT,
            { group: ['**/commands/**'], message: 'Lib code never imports a command.' },
          ],
        },
      ],
    },
  },
);
