/**
 * wait-for-argo-sync end to end, in-process: the Argo CD simulator (real bare git repositories) and, for the
 * post-deployment analysis, ONE real Prometheus per file scraping the model metrics the simulator serves for the
 * version each app runs (so a bad candidate fails on a metric regression, not only on Degraded).
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { trackSimulators } from '../../support/argocd-simulator/cleanup.ts';
import { removeTempDirs, tempDir } from '../../support/git-repos.ts';
import { freePort } from '../../support/ports.ts';
import { startTcpForwarder } from '../../support/tcp-forwarder.ts';
import { startPrometheus, startTenantGateway, waitForSeries, type PrometheusServer, type TenantGateway } from '../../support/prometheus.ts';
import { commandError, runCommand } from '../../support/run-command.ts';

const fast: ArgoCdSimulatorOptions = { refreshDelayMs: 5, operationStartMs: 5, syncDurationMs: 20, progressingMs: 30, pollIntervalMs: 600_000 };
const TOKEN = 'argocd-token-3b7c1e9f5a';
const PROM_TOKEN = 'prom-token-8d2e4f6a1c';

const { track } = trackSimulators();

async function setup(apps: (bare: string) => SimAppDefinition[], options: ArgoCdSimulatorOptions = {}, keep = false): Promise<{ repo: ManifestRepo; sim: ArgoCdSimulator }> {
  const repo = await createManifestRepo({
    'envs/prod/values.yaml': modelValues(1),
    'envs/prod/serving.yaml': servingDeployment(1),
    'envs/good/values.yaml': modelValues(3),
    'envs/bad/values.yaml': modelValues(4),
  });
  const sim = await startArgoCdSimulator({ ...fast, tokens: { [TOKEN]: 'ci' }, ...options, apps: apps(repo.bare) });
  if (!keep) track(sim);
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
    // The session token fetched with the password is masked too.
    expect(ctx.secrets).toContain('s3cret-pass-word');
    expect(ctx.secrets.filter((secret) => secret !== 's3cret-pass-word')).toHaveLength(1);
  });

  it('a wrong password names --username and --password (not --auth-token), and never shows the password', async () => {
    const { sim } = await setup((bare) => [prod(bare)], { users: { deployer: 's3cret-pass-word' } });
    const inputs = { server: sim.url, username: 'deployer', password: 'wr0ng-pass-word', applications: 'churn-prod', timeout: '5' };
    const error = await commandError(waitForArgoSync, inputs, { style: 'cli' });
    expect(error.message).toBe(`Argo CD at ${sim.url} refused the login of user deployer (HTTP 401: Invalid username or password); check --username and --password.`);
    expect(error.message).not.toContain('wr0ng-pass-word');
  });

  it('a selector Argo CD cannot parse names input "selector", with the server\'s reason and the syntax', async () => {
    const { sim } = await setup((bare) => [prod(bare, { labels: { team: 'ml' } })]);
    const error = await commandError(waitForArgoSync, { server: sim.url, 'auth-token': TOKEN, selector: 'team in (ml', timeout: '5' });
    expect(error.message).toBe(
      'Input "selector" "team in (ml" is not a Kubernetes label selector Argo CD can parse (error parsing the selector: unable to parse requirement: "team in (ml"); write it as kubectl takes it, e.g. team=ml or team in (ml,ai).',
    );
    expect(error.input).toBe('selector');
  });

  it('refuses a sync option Argo CD would silently ignore before any request, and warns about sync-options without sync', async () => {
    const { repo, sim } = await setup((bare) => [prod(bare)]);
    const base = { server: sim.url, 'auth-token': TOKEN, applications: 'churn-prod', sync: 'true', timeout: '5' };
    const typo = await commandError(waitForArgoSync, { ...base, 'sync-options': 'ServrSideApply=true' }, { style: 'cli' });
    expect(typo.message).toBe(
      '--sync-options line "ServrSideApply=true" is not an Argo CD sync option (did you mean "ServerSideApply"?), and Argo CD would ignore it silently; write Name=value lines such as ServerSideApply=true.',
    );
    const value = await commandError(waitForArgoSync, { ...base, 'sync-options': 'Validate=true\nPrunePropagationPolicy=forground' });
    expect(value.message).toBe(
      'Input "sync-options" line "PrunePropagationPolicy=forground" gives PrunePropagationPolicy the value "forground"; write PrunePropagationPolicy=foreground or PrunePropagationPolicy=background or PrunePropagationPolicy=orphan.',
    );
    expect(sim.requests).toEqual([]);
    const pushed = await pushVersion(repo, 2);
    const { ctx } = await runCommand(waitForArgoSync, { ...base, sync: 'false', revision: pushed, 'sync-options': 'ServerSideApply=true', prune: 'true', timeout: '30' });
    expect(ctx.warnings).toContain('Input "sync-options" and input "prune" only apply when input "sync" is true; it is not, so they are not used.');
  });

  it('honours project for a single application (a project typo is not found, not ignored) and refuses a path that is no directory', async () => {
    const { repo, sim } = await setup((bare) => [prod(bare)]);
    const pushed = await pushVersion(repo, 2);
    const base = { server: sim.url, 'auth-token': TOKEN, applications: 'churn-prod', revision: pushed, timeout: '4' };
    const typo = await commandError(waitForArgoSync, { ...base, project: 'defualt' });
    expect(typo.message).toMatch(/^Argo CD at \S+ still reports application churn-prod as not found or not permitted after [\d.]+ s of waiting for [0-9a-f]{12} \(.*\): check the name and project,/);
    const { outputs } = await runCommand(waitForArgoSync, { ...base, project: 'default', timeout: '30' });
    expect(outputs).toMatchObject({ result: 'healthy', revision: pushed });
    const noPath = await commandError(waitForArgoSync, { ...base, path: 'no-such-checkout' }, { style: 'cli' });
    expect(noPath.message).toBe('--path "no-such-checkout" is not a directory; give the checkout of the manifest repository (e.g. the path of actions/checkout), or leave it out.');
  });

  it('https:// to a plain-http server says so, and a ca-cert that is a directory or holds no PEM is refused', async () => {
    const { sim } = await setup((bare) => [prod(bare)]);
    const https = sim.url.replace(/^http:/, 'https:');
    const base = { server: https, 'auth-token': TOKEN, applications: 'churn-prod', timeout: '5' };
    const plain = await commandError(waitForArgoSync, base, { style: 'cli' });
    expect(plain.message).toBe(
      `Could not reach Argo CD at ${https} while reading application churn-prod (the server does not speak TLS at this address; if it serves plain http, write http:// (ERR_SSL_WRONG_VERSION_NUMBER)); check --server and that the server is running.`,
    );
    const workspace = await tempDir('argocd-ca-');
    await writeFile(path.join(workspace, 'values.yaml'), 'a: 1\n');
    const directory = await commandError(waitForArgoSync, { ...base, 'ca-cert': '.' }, { workspace });
    expect(directory.message).toBe('Input "ca-cert" names a directory (.), not a file; give the CA certificate file itself (PEM) or its text.');
    const notPem = await commandError(waitForArgoSync, { ...base, 'ca-cert': 'values.yaml' }, { workspace });
    expect(notPem.message).toBe('Input "ca-cert" names a file with no PEM certificate in it (values.yaml); give a file holding -----BEGIN CERTIFICATE----- blocks.');
  });

  it('refuses a timeout longer than a week (a timer that large would fire at once)', async () => {
    const error = await commandError(waitForArgoSync, { server: 'http://127.0.0.1:9', 'auth-token': TOKEN, applications: 'churn-prod', timeout: '99999999999' }, { style: 'cli' });
    expect(error.message).toBe('--timeout must be at most 604800 seconds (got "99999999999").');
    const duration = await commandError(waitForArgoSync, { server: 'http://127.0.0.1:9', 'auth-token': TOKEN, applications: 'churn-prod', timeout: '10m' });
    expect(duration.message).toBe('Input "timeout" must be a number of seconds (got "10m").');
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

  it('waits for the children of an app-of-apps parent, read from its status.resources (they carry no label a selector could find)', async () => {
    const { repo, sim } = await setup((bare) => [
      prod(bare, { name: 'platform-root', children: ['churn-eu', 'churn-us'] }),
      prod(bare, { name: 'churn-eu' }),
      prod(bare, { name: 'churn-us' }),
      prod(bare, { name: 'unrelated' }),
    ]);
    const pushed = await pushVersion(repo, 2);
    const { outputs, ctx } = await runCommand(waitForArgoSync, { server: sim.url, 'auth-token': TOKEN, 'children-of': 'platform-root', revision: pushed });
    expect(outputs).toMatchObject({ result: 'healthy', revision: pushed });
    const apps = outputs.applications as { name: string; revision: string; health: string }[];
    expect(apps.map((app) => app.name)).toEqual(['churn-eu', 'churn-us']);
    expect(apps.every((app) => app.revision === pushed && app.health === 'Healthy')).toBe(true);
    expect(ctx.summaries.join('\n')).toContain(`[churn-us](${sim.url}/applications/argocd/churn-us)`);
    // The parent is read once for its children; the children share one unfiltered stream (never one per child).
    expect(sim.requests.filter((request) => request.route === 'GET /api/v1/applications/{name}' && request.path.endsWith('/platform-root'))).toHaveLength(1);
    expect(sim.streamsOpened).toBeLessThanOrEqual(1);

    const childless = await commandError(waitForArgoSync, { server: sim.url, 'auth-token': TOKEN, 'children-of': 'churn-eu', revision: pushed });
    expect(childless.message).toBe(
      'The Argo CD application churn-eu lists no child Application in its status.resources, so there is nothing to wait for; check that it is an app-of-apps parent.',
    );
  });

  it('fails an app that stays "not found or not permitted" (403) after the grace period, in one sentence', async () => {
    const { repo, sim } = await setup((bare) => [prod(bare)]);
    const head = await repo.head();
    const started = Date.now();
    // The grace period is 60 s, or half the timeout when that is shorter: here 1 s of a 2 s timeout.
    const error = await commandError(waitForArgoSync, { server: sim.url, 'auth-token': TOKEN, applications: 'churn-prod\nchurn-ghost', revision: head, timeout: '2' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.outputs).toMatchObject({ result: 'failed' });
    expect(error.message).toMatch(
      new RegExp(
        `^Argo CD at ${sim.url.replace(/\./g, '\\.')} still reports application churn-ghost as not found or not permitted after 1\\.\\d s of waiting for ${head.slice(0, 12)} \\(permission denied\\): check the name, that the ApplicationSet or parent app meant to create it did, and that the token's RBAC lets it read the app\\.$`,
      ),
    );
    const ghost = (error.outputs?.applications as { name: string; state: string }[]).find((app) => app.name === 'churn-ghost');
    expect(ghost).toMatchObject({ state: 'failed', sync: 'Unknown', health: 'Unknown' });
    expect(sim.requests.filter((request) => request.path.endsWith('/churn-ghost') && request.status === 403).length).toBeGreaterThanOrEqual(2);
  });

  it('never puts the token in a log line, summary, output, error or URL, whether the wait succeeds, fails or is refused', async () => {
    const { repo, sim } = await setup((bare) => [prod(bare), prod(bare, { name: 'churn-eu' })]);
    sim.markBad(2, 'readiness probe failed');
    const pushed = await pushVersion(repo, 2);
    const header = 'X-Proxy-Secret: proxy-secret-5e1f0c';
    const runs = [
      await commandError(waitForArgoSync, { server: sim.url, 'auth-token': TOKEN, headers: header, applications: 'churn-prod', revision: pushed }, { env: {} }),
      await commandError(waitForArgoSync, { server: sim.url, applications: 'churn-ghost', revision: pushed, timeout: '1' }, { env: { ARGOCD_AUTH_TOKEN: TOKEN } }),
      await commandError(waitForArgoSync, { server: sim.url, 'auth-token': `${TOKEN}-revoked`, applications: 'churn-prod', revision: pushed }),
    ];
    expect(runs.map((error) => error.outputs?.result)).toEqual(['degraded', 'failed', undefined]);
    expect(runs[2]?.message).toMatch(/^Argo CD at .* rejected the credentials/i);
    const ok = await runCommand(waitForArgoSync, { server: sim.url, 'auth-token': TOKEN, headers: header, applications: 'churn-eu', revision: pushed, health: 'false' });
    expect(ok.outputs.result).toBe('healthy');
    expect(ok.ctx.secrets).toEqual(expect.arrayContaining([TOKEN, 'proxy-secret-5e1f0c']));
    const seen = [...runs.map((error) => `${error.message}\n${JSON.stringify(error.outputs ?? {})}`), everything(ok.ctx, ok.outputs), ...sim.requests.map((request) => `${request.path}?${JSON.stringify(request.query)}`)].join('\n');
    for (const secret of [TOKEN, 'proxy-secret-5e1f0c']) expect(seen).not.toContain(secret);
    // The header did reach the server, and the token went only in the Authorization header.
    expect(sim.requests.some((request) => request.headers['x-proxy-secret'] === 'proxy-secret-5e1f0c')).toBe(true);
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

describe('wait-for-argo-sync: the unhealthy workload in the failure', () => {
  it('names the Deployment of an app whose folder holds only Helm values, with its message, when a bad model version turns it Degraded', async () => {
    const { repo, sim } = await setup((bare) => [{ name: 'churn-good', repo: bare, path: 'envs/good' }]);
    sim.markBad(5, 'readiness probe failed: model 5 cannot load');
    const pushed = await repo.commit({ 'envs/good/values.yaml': modelValues(5) }, 'Bump churn to 5');
    const error = await commandError(waitForArgoSync, { server: sim.url, 'auth-token': TOKEN, applications: 'churn-good', revision: pushed }, { style: 'cli' });
    expect(error.message).toBe(
      `Argo CD application churn-good is Degraded at ${pushed.slice(0, 12)}; unhealthy resources: Deployment/churn-good: Degraded (readiness probe failed: model 5 cannot load).`,
    );
    expect(error.outputs).toMatchObject({ result: 'degraded', applications: [expect.objectContaining({ unhealthy: ['Deployment/churn-good: Degraded (readiness probe failed: model 5 cannot load)'] })] });
  });

  it.each(['wait', 'succeed', 'fail'] as const)('fails within one event on an aborted canary Rollout with the Rollout\'s message (on-suspended %s)', async (mode) => {
    const { repo, sim } = await setup((bare) => [prod(bare)]);
    sim.markAborted(2);
    const pushed = await repo.commit({ 'envs/prod/values.yaml': modelValues(2), 'envs/prod/serving.yaml': servingDeployment(2, 'churn-serving', 'Rollout') }, 'Bump churn to 2');
    // Where the simulator's request log stood when the app turned Degraded: the wait must make no request after it.
    let requestsAtDegraded: number | undefined;
    sim.onUpdate((_type, app) => {
      if (requestsAtDegraded === undefined && (app.status.health as { status: string }).status === 'Degraded') requestsAtDegraded = sim.requests.length;
    });
    const error = await commandError(waitForArgoSync, { server: sim.url, 'auth-token': TOKEN, applications: 'churn-prod', revision: pushed, 'on-suspended': mode, timeout: '60' });
    expect(error.message).toBe(
      `Argo CD application churn-prod is Degraded at ${pushed.slice(0, 12)}; unhealthy resources: Rollout/churn-serving: Degraded (RolloutAborted: Rollout aborted update to revision 2: Metric "success-rate" assessed Failed due to failed (1) > failureLimit (0)).`,
    );
    expect(error.outputs).toMatchObject({ result: 'degraded', applications: [expect.objectContaining({ sync: 'Synced', health: 'Degraded', revision: pushed })] });
    expect(requestsAtDegraded).toBeDefined();
    expect(sim.requests.slice(requestsAtDegraded)).toEqual([]);
    expect(sim.streamsOpened).toBe(1);
  });
});

describe('wait-for-argo-sync against a server it cannot read', () => {
  const SHA = '0123456789abcdef0123456789abcdef01234567';

  /** Listens on a loopback port; answers `host:port` and a close that also ends open connections. */
  async function serve(server: net.Server): Promise<{ address: string; close: () => Promise<void> }> {
    const sockets = new Set<net.Socket>();
    server.on('connection', (socket: net.Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
      close: () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    };
  }

  it.concurrent('fails in seconds on a closed port, naming the server and --server, not after the timeout with "never read"', async () => {
    const server = `127.0.0.1:${await freePort()}`;
    const inputs = { server, plaintext: 'true', applications: 'churn', revision: SHA, 'auth-token': TOKEN };
    const started = Date.now();
    // The default timeout (600 s) and a timeout shorter than the retries (3 s) end alike: with the reason.
    const [byDefault, shortTimeout, bySelector] = await Promise.all([
      commandError(waitForArgoSync, inputs, { style: 'cli' }),
      commandError(waitForArgoSync, { ...inputs, timeout: '3' }, { style: 'cli' }),
      commandError(waitForArgoSync, { ...inputs, applications: undefined, selector: 'team=ml' }, { style: 'cli' }),
    ]);
    expect(Date.now() - started).toBeLessThan(20_000);
    const refused = `Could not reach Argo CD at http://${server} while reading application churn (connection refused); check --server and that the server is running.`;
    expect(byDefault.message).toBe(refused);
    expect(shortTimeout.message).toBe(refused);
    expect(bySelector.message).toBe(`Could not reach Argo CD at http://${server} while listing applications matching team=ml (connection refused); check --server and that the server is running.`);
    expect(byDefault.input).toBe('server');
  });

  it.concurrent('names input "server" in Action mode, and an unknown host as such', async () => {
    const server = `127.0.0.1:${await freePort()}`;
    const [refused, unknown] = await Promise.all([
      commandError(waitForArgoSync, { server: `http://${server}`, applications: 'churn', revision: SHA, 'auth-token': TOKEN }),
      commandError(waitForArgoSync, { server: 'argocd.invalid', applications: 'churn', revision: SHA, 'auth-token': TOKEN }),
    ]);
    expect(refused.message).toBe(`Could not reach Argo CD at http://${server} while reading application churn (connection refused); check input "server" and that the server is running.`);
    // `.invalid` never resolves (RFC 6761); a machine without a resolver says so instead.
    expect(unknown.message).toMatch(
      /^Could not reach Argo CD at https:\/\/argocd\.invalid while reading application churn \((host not found|host name lookup failed temporarily)\); check input "server" and that the server is running\.$/,
    );
  });

  it.concurrent('a server that accepts the connection and never answers ends the wait with why, not with "never read"', async () => {
    // A TCP server that accepts connections and never answers (a hung API server, a proxy that swallows requests).
    const silent = await serve(net.createServer(() => undefined));
    const server = silent.address;
    const error = await commandError(waitForArgoSync, { server, plaintext: 'true', applications: 'churn', revision: SHA, 'auth-token': TOKEN, timeout: '2' }, { style: 'cli' }).finally(silent.close);
    expect(error.message).toMatch(
      new RegExp(`^Argo CD at http://${server.replace(/\./g, '\\.')} did not answer while reading application churn \\(no answer within the time budget \\(\\d+ ms\\)\\); check --server and that the server is reachable\\.$`),
    );
    expect(error.message).not.toContain('never read');
  });

  it.concurrent('the username/password login to a server that never answers is bounded by --timeout too, naming the server, never the password', async () => {
    const silent = await serve(net.createServer(() => undefined));
    const server = silent.address;
    const inputs = { server, plaintext: 'true', applications: 'churn', revision: SHA, username: 'deployer', password: 'pa55-w0rd-never-shown', timeout: '2' };
    const error = await commandError(waitForArgoSync, inputs, { style: 'cli' }).finally(silent.close);
    const pattern = new RegExp(
      `^Argo CD at http://${server.replace(/\./g, '\\.')} did not answer while creating a session for user deployer \\(no answer within the time budget \\((\\d+) ms\\)\\); check --server and that the server is reachable\\.$`,
    );
    expect(error.message).toMatch(pattern);
    // The budget spent is the 2 s of --timeout, not the HTTP layer's default minute.
    expect(Number(pattern.exec(error.message)?.[1])).toBeLessThan(10_000);
    expect(error.message).not.toContain('pa55-w0rd-never-shown');
  });

  it.concurrent('a self-signed certificate fails at once naming --ca-cert and --insecure, and either fixes it', async (context) => {
    const dir = await tempDir('argocd-tls-');
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    try {
      await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
    } catch (error) {
      console.log(`skipped: openssl could not make a self-signed certificate (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
      context.skip();
      return;
    }
    // Behind the certificate, an API that refuses every token: reaching it proves the handshake passed.
    const server = https.createServer({ key: await readFile(key), cert: await readFile(cert) }, (_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid session: token signature is invalid', code: 16, message: 'invalid session: token signature is invalid', details: [] }));
    });
    const { address, close } = await serve(server);
    try {
      const inputs = { server: address, applications: 'churn', revision: SHA, 'auth-token': TOKEN };
      const started = Date.now();
      const untrusted = await commandError(waitForArgoSync, inputs, { style: 'cli' });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(untrusted.message).toBe(
        `Could not connect securely to Argo CD at https://${address} while reading application churn: the server's TLS certificate is self-signed and not trusted (DEPTH_ZERO_SELF_SIGNED_CERT); pass its certificate authority with --ca-cert or set --insecure to skip verification.`,
      );
      const rejected = `Argo CD at https://${address} rejected the credentials while reading application churn (HTTP 401: invalid session: token signature is invalid); check --auth-token.`;
      expect((await commandError(waitForArgoSync, { ...inputs, 'ca-cert': cert }, { style: 'cli' })).message).toBe(rejected);
      expect((await commandError(waitForArgoSync, { ...inputs, insecure: 'true' }, { style: 'cli' })).message).toBe(rejected);
    } finally {
      await close();
    }
  });

  it('keeps waiting through an API server restart in the middle of the wait: the stream reconnects and the wait succeeds', async () => {
    const { repo, sim } = await setup((bare) => [prod(bare)], { progressingMs: 2_500 });
    const target = new URL(sim.url);
    const forwarder = await startTcpForwarder({ host: target.hostname, port: Number(target.port) });
    const pushed = await pushVersion(repo, 2);
    const run = runCommand(waitForArgoSync, { server: forwarder.url, 'auth-token': TOKEN, applications: 'churn-prod', revision: pushed, timeout: '60' }, { style: 'cli' });
    const { outputs, ctx } = await (async () => {
      try {
        await sim.waitFor('churn-prod', (app) => (app.status.health as { status: string }).status === 'Progressing' && sim.openStreams === 1);
        await forwarder.down();
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        await forwarder.up();
        return await run;
      } finally {
        await forwarder.close();
      }
    })();
    expect(outputs).toMatchObject({ result: 'healthy', revision: pushed });
    const reopened = ctx.infos.filter((line) => line.startsWith('The Argo CD watch stream was re-opened'));
    expect(reopened.length).toBeGreaterThanOrEqual(1);
    expect(reopened.some((line) => line.includes('connection refused'))).toBe(true);
    expect(sim.streamsOpened).toBeGreaterThanOrEqual(2);
  });
});
