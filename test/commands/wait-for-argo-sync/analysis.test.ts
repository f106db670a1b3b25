/**
 * The post-deployment analysis against a REAL Prometheus scraping the Argo CD simulator's per-version model metrics
 * (the model serving its metrics), started once for this file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForArgoSync } from '../../../src/commands/wait-for-argo-sync/index.ts';
import { createManifestRepo, modelValues, servingDeployment, startArgoCdSimulator, type ArgoCdSimulator } from '../../support/argocd-simulator/index.ts';
import { removeTempDirs } from '../../support/git-repos.ts';
import { startPrometheus, waitForSeries, type PrometheusServer } from '../../support/prometheus.ts';
import { commandError, runCommand } from '../../support/run-command.ts';

let sim: ArgoCdSimulator;
let prometheus: PrometheusServer;
let repo: Awaited<ReturnType<typeof createManifestRepo>>;

beforeAll(async () => {
  repo = await createManifestRepo({ 'envs/prod/values.yaml': modelValues(1), 'envs/prod/serving.yaml': servingDeployment(1) });
  sim = await startArgoCdSimulator({
    refreshDelayMs: 5,
    operationStartMs: 5,
    syncDurationMs: 20,
    progressingMs: 20,
    pollIntervalMs: 600_000,
    apps: [{ name: 'churn-prod', repo: repo.bare, path: 'envs/prod' }],
    metrics: { churn: { '1': { accuracy: 0.9 }, '2': { accuracy: 0.93 }, '3': { accuracy: 0.62 } } },
  });
  prometheus = await startPrometheus({ targets: [new URL(sim.url).host], scrapeIntervalSeconds: 1 });
  await waitForSeries(prometheus.url, 'model_accuracy', 30_000);
}, 60_000);

afterAll(async () => {
  expect(sim.violations).toEqual([]);
  await prometheus?.stop();
  await sim?.close();
  await removeTempDirs();
});

const ANALYSIS = 'interval: 1s\ncount: 3\ninconclusive: fail\nmetrics:\n  - name: accuracy\n    query: max(model_accuracy{model="{model}", version="{version}"})\n    min: 0.8\n';

async function deploy(version: number) {
  const sha = await repo.commit({ 'envs/prod/values.yaml': modelValues(version), 'envs/prod/serving.yaml': servingDeployment(version) }, `Bump to ${version}`);
  return sha;
}

describe('wait-for-argo-sync with a post-deployment analysis', () => {
  it('keeps a good version for the whole bake window, and fails a bad one naming the metric, its values and the threshold', { timeout: 60_000 }, async () => {
    const base = { server: sim.url, 'auth-token': sim.token, plaintext: 'true', applications: 'churn-prod', 'prometheus-url': prometheus.url, analysis: ANALYSIS, 'model-name': 'churn', timeout: '40' };
    const good = await deploy(2);
    const started = Date.now();
    const { outputs } = await runCommand(waitForArgoSync, { ...base, revision: good, 'model-version': '2' });
    expect(outputs).toMatchObject({ result: 'healthy', analysis: 'successful' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);

    const bad = await deploy(3);
    const error = await commandError(waitForArgoSync, { ...base, revision: bad, 'model-version': '3' });
    expect(error.message).toMatch(/^The post-deployment analysis failed: accuracy fell to 0\.62 \(min 0\.8\)/);
    expect(error.outputs).toMatchObject({ result: 'analysis-failed', analysis: 'failed' });
  });

  it('fails before the bake window on a PromQL syntax error, with the server\'s message', { timeout: 30_000 }, async () => {
    const bad = 'interval: 1s\ncount: 3\nmetrics:\n  - name: accuracy\n    query: max(model_accuracy{model="churn"\n    min: 0.8\n';
    const error = await commandError(waitForArgoSync, {
      server: sim.url,
      'auth-token': sim.token,
      plaintext: 'true',
      applications: 'churn-prod',
      'prometheus-url': prometheus.url,
      analysis: bad,
      timeout: '20',
    });
    expect(error.message).toMatch(/accuracy/);
    expect(error.message).toMatch(/parse error|unclosed|bad_data/i);
  });
});
