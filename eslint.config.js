// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
            { group: ['@actions/core', '@actions/exec'], message: 'Use the RunContext passed to run().' },
            // Octokit is reached only through the GitHub client's interface (src/lib/github/).
            { group: ['@actions/github', '@octokit/*'], message: 'Use the GitHubClient of src/lib/github/.' },
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
      'no-restricted-imports': ['error', { patterns: [{ group: ['@actions/core', '@actions/exec'], message: 'Use the RunContext passed to run().' }] }],
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
            { group: ['@actions/core', '@actions/exec'], message: 'Use the RunContext passed to run().' },
            { group: ['@actions/github', '@octokit/*'], message: 'Use the GitHubClient of src/lib/github/.' },
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
            { group: ['@actions/core', '@actions/exec'], message: 'Use the RunContext passed to run().' },
            { group: ['@actions/github', '@octokit/*'], message: 'Use the GitHubClient of src/lib/github/.' },
            { group: ['**/commands/**'], message: 'Lib code never imports a command.' },
          ],
        },
      ],
    },
  },
);
