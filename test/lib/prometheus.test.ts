/**
 * The Prometheus query client against a REAL Prometheus (Debian's package, installed by the test setup where missing)
 * scraping a metrics endpoint the test controls every second, and a Mimir-style tenant gateway in front of it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PrometheusQueryError, createPrometheusClient, type PrometheusClient } from '../../src/lib/prometheus.ts';
import { freePort } from '../support/ports.ts';
import {
  startMetricsEndpoint,
  startPrometheus,
  startTenantGateway,
  waitForSeries,
  type MetricsEndpoint,
  type PrometheusServer,
  type TenantGateway,
} from '../support/prometheus.ts';

let prometheus: PrometheusServer;
let endpoint: MetricsEndpoint;
let gateway: TenantGateway;
let client: PrometheusClient;

beforeAll(async () => {
  endpoint = await startMetricsEndpoint();
  endpoint.set('ml_model_accuracy', { model: 'churn', version: '3' }, 0.91);
  endpoint.set('ml_model_accuracy', { model: 'churn', version: '4' }, 0.62);
  endpoint.set('ml_model_drift', { model: 'churn', version: '3' }, Number.NaN);
  prometheus = await startPrometheus({ targets: [endpoint.target], scrapeIntervalSeconds: 1 });
  gateway = await startTenantGateway(prometheus.url, { bearerToken: 'secret-token-123' });
  client = createPrometheusClient({ url: prometheus.url });
  await waitForSeries(prometheus.url, 'ml_model_accuracy');
}, 60_000);

afterAll(async () => {
  await client?.close();
  await gateway?.close();
  await prometheus?.stop();
  await endpoint?.close();
});

const failure = async (promise: Promise<unknown>): Promise<PrometheusQueryError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PrometheusQueryError);
  return error as PrometheusQueryError;
};

describe('createPrometheusClient().query against a real Prometheus', () => {
  test('an instant vector: each series with its labels, value and evaluation time', async () => {
    const before = Date.now();
    const answer = await client.query('ml_model_accuracy{model="churn"}');
    expect(answer.resultType).toBe('vector');
    if (answer.resultType !== 'vector') return;
    const byVersion = Object.fromEntries(answer.series.map((s) => [s.labels.version, s.sample.value]));
    expect(byVersion).toEqual({ '3': 0.91, '4': 0.62 });
    expect(answer.series[0]!.labels).toMatchObject({ __name__: 'ml_model_accuracy', job: 'model', instance: endpoint.target });
    expect(answer.series[0]!.sample.time).toBeGreaterThanOrEqual(before - 1_000);
  });

  test('a scalar, NaN and an empty vector (no data)', async () => {
    expect(await client.query('scalar(ml_model_accuracy{version="3"})')).toMatchObject({ resultType: 'scalar', sample: { value: 0.91 } });
    const nan = await client.query('ml_model_drift');
    expect(nan.resultType === 'vector' && Number.isNaN(nan.series[0]!.sample.value)).toBe(true);
    expect(await client.query('ml_model_accuracy{version="999"}')).toEqual({ resultType: 'vector', series: [] });
    expect(await client.query('1/0')).toMatchObject({ resultType: 'scalar', sample: { value: Number.POSITIVE_INFINITY } });
  });

  test('a range vector and a string are told apart, for the analysis to refuse', async () => {
    expect(await client.query('ml_model_accuracy[10s]')).toMatchObject({ resultType: 'matrix' });
    expect(await client.query('"text"')).toEqual({ resultType: 'string', value: 'text' });
  });

  test('an evaluation time in the past: nothing was scraped then', async () => {
    expect(await client.query('ml_model_accuracy', { time: new Date(Date.now() - 3_600_000) })).toEqual({ resultType: 'vector', series: [] });
  });

  test('a PromQL syntax error and an unknown function: kind "query" with the server\'s own message', async () => {
    const syntax = await failure(client.query('sum(rate(ml_model_accuracy[1m])'));
    expect(syntax.kind).toBe('query');
    expect(syntax.status).toBe(400);
    expect(syntax.serverMessage).toMatch(/^bad_data: invalid parameter "query": 1:\d+: parse error: unclosed left parenthesis$/);
    const unknown = await failure(client.query('no_such_function(ml_model_accuracy)'));
    expect(unknown.serverMessage).toContain('unknown function with name "no_such_function"');
  });

  test('a URL that is not the API root: kind "not-found"', async () => {
    const wrong = createPrometheusClient({ url: `${prometheus.url}/api/v1`, http: { retry: { maxRetries: 0 } } });
    const error = await failure(wrong.query('up'));
    expect(error.kind).toBe('not-found');
    expect(error.serverMessage).toBe('HTTP 404: 404 page not found');
    await wrong.close();
  });

  test('nothing listening: kind "network"', async () => {
    const nowhere = createPrometheusClient({ url: `http://127.0.0.1:${await freePort()}`, http: { retry: { maxRetries: 0 } } });
    const error = await failure(nowhere.query('up'));
    expect(error.kind).toBe('network');
    expect(error.serverMessage).toBe('connection refused');
    await nowhere.close();
  });
});

describe('through a Mimir-style tenant gateway', () => {
  test('the bearer token and X-Scope-OrgID go with every query', async () => {
    const tenant = createPrometheusClient({ url: gateway.url, token: 'secret-token-123', headers: { 'X-Scope-OrgID': 'team-a' } });
    const answer = await tenant.query('scalar(ml_model_accuracy{version="3"})');
    expect(answer).toMatchObject({ resultType: 'scalar', sample: { value: 0.91 } });
    const seen = gateway.requests.at(-1)!;
    expect(seen.headers['x-scope-orgid']).toBe('team-a');
    expect(seen.headers.authorization).toBe('Bearer secret-token-123');
    expect(seen.url).toMatch(/^\/api\/v1\/query\?query=/);
    await tenant.close();
  });

  test('without the tenant header: kind "auth" with the gateway\'s words; the token is in no message', async () => {
    const noTenant = createPrometheusClient({ url: gateway.url, token: 'secret-token-123' });
    const error = await failure(noTenant.query('up'));
    expect(error.kind).toBe('auth');
    expect(error.serverMessage).toBe('HTTP 401: no org id');
    expect(JSON.stringify({ message: error.message, stack: error.stack })).not.toContain('secret-token-123');
    await noTenant.close();
  });

  test('a wrong token: kind "auth", status 401', async () => {
    const wrongToken = createPrometheusClient({ url: gateway.url, token: 'wrong', headers: { 'X-Scope-OrgID': 'team-a' } });
    const error = await failure(wrongToken.query('up'));
    expect(error).toMatchObject({ kind: 'auth', status: 401, serverMessage: 'HTTP 401: Unauthorized' });
    await wrongToken.close();
  });
});

describe('the test peer itself', () => {
  test('a shared Prometheus picks up an endpoint registered later, from any process (file_sd)', async () => {
    const late = await startMetricsEndpoint();
    late.set('ml_model_latency_seconds', { model: 'late' }, 0.2);
    const remove = await prometheus.addTargets([late.target]);
    await waitForSeries(prometheus.url, 'ml_model_latency_seconds{model="late"}', 20_000);
    expect(late.scrapes).toBeGreaterThan(0);
    await remove();
    await late.close();
  }, 30_000);
});
