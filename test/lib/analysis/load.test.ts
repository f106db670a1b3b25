/** The analysis YAML: file or inline, validated with a message naming the file and line of every problem. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { analysisSchema, loadAnalysis, parseAnalysis } from '../../../src/lib/analysis/index.ts';
import { UserError, renderInputRefs } from '../../../src/lib/errors.ts';

const ISSUE_EXAMPLE = `interval: 30s        # between measurements
count: 10            # measurements per metric; the bake window is interval × count
inconclusive: fail   # when a query returns no data: fail | pass
metrics:
  - name: accuracy
    query: avg(ml_model_accuracy{model="{model}", version="{version}"})
    min: 0.8
    failure-limit: 1   # failed measurements tolerated before the analysis fails
  - name: error-rate
    query: sum(rate(http_requests_total{app="{model}",code=~"5.."}[1m])) / sum(rate(http_requests_total{app="{model}"}[1m]))
    max: 0.01
`;

function refusal(text: string, inline = false): UserError {
  try {
    parseAnalysis(text, inline ? undefined : 'analysis.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a refusal');
}

describe('parseAnalysis', () => {
  test('the example of the issue, as written', () => {
    const { analysis, plan } = parseAnalysis(ISSUE_EXAMPLE, 'analysis.yaml');
    expect(analysis).toMatchObject({ interval: '30s', count: 10, inconclusive: 'fail' });
    expect(plan.metrics.map((m) => [m.name, m.intervalMs, m.count, m.failureLimit, m.check])).toEqual([
      ['accuracy', 30_000, 10, 1, { kind: 'threshold', min: 0.8 }],
      ['error-rate', 30_000, 10, 0, { kind: 'threshold', max: 0.01 }],
    ]);
    expect(plan.metrics[0]!.where).toBe('analysis.yaml:5:5');
  });

  test('defaults: inconclusive fail, failure-limit 0; durations in ms, s, m', () => {
    const { plan } = parseAnalysis('interval: 500ms\ncount: 2\nmetrics: [{ name: a, query: up, min: 1 }]\n', undefined);
    expect(plan).toMatchObject({ inconclusive: 'fail', display: 'the inline analysis', metrics: [{ intervalMs: 500, failureLimit: 0 }] });
    expect(parseAnalysis('interval: 1m30s\ncount: 2\nmetrics: [{ name: a, query: up, max: 1 }]\n', undefined).plan.metrics[0]!.intervalMs).toBe(90_000);
  });

  test('an unknown key: a did-you-mean, the keys allowed, file and line', () => {
    const error = refusal('interval: 30s\ncount: 3\nmetrics:\n  - name: accuracy\n    query: up\n    min: 0.8\n    failure_limit: 1\n');
    expect(error.message).toBe(
      'The analysis at analysis.yaml:7:5 has an unknown key "failure_limit" in metrics[0] (did you mean "failure-limit"?); the keys allowed there are "name", "query", "min", "max", "failure-limit".',
    );
    expect(error.location).toEqual({ file: 'analysis.yaml', line: 7, column: 5 });
    expect(refusal('intervall: 30s\ncount: 3\nmetrics: []\n').message).toContain('unknown key "intervall" in the top level (did you mean "interval"?)');
  });

  test('a metric without a threshold, a bad duration, a bad choice, a missing key, duplicate names', () => {
    expect(refusal('interval: 30s\ncount: 3\nmetrics:\n  - name: accuracy\n    query: up\n').message).toBe(
      'The analysis at analysis.yaml:4:5 has an invalid metrics[0]: needs a threshold: set "min", "max" or both.',
    );
    expect(refusal('interval: 30\ncount: 3\nmetrics: [{ name: a, query: up, min: 1 }]\n').message).toBe(
      'The analysis at analysis.yaml:1:1 has an invalid interval: "interval" must be a duration such as "30s", "1m" or "500ms", not number 30.',
    );
    expect(refusal('interval: 30s\ncount: 3\ninconclusive: maybe\nmetrics: [{ name: a, query: up, min: 1 }]\n').message).toBe(
      'The analysis at analysis.yaml:3:1 has an invalid inconclusive: "inconclusive" must be one of "fail", "pass", not string "maybe".',
    );
    expect(refusal('interval: 30s\nmetrics: [{ name: a, query: up, min: 1 }]\n').message).toBe('The analysis at analysis.yaml:1:1 has an invalid count: "count" is missing.');
    expect(refusal('interval: 30s\ncount: 3\nmetrics:\n  - { name: a, query: up, min: 1 }\n  - { name: a, query: up, min: 2 }\n').message).toBe(
      'The analysis at analysis.yaml:5:7 has an invalid metrics[1].name: "a" is the name of an earlier metric too; give each metric its own name.',
    );
  });

  test('YAML syntax errors and non-mappings name the line', () => {
    expect(refusal('interval: 30s\ncount: [3\n').message).toMatch(/^The analysis at analysis.yaml:\d+:\d+ is not valid YAML: .*; fix the YAML syntax there\.$/);
    expect(refusal('- a\n- b\n', true).message).toBe('The analysis at line 1 of the inline analysis is not a mapping; write it as keys such as "interval:", "count:" and "metrics:".');
  });
});

describe('loadAnalysis', () => {
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-analysis-'));
  writeFileSync(path.join(workspace, 'analysis.yaml'), ISSUE_EXAMPLE);

  test('a file relative to the workspace, or the YAML itself', () => {
    expect(loadAnalysis('analysis.yaml', workspace)).toMatchObject({ file: 'analysis.yaml', plan: { display: 'analysis.yaml', input: 'analysis' } });
    expect(loadAnalysis(ISSUE_EXAMPLE, workspace)).toMatchObject({ file: undefined, plan: { display: 'the inline analysis' } });
    expect(loadAnalysis('{interval: 1s, count: 1, metrics: [{name: a, query: up, min: 1}]}', workspace).file).toBeUndefined();
  });

  test('a missing file says which input to set', () => {
    try {
      loadAnalysis('.ml-gitops/analysis.yaml', workspace);
      expect.unreachable();
    } catch (error) {
      expect(renderInputRefs((error as Error).message, 'cli')).toBe(
        'The analysis file ".ml-gitops/analysis.yaml" does not exist; set --analysis to an existing YAML file (relative to the workspace) or to the analysis\'s YAML itself.',
      );
    }
  });
});

test('analysisSchema publishes as a JSON Schema (schemas/analysis.schema.json)', () => {
  const schema = z.toJSONSchema(analysisSchema, { io: 'input' }) as { properties: Record<string, unknown>; required: string[]; additionalProperties: boolean };
  expect(Object.keys(schema.properties)).toEqual(['interval', 'count', 'inconclusive', 'metrics']);
  expect(schema.required).toEqual(['interval', 'count', 'metrics']);
  expect(schema.additionalProperties).toBe(false);
  expect(JSON.stringify(schema)).toContain('failure-limit');
});
