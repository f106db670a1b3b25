import { describe, expect, it } from 'vitest';
import { computeMetrics, METRICS, type PredictionData } from '../../../src/lib/metrics/index.ts';
import { referenceCases, type ReferenceCase } from '../../support/metrics-reference.ts';



/** Encodes string classes as indices of the sorted union of labels and predictions, as scikit-learn orders them. */
function toData(c: ReferenceCase): PredictionData {
  const weights = c.weights === undefined ? {} : { weights: Float64Array.from(c.weights) };
  if (c.task === 'binary') {
    return { task: 'binary', labels: Uint8Array.from(c.labels as number[]), scores: Float64Array.from(c.scores!), threshold: c.threshold!, ...weights };
  }
  if (c.task === 'regression') {
    return { task: 'regression', labels: Float64Array.from(c.labels as number[]), predictions: Float64Array.from(c.predictions as number[]), ...weights };
  }
  const classes = [...new Set([...c.labels, ...c.predictions!].map(String))].sort();
  const encode = (values: (number | string)[]): Int32Array => Int32Array.from(values, (v) => classes.indexOf(String(v)));
  return { task: 'multiclass', labels: encode(c.labels), predictions: encode(c.predictions!), classCount: classes.length, ...weights };
}

function expectClose(actual: number, expected: number, label: string): void {
  const tolerance = 1e-9 + 1e-9 * Math.abs(expected);
  expect(Math.abs(actual - expected), `${label}: ${actual} vs scikit-learn ${expected}`).toBeLessThanOrEqual(tolerance);
}

describe.each(['binary', 'multiclass', 'regression'] as const)('%s metrics equal scikit-learn', (task) => {
  const cases = referenceCases(task);

  it('has a reference for every metric of the task', () => {
    for (const c of cases) expect(Object.keys(c.expected).sort()).toEqual(METRICS[task].map((m) => m.name).sort());
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const values = computeMetrics(toData(c));
    expect(Object.keys(values)).toEqual(METRICS[task].map((m) => m.name));
    for (const [metric, expected] of Object.entries(c.expected)) expectClose(values[metric]!, expected, metric);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: each metric alone gives the same value', (_name, c) => {
    const data = toData(c);
    const all = computeMetrics(data);
    for (const metric of Object.keys(c.expected)) expect(computeMetrics(data, [metric])).toEqual({ [metric]: all[metric] });
  });
});

describe('zero-weight and multiplicity semantics', () => {
  it('integer weights equal repeating the rows (binary, tied scores)', () => {
    const c = referenceCases('binary').find((x) => x.name.startsWith('tied scores, integer weights'))!;
    const data = toData(c);
    if (data.task !== 'binary') throw new Error('binary fixture expected');
    const labels: number[] = [];
    const scores: number[] = [];
    data.weights!.forEach((w, i) => {
      for (let r = 0; r < w; r++) {
        labels.push(data.labels[i]!);
        scores.push(data.scores[i]!);
      }
    });
    const repeated = computeMetrics({ task: 'binary', labels: Uint8Array.from(labels), scores: Float64Array.from(scores), threshold: data.threshold });
    const weighted = computeMetrics(data);
    for (const metric of Object.keys(weighted)) expectClose(repeated[metric]!, weighted[metric]!, metric);
  });
});
