import { defineConfig } from 'vitest/config';

/**
 * The test files that talk to the real MLflow server. They form their own project, whose global setup starts ONE
 * server per run (in a git-ignored venv) and injects its URL as `mlflowUrl`; any other selection of files
 * (`npx vitest run test/lib/yaml-edit`) starts no Python at all.
 */
const MLFLOW_TESTS = [
  'test/commands/register-model/mlflow-real.test.ts',
  'test/commands/rollback/rollback-mlflow.test.ts',
  'test/lib/registry/mlflow.test.ts',
  'test/lib/registry/mlflow-faults.test.ts',
  'test/dist.test.ts',
];

const shared = {
  testTimeout: 60_000,
  hookTimeout: 600_000,
  // Real peers (git daemon, MLflow) are started once per run; files run in parallel on two cores.
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    // The JSON report gives CI one plain closing line with the counts.
    reporters: ['default', ['json', { outputFile: '.tmp/vitest-report.json' }]],
    projects: [
      { test: { ...shared, name: 'unit', include: ['test/**/*.test.ts'], exclude: MLFLOW_TESTS } },
      { test: { ...shared, name: 'mlflow', include: MLFLOW_TESTS, globalSetup: ['test/support/global-setup.ts'] } },
    ],
  },
});
