/**
 * wait-for-argo-sync end to end, in-process: the Argo CD simulator (real bare git repositories) and, for the
 * post-deployment analysis, ONE real Prometheus per file scraping the model metrics the simulator serves for the
 * version each app runs (so a bad candidate fails on a metric regression, not only on Degraded).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitForArgoSync } from '../../../src/commands/wait-for-argo-sync/index.ts';
import type { UserError } from '../../../src/lib/errors.ts';
import {
  createManifestRepo,
  modelValues,
  servingDeployment,
  startArgoCdSimulator,
  type ArgoCdSimulator,
  type ArgoCdSimulatorOptions,
  type ManifestRepo,
  type SimAppDefinition,
} from '../../support/argocd-simulator/index.ts';
import { removeTempDirs } from '../../support/git-repos.ts';
import { startPrometheus, startTenantGateway, waitForSeries, type PrometheusServer, type TenantGateway } from '../../support/prometheus.ts';
import { commandError, runCommand } from '../../support/run-command.ts';

const fast: ArgoCdSimulatorOptions = { refreshDelayMs: 5, operationStartMs: 5, syncDurationMs: 20, progressingMs: 30, pollIntervalMs: 600_000 };
const TOKEN = 'argocd-token-3b7c1e9f5a';
const PROM_TOKEN = 'prom-token-8d2e4f6a1c';

const sims: ArgoCdSimulator[] = [];
afterEach(async () => {
  const closed = sims.splice(0);
  await Promise.all(closed.map((sim) => sim.close()));
  for (const sim of closed) expect(sim.violations).toEqual([]);
});

async function setup(apps: (bare: string) => SimAppDefinition[], options: ArgoCdSimulatorOptions = {}, keep = false): Promise<{ repo: ManifestRepo; sim: ArgoCdSimulator }> {
  const repo = await createManifestRepo({
    'envs/prod/values.yaml': modelValues(1),
    'envs/prod/serving.yaml': servingDeployment(1),
    'envs/good/values.yaml': modelValues(3),
    'envs/bad/values.yaml': modelValues(4),
  });
  const sim = await startArgoCdSimulator({ ...fast, tokens: { [TOKEN]: 'ci' }, ...options, apps: apps(repo.bare) });
  if (!keep) sims.push(sim);
  return { repo, sim };
}

const pushVersion = (repo: ManifestRepo, version: number): Promise<string> =>
  repo.commit({ 'envs/prod/values.yaml': modelValues(version), 'envs/prod/serving.yaml': servingDeployment(version) }, `Bump churn to ${version}`);

const prod = (bare: string, extra: Partial<SimAppDefinition> = {}): SimAppDefinition => ({ name: 'churn-prod', repo: bare, path: 'envs/prod', ...extra });

/** Everything a run wrote where people read it. */
function everything(ctx: { infos: string[]; warnings: string[]; summaries: string[] }, outputs: unknown = {}): string {
  return [...ctx.infos, ...ctx.warnings, ...ctx.summaries, JSON.stringify(outputs)].join('\n');
}

describe('wait-for-argo-sync', () => {
  it('succeeds when the pushed commit runs healthy, with the outputs and a summary row linked to the Argo CD UI, never logging the token', async () => {
    const { repo, sim } = await setup((bare) => [prod(bare)]);
    const pushed = await pushVersion(repo, 2);
    const { outputs, ctx } = await runCommand(waitForArgoSync, { server: sim.url, applications: 'churn-prod', revision: pushed }, { env: { ARGOCD_AUTH_TOKEN: TOKEN } });
    expect(outputs).toMatchObject({ result: 'healthy', revision: pushed, analysis: 'skipped', measurements: [] });
    expect(outputs.applications).toEqual([
      expect.objectContaining({ name: 'churn-prod', sync: 'Synced', health: 'Healthy', revision: pushed, operationPhase: 'Succeeded', unhealthy: [], namespace: 'argocd', url: `${sim.url}/applications/argocd/churn-prod` }),
    ]);
    expect(typeof outputs['duration-seconds']).toBe('number');
    expect(ctx.summaries.join('\n')).toContain(`| [churn-prod](${sim.url}/applications/argocd/churn-prod) | Synced | Healthy | \`${pushed.slice(0, 12)}\` | Succeeded |`);
    expect(ctx.secrets).toContain(TOKEN);
    expect(everything(ctx, outputs)).not.toContain(TOKEN);
  });

  it('logs in with username and password, and resolves a branch name in the path checkout', async () => {
    const { repo, sim } = await setup((bare) => [prod(bare)], { users: { deployer: 's3cret-pass-word' } });
    const pushed = await pushVersion(repo, 2);
    const { outputs, ctx } = await runCommand(waitForArgoSync, { server: sim.url, username: 'deployer', password: 's3cret-pass-word', applications: 'churn-prod', revision: 'main', path: repo.clone });
    expect(outputs).toMatchObject({ result: 'healthy', revision: pushed });
    expect(everything(ctx, outputs)).not.toContain('s3cret-pass-word');
  });

  it('fails Degraded in one sentence with the unhealthy resources, and still writes the outputs', async () => {
    const { repo, sim } = await setup((bare) => [prod(bare)]);
    sim.markBad(2, 'readiness probe failed');
    const pushed = await pushVersion(repo, 2);
    const error = await commandError(waitForArgoSync, { server: sim.url, 'auth-token': TOKEN, applications: 'churn-prod', revision: pushed });
    expect(error.message).toBe(`Argo CD application churn-prod is Degraded at ${pushed.slice(0, 12)}; unhealthy resources: Deployment/churn-serving: Degraded (readiness probe failed).`);
    expect(error.outputs).toMatchObject({ result: 'degraded', analysis: 'skipped' });
  });

  it('times out reporting the last state of every app', async () => {
    const { repo, sim } = await setup((bare) => [prod(bare), prod(bare, { name: 'churn-eu', stuck: true })], { refreshDeadlineMs: 300 });
    const pushed = await pushVersion(repo, 2);
    const error = await commandError(waitForArgoSync, { server: sim.url, 'auth-token': TOKEN, applications: 'churn-prod\nchurn-eu', revision: pushed, timeout: '2' });
    expect(error.outputs).toMatchObject({ result: 'timeout' });
    expect(error.message).toMatch(new RegExp(`^Argo CD did not run ${pushed.slice(0, 12)} healthy within 2 s: churn-eu is Synced/Healthy at [0-9a-f]{12} \\(at [0-9a-f]{12}, not yet at ${pushed.slice(0, 12)}\\)\\.$`));
  });

  it('refuses inputs that cannot work, naming them', async () => {
    const env = { ARGOCD_SERVER: 'argocd.example.com', ARGOCD_AUTH_TOKEN: TOKEN };
    expect((await commandError(waitForArgoSync, { revision: 'abc' }, { env })).message).toBe(
      'wait-for-argo-sync needs input "applications", input "selector" or input "children-of"; set at least one of them.',
    );
    expect((await commandError(waitForArgoSync, { applications: 'a', analysis: 'x.yaml', 'analysis-template': 'y.yaml' }, { env })).message).toBe(
      'Input "analysis" and input "analysis-template" cannot be used together; give only one of them.',
    );
    expect((await commandError(waitForArgoSync, { applications: 'a', username: 'me' }, { env, style: 'cli' })).message).toContain('--username is set but --password is not');
    const windowTooLong = await commandError(
      waitForArgoSync,
      { applications: 'a', 'prometheus-url': 'http://127.0.0.1:9', timeout: '60', analysis: 'interval: 30s\ncount: 10\nmetrics:\n  - name: accuracy\n    query: up\n    min: 1\n' },
      { env },
    );
    expect(windowTooLong.message).toBe(
      'The analysis window of 300 s does not fit in input "timeout" (60 s), which covers the wait and the analysis; raise input "timeout" or shorten the window (interval × count).',
    );
    const noPrometheus = await commandError(waitForArgoSync, { applications: 'a', analysis: 'interval: 1s\ncount: 1\nmetrics:\n  - name: a\n    query: up\n    min: 1\n' }, { env });
    expect(noPrometheus.message).toBe('Input "analysis" is given but no Prometheus to query; set input "prometheus-url" (or PROMETHEUS_URL).');
  });
});

describe('wait-for-argo-sync with a post-deployment analysis (real Prometheus)', () => {
  let prometheus: PrometheusServer;
  let gateway: TenantGateway;
  let shared: { repo: ManifestRepo; sim: ArgoCdSimulator };

  beforeAll(async () => {
    // One simulator for every analysis case: churn 3 is good (accuracy 0.93), churn 4 regressed (0.62).
    shared = await setup(
      (bare) => [
        { name: 'churn-good', repo: bare, path: 'envs/good' },
        { name: 'churn-bad', repo: bare, path: 'envs/bad' },
      ],
      { metrics: { churn: { '3': { accuracy: 0.93 }, '4': { accuracy: 0.62 } } } },
      true,
    );
    prometheus = await startPrometheus({ targets: [new URL(shared.sim.url).host], scrapeIntervalSeconds: 1 });
    gateway = await startTenantGateway(prometheus.url, { bearerToken: PROM_TOKEN });
    await waitForSeries(prometheus.url, 'model_accuracy{version="4"}', 30_000);
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    await prometheus?.stop();
    await shared?.sim.close();
    expect(shared?.sim.violations ?? []).toEqual([]);
    await removeTempDirs();
  });

  const analysis = (options: { count?: number; failureLimit?: number; query?: string; inconclusive?: string } = {}): string =>
    [
      'interval: 1s',
      `count: ${options.count ?? 3}`,
      `inconclusive: ${options.inconclusive ?? 'fail'}`,
      'metrics:',
      '  - name: accuracy',
      `    query: '${options.query ?? 'avg(model_accuracy{model="{model}", version="{version}"})'}'`,
      '    min: 0.8',
      `    failure-limit: ${options.failureLimit ?? 0}`,
      '',
    ].join('\n');

  const base = (app: string, version: string) => ({
    server: shared.sim.url,
    'auth-token': TOKEN,
    applications: app,
    'prometheus-url': prometheus.url,
    'model-name': 'churn',
    'model-version': version,
    environment: 'prod',
  });

  it.concurrent('a good version stays within its threshold for the whole window: healthy, no earlier than the window, with a chart', async () => {
    const started = Date.now();
    const { outputs, ctx } = await runCommand(waitForArgoSync, { ...base('churn-good', '3'), revision: await shared.repo.head(), analysis: analysis() });
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(outputs).toMatchObject({ result: 'healthy', analysis: 'successful' });
    const [metric] = outputs.measurements as { name: string; query: string; threshold: string; verdict: string; values: { value: number; time: string }[] }[];
    expect(metric).toMatchObject({ name: 'accuracy', query: 'avg(model_accuracy{model="churn", version="3"})', threshold: 'min 0.8', verdict: 'successful' });
    expect(metric?.values.map((value) => value.value)).toEqual([0.93, 0.93, 0.93]);
    const summary = ctx.summaries.join('\n');
    expect(summary).toContain('```mermaid\nxychart-beta');
    expect(summary).toContain('#### accuracy: ✅ successful');
  });

  it.concurrent('a regressed version fails within failure-limit + 1 intervals, naming the metric, its values and the threshold', async () => {
    const started = Date.now();
    const error = await commandError(waitForArgoSync, { ...base('churn-bad', '4'), analysis: analysis({ count: 10, failureLimit: 1 }) });
    expect(Date.now() - started).toBeLessThan(2 * 1000 + 2_500);
    expect(error.message).toBe('The post-deployment analysis failed: accuracy fell to 0.62 (min 0.8) in 2 of 2 measurements.');
    expect(error.outputs).toMatchObject({ result: 'analysis-failed', analysis: 'failed' });
  });

  it.concurrent('a PromQL syntax error fails before the window with the server\'s message and the metric', async () => {
    const started = Date.now();
    const error: UserError = await commandError(waitForArgoSync, { ...base('churn-good', '3'), analysis: analysis({ count: 30, query: 'avg(model_accuracy{model="{model}"' }) });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error.message).toMatch(/^Prometheus at http:\/\/127\.0\.0\.1:\d+\/ refused the query of metric "accuracy" \(line 5 of the inline analysis\): bad_data: .*parse error.*; fix the query in the inline analysis\.$/);
    expect(error.outputs).toMatchObject({ result: 'analysis-failed', analysis: 'failed' });
  });

  it.concurrent('no data is inconclusive: it passes or fails as the analysis says', async () => {
    const passed = await runCommand(waitForArgoSync, { ...base('churn-good', '99'), analysis: analysis({ count: 1, inconclusive: 'pass' }) });
    expect(passed.outputs).toMatchObject({ result: 'healthy', analysis: 'inconclusive' });
    const failed = await commandError(waitForArgoSync, { ...base('churn-good', '99'), analysis: analysis({ count: 3, inconclusive: 'fail' }) });
    expect(failed.outputs).toMatchObject({ result: 'analysis-failed', analysis: 'inconclusive' });
    expect(failed.message).toBe('The post-deployment analysis was inconclusive: accuracy returned no data in 1 of 1 measurement.');
  });

  it.concurrent('passes a Mimir-style tenant header and the bearer token, and logs neither the token', async () => {
    const { outputs, ctx } = await runCommand(waitForArgoSync, {
      ...base('churn-good', '3'),
      'prometheus-url': gateway.url,
      'prometheus-token': PROM_TOKEN,
      'prometheus-headers': 'X-Scope-OrgID: team-a',
      analysis: analysis({ count: 1 }),
    });
    expect(outputs).toMatchObject({ result: 'healthy', analysis: 'successful' });
    expect(gateway.requests.length).toBeGreaterThanOrEqual(2);
    expect(gateway.requests.every((request) => request.headers['x-scope-orgid'] === 'team-a' && request.headers.authorization === `Bearer ${PROM_TOKEN}`)).toBe(true);
    expect(ctx.secrets).toContain(PROM_TOKEN);
    expect(everything(ctx, outputs)).not.toContain(PROM_TOKEN);
    expect(everything(ctx, outputs)).not.toContain(TOKEN);
  });

  it.concurrent('runs an Argo Rollouts AnalysisTemplate with successCondition: result[0] >= 0.8', async () => {
    const template = [
      'apiVersion: argoproj.io/v1alpha1',
      'kind: AnalysisTemplate',
      'metadata:',
      '  name: churn-accuracy',
      'spec:',
      '  args:',
      '    - name: model',
      '    - name: version',
      '  metrics:',
      '    - name: accuracy',
      '      interval: 1s',
      '      count: 2',
      '      successCondition: result[0] >= 0.8',
      '      failureLimit: 0',
      '      provider:',
      '        prometheus:',
      '          query: avg(model_accuracy{model="{{args.model}}", version="{{args.version}}"})',
      '',
    ].join('\n');
    const { outputs } = await runCommand(waitForArgoSync, { ...base('churn-good', '3'), 'analysis-template': template });
    expect(outputs).toMatchObject({ result: 'healthy', analysis: 'successful' });
    const bad = await commandError(waitForArgoSync, { ...base('churn-bad', '4'), 'analysis-template': template });
    expect(bad.message).toBe('The post-deployment analysis failed: accuracy did not meet "result[0] >= 0.8" in 1 of 1 measurement (values 0.62).');
  });
});
