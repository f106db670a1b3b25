/** The job summary of an analysis: overview table, per-metric table and a Mermaid xychart GitHub renders. */
import { describe, expect, test } from 'vitest';
import { metricChart, renderAnalysisReport, type AnalysisResult, type MetricMeasurements } from '../../../src/lib/analysis/index.ts';

const accuracy: MetricMeasurements = {
  name: 'accuracy',
  query: 'avg(ml_model_accuracy{model="churn", version="4"})',
  threshold: 'min 0.8',
  bounds: { min: 0.8 },
  verdict: 'failed',
  dryRun: false,
  count: 5,
  values: [
    { time: '2026-01-01T12:00:30.000Z', value: 0.85, phase: 'successful' },
    { time: '2026-01-01T12:01:00.000Z', value: 0.62, phase: 'failed' },
    { time: '2026-01-01T12:01:30.000Z', value: null, phase: 'inconclusive', message: 'no data' },
    { time: '2026-01-01T12:02:00.000Z', value: 0.7, phase: 'failed' },
  ],
  failed: 2,
  inconclusive: 1,
  errors: 0,
  failure: 'accuracy fell to 0.62 (min 0.8) in 2 of 4 measurements',
};

const errors: MetricMeasurements = {
  name: 'error-rate',
  query: 'sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))',
  threshold: 'max 0.01',
  bounds: { max: 0.01 },
  verdict: 'successful',
  dryRun: false,
  count: 5,
  values: [{ time: '2026-01-01T12:00:30.000Z', value: 0.001, phase: 'successful' }],
  failed: 0,
  inconclusive: 0,
  errors: 0,
};

const result: AnalysisResult = {
  result: 'failed',
  passed: false,
  measurements: [accuracy, errors],
  failure: accuracy.failure as string,
  startedAt: '2026-01-01T12:00:00.000Z',
  finishedAt: '2026-01-01T12:02:00.000Z',
};

describe('renderAnalysisReport', () => {
  test('an overview, then each metric with its query, its measurements and a chart', () => {
    const report = renderAnalysisReport(result);
    expect(report).toContain('### Post-deployment analysis: ❌ failed\n\naccuracy fell to 0.62 (min 0.8) in 2 of 4 measurements.');
    expect(report).toContain('| metric | threshold | values | verdict |\n| --- | --- | --- | --- |\n| accuracy | min 0.8 | 0.85, 0.62, no data, 0.7 | ❌ failed (4 of 5) |\n| error-rate | max 0.01 | 0.001 | ✅ successful (1 of 5) |');
    expect(report).toContain('#### accuracy: ❌ failed');
    expect(report).toContain('| 3 | 2026-01-01T12:01:30.000Z | no data | ⚠️ inconclusive: no data |');
    // The pipe of the PromQL regex is escaped nowhere it would break a table: queries are not in tables.
    expect(report).toContain('Query: `sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))` · threshold: max 0.01');
  });

  test('the chart: xychart-beta, one point per measured value, the threshold as a flat line', () => {
    expect(metricChart(accuracy)).toBe(
      [
        '```mermaid',
        'xychart-beta',
        '  title "accuracy"',
        '  x-axis ["12:00:30", "12:01:00", "12:02:00"]',
        '  y-axis "accuracy" 0.597 --> 0.873',
        '  line [0.85, 0.62, 0.7]',
        '  line [0.8, 0.8, 0.8]',
        '```',
      ].join('\n'),
    );
  });

  test('no chart without a value to draw; quotes cannot end a Mermaid string', () => {
    expect(metricChart({ ...accuracy, values: [{ time: '2026-01-01T12:00:30.000Z', value: null, phase: 'error', message: 'HTTP 503' }] })).toBeUndefined();
    expect(metricChart({ ...errors, name: 'p95 "latency"' })).toContain('title "p95 \'latency\'"');
  });
});
