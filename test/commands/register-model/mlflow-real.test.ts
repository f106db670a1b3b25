/** register-model end to end against the real MLflow server the test run starts (see test/support/global-setup.ts). */
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registerModel } from '../../../src/commands/register-model/index.ts';
import { UserError } from '../../../src/lib/errors.ts';
import { openRegistry } from '../../../src/lib/registry/index.ts';
import { readModelUriMetrics } from '../../../src/lib/registry/model-uri.ts';
import { IDEMPOTENCY_KEY_TAG, ROLLED_BACK_TAG } from '../../../src/lib/registry/tags.ts';
import { runActionScript } from '../../support/action-runner.ts';
import type { RecordedContext } from '../../support/context.ts';
import { startFaultProxy, type FaultRule } from '../../support/fault-proxy.ts';
import { mlflowApi, seedRun } from '../../support/mlflow-server.ts';
import { commandError, runCommand } from '../../support/run-command.ts';

const url = inject('mlflowUrl');
const env = {
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_REPOSITORY: 'acme/churn',
  GITHUB_RUN_ID: '77',
  GITHUB_ACTOR: 'octocat',
  GITHUB_EVENT_NAME: 'workflow_dispatch',
  MLFLOW_TRACKING_URI: url,
};

interface ApiVersion {
  version: string;
  current_stage: string;
  tags?: { key: string; value: string }[];
  aliases?: string[];
}

let workspace: string;
let run: { runId: string; artifactUri: string };
beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'register-model-mlflow-'));
  await cp(path.resolve('test/fixtures/register-model/evaluation-report.json'), path.join(workspace, 'report.json'));
  run = await seedRun(url, [
    { key: 'f1', value: 0.9, timestamp: 1_000 },
    { key: 'accuracy', value: 0.93, timestamp: 1_000 },
  ]);
});
afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

async function register(
  raw: Record<string, string>,
  overrides: Record<string, string> = {},
): Promise<{ outputs: Record<string, unknown>; ctx: RecordedContext }> {
  const { outputs, ctx } = await runCommand(registerModel, raw, { env: { ...env, ...overrides }, workspace });
  return { outputs, ctx };
}

async function getVersion(name: string, version: string): Promise<ApiVersion> {
  return (await mlflowApi<{ model_version: ApiVersion }>(url, 'GET', 'model-versions/get', { name, version })).model_version;
}

const tagsOf = (version: ApiVersion) => Object.fromEntries((version.tags ?? []).map((t) => [t.key, t.value]));

describe('register-model against a real MLflow server', () => {
  it('registers once with lineage and evaluation tags, waits for READY, sets the alias, and reuses on a re-run', async () => {
    const name = `churn-${randomUUID().slice(0, 8)}`;
    const raw = {
      'model-name': name,
      source: `${run.artifactUri}/model`,
      'run-id': run.runId,
      alias: 'challenger',
      'evaluation-report': 'report.json',
    };
    const first = await register(raw);
    expect(first.outputs).toEqual({ version: '1', 'model-uri': `models:/${name}/1`, created: true });
    const stored = await getVersion(name, '1');
    expect(stored.aliases).toEqual(['challenger']);
    expect(tagsOf(stored)).toMatchObject({
      'ml-gitops.commit': env.GITHUB_SHA,
      'ml-gitops.workflow-run-url': 'https://github.com/acme/churn/actions/runs/77',
      'evaluation.decision': 'promote',
      'metric.f1': '0.91',
    });
    expect(tagsOf(stored)[IDEMPOTENCY_KEY_TAG]).toMatch(/^[0-9a-f]{64}$/);
    expect(first.ctx.summaries.join('\n')).toContain(`[1](${url}/#/models/${name}/versions/1)`);

    const again = await register(raw);
    expect(again.outputs).toEqual({ ...first.outputs, created: false });
    const { model_versions: versions = [] } = await mlflowApi<{ model_versions?: ApiVersion[] }>(url, 'GET', 'model-versions/search', {
      filter: `name='${name}'`,
    });
    expect(versions).toHaveLength(1);

    // The metrics of the aliased version: the run's, overlaid by the report's metric.<key> tags.
    const registry = openRegistry({ uri: url, env, workspace, setSecret: () => undefined });
    expect(await readModelUriMetrics(`models:/${name}@challenger`, registry)).toEqual({
      name,
      version: '1',
      metrics: { accuracy: 0.93, f1: 0.91, roc_auc: 0.95 },
    });
  });

  it('refuses to alias a rolled-back version', async () => {
    const name = `churn-${randomUUID().slice(0, 8)}`;
    const raw = { 'model-name': name, source: 's3://bucket/churn/model' };
    await register(raw);
    await mlflowApi(url, 'POST', 'model-versions/set-tag', { name, version: '1', key: ROLLED_BACK_TAG, value: 'true' });
    const error = await register({ ...raw, alias: 'champion' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/rolled back/);
    expect((await getVersion(name, '1')).aliases ?? []).toEqual([]);
  });

  it('passes on the message of a source MLflow refuses', async () => {
    const error = await register({ 'model-name': `churn-${randomUUID().slice(0, 8)}`, source: '/tmp/../etc/model' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).input).toBe('source');
    expect((error as UserError).message).toMatch(/MLflow refused to register \/tmp\/\.\.\/etc\/model/);
  });

  // Issue 9 item 7: a tracking URI with a wrong path prefix put MLflow's 404 page into the error.
  it('says there is no MLflow API at a URL with a wrong path prefix, in one sentence', async () => {
    const error = await commandError(
      registerModel,
      { 'model-name': `churn-${randomUUID().slice(0, 8)}`, source: 's3://bucket/churn/model', 'registry-uri': `${url}/mlflow` },
      { env: { GITHUB_SHA: env.GITHUB_SHA }, workspace },
    );
    expect(error.message).toMatch(
      /^There is no MLflow API at http:\/\/127\.0\.0\.1:\d+\/mlflow: it answered HTTP 404 with a web page while creating model churn-\w+; check input "registry-uri" \(or MLFLOW_TRACKING_URI\): it must be the tracking server's base URL \(a wrong path prefix answers 404\)\.$/,
    );
    expect(error.input).toBe('registry-uri');
  });

  // Issue 9 item 7: an alias pointed at an existing version, nothing registered.
  it('points an alias at an existing version with input version', async () => {
    const name = `churn-${randomUUID().slice(0, 8)}`;
    await register({ 'model-name': name, source: 's3://bucket/churn/model' });
    await register({ 'model-name': name, source: 's3://bucket/churn/model' }, { GITHUB_SHA: 'f'.repeat(40) });
    const { outputs } = await register({ 'model-name': name, version: '1', alias: 'champion', tags: 'approved=yes' });
    expect(outputs).toEqual({ version: '1', 'model-uri': `models:/${name}/1`, created: false });
    const stored = await getVersion(name, '1');
    expect(stored.aliases).toEqual(['champion']);
    expect(tagsOf(stored)).toMatchObject({ approved: 'yes', 'ml-gitops.commit': env.GITHUB_SHA });
    const missing = await commandError(registerModel, { 'model-name': name, version: '9', alias: 'champion' }, { env, workspace });
    expect(missing.message).toBe(`Model "${name}" has no version 9 in ${url}: check input "version", or pass input "source" instead to register a new version.`);
  });

  it('moves the legacy stage when asked to', async () => {
    const name = `churn-${randomUUID().slice(0, 8)}`;
    await register({ 'model-name': name, source: 's3://bucket/churn/model', stage: 'Staging' });
    const stored = await getVersion(name, '1');
    expect(stored.current_stage).toBe('Staging');
    expect(stored.aliases).toEqual(['staging']);
  });

  it('runs as a GitHub Action with INPUT_* variables', () => {
    const name = `churn-${randomUUID().slice(0, 8)}`;
    const run = runActionScript(
      path.resolve('src/entrypoints/register-model.ts'),
      { 'model-name': name, source: 's3://bucket/churn/model', alias: 'challenger' },
      { cwd: workspace, env: { MLFLOW_TRACKING_URI: url, GITHUB_SHA: env.GITHUB_SHA } },
    );
    expect(run.stderr).toBe('');
    expect(run.outputs).toEqual({ version: '1', 'model-uri': `models:/${name}/1`, created: 'true' });
    expect(run.summary).toContain(`[1](${url}/#/models/${name}/versions/1)`);
  });

  describe('through a misbehaving network', () => {
    const scenarios: [string, FaultRule[]][] = [
      ['the create is processed but its answer is lost', [{ method: 'POST', path: 'model-versions/create', fault: { kind: 'reset-after' } }]],
      ['the create answers 503 once', [{ method: 'POST', path: 'model-versions/create', fault: { kind: 'status', status: 503 } }]],
      ['the alias is set but its answer is lost', [{ method: 'POST', path: 'registered-models/alias', fault: { kind: 'reset-after' } }]],
      [
        'the search answers 429 with Retry-After',
        [{ method: 'GET', path: 'model-versions/search', fault: { kind: 'status', status: 429, retryAfter: '0' } }],
      ],
    ];
    it.each(scenarios)('ends with one tagged version and the alias on it when %s', { timeout: 120_000 }, async (_label, rules) => {
      const proxy = await startFaultProxy(url, rules);
      try {
        const name = `churn-${randomUUID().slice(0, 8)}`;
        const raw = { 'model-name': name, source: 's3://bucket/churn/model', alias: 'challenger', 'registry-uri': proxy.url };
        const { outputs } = await register(raw, { MLFLOW_TRACKING_URI: '' });
        expect(outputs).toMatchObject({ version: '1' });
        expect(proxy.requests.some((request) => request.fault !== undefined)).toBe(true);
        const { model_versions: versions = [] } = await mlflowApi<{ model_versions?: ApiVersion[] }>(url, 'GET', 'model-versions/search', {
          filter: `name='${name}'`,
        });
        expect(versions).toHaveLength(1);
        const stored = await getVersion(name, '1');
        expect(stored.aliases).toEqual(['challenger']);
        expect(tagsOf(stored)).toMatchObject({ 'ml-gitops.commit': env.GITHUB_SHA, 'ml-gitops.repository': 'acme/churn' });
        expect(tagsOf(stored)[IDEMPOTENCY_KEY_TAG]).toMatch(/^[0-9a-f]{64}$/);
      } finally {
        await proxy.close();
      }
    });
  });
});
