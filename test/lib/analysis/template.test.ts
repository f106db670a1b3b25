/** Argo Rollouts AnalysisTemplates: what is supported, what is refused (with a sentence), and the conditions. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConditionError, NoDataError, compileCondition, evaluateConditions, loadAnalysisTemplate, parseAnalysisTemplate } from '../../../src/lib/analysis/index.ts';
import { UserError, renderInputRefs } from '../../../src/lib/errors.ts';

/** The shape of Argo's own documentation example (success-rate with args and a prometheus provider). */
const ARGO_EXAMPLE = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
spec:
  args:
  - name: service-name
  - name: threshold
    value: "0.95"
  - name: count
    value: "5"
  metrics:
  - name: success-rate
    interval: 5m
    initialDelay: 1m
    count: "{{args.count}}"
    # NOTE: prometheus queries return results in the form of a vector.
    # So it is common to access the index 0 of the returned array to obtain the value
    successCondition: result[0] >= {{args.threshold}}
    failureLimit: 3
    inconclusiveLimit: 1
    consecutiveErrorLimit: 2
    provider:
      prometheus:
        address: http://prometheus.example.com:9090
        timeout: 40
        query: |
          sum(irate(
            istio_requests_total{reporter="source",destination_service=~"{{args.service-name}}",response_code!~"5.*"}[5m]
          )) /
          sum(irate(
            istio_requests_total{reporter="source",destination_service=~"{{args.service-name}}"}[5m]
          ))
`;

function refusal(text: string, args: Record<string, string> = { 'service-name': 'churn' }): string {
  try {
    parseAnalysisTemplate(text, 'template.yaml', args);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return renderInputRefs((error as Error).message, 'action');
  }
  throw new Error('expected a refusal');
}

const withMetric = (metric: string, spec = ''): string =>
  `apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: { name: t }\nspec:\n${spec}  metrics:\n  - name: m\n${metric}`;

describe('parseAnalysisTemplate', () => {
  test("Argo's example: args filled (the caller's, else the template's value), limits, delay, timeout, address", () => {
    const loaded = parseAnalysisTemplate(ARGO_EXAMPLE, 'template.yaml', { 'service-name': 'churn.ml.svc', threshold: '0.9' });
    expect(loaded).toMatchObject({ name: 'success-rate', kind: 'AnalysisTemplate', file: 'template.yaml', addresses: ['http://prometheus.example.com:9090'] });
    const metric = loaded.plan.metrics[0]!;
    expect(metric).toMatchObject({
      name: 'success-rate',
      intervalMs: 300_000,
      initialDelayMs: 60_000,
      count: 5,
      failureLimit: 3,
      inconclusiveLimit: 1,
      consecutiveErrorLimit: 2,
      queryTimeoutSeconds: 40,
      placeholders: false,
      dryRun: false,
      check: { kind: 'condition', successCondition: 'result[0] >= 0.9' },
      where: 'template.yaml:13:5',
    });
    expect(metric.query).toContain('destination_service=~"churn.ml.svc",response_code!~"5.*"');
    expect(loaded.plan.inconclusive).toBe('fail');
  });

  test('Argo defaults: one measurement without interval and count; four errors in a row tolerated', () => {
    const metric = parseAnalysisTemplate(withMetric('    successCondition: result[0] > 0\n    provider: { prometheus: { query: up } }\n'), undefined).plan.metrics[0]!;
    expect(metric).toMatchObject({ count: 1, intervalMs: 0, failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 4 });
  });

  test('a ClusterAnalysisTemplate, and a file of several documents with one template', () => {
    const cluster = ARGO_EXAMPLE.replace('kind: AnalysisTemplate', 'kind: ClusterAnalysisTemplate');
    expect(parseAnalysisTemplate(`apiVersion: v1\nkind: ConfigMap\n---\n${cluster}`, undefined, { 'service-name': 'a' }).kind).toBe('ClusterAnalysisTemplate');
  });

  test('dryRun marks matching metrics (a name or a regular expression); measurementRetention is accepted', () => {
    const plan = parseAnalysisTemplate(
      withMetric('    provider: { prometheus: { query: up } }\n  - name: other\n    provider: { prometheus: { query: up } }\n', '  dryRun: [{ metricName: "^m$" }]\n  measurementRetention: [{ metricName: m, limit: 5 }]\n'),
      undefined,
    ).plan;
    expect(plan.metrics.map((m) => [m.name, m.dryRun])).toEqual([['m', true], ['other', false]]);
  });

  test('loadAnalysisTemplate reads a file relative to the workspace', () => {
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-template-'));
    writeFileSync(path.join(workspace, 'analysis-template.yaml'), ARGO_EXAMPLE);
    expect(loadAnalysisTemplate('analysis-template.yaml', { 'service-name': 'a' }, { workspace }).plan.display).toBe('analysis-template.yaml');
  });
});

describe('what is refused, each with one sentence and the line', () => {
  test('a provider other than prometheus', () => {
    expect(refusal(withMetric('    provider:\n      datadog: { query: "avg:x" }\n'))).toBe(
      'The analysis template at template.yaml:8:7 uses the "datadog" provider; ml-gitops measures prometheus metrics only: rewrite the metric as a Prometheus query, or leave it to Argo Rollouts in the cluster.',
    );
  });

  test('an arg without a value, one from the cluster, and an undeclared one', () => {
    expect(refusal(ARGO_EXAMPLE, {})).toBe(
      'The analysis template at template.yaml:27:9 uses {{args.service-name}}, but the argument "service-name" has no value; give it a "value:" in spec.args or pass it as an argument.',
    );
    const secret = ARGO_EXAMPLE.replace('  - name: service-name\n', '  - name: service-name\n    valueFrom: { secretKeyRef: { name: s, key: k } }\n');
    expect(refusal(secret, {})).toContain('the argument "service-name" takes its value from the cluster (valueFrom), which CI cannot read, and has no value');
    expect(parseAnalysisTemplate(secret, undefined, { 'service-name': 'given' }).plan.metrics[0]!.query).toContain('"given"');
    expect(refusal(withMetric('    provider: { prometheus: { query: "up{a=\\"{{args.nope}}\\"}" } }\n'))).toBe(
      'The analysis template at template.yaml:7:31 uses {{args.nope}}, but spec.args declares no argument "nope"; add it to spec.args.',
    );
    expect(refusal(withMetric('    provider: { prometheus: { query: "{{workflow.name}}" } }\n'))).toContain('uses {{workflow.name}}; only {{args.NAME}} references are filled in outside the cluster.');
  });

  test('authentication, headers, insecure, rangeQuery, consecutiveSuccessLimit', () => {
    expect(refusal(withMetric('    provider:\n      prometheus:\n        query: up\n        authentication: { sigv4: { region: eu-west-1 } }\n'))).toBe(
      'The analysis template at template.yaml:10:9 sets authentication, which cannot be used outside the cluster; use input "prometheus-token" instead.',
    );
    expect(refusal(withMetric('    provider:\n      prometheus:\n        query: up\n        headers: [{ key: X-Scope-OrgID, value: t }]\n'))).toContain('sets headers; use input "prometheus-headers" instead');
    expect(refusal(withMetric('    provider:\n      prometheus: { query: up, insecure: true }\n'))).toContain('sets insecure: true, and ml-gitops always verifies TLS');
    expect(refusal(withMetric('    provider:\n      prometheus: { query: up, rangeQuery: { step: 1m } }\n'))).toContain('sets rangeQuery, which is not supported');
    expect(refusal(withMetric('    consecutiveSuccessLimit: 3\n    provider: { prometheus: { query: up } }\n'))).toContain('sets consecutiveSuccessLimit, which is not supported; use count and failureLimit.');
  });

  test('an interval without a count (Argo runs it forever), a count without an interval', () => {
    expect(refusal(withMetric('    interval: 1m\n    provider: { prometheus: { query: up } }\n'))).toBe(
      'The analysis template at template.yaml:7:5 sets an interval without a count, which Argo runs until the rollout ends; set count: the analysis must end for the workflow to go on, e.g. count: 10.',
    );
    expect(refusal(withMetric('    count: 3\n    provider: { prometheus: { query: up } }\n'))).toContain('has count 3 without an interval; set interval, e.g. interval: 30s.');
  });

  test('unknown keys get a did-you-mean; wrong kinds and apiVersions are named', () => {
    expect(refusal(withMetric('    sucessCondition: result[0] > 1\n    provider: { prometheus: { query: up } }\n'))).toContain(
      'has an unknown key "sucessCondition" in spec.metrics[0] (did you mean "successCondition"?)',
    );
    expect(refusal('apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nspec: {}\n')).toBe(
      'The analysis template at template.yaml:2:1 has kind "Rollout"; it must be an Argo Rollouts AnalysisTemplate or ClusterAnalysisTemplate (kind: AnalysisTemplate).',
    );
    expect(refusal(ARGO_EXAMPLE.replace('argoproj.io/v1alpha1', 'argoproj.io/v2'))).toContain('has apiVersion "argoproj.io/v2"; an Argo Rollouts template has apiVersion: argoproj.io/v1alpha1.');
    expect(refusal(withMetric('    failureLimit: many\n    provider: { prometheus: { query: up } }\n'))).toContain('has failureLimit "many"; it must be a whole number of 0 or more.');
  });

  test('a condition that is not an expression is refused when the template is loaded', () => {
    expect(refusal(withMetric('    successCondition: result[0] >=\n    provider: { prometheus: { query: up } }\n'))).toBe(
      'The analysis template at template.yaml:7:5 has a successCondition that is not an expression (Unexpected end of expression: result[0] >=); write it as Argo does, e.g. result[0] >= 0.95.',
    );
  });
});

describe('conditions (expr-style, evaluated by jexl)', () => {
  const evaluate = (source: string, values: number[]): boolean => compileCondition(source).evaluate(values);

  test.each([
    ['result[0] >= 0.8', [0.91], true],
    ['result[0] >= 0.8', [0.62], false],
    ['result >= 0.8', [0.91], true],
    ['result[0] > 0.5 && result[0] < 1', [0.9], true],
    ['result[0] > 0.5 and not (result[0] > 1)', [0.9], true],
    ['result[0] < 0.1 or result[0] > 0.5', [0.9], true],
    ['!(result[0] < 0.8)', [0.9], true],
    ['true || false && false', [], true],
    ['false && true || true', [], true],
    ['len(result) == 0 || result[0] >= 0.95', [], true],
    ['len(result) == 2 && result[1] > result[0]', [1, 2], true],
    ['isNaN(result[0]) || result[0] >= 0.8', [Number.NaN], true],
    ['isNaN(result)', [0.5], false],
    ['isInf(result[0])', [Number.POSITIVE_INFINITY], true],
    ['result[0] * 100 < 5', [0.01], true],
    ['asInt(result[0]) == 3', [3.7], true],
    ['default(result[0], 0) == 0.5', [0.5], true],
  ])('%s with %j is %s', (source, values, expected) => {
    expect(evaluate(source, values)).toBe(expected);
  });

  test('reading a value that is not there is no data (inconclusive), not a comparison with undefined', () => {
    expect(() => evaluate('result[0] >= 0.8', [])).toThrow(NoDataError);
    expect(() => evaluate('result < 0.05', [])).toThrow(NoDataError);
    expect(() => evaluate('result[1] > 0', [1])).toThrow(NoDataError);
  });

  test('a condition that answers something other than true or false, or calls an unknown function', () => {
    expect(() => evaluate('result[0]', [1])).toThrow(new ConditionError('it answered 1, not true or false'));
    expect(() => evaluate('result >= 1', [1, 2])).toThrow('result holds 2 values; compare one of them, e.g. result[0]');
    expect(() => evaluate('nope(result)', [1])).toThrow(ConditionError);
  });

  test("Argo's rule for success and failure conditions together", () => {
    const success = compileCondition('result[0] >= 0.9');
    const failure = compileCondition('result[0] < 0.5');
    expect(evaluateConditions([0.95], success, failure)).toBe('successful');
    expect(evaluateConditions([0.4], success, failure)).toBe('failed');
    expect(evaluateConditions([0.7], success, failure)).toBe('inconclusive');
    expect(evaluateConditions([0.7], success, undefined)).toBe('failed');
    expect(evaluateConditions([0.7], undefined, failure)).toBe('successful');
    expect(evaluateConditions([0.7], undefined, undefined)).toBe('successful');
  });
});
