import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveMetrics } from '../../../src/lib/metrics/catalog.ts';
import { createEvaluator } from '../../../src/lib/metrics/evaluator.ts';
import { computeMetrics, METRICS, metricInfo } from '../../../src/lib/metrics/index.ts';
import { argsortDescending } from '../../../src/lib/metrics/ranking.ts';

/** roc_auc by definition: the weighted share of (positive, negative) pairs ranked correctly, ties counting half. */
function pairwiseAuc(labels: number[], scores: number[], weights: number[]): number {
  let concordant = 0;
  let pairs = 0;
  labels.forEach((li, i) => {
    labels.forEach((lj, j) => {
      if (li !== 1 || lj !== 0) return;
      const w = weights[i]! * weights[j]!;
      pairs += w;
      concordant += w * (scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0);
    });
  });
  return concordant / pairs;
}

describe('argsortDescending', () => {
  it('orders any doubles from highest to lowest, keeping tied rows in row order', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(0, -0, 0.5, 1, -1)), { maxLength: 200 }), (values) => {
        const order = Array.from(argsortDescending(Float64Array.from(values)));
        expect([...order].sort((a, b) => a - b)).toEqual(values.map((_, i) => i));
        for (let k = 1; k < order.length; k++) {
          const before = values[order[k - 1]!]!;
          const after = values[order[k]!]!;
          expect(before).toBeGreaterThanOrEqual(after);
          // Tied rows keep their row order (0 and -0 are equal scores but may come in either order).
          if (Object.is(before, after)) expect(order[k - 1]!).toBeLessThan(order[k]!);
        }
      }),
    );
  });

  it('orders values that round to the same float32 by their float64 value', () => {
    const values = Float64Array.from([0.5, 0.5 + 1e-12, 0.5 - 1e-12, 0.5, 1e300, -1e300, 0.1, 0.5 + 1e-12]);
    expect(Array.from(argsortDescending(values))).toEqual([4, 1, 7, 0, 3, 2, 6, 5]);
  });

  it('returns the identity for values already in descending order', () => {
    expect(Array.from(argsortDescending(Float64Array.from([3, 2, 2, 1])))).toEqual([0, 1, 2, 3]);
  });
});

describe('roc_auc and weights', () => {
  it('equals the pairwise definition for tied scores and weights', () => {
    const row = fc.record({ label: fc.constantFrom(0, 1), score: fc.integer({ min: 0, max: 10 }), weight: fc.integer({ min: 0, max: 5 }) });
    fc.assert(
      fc.property(fc.array(row, { minLength: 2, maxLength: 60 }), (rows) => {
        const labels = rows.map((r) => r.label);
        const scores = rows.map((r) => r.score / 10);
        const weights = rows.map((r) => r.weight);
        const positive = rows.some((r) => r.label === 1 && r.weight > 0);
        const negative = rows.some((r) => r.label === 0 && r.weight > 0);
        fc.pre(positive && negative);
        const { roc_auc: auc } = computeMetrics(
          { task: 'binary', labels: Uint8Array.from(labels), scores: Float64Array.from(scores), threshold: 0.5, weights: Float64Array.from(weights) },
          ['roc_auc'],
        );
        expect(auc).toBeCloseTo(pairwiseAuc(labels, scores, weights), 12);
      }),
    );
  });

  it('multiclass and regression give the same values for counts and for the counts as weights', () => {
    const counts = Uint8Array.from({ length: 50 }, (_, i) => (i * 7) % 4);
    const weights = Float64Array.from(counts);
    const labels = Int32Array.from({ length: 50 }, (_, i) => i % 4);
    const predictions = Int32Array.from({ length: 50 }, (_, i) => (i * 3) % 5);
    const cases = [
      { task: 'multiclass', labels, predictions, classCount: 5 },
      { task: 'regression', labels: Float64Array.from(labels, (v) => v - 1.5), predictions: Float64Array.from(predictions) },
    ] as const;
    for (const data of cases) {
      const infos = resolveMetrics(data.task, undefined);
      const fromCounts = new Float64Array(infos.length);
      createEvaluator(data, infos, true).evaluateCounts(counts, fromCounts);
      expect(Array.from(fromCounts)).toEqual(Object.values(computeMetrics({ ...data, weights })));
    }
  });
});

describe('metric catalogue', () => {
  it('lists every task\'s metrics in a stable order with their direction', () => {
    expect(METRICS.binary.map((m) => `${m.name}:${m.direction}`)).toEqual([
      'accuracy:higher', 'precision:higher', 'recall:higher', 'f1:higher', 'roc_auc:higher', 'pr_auc:higher', 'log_loss:lower', 'brier:lower',
    ]);
    expect(METRICS.multiclass.map((m) => m.name)).toEqual(['accuracy', 'f1_macro', 'f1_weighted', 'precision_macro', 'recall_macro']);
    expect(METRICS.regression.map((m) => `${m.name}:${m.direction}`)).toEqual(['mae:lower', 'rmse:lower', 'r2:higher', 'mape:lower']);
    expect(metricInfo('regression', 'r2')).toMatchObject({ task: 'regression', direction: 'higher' });
    expect(metricInfo('binary', 'r2')).toBeUndefined();
  });
});
