/**
 * The analysis against a REAL Prometheus scraping "the model serving its metrics" every second: windows of 3
 * measurements 1 s apart. Each case serves its own model's series, so the cases run concurrently.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAnalysis, parseAnalysisTemplate, renderAnalysisReport, runAnalysis } from '../../../src/lib/analysis/index.ts';
import { UserError } from '../../../src/lib/errors.ts';
import { createPrometheusClient, type PrometheusClient } from '../../../src/lib/prometheus.ts';
import {
  startMetricsEndpoint,
  startPrometheus,
  startTenantGateway,
  waitForSeries,
  type MetricsEndpoint,
  type PrometheusServer,
  type TenantGateway,
} from '../../support/prometheus.ts';

let prometheus: PrometheusServer;
let endpoint: MetricsEndpoint;
let gateway: TenantGateway;
const clients: PrometheusClient[] = [];

const TOKEN = 'prom-token-5f1d2c9a';

beforeAll(async () => {
  endpoint = await startMetricsEndpoint();
  endpoint.set('ml_model_up', {}, 1);
  prometheus = await startPrometheus({ targets: [endpoint.target], scrapeIntervalSeconds: 1 });
  gateway = await startTenantGateway(prometheus.url, { bearerToken: TOKEN });
  // The first scrape of a new target waits for Prometheus's discovery (about 5 s); later series show within a second.
  await waitForSeries(prometheus.url, 'ml_model_up');
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await gateway?.close();
  await prometheus?.stop();
  await endpoint?.close();
});

function client(options: { url?: string; token?: string; headers?: Record<string, string> } = {}): PrometheusClient {
  const created = createPrometheusClient({ url: options.url ?? prometheus.url, ...options, http: { retry: { maxRetries: 0 } } });
  clients.push(created);
  return created;
}

/** Serves the model's accuracy and waits until Prometheus has scraped it. */
async function serve(model: string, version: string, accuracy: number): Promise<void> {
  endpoint.set('ml_model_accuracy', { model, version }, accuracy);
  await waitForSeries(prometheus.url, `ml_model_accuracy{model="${model}",version="${version}"}`);
}

const ANALYSIS = (inconclusive = 'fail', failureLimit = 0): string => `
interval: 1s
count: 3
inconclusive: ${inconclusive}
metrics:
  - name: accuracy
    query: avg(ml_model_accuracy{model="{model}", version="{version}"})
    min: 0.8
    failure-limit: ${failureLimit}
`;

function recorder(): { lines: string[]; info: (message: string) => void } {
  const lines: string[] = [];
  return { lines, info: (message) => void lines.push(message) };
}

describe.concurrent('runAnalysis against a real Prometheus', () => {
  test('a good version stays within its threshold for the whole window: successful, no earlier than interval × count', async () => {
    await serve('good', '3', 0.91);
    const started = Date.now();
    const result = await runAnalysis({ analysis: parseAnalysis(ANALYSIS(), 'analysis.yaml').plan, client: client(), placeholders: { model: 'good', version: '3' } });
    const elapsed = Date.now() - started;
    expect(result.result).toBe('successful');
    expect(result.passed).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(3_000);
    expect(elapsed).toBeLessThan(6_000);
    const metric = result.measurements[0]!;
    expect(metric.query).toBe('avg(ml_model_accuracy{model="good", version="3"})');
    expect(metric.values.map((m) => m.value)).toEqual([0.91, 0.91, 0.91]);
    expect(metric.values.every((m) => m.phase === 'successful' && !Number.isNaN(Date.parse(m.time)))).toBe(true);
    const report = renderAnalysisReport(result);
    expect(report).toContain('| accuracy | min 0.8 | 0.91, 0.91, 0.91 | ✅ successful (3 of 3) |');
    expect(report).toContain('```mermaid\nxychart-beta');
  });

  test('a bad version fails within failure-limit + 1 intervals, naming the metric, its value and the threshold', async () => {
    await serve('bad', '4', 0.62);
    const started = Date.now();
    const result = await runAnalysis({ analysis: parseAnalysis(ANALYSIS('fail', 1), 'analysis.yaml').plan, client: client(), placeholders: { model: 'bad', version: '4' } });
    const elapsed = Date.now() - started;
    expect(result.result).toBe('failed');
    expect(result.failure).toBe('accuracy fell to 0.62 (min 0.8) in 2 of 2 measurements');
    // failure-limit 1: the second failed measurement ends it; the third is never taken.
    expect(result.measurements[0]!.values).toHaveLength(2);
    expect(elapsed).toBeLessThan((1 + 1) * 1_000 + 1_500);
    expect(elapsed).toBeGreaterThanOrEqual(2_000);
  });

  test('a version that degrades mid-window fails at its first failed measurement', async () => {
    await serve('degrading', '5', 0.9);
    const analysis = parseAnalysis(ANALYSIS(), undefined).plan;
    const log = recorder();
    const running = runAnalysis({ analysis, client: client(), placeholders: { model: 'degrading', version: '5' }, log });
    // After the first measurement (at 1 s), the model starts answering badly.
    setTimeout(() => endpoint.set('ml_model_accuracy', { model: 'degrading', version: '5' }, 0.5), 1_300);
    const result = await running;
    expect(result.result).toBe('failed');
    expect(result.failure).toMatch(/^accuracy fell to 0\.5 \(min 0\.8\) in 1 of [23] measurements$/);
    expect(log.lines.some((line) => line.startsWith('accuracy [1/3]: 0.9 (min 0.8) successful'))).toBe(true);
  });

  test('no data with inconclusive: fail → inconclusive and not passed, at the first measurement', async () => {
    const started = Date.now();
    const result = await runAnalysis({ analysis: parseAnalysis(ANALYSIS('fail'), undefined).plan, client: client(), placeholders: { model: 'absent', version: '1' } });
    expect(result).toMatchObject({ result: 'inconclusive', passed: false, failure: 'accuracy returned no data in 1 of 1 measurement' });
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  test('no data with inconclusive: pass → inconclusive and passed, after the whole window', async () => {
    const started = Date.now();
    const result = await runAnalysis({ analysis: parseAnalysis(ANALYSIS('pass'), undefined).plan, client: client(), placeholders: { model: 'absent', version: '2' } });
    expect(result).toMatchObject({ result: 'inconclusive', passed: true });
    expect(result.measurements[0]!.values.map((m) => m.phase)).toEqual(['inconclusive', 'inconclusive', 'inconclusive']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
  });

  test('a PromQL syntax error fails before the window with the server\'s message and the metric\'s name', async () => {
    const analysis = parseAnalysis(
      'interval: 1s\ncount: 3\nmetrics:\n  - name: accuracy\n    query: avg(ml_model_accuracy{model="{model}"}\n    min: 0.8\n  - name: latency\n    query: histogram_quantile(0.95, x)\n    max: 1\n',
      'analysis.yaml',
    ).plan;
    const started = Date.now();
    const error = await runAnalysis({ analysis, client: client(), placeholders: { model: 'x' } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(
      new RegExp(`^Prometheus at ${prometheus.url}/ refused the query of metric "accuracy" \\(analysis.yaml:4:5\\): bad_data: invalid parameter "query": 1:\\d+: parse error: unclosed left parenthesis; fix the query in analysis.yaml\\.$`),
    );
  });

  test('an unknown function fails before the window too', async () => {
    const analysis = parseAnalysis('interval: 1s\ncount: 3\nmetrics:\n  - { name: accuracy, query: "averag(ml_model_accuracy)", min: 0.8 }\n', 'analysis.yaml').plan;
    await expect(runAnalysis({ analysis, client: client() })).rejects.toThrow('unknown function with name "averag"');
  });

  test('through a Mimir-style gateway: X-Scope-OrgID and the token arrive; the token is never in a log, result, report or error', async () => {
    await serve('tenant', '8', 0.95);
    const log = recorder();
    const before = gateway.requests.length;
    const result = await runAnalysis({
      analysis: parseAnalysis(ANALYSIS(), undefined).plan,
      client: client({ url: gateway.url, token: TOKEN, headers: { 'X-Scope-OrgID': 'team-a' } }),
      placeholders: { model: 'tenant', version: '8' },
      log,
    });
    expect(result.result).toBe('successful');
    const sent = gateway.requests.slice(before);
    expect(sent).toHaveLength(4);
    expect(sent.every((r) => r.headers['x-scope-orgid'] === 'team-a' && r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);

    // Without the tenant: refused in seconds, the gateway's words, and still no token anywhere.
    const refused = await runAnalysis({
      analysis: parseAnalysis(ANALYSIS(), undefined).plan,
      client: client({ url: gateway.url, token: TOKEN }),
      placeholders: { model: 'tenant', version: '8' },
      log,
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(refused?.message).toMatch(/refused the query of metric "accuracy" \(line 6 of the inline analysis\) with HTTP 401: no org id; check .*prometheus-token.* and, for a multi-tenant server, .*prometheus-headers/);
    const everything = [...log.lines, JSON.stringify(result), renderAnalysisReport(result), refused?.message, refused?.stack].join('\n');
    expect(everything).not.toContain(TOKEN);
  });

  test('an Argo Rollouts AnalysisTemplate with successCondition: result[0] >= 0.8 and args', async () => {
    await serve('templated', '9', 0.85);
    endpoint.set('ml_model_accuracy', { model: 'templated', version: '10' }, 0.7);
    await waitForSeries(prometheus.url, 'ml_model_accuracy{model="templated",version="10"}');
    const template = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: accuracy
spec:
  args:
    - name: model
    - name: version
  metrics:
    - name: accuracy
      interval: 1s
      count: 3
      successCondition: result[0] >= 0.8
      provider:
        prometheus:
          address: http://prometheus.monitoring.svc:9090
          query: avg(ml_model_accuracy{model="{{args.model}}", version="{{args.version}}"})
`;
    const good = parseAnalysisTemplate(template, 'template.yaml', { model: 'templated', version: '9' });
    expect(good.addresses).toEqual(['http://prometheus.monitoring.svc:9090']);
    const started = Date.now();
    const passed = await runAnalysis({ analysis: good.plan, client: client() });
    expect(passed.result).toBe('successful');
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(passed.measurements[0]).toMatchObject({ query: 'avg(ml_model_accuracy{model="templated", version="9"})', threshold: 'success: result[0] >= 0.8' });

    const bad = parseAnalysisTemplate(template, 'template.yaml', { model: 'templated', version: '10' });
    const failed = await runAnalysis({ analysis: bad.plan, client: client() });
    expect(failed.result).toBe('failed');
    expect(failed.failure).toBe('accuracy did not meet "result[0] >= 0.8" in 1 of 1 measurement (values 0.7)');
  });
});
