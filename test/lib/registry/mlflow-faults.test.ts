/**
 * A registration through a proxy that injects failures, checked against the real server behind it: whatever went
 * wrong on the way, exactly one version exists, with all its tags, and the alias points to it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMlflowRegistry } from '../../../src/lib/registry/mlflow.ts';
import type { ModelRegistry } from '../../../src/lib/registry/types.ts';
import { startFaultProxy, type FaultProxy, type FaultRule } from '../../support/fault-proxy.ts';
import { mlflowApi } from '../../support/mlflow-server.ts';

const url = inject('mlflowUrl');
/** Per attempt; the delay faults hold past it. */
const REQUEST_TIMEOUT_MS = 1_000;
const PAST_TIMEOUT_MS = 1_600;

const IDEMPOTENCY_TAG = 'ml-gitops.idempotency';
const CREATE_TAGS = { 'git.commit': '0123abc', 'ci.run': 'https://ci.example/run/1' };
const LATER_TAGS = { decision: 'promote', 'metric.accuracy': '0.91' };

async function register(registry: ModelRegistry, name: string): Promise<{ version: string; created: boolean }> {
  await registry.ensureModel(name, 'fault scenario');
  const { version, created } = await registry.createVersion({
    name,
    source: 's3://bucket/models/model',
    tags: CREATE_TAGS,
    idempotencyKey: { tag: IDEMPOTENCY_TAG, value: `${name}@0123abc` },
  });
  await registry.setTags(name, version.version, LATER_TAGS);
  await registry.setAlias(name, 'challenger', version.version);
  return { version: version.version, created };
}

/** Reads the server directly (not through the proxy or ml-gitops code). */
async function assertRegisteredOnce(name: string, version: string): Promise<void> {
  const { model_versions: versions = [] } = await mlflowApi<{ model_versions?: { version: string; tags?: { key: string; value: string }[] }[] }>(
    url,
    'GET',
    'model-versions/search',
    { filter: `name='${name}'` },
  );
  expect(versions.map((v) => v.version)).toEqual([version]);
  const tags = Object.fromEntries((versions[0]?.tags ?? []).map((tag) => [tag.key, tag.value]));
  expect(tags).toEqual({ ...CREATE_TAGS, ...LATER_TAGS, [IDEMPOTENCY_TAG]: `${name}@0123abc` });
  const { model_version: aliased } = await mlflowApi<{ model_version: { version: string } }>(url, 'GET', 'registered-models/alias', {
    name,
    alias: 'challenger',
  });
  expect(aliased.version).toBe(version);
}

const createModel = 'registered-models/create';
const search = 'model-versions/search';
const createVersion = 'model-versions/create';
const setTag = 'model-versions/set-tag';
const alias = 'registered-models/alias';

const scenarios: { title: string; rules: FaultRule[] }[] = [
  { title: '500 instead of creating the version', rules: [{ method: 'POST', path: createVersion, fault: { kind: 'status', status: 500 } }] },
  { title: '503 instead of creating the model', rules: [{ method: 'POST', path: createModel, fault: { kind: 'status', status: 503 } }] },
  {
    title: '429 with Retry-After seconds on create-version',
    rules: [{ method: 'POST', path: createVersion, fault: { kind: 'status', status: 429, retryAfter: '1', body: { error_code: 'REQUEST_LIMIT_EXCEEDED' } } }],
  },
  {
    title: '429 with a Retry-After date on the alias',
    rules: [{ method: 'POST', path: alias, fault: { kind: 'status', status: 429, retryAfter: new Date(Date.now() - 1_000).toUTCString() } }],
  },
  { title: 'two 503s on the search', rules: [{ path: search, attempts: [1, 2], fault: { kind: 'status', status: 503 } }] },
  {
    title: '500 on a tag and 502 on the alias',
    rules: [
      { path: setTag, attempts: [2], fault: { kind: 'status', status: 500 } },
      { path: alias, fault: { kind: 'status', status: 502 } },
    ],
  },
  { title: 'the create-version answer delayed past the timeout', rules: [{ path: createVersion, fault: { kind: 'delay', ms: PAST_TIMEOUT_MS, when: 'after' } }] },
  { title: 'the alias request held past the timeout', rules: [{ path: alias, fault: { kind: 'delay', ms: PAST_TIMEOUT_MS, when: 'before' } }] },
  { title: 'the search answer delayed past the timeout', rules: [{ path: search, fault: { kind: 'delay', ms: PAST_TIMEOUT_MS, when: 'after' } }] },
  { title: 'reset before forwarding create-version', rules: [{ path: createVersion, fault: { kind: 'reset-before' } }] },
  { title: 'reset after the server created the version', rules: [{ path: createVersion, fault: { kind: 'reset-after' } }] },
  { title: 'reset after the server created the model', rules: [{ path: createModel, fault: { kind: 'reset-after' } }] },
  { title: 'reset after the server set a tag', rules: [{ path: setTag, fault: { kind: 'reset-after' } }] },
  { title: 'reset after the server set the alias', rules: [{ path: alias, fault: { kind: 'reset-after' } }] },
  {
    title: 'reset after create-version, then a 503 on the search that follows',
    rules: [
      { path: createVersion, fault: { kind: 'reset-after' } },
      { path: search, attempts: [2], fault: { kind: 'status', status: 503 } },
    ],
  },
];

describe('MLflow registration through injected faults', () => {
  let proxy: FaultProxy;
  let registry: ModelRegistry;
  beforeAll(async () => {
    proxy = await startFaultProxy(url);
    registry = createMlflowRegistry({
      trackingUri: proxy.url,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      totalTimeoutMs: 30_000,
      retry: { initialDelayMs: 50, jitterMs: 50, maxDelayMs: 400 },
    });
  });
  afterAll(async () => {
    await proxy.close();
  });

  for (const scenario of scenarios) {
    it(`leaves exactly one tagged, aliased version after ${scenario.title}`, async () => {
      const name = `faults-${randomUUID().slice(0, 8)}`;
      proxy.setRules(scenario.rules);
      const before = proxy.requests.length;
      const result = await register(registry, name);
      const injected = proxy.requests.slice(before).filter((request) => request.fault !== undefined);
      expect(injected.length).toBe(scenario.rules.reduce((sum, rule) => sum + (rule.attempts === undefined ? 1 : (rule.attempts as number[]).length), 0));
      expect(result).toEqual({ version: '1', created: true });
      await assertRegisteredOnce(name, '1');
    });
  }

  it('reuses the version when the registration runs again after a reset', async () => {
    const name = `faults-${randomUUID().slice(0, 8)}`;
    proxy.setRules([{ path: createVersion, fault: { kind: 'reset-after' } }]);
    expect(await register(registry, name)).toEqual({ version: '1', created: true });
    proxy.setRules([{ path: alias, fault: { kind: 'reset-after' } }]);
    expect(await register(registry, name)).toEqual({ version: '1', created: false });
    await assertRegisteredOnce(name, '1');
  });
});
