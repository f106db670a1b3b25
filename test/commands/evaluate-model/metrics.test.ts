/** evaluate-model's computed metrics equal scikit-learn's (expected.json, written by the fixtures' generate.py). */
import { describe, expect, it } from 'vitest';
import { EXPECTED, runEvaluate } from './helpers.ts';

function expectClose(actual: Record<string, number | null>, expected: Record<string, number>): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, value] of Object.entries(expected)) {
    expect(Math.abs((actual[name] as number) - value), `${name}: ${actual[name]} vs scikit-learn ${value}`).toBeLessThanOrEqual(1e-9);
  }
}

describe('evaluate-model metrics match scikit-learn', () => {
  it('binary with tied scores (CSV)', async () => {
    const { report, outputs } = await runEvaluate({ predictions: 'binary-ties.csv', task: 'binary' });
    expectClose(report.candidate.metrics, EXPECTED.binary!.candidate);
    expectClose(report.champion!.metrics, EXPECTED.binary!.champion!);
    expect(report.champion?.source).toBe('predictions');
    expect(report.rows).toBe(400);
    expect(outputs.metrics).toEqual(report.candidate.metrics);
  });

  it('binary with a weight column and another threshold', async () => {
    const weighted = await runEvaluate({ predictions: 'binary-ties.csv', task: 'binary', 'weight-column': 'weight' });
    expectClose(weighted.report.candidate.metrics, EXPECTED.binary_weighted!.candidate);
    const threshold = await runEvaluate({ predictions: 'binary-ties.csv', task: 'binary', threshold: '0.3' });
    expectClose(threshold.report.candidate.metrics, EXPECTED['binary_threshold_0.3']!.candidate);
    expect(threshold.report.threshold).toBe(0.3);
  });

  it('multiclass with string labels (JSON Lines)', async () => {
    const { report } = await runEvaluate({ predictions: 'multiclass.jsonl', task: 'multiclass' });
    expectClose(report.candidate.metrics, EXPECTED.multiclass!.candidate);
    expectClose(report.champion!.metrics, EXPECTED.multiclass!.champion!);
    expect(report.predictions.format).toBe('jsonl');
  });

  it('regression (gzip CSV)', async () => {
    const { report } = await runEvaluate({ predictions: 'regression.csv.gz', task: 'regression' });
    expectClose(report.candidate.metrics, EXPECTED.regression!.candidate);
    expectClose(report.champion!.metrics, EXPECTED.regression!.champion!);
    expect(report.predictions).toEqual({ file: 'regression.csv.gz', format: 'csv', gzip: true });
  });

  it('slice metrics equal scikit-learn on each slice', async () => {
    const { report } = await runEvaluate({
      predictions: 'binary-ties.csv',
      task: 'binary',
      'slice-column': 'region',
      policy: 'slices:\n  min_rows: 1\n  rules:\n    - metric: accuracy\n      max_regression: 1\n',
    });
    for (const slice of report.slices) {
      const expected = EXPECTED.binary_slices[slice.value]!;
      expect(slice.rows).toBe(expected.rows);
      expectClose(slice.candidate.metrics, expected.candidate);
      expectClose(slice.champion!.metrics, expected.champion);
    }
    expect(report.slices.map((slice) => slice.value)).toEqual(['apac', 'eu', 'us']);
  });
});
