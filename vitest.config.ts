import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One real MLflow server per run (in a git-ignored venv), injected as `mlflowUrl`.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    // Real peers (git daemon, MLflow) are started once per run; files run in parallel on two cores.
    pool: 'forks',
    // The JSON report gives CI one plain closing line with the counts.
    reporters: ['default', ['json', { outputFile: '.tmp/vitest-report.json' }]],
  },
});
