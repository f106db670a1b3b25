import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { renderInputRefs, UserError } from '../../../src/lib/errors.ts';
import { createMlflowRegistry } from '../../../src/lib/registry/mlflow.ts';
import { versionMetrics, versionTagFilter } from '../../../src/lib/registry/mlflow-wire.ts';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts';
import { mlflowApi, seedRun } from '../../support/mlflow-server.ts';
import { freePort } from '../../support/ports.ts';

const url = inject('mlflowUrl');
const fastRetry = { initialDelayMs: 10, jitterMs: 10, maxDelayMs: 100 };

function modelName(): string {
  return `model-${randomUUID().slice(0, 8)}`;
}

function registry(options: Partial<Parameters<typeof createMlflowRegistry>[0]> = {}) {
  return createMlflowRegistry({ trackingUri: url, retry: fastRetry, totalTimeoutMs: 20_000, ...options });
}

async function errorOf(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  // As the Action adapter prints it (`input "registry-uri"`).
  const { message, input } = error as UserError;
  return new UserError(renderInputRefs(message, 'action'), input === undefined ? {} : { input });
}

describe('MLflow registry against a real server', () => {
  let run: { runId: string; artifactUri: string };
  beforeAll(async () => {
    run = await seedRun(url, [
      { key: 'accuracy', value: 0.8, timestamp: 1_000, step: 0 },
      { key: 'accuracy', value: 0.9, timestamp: 2_000, step: 1 },
      { key: 'f1', value: 0.7, timestamp: 1_000 },
    ]);
  });

  it('creates a model once and treats "already exists" as success', async () => {
    const name = modelName();
    const reg = registry();
    await reg.ensureModel(name, 'first');
    await reg.ensureModel(name, 'second');
    const { registered_model: model } = await mlflowApi<{ registered_model: { name: string; description?: string } }>(
      url,
      'GET',
      'registered-models/get',
      { name },
    );
    expect(model).toMatchObject({ name, description: 'first' });
  });

  it('creates a version idempotently, from a run artifact URI, and finds it by tag', async () => {
    const name = modelName();
    const reg = registry();
    await reg.ensureModel(name);
    const request = {
      name,
      source: `${run.artifactUri}/model`,
      runId: run.runId,
      description: 'trained on main',
      tags: { 'git.commit': 'abc123' },
      idempotencyKey: { tag: 'ml-gitops.idempotency', value: "key-with-'quote" },
    };
    const first = await reg.createVersion(request);
    expect(first.created).toBe(true);
    expect(first.version).toMatchObject({
      name,
      version: '1',
      source: `${run.artifactUri}/model`,
      runId: run.runId,
      status: 'READY',
      description: 'trained on main',
      tags: { 'git.commit': 'abc123', 'ml-gitops.idempotency': "key-with-'quote" },
    });
    expect(first.version.createdAt).toBeGreaterThan(0);

    const again = await reg.createVersion(request);
    expect(again).toEqual({ version: expect.objectContaining({ version: '1' }), created: false });

    const second = await reg.createVersion({ ...request, source: `runs:/${run.runId}/model`, idempotencyKey: { tag: 'ml-gitops.idempotency', value: 'other' } });
    expect(second).toMatchObject({ created: true, version: { version: '2', source: `runs:/${run.runId}/model` } });

    expect((await reg.listVersions(name)).map((v) => v.version)).toEqual(['2', '1']);
    expect((await reg.findVersionByTag(name, 'ml-gitops.idempotency', "key-with-'quote"))?.version).toBe('1');
    expect((await reg.findVersionByTag(name, 'ml-gitops.idempotency', 'absent'))).toBeUndefined();
    expect((await reg.getVersion(name, '2'))?.version).toBe('2');
    expect(await reg.getVersion(name, '9')).toBeUndefined();
    expect(await reg.getVersion(modelName(), '1')).toBeUndefined();
    expect(await reg.listVersions(modelName())).toEqual([]);
  });

  it('registers an MLflow 3 logged model by models:/<model_id> with its model_id', async () => {
    const { experiment_id: experimentId } = await mlflowApi<{ experiment_id: string }>(url, 'POST', 'experiments/create', { name: modelName() });
    const { model } = await mlflowApi<{ model: { info: { model_id: string } } }>(url, 'POST', 'logged-models', { experiment_id: experimentId, name: 'clf' });
    const modelId = model.info.model_id;
    const name = modelName();
    const reg = registry();
    await reg.ensureModel(name);
    const { version } = await reg.createVersion({ name, source: `models:/${modelId}`, modelId, tags: {}, idempotencyKey: { tag: 'idem', value: 'lm' } });
    expect(version).toMatchObject({ version: '1', source: `models:/${modelId}`, status: 'READY' });
  });

  it('sets tags and moves, reads and deletes aliases', async () => {
    const name = modelName();
    const reg = registry();
    await reg.ensureModel(name);
    const key = (value: string) => ({ tag: 'idem', value });
    await reg.createVersion({ name, source: 's3://bucket/a', tags: {}, idempotencyKey: key('a') });
    await reg.createVersion({ name, source: 's3://bucket/b', tags: {}, idempotencyKey: key('b') });
    await reg.setTags(name, '1', { decision: 'promote', 'metric.accuracy': '0.93' });
    expect((await reg.getVersion(name, '1'))?.tags).toEqual({ idem: 'a', decision: 'promote', 'metric.accuracy': '0.93' });

    expect(await reg.getAlias(name, 'champion')).toBeUndefined();
    expect(await reg.getAlias(modelName(), 'champion')).toBeUndefined();
    await reg.setAlias(name, 'champion', '1');
    expect((await reg.getAlias(name, 'champion'))?.version).toBe('1');
    await reg.setAlias(name, 'champion', '2');
    const champion = await reg.getAlias(name, 'champion');
    expect(champion).toMatchObject({ version: '2', aliases: ['champion'] });
    await reg.deleteAlias(name, 'champion');
    await reg.deleteAlias(name, 'champion');
    expect(await reg.getAlias(name, 'champion')).toBeUndefined();
  });

  it("reads a version's metrics from its run, overlaid by metric.<key> tags", async () => {
    const name = modelName();
    const reg = registry();
    await reg.ensureModel(name);
    const { version } = await reg.createVersion({
      name,
      source: `runs:/${run.runId}/model`,
      runId: run.runId,
      tags: { 'metric.f1': '0.75', 'metric.latency_ms': '12', 'metric.note': 'n/a' },
      idempotencyKey: { tag: 'idem', value: '1' },
    });
    expect(await reg.getVersionMetrics(name, version.version)).toEqual({ accuracy: 0.9, f1: 0.75, latency_ms: 12 });
    await expect(reg.getVersionMetrics(name, '42')).rejects.toThrow(/has no version 42/);
  });

  it('moves the legacy stage along with the alias only when asked to', async () => {
    const name = modelName();
    await registry().ensureModel(name);
    await registry().createVersion({ name, source: 's3://bucket/a', tags: {}, idempotencyKey: { tag: 'idem', value: 'a' } });
    await registry().setAlias(name, 'production', '1');
    const stageOf = async () =>
      (await mlflowApi<{ model_version: { current_stage: string } }>(url, 'GET', 'model-versions/get', { name, version: '1' })).model_version
        .current_stage;
    expect(await stageOf()).toBe('None');
    await registry({ legacyStages: true }).setAlias(name, 'Production', '1');
    expect(await stageOf()).toBe('Production');
  });

  it('counts requests per kind of call', async () => {
    const calls: string[] = [];
    const reg = registry({ onRequest: (method, path) => calls.push(`${method} ${path}`) });
    const name = modelName();
    await reg.ensureModel(name);
    await reg.createVersion({ name, source: 's3://bucket/a', tags: {}, idempotencyKey: { tag: 'idem', value: 'a' } });
    await reg.setAlias(name, 'challenger', '1');
    expect(calls).toEqual([
      'POST registered-models/create',
      'GET model-versions/search',
      'POST model-versions/create',
      'POST registered-models/alias',
    ]);
  });

  it('links to the version in the MLflow UI and names the server without credentials', () => {
    const reg = createMlflowRegistry({ trackingUri: 'https://user:secret@mlflow.example.com/prefix/' });
    expect(reg.location).toBe('https://mlflow.example.com/prefix');
    expect(reg.versionUrl('my model', '3')).toBe('https://mlflow.example.com/prefix/#/models/my%20model/versions/3');
  });
});

describe('MLflow registry errors', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(url);
  });
  afterAll(async () => {
    await proxy.close();
  });

  it('repeats what MLflow says about a source it refuses', async () => {
    const name = modelName();
    const reg = registry();
    await reg.ensureModel(name);
    const error = await errorOf(reg.createVersion({ name, source: '/tmp/model', tags: {}, idempotencyKey: { tag: 'idem', value: 'x' } }));
    expect(error.input).toBe('source');
    expect(error.message).toMatch(/^MLflow refused to register \/tmp\/model as a version of model model-\w+: Invalid model version source: '\/tmp\/model'/);
  });

  it('says the model is missing when registering a version of an unknown model', async () => {
    const error = await errorOf(registry().createVersion({ name: modelName(), source: 's3://b/x', tags: {}, idempotencyKey: { tag: 'idem', value: 'x' } }));
    expect(error.message).toMatch(/has no registered model model-\w+ \(.*\); create it/);
  });

  it('names the credential inputs and variables on 401, never the token', async () => {
    proxy.setRules([{ path: /./, attempts: 'all', fault: { kind: 'status', status: 401, body: { error_code: 'UNAUTHENTICATED', message: 'Invalid token' } } }]);
    const reg = registry({ trackingUri: proxy.url, auth: { kind: 'bearer', token: 'tok-s3cret' } });
    const error = await errorOf(reg.ensureModel(modelName()));
    expect(error.message).toBe(
      `The MLflow server at ${proxy.url} rejected the credentials while creating model ${error.message.match(/model-\w+/)![0]} (UNAUTHENTICATED: Invalid token); ` +
        'set input "registry-token" (or MLFLOW_TRACKING_TOKEN), or input "registry-username" and input "registry-password" (or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD).',
    );
    expect(error.input).toBe('registry-token');
    expect(error.message).not.toContain('s3cret');
  });

  it('says permission is denied on 403', async () => {
    proxy.setRules([{ path: /./, attempts: 'all', fault: { kind: 'status', status: 403, body: { error_code: 'PERMISSION_DENIED', message: 'no' } } }]);
    const reg = registry({ trackingUri: proxy.url, auth: { kind: 'basic', username: 'ci', password: 'pw-s3cret' } });
    const error = await errorOf(reg.setAlias('m', 'champion', '1'));
    expect(error.message).toMatch(/denied permission while pointing the alias champion of model m at version 1 \(PERMISSION_DENIED: no\); use credentials/);
    expect(error.message).toContain('MLFLOW_TRACKING_USERNAME');
    expect(error.message).not.toContain('s3cret');
  });

  it('passes other MLflow errors on with their code and message', async () => {
    proxy.setRules([{ path: /./, attempts: 'all', fault: { kind: 'status', status: 400, body: { error_code: 'BAD_REQUEST', message: 'nope' } } }]);
    const error = await errorOf(registry({ trackingUri: proxy.url }).setTags('m', '1', { a: 'b' }));
    expect(error.message).toBe(`MLflow at ${proxy.url} failed while setting the tag a on version 1 of model m: BAD_REQUEST: nope.`);
  });

  it('says which server is unreachable and what the network said', async () => {
    const port = await freePort();
    const reg = registry({ trackingUri: `http://127.0.0.1:${port}`, retry: { ...fastRetry, maxRetries: 1 } });
    const error = await errorOf(reg.getVersion('m', '1'));
    expect(error.message).toBe(
      `Could not reach the MLflow server at http://127.0.0.1:${port} while reading version 1 of model m (connection refused); check input "registry-uri" (or MLFLOW_TRACKING_URI) and that the server is running.`,
    );
    expect(error.input).toBe('registry-uri');
  });

  it('refuses a registry URI that is not http(s)', () => {
    expect(() => createMlflowRegistry({ trackingUri: 'ftp://host/x' })).toThrow(/must start with http:\/\/ or https:\/\//);
    expect(() => createMlflowRegistry({ trackingUri: 'not a url' })).toThrow(/not a valid URL/);
  });
});

describe('MLflow wire format', () => {
  it('quotes filter values with whichever quote they do not contain', () => {
    expect(versionTagFilter('m', 'k', 'v')).toBe("name='m' AND tags.`k`='v'");
    expect(versionTagFilter("it's", 'k', 'v')).toBe(`name="it's" AND tags.\`k\`='v'`);
    expect(versionTagFilter('m', 'k', `both ' and "`)).toBeUndefined();
    expect(versionTagFilter('m', 'a`b', 'v')).toBeUndefined();
  });

  it('takes the run metrics and lets numeric metric.<key> tags override them', () => {
    const run = { data: { metrics: [{ key: 'a', value: 1 }, { key: 'b', value: 2 }] } };
    expect(versionMetrics(run, { 'metric.b': '3', 'metric.c': '1e-3', 'metric.d': 'x', 'metric.': '1', other: '5' })).toEqual({ a: 1, b: 3, c: 0.001 });
    expect(versionMetrics(undefined, {})).toEqual({});
  });
});
