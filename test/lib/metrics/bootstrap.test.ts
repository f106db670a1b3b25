import { describe, expect, it } from 'vitest';
import { bootstrapReplicates, quantileSorted } from '../../../src/lib/metrics/bootstrap.ts';
import { resolveMetrics } from '../../../src/lib/metrics/catalog.ts';
import { createEvaluator } from '../../../src/lib/metrics/evaluator.ts';
import { computeMetrics, pairedBootstrap, type BinaryData, type PredictionData } from '../../../src/lib/metrics/index.ts';
import { createRng, drawCompactCounts, drawResampleCounts, nextUint32 } from '../../../src/lib/metrics/random.ts';

/** A small binary data set: the candidate separates the classes a little better than the champion. */
function binaryPair(rows: number, seed: number, options: { tiedScores?: boolean; sortedCandidate?: boolean; weighted?: boolean } = {}) {
  const rng = createRng(seed);
  const uniform = (): number => nextUint32(rng) / 4294967296;
  const labels = new Uint8Array(rows);
  const candidate = new Float64Array(rows);
  const champion = new Float64Array(rows);
  const weights = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    labels[i] = uniform() < 0.4 ? 1 : 0;
    const round = (x: number): number => (options.tiedScores ? Math.round(x * 10) / 10 : x);
    candidate[i] = round(Math.min(1, Math.max(0, 0.3 + 0.35 * labels[i]! + 0.45 * (uniform() - 0.5))));
    champion[i] = round(Math.min(1, Math.max(0, 0.35 + 0.25 * labels[i]! + 0.45 * (uniform() - 0.5))));
    weights[i] = Math.round(uniform() * 300) / 100;
  }
  if (options.sortedCandidate) {
    const order = [...candidate.keys()].sort((a, b) => candidate[b]! - candidate[a]! || a - b);
    const permute = <T extends Uint8Array | Float64Array>(values: T): T => values.map((_, k) => values[order[k]!]!) as T;
    return pair(permute(labels), permute(candidate), permute(champion), options.weighted ? permute(weights) : undefined);
  }
  return pair(labels, candidate, champion, options.weighted ? weights : undefined);
}

function pair(labels: Uint8Array, candidate: Float64Array, champion: Float64Array, weights?: Float64Array) {
  const extra = weights === undefined ? {} : { weights };
  const c: BinaryData = { task: 'binary', labels, scores: candidate, threshold: 0.5, ...extra };
  const h: BinaryData = { task: 'binary', labels, scores: champion, threshold: 0.5, ...extra };
  return { candidate: c, champion: h };
}

/** The rows of `data` repeated counts[i] times (weights, if any, kept per row): an explicit resample. */
function materialise(data: BinaryData, counts: Float64Array): BinaryData {
  const rows: number[] = [];
  counts.forEach((c, i) => {
    for (let r = 0; r < c; r++) rows.push(i);
  });
  const weights = data.weights === undefined ? {} : { weights: Float64Array.from(rows, (i) => data.weights![i]!) };
  return {
    task: 'binary',
    labels: Uint8Array.from(rows, (i) => data.labels[i]!),
    scores: Float64Array.from(rows, (i) => data.scores[i]!),
    threshold: data.threshold,
    ...weights,
  };
}

const options = { resamples: 200, confidence: 0.95, seed: 7 };

describe('pairedBootstrap', () => {
  it('is deterministic for a seed and changes with the seed', () => {
    const { candidate, champion } = binaryPair(500, 1, { tiedScores: true });
    const metrics = ['accuracy', 'f1', 'roc_auc', 'pr_auc', 'log_loss'];
    const first = pairedBootstrap(candidate, champion, metrics, options);
    expect(pairedBootstrap(candidate, champion, metrics, options)).toEqual(first);
    const other = pairedBootstrap(candidate, champion, metrics, { ...options, seed: 8 });
    expect(other.roc_auc!.estimate).toBe(first.roc_auc!.estimate);
    expect(other.roc_auc!.lower).not.toBe(first.roc_auc!.lower);
  });

  it('estimates the improvement on the full data, in the better direction, inside its interval', () => {
    const { candidate, champion } = binaryPair(2000, 2);
    const names = ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'pr_auc', 'log_loss', 'brier'];
    const intervals = pairedBootstrap(candidate, champion, names, options);
    const c = computeMetrics(candidate);
    const h = computeMetrics(champion);
    for (const name of names) {
      const { estimate, lower, upper } = intervals[name]!;
      const expected = name === 'log_loss' || name === 'brier' ? h[name]! - c[name]! : c[name]! - h[name]!;
      expect(estimate).toBe(expected);
      expect(lower).toBeLessThanOrEqual(estimate);
      expect(upper).toBeGreaterThanOrEqual(estimate);
    }
    // The candidate is the better model: roc_auc, and the lower-is-better losses, improve.
    expect(intervals.roc_auc!.lower).toBeGreaterThan(0);
    expect(intervals.log_loss!.lower).toBeGreaterThan(0);
  });

  it('gives a zero interval when the candidate is the champion', () => {
    const { candidate } = binaryPair(300, 3);
    const intervals = pairedBootstrap(candidate, { ...candidate }, ['accuracy', 'roc_auc', 'brier'], options);
    for (const interval of Object.values(intervals)) expect(interval).toEqual({ estimate: 0, lower: 0, upper: 0 });
  });

  it('works for multiclass and regression data', () => {
    const rows = 400;
    const rng = createRng(11);
    const labels = Int32Array.from({ length: rows }, () => nextUint32(rng) % 3);
    const good = labels.map((l) => (nextUint32(rng) % 10 < 8 ? l : (l + 1) % 3));
    const poor = labels.map((l) => (nextUint32(rng) % 10 < 6 ? l : (l + 2) % 3));
    const multiclass = pairedBootstrap(
      { task: 'multiclass', labels, predictions: good, classCount: 3 },
      { task: 'multiclass', labels, predictions: poor, classCount: 3 },
      ['accuracy', 'f1_macro', 'f1_weighted', 'precision_macro', 'recall_macro'],
      options,
    );
    for (const interval of Object.values(multiclass)) expect(interval.lower).toBeGreaterThan(0);

    const y = Float64Array.from({ length: rows }, (_, i) => i / 10);
    const close = y.map((v) => v + (nextUint32(rng) / 4294967296 - 0.5));
    const far = y.map((v) => v + 3 * (nextUint32(rng) / 4294967296 - 0.5));
    const regression = pairedBootstrap(
      { task: 'regression', labels: y, predictions: close },
      { task: 'regression', labels: y, predictions: far },
      ['mae', 'rmse', 'r2', 'mape'],
      options,
    );
    for (const interval of Object.values(regression)) {
      expect(interval.lower).toBeGreaterThan(0);
      expect(interval.lower).toBeLessThanOrEqual(interval.estimate);
      expect(interval.upper).toBeGreaterThanOrEqual(interval.estimate);
    }
  });

  it('refuses models evaluated on different rows, unknown metrics and bad options', () => {
    const { candidate, champion } = binaryPair(50, 4);
    const other = binaryPair(50, 5).champion;
    expect(() => pairedBootstrap(candidate, other, ['accuracy'], options)).toThrow(/same rows/);
    expect(() => pairedBootstrap(candidate, champion, ['auc'], options)).toThrow(/Unknown binary metric "auc"/);
    expect(() => pairedBootstrap(candidate, champion, ['accuracy'], { ...options, confidence: 1 })).toThrow(RangeError);
    expect(() => pairedBootstrap(candidate, champion, ['accuracy'], { ...options, resamples: 0 })).toThrow(RangeError);
  });
});

describe('resampling as multiplicity counts', () => {
  it.each([
    ['all binary metrics', undefined],
    ['the roc_auc pass without pr_auc', ['accuracy', 'f1', 'roc_auc']],
  ])('evaluating all-1 counts or weights equals the point estimate exactly (%s)', (_name, names) => {
    const { candidate } = binaryPair(400, 6, { tiedScores: true });
    const infos = resolveMetrics('binary', names);
    const point = Float64Array.from(Object.values(computeMetrics(candidate, names)));
    const evaluator = createEvaluator(candidate, infos, true);
    const fromCounts = new Float64Array(infos.length);
    evaluator.evaluateCounts(new Uint8Array(400).fill(1), fromCounts);
    const fromWeights = new Float64Array(infos.length);
    evaluator.evaluate(new Float64Array(400).fill(1), fromWeights);
    expect(fromCounts).toEqual(point);
    expect(fromWeights).toEqual(point);
  });

  it('counts as weights equal recomputing on the explicitly resampled rows', () => {
    const { candidate } = binaryPair(60, 7, { tiedScores: true });
    const rng = createRng(3);
    const counts = new Float64Array(60);
    const infos = resolveMetrics('binary', undefined);
    const evaluator = createEvaluator(candidate, infos, true);
    const values = new Float64Array(infos.length);
    for (let r = 0; r < 20; r++) {
      drawResampleCounts(rng, 60, counts);
      evaluator.evaluateCounts(Uint8Array.from(counts), values);
      const naive = computeMetrics(materialise(candidate, counts));
      infos.forEach((info, m) => expect(values[m]).toBeCloseTo(naive[info.name]!, 12));
      const weighted = computeMetrics({ ...candidate, weights: counts });
      infos.forEach((info, m) => expect(values[m]).toBeCloseTo(weighted[info.name]!, 12));
    }
  });

  it.each([
    ['without row weights', false, ['accuracy', 'f1', 'roc_auc', 'pr_auc', 'log_loss', 'brier']],
    ['without row weights, the benchmarked metrics', false, ['accuracy', 'f1', 'roc_auc']],
    ['without row weights, no ranking metric', false, ['precision', 'recall', 'f1', 'brier']],
    ['with row weights', true, ['accuracy', 'f1', 'roc_auc', 'pr_auc', 'log_loss', 'brier']],
  ])('bootstrap replicates equal a naive bootstrap on explicit rows (%s)', (_name, weighted, metrics) => {
    // Candidate scores already descending, so the bootstrap keeps the row order and draws the same rows.
    const { candidate, champion } = binaryPair(40, 9, { tiedScores: true, sortedCandidate: true, weighted });
    const resamples = 30;
    const { replicates } = bootstrapReplicates(candidate, champion, metrics, { ...options, resamples });
    const rng = createRng(options.seed);
    const counts = new Float64Array(40);
    for (let r = 0; r < resamples; r++) {
      drawResampleCounts(rng, 40, counts);
      const c = computeMetrics(materialise(candidate, counts), metrics);
      const h = computeMetrics(materialise(champion, counts), metrics);
      metrics.forEach((name, m) => {
        const sign = name === 'log_loss' || name === 'brier' ? -1 : 1;
        const naive = sign * (c[name]! - h[name]!);
        const value = replicates[m * resamples + r]!;
        if (Number.isNaN(naive)) expect(value).toBeNaN();
        else expect(value).toBeCloseTo(naive, 12);
      });
    }
  });

  it('orders the rows by candidate score before resampling, whatever their order in the input', () => {
    const shuffled = binaryPair(300, 12, { tiedScores: true });
    const sorted = binaryPair(300, 12, { tiedScores: true, sortedCandidate: true });
    for (const metrics of [['accuracy', 'roc_auc'], ['f1', 'pr_auc', 'brier']]) {
      const a = bootstrapReplicates(shuffled.candidate, shuffled.champion, metrics, { ...options, resamples: 50 });
      const b = bootstrapReplicates(sorted.candidate, sorted.champion, metrics, { ...options, resamples: 50 });
      // Same draws on the same rows; only float sums over the input order may differ in the last bits.
      a.estimates.forEach((v, m) => expect(v).toBeCloseTo(b.estimates[m]!, 12));
      expect(Array.from(a.replicates, (v) => v.toFixed(10))).toEqual(Array.from(b.replicates, (v) => v.toFixed(10)));
    }
  });

  it('the compact and the reference draws pick the same rows', () => {
    for (const rows of [1, 7, 1000, 2_100_000]) {
      const a = createRng(rows);
      const b = createRng(rows);
      const compact = new Uint8Array(rows);
      const reference = new Float64Array(rows);
      expect(drawCompactCounts(a, rows, compact)).toBe(true);
      drawResampleCounts(b, rows, reference);
      let differing = 0;
      let total = 0;
      for (let i = 0; i < rows; i++) {
        if (compact[i] !== reference[i]) differing++;
        total += compact[i]!;
      }
      expect(differing).toBe(0);
      expect(total).toBe(rows);
      expect(a.state).toEqual(b.state);
    }
  });
});

describe('quantileSorted', () => {
  it('interpolates linearly like numpy.quantile', () => {
    const values = Float64Array.from([1, 2, 4, 8]);
    expect(quantileSorted(values, 0)).toBe(1);
    expect(quantileSorted(values, 1)).toBe(8);
    expect(quantileSorted(values, 0.5)).toBe(3); // numpy.quantile([1, 2, 4, 8], 0.5) == 3.0
    expect(quantileSorted(values, 0.025)).toBeCloseTo(1.075, 12); // numpy: 1.075
    expect(quantileSorted(new Float64Array(0), 0.5)).toBeNaN();
  });
});

describe('metric edge cases', () => {
  it('roc_auc is NaN and pr_auc 0 without positive rows, as scikit-learn', () => {
    const data: PredictionData = { task: 'binary', labels: new Uint8Array(4), scores: Float64Array.from([0.1, 0.4, 0.5, 0.9]), threshold: 0.5 };
    const values = computeMetrics(data, ['roc_auc', 'pr_auc', 'precision', 'recall']);
    expect(values.roc_auc).toBeNaN();
    expect(values).toMatchObject({ pr_auc: 0, precision: 0, recall: 0 });
  });

  it('r2 follows scikit-learn for constant labels', () => {
    const labels = Float64Array.from([2, 2, 2]);
    expect(computeMetrics({ task: 'regression', labels, predictions: Float64Array.from([2, 2, 2]) }, ['r2']).r2).toBe(1);
    expect(computeMetrics({ task: 'regression', labels, predictions: Float64Array.from([1, 2, 3]) }, ['r2']).r2).toBe(0);
    expect(computeMetrics({ task: 'regression', labels: Float64Array.from([1]), predictions: Float64Array.from([1]) }, ['r2']).r2).toBeNaN();
  });

  it('refuses inconsistent arrays', () => {
    expect(() => computeMetrics({ task: 'binary', labels: new Uint8Array(3), scores: new Float64Array(2), threshold: 0.5 })).toThrow(/3 labels but 2/);
    expect(() => computeMetrics({ task: 'binary', labels: Uint8Array.from([2]), scores: new Float64Array(1), threshold: 0.5 })).toThrow(/not 0 or 1/);
    expect(() => computeMetrics({ task: 'multiclass', labels: Int32Array.from([3]), predictions: Int32Array.from([0]), classCount: 3 })).toThrow(/outside/);
  });
});
