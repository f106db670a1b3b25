/**
 * promote.yml executed through nektos/act in host mode against real peers started once for this file: the manifest
 * repository acme/churn-manifests (a real bare git remote), the file registry, the Argo CD simulator following that
 * remote, a real Prometheus scraping the simulator's per-version model metrics for the post-deployment analysis, and,
 * for the pull-request mode, the GitHub stand-in serving the same remote.
 *
 * The tests run in order on the same remote, registry and cluster, as one model's history:
 * 1. workflows-examples/promote-chain.yml promotes version 2 to staging (bump, wait, analysis), then to production
 *    (a manual-sync app: the wait syncs it);
 * 2. workflows-examples/staging-bake.yml promotes version 3, which the simulator runs Degraded: promote.yml's
 *    automatic rollback job puts version 2 back in staging, moves the champion alias back and tags 3 as rolled back,
 *    with the wait's failure sentence (the app's message) as the reason;
 * 3. promote-chain.yml promotes version 5, which runs healthy but fails staging's analysis: rolled back with the
 *    metric's sentence as the reason;
 * 4. once open-promotion-pr is bundled (dist/open-promotion-pr/index.js): workflows-examples/promote-pull-request.yml
 *    (pull-request mode) is refused for the rolled-back version 3, then opens the promotion PR of version 4.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bumpManifest } from '../../src/commands/bump-manifest/index.ts';
import { registerModel } from '../../src/commands/register-model/index.ts';
import { createFileRegistry } from '../../src/lib/registry/file.ts';
import { createActSandbox, createCallerRepository, publishRepository, runAct, type ActResult, type ActSandbox } from '../support/act.ts';
import { startArgoCdSimulator, type ArgoCdSimulator } from '../support/argocd-simulator/index.ts';
import { startGitHubStandIn } from '../support/github-stand-in/index.ts';
import { cloneRemote, createRemote, git, isolatedGitEnv, readTree, removeTempDirs, showFile, tempDir, type RemoteRepository } from '../support/git-repos.ts';
import { startPrometheus, waitForSeries, type PrometheusServer } from '../support/prometheus.ts';
import { repoRoot } from '../support/python.ts';
import { runCommand } from '../support/run-command.ts';

const FIXTURE = path.join(repoRoot, 'test/fixtures/bump-manifest/repo');
const MANIFESTS = 'acme/churn-manifests';
const FAKE_TOKEN = 'ghs_fake_manifests_token_for_act_0123456789';
const ARGOCD_TOKEN = 'argocd-fake-api-token-for-act-0123456789';
const BAD_VERSION_MESSAGE = 'Back-off restarting failed container model-server: accuracy self-test failed';
const SERVING_DEPLOYMENT =
  'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: churn-serving\n  namespace: churn-staging\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: churn-serving}\n  template:\n    metadata:\n      labels: {app: churn-serving}\n    spec:\n      containers:\n        - name: model-server\n          image: ghcr.io/acme/churn-serving:v1.4.0\n';
/**
 * The post-deployment analysis promote-chain.yml names for staging: two measurements 1.5 s apart, the first 1.5 s after
 * the app is healthy, when Prometheus (scraping every second) has the new version's series.
 */
const ANALYSIS = 'interval: 1500ms\ncount: 2\ninconclusive: fail\nmetrics:\n  - name: accuracy\n    query: max(model_accuracy{model="{model}", version="{version}"})\n    min: 0.8\n';

const version = (values: string): string | undefined => /version: (\S+)/.exec(values)?.[1];
/** The pull-request mode runs open-promotion-pr, which has no bundle until it is built. */

describe('promote.yml through act', { timeout: 300_000 }, () => {
  let sandbox: ActSandbox;
  let manifests: RemoteRepository;
  let registryDir: string;
  let sim: ArgoCdSimulator;
  let prometheus: PrometheusServer;
  let caller: string;

  afterAll(async () => {
    await sim?.close();
    await prometheus?.stop();
    await removeTempDirs();
  });

  beforeAll(async () => {
    sandbox = await createActSandbox(await tempDir('ml-gitops-act-'));
    // The manifest repository, with the analyses the examples name, and version 1 promoted to both environments.
    const files = await readTree(FIXTURE);
    files['.ml-gitops/analysis.yaml'] = new TextEncoder().encode(ANALYSIS);
    files['.ml-gitops/bake.yaml'] = await fs.readFile(path.join(repoRoot, 'workflows-examples/bake.analysis.yaml'));
    // The staging workload: Argo CD reports a bad version's failure on it (the Degraded test's rollback reason).
    files['envs/staging/deployment.yaml'] = new TextEncoder().encode(SERVING_DEPLOYMENT);
    manifests = await publishRepository(sandbox, MANIFESTS, await createRemote(files));
    const clone = await cloneRemote(manifests, 'promoter');
    registryDir = path.join(sandbox.dir, 'registry');
    const env = isolatedGitEnv(manifests.home);
    for (const registered of [1, 2, 3, 4, 5]) {
      await runCommand(registerModel, { 'model-name': 'churn', source: `s3://models/churn/${registered}`, 'registry-uri': registryDir }, { env, workspace: clone });
    }
    for (const environment of ['staging', 'production']) {
      await runCommand(
        bumpManifest,
        { updates: `envs/${environment}/values.yaml:model.version=1`, 'model-name': 'churn', 'model-version': '1', environment, 'registry-uri': registryDir },
        { env, workspace: clone },
      );
    }

    sim = await startArgoCdSimulator({
      tokens: { [ARGOCD_TOKEN]: 'ci' },
      // The wait asks for a refresh; the poll never comes first.
      pollIntervalMs: 600_000,
      apps: [
        { name: 'churn-staging', repo: manifests.bare, path: 'envs/staging' },
        { name: 'churn-production', repo: manifests.bare, path: 'envs/production', automated: false },
      ],
      metrics: { churn: { '1': { accuracy: 0.86 }, '2': { accuracy: 0.9 }, '3': { accuracy: 0.62 }, '5': { accuracy: 0.55 } } },
      bad: { '3': BAD_VERSION_MESSAGE },
    });
    prometheus = await startPrometheus({ targets: [new URL(sim.url).host], scrapeIntervalSeconds: 1 });
    await waitForSeries(prometheus.url, 'model_accuracy', 30_000);

    caller = await createCallerRepository(sandbox, 'acme/churn-service', { examples: ['promote-chain.yml', 'staging-bake.yml', 'promote-pull-request.yml'] });
  }, 600_000);

  function promote(workflow: string, modelVersion: string, env: Record<string, string> = {}): Promise<ActResult> {
    return runAct({
      ...sandbox.run,
      env: { ...sandbox.run.env, ...env },
      event: 'workflow_dispatch',
      workflow: `.github/workflows/${workflow}`,
      cwd: caller,
      inputs: { 'model-version': modelVersion },
      vars: { MANIFESTS_REPOSITORY: MANIFESTS, MLFLOW_TRACKING_URI: pathToFileURL(registryDir).href, ARGOCD_SERVER: sim.url, PROMETHEUS_URL: prometheus.url },
      secrets: { MANIFESTS_TOKEN: FAKE_TOKEN, ARGOCD_AUTH_TOKEN: ARGOCD_TOKEN },
    });
  }

  it('promote-chain.yml: version 2 to staging (analysis passes), then production (synced by hand)', async () => {
    const started = Date.now();
    const result = await promote('promote-chain.yml', '2');
    const context = `act exited ${result.code} after ${Date.now() - started} ms:\n${result.log.slice(-6000)}`;
    expect(result.code, context).toBe(0);
    // Production ran, so staging's workflow output `result` was `promoted`; no rollback job ran.
    expect(result.jobs, context).toEqual({ 'staging/promote/promote': 'success', 'production/promote/promote': 'success' });
    const staging = result.outputs['staging/promote/promote'];
    expect(staging).toMatchObject({ changed: 'true', result: 'promoted', analysis: 'successful' });
    expect(JSON.parse(staging?.measurements ?? '[]')).toEqual([expect.objectContaining({ name: 'accuracy', verdict: 'successful' })]);
    const production = result.outputs['production/promote/promote'];
    expect(production).toMatchObject({ changed: 'true', result: 'promoted', analysis: 'skipped' });
    // A failure sentence only when something failed.
    expect(staging).not.toHaveProperty('failure');
    expect(production).not.toHaveProperty('failure');
    expect(JSON.parse(production?.applications ?? '[]')).toEqual([expect.objectContaining({ name: 'churn-production', sync: 'Synced', health: 'Healthy', revision: production?.['commit-sha'] })]);
    expect(result.log).toMatch(/with node v24\./);
    expect(result.log).not.toContain(FAKE_TOKEN);
    expect(result.log).not.toContain(ARGOCD_TOKEN);

    for (const environment of ['staging', 'production']) {
      expect(version(await showFile(manifests, 'main', `envs/${environment}/values.yaml`)), environment).toBe('2');
    }
    for (const [name, commit] of [['churn-staging', staging?.['commit-sha']], ['churn-production', production?.['commit-sha']]] as const) {
      expect(sim.app(name)?.status, name).toMatchObject({ sync: { status: 'Synced', revision: commit }, health: { status: 'Healthy' } });
    }
    expect(sim.violations).toEqual([]);
  });

  it('staging-bake.yml: version 3 runs Degraded, the automatic rollback puts 2 back, moves the alias, tags 3', async () => {
    // The candidate was made champion when it was registered; the rollback has to move the alias back.
    await runCommand(registerModel, { 'model-name': 'churn', version: '3', alias: 'champion', 'registry-uri': registryDir });
    const started = Date.now();
    const result = await promote('staging-bake.yml', '3');
    const context = `act exited ${result.code} after ${Date.now() - started} ms:\n${result.log.slice(-6000)}`;
    // The promote job fails (its wait failed), and with it the run; the rollback job (promote.yml's job `rollback`
    // calling rollback.yml) succeeds; production never starts.
    expect(result.code, context).toBe(1);
    expect(result.jobs, context).toEqual({ 'staging/promote/promote': 'failure', 'rollback/rollback/rollback': 'success' });
    const promoted = result.outputs['staging/promote/promote'];
    expect(promoted).toMatchObject({ result: 'failed', analysis: 'skipped' });
    expect(result.log).toContain('::error title=Argo CD%3A degraded::Argo CD application churn-staging is Degraded at');
    // The reason is the wait's own sentence: the app, its health and the unhealthy resource with the app's message.
    const reason = promoted?.failure ?? '';
    expect(reason, context).toMatch(/^wait-for-argo-sync ended degraded after the promotion: Argo CD application churn-staging is Degraded at [0-9a-f]{7,}.*; unhealthy resources: Deployment\/churn-serving: Degraded \(/);
    expect(reason).toContain(BAD_VERSION_MESSAGE);
    expect(reason).not.toMatch(/\n/);
    const rollback = result.outputs['rollback/rollback/rollback'];
    expect(rollback, context).toMatchObject({ 'from-version': '3', 'to-version': '2', operation: 'rolled-back', 'alias-moved': 'true' });
    // rollback.yml waited for its own commit: version 2 runs healthy again.
    expect(JSON.parse(rollback?.applications ?? '[]')).toEqual([expect.objectContaining({ name: 'churn-staging', health: 'Healthy', revision: rollback?.['commit-sha'] })]);
    expect(result.log).not.toContain(ARGOCD_TOKEN);

    expect(version(await showFile(manifests, 'main', 'envs/staging/values.yaml'))).toBe('2');
    expect(version(await showFile(manifests, 'main', 'envs/production/values.yaml'))).toBe('2');
    expect(await git(manifests.bare, ['log', '-1', '--format=%s', 'main'])).toBe('Roll back churn from 3 to 2 in staging');
    // The ledger commit and the registry record the failure itself, the app's message included.
    expect(await git(manifests.bare, ['log', '-1', '--format=%(trailers:key=Reason,valueonly,unfold)', 'main'])).toBe(reason);
    const registry = createFileRegistry({ directory: registryDir });
    expect((await registry.getAlias('churn', 'champion'))?.version).toBe('2');
    expect((await registry.getVersion('churn', '3'))?.tags).toMatchObject({ 'ml-gitops.rolled-back': 'true', 'ml-gitops.rolled-back-reason': reason });
    expect(sim.violations).toEqual([]);
  });
  it('promote-chain.yml: version 5 runs healthy but fails the analysis; the rollback reason is the metric that failed', async () => {
    const started = Date.now();
    const result = await promote('promote-chain.yml', '5');
    const context = `act exited ${result.code} after ${Date.now() - started} ms:\n${result.log.slice(-6000)}`;
    expect(result.code, context).toBe(1);
    // Production never starts; promote.yml's rollback job runs.
    expect(result.jobs, context).toEqual({ 'staging/promote/promote': 'failure', 'rollback/rollback/rollback': 'success' });
    const promoted = result.outputs['staging/promote/promote'];
    expect(promoted, context).toMatchObject({ result: 'failed', analysis: 'failed' });
    const reason = promoted?.failure ?? '';
    expect(reason, context).toMatch(/^wait-for-argo-sync ended analysis-failed after the promotion: the post-deployment analysis failed: accuracy fell to 0\.55 \(min 0\.8\) in \d+ of \d+ measurements?$/);
    expect(result.outputs['rollback/rollback/rollback'], context).toMatchObject({ 'from-version': '5', 'to-version': '2', operation: 'rolled-back' });

    expect(version(await showFile(manifests, 'main', 'envs/staging/values.yaml'))).toBe('2');
    expect(await git(manifests.bare, ['log', '-1', '--format=%(trailers:key=Reason,valueonly,unfold)', 'main'])).toBe(reason);
    const registry = createFileRegistry({ directory: registryDir });
    expect((await registry.getVersion('churn', '5'))?.tags).toMatchObject({ 'ml-gitops.rolled-back': 'true', 'ml-gitops.rolled-back-reason': reason });
    expect(sim.violations).toEqual([]);
  });

  it('promote-pull-request.yml: the rolled-back version 3 is refused, version 4 gets its promotion PR to production', async () => {
    const standIn = await startGitHubStandIn({
      repos: { [MANIFESTS]: manifests.bare },
      tokens: [{ token: FAKE_TOKEN, permissions: { contents: 'write', 'pull-requests': 'write', issues: 'write' } }],
    });
    try {
      const githubEnv = { GITHUB_API_URL: standIn.url, GITHUB_GRAPHQL_URL: standIn.graphqlUrl };
      // Version 3 was rolled back out of staging (the test above): open-promotion-pr reads its tag in the registry.
      let started = Date.now();
      const refused = await promote('promote-pull-request.yml', '3', githubEnv);
      let context = `act exited ${refused.code} after ${Date.now() - started} ms:\n${refused.log.slice(-6000)}`;
      expect(refused.code, context).toBe(1);
      expect(refused.jobs, context).toEqual({ 'production/promote/promote': 'failure' });
      expect(refused.outputs['production/promote/promote'], context).toMatchObject({ result: 'failed', failure: expect.stringContaining('open-promotion-pr failed: no promotion PR') });
      expect(refused.log).toMatch(/Version 3 of model .{1,4}churn.{1,4} is tagged ml-gitops\.rolled-back=true/);
      expect(refused.log).toContain(BAD_VERSION_MESSAGE);
      expect(standIn.pulls(MANIFESTS)).toEqual([]);

      started = Date.now();
      const opened = await promote('promote-pull-request.yml', '4', githubEnv);
      context = `act exited ${opened.code} after ${Date.now() - started} ms:\n${opened.log.slice(-6000)}`;
      expect(opened.code, context).toBe(0);
      // No wait in pull-request mode (Argo CD deploys the merge), and nothing to roll back.
      expect(opened.jobs, context).toEqual({ 'production/promote/promote': 'success' });
      const outputs = opened.outputs['production/promote/promote'];
      expect(outputs, context).toMatchObject({ result: 'pull-request', operation: 'created', branch: 'ml-gitops/promote/churn/production' });
      expect(outputs).not.toHaveProperty('failure');
      expect(outputs?.['pull-request-url']).toMatch(/\/acme\/churn-manifests\/pull\/\d+$/);
      expect(opened.log).not.toContain(FAKE_TOKEN);

      const [pull] = standIn.pulls(MANIFESTS);
      expect(pull).toMatchObject({ state: 'open', head: 'ml-gitops/promote/churn/production', base: 'main' });
      expect(version(await showFile(manifests, 'ml-gitops/promote/churn/production', 'envs/production/values.yaml'))).toBe('4');
      // Nothing deployed: main still runs 2 in production.
      expect(version(await showFile(manifests, 'main', 'envs/production/values.yaml'))).toBe('2');
      expect(standIn.violations).toEqual([]);
    } finally {
      await standIn.stop();
    }
  });
});
