import { resolveMetrics } from './catalog.ts';
import { checkPredictionData, createEvaluator } from './evaluator.ts';
import { createRng, drawCompactCounts, drawResampleCounts } from './random.ts';
import { argsortDescending } from './ranking.ts';
import type { BinaryData, MetricInfo, PredictionData } from './types.ts';

export interface PairedBootstrapOptions {
  resamples: number;
  confidence: number;
  seed: number;
}

/** An interval of the improvement (candidate over champion, in the metric's better direction). */
export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
}

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkPaired(candidate: PredictionData, champion: PredictionData): void {
  if (candidate.task !== champion.task) {
    throw new RangeError(`Cannot pair a ${candidate.task} candidate with a ${champion.task} champion.`);
  }
  if (!sameValues(candidate.labels, champion.labels)) {
    throw new RangeError('The candidate and the champion must be evaluated on the same rows with the same labels.');
  }
  const noWeights = new Float64Array(0);
  if ((candidate.weights === undefined) !== (champion.weights === undefined)
    || !sameValues(candidate.weights ?? noWeights, champion.weights ?? noWeights)) {
    throw new RangeError('The candidate and the champion must have the same row weights.');
  }
  if (candidate.task === 'multiclass' && champion.task === 'multiclass' && candidate.classCount !== champion.classCount) {
    throw new RangeError('The candidate and the champion must encode classes with the same classCount.');
  }
}

function permute<T extends Float64Array | Uint8Array>(values: T, order: Uint32Array): T {
  const permuted = new (values.constructor as new (length: number) => T)(values.length);
  for (let k = 0; k < order.length; k++) permuted[k] = values[order[k]!]!;
  return permuted;
}

/**
 * For roc_auc / pr_auc, the rows of both binary models reordered by the candidate's score (highest first): the
 * candidate's per-resample ranking pass then reads the counts sequentially. Resampling rows is exchangeable, so
 * the order of the rows does not change what is estimated; it only fixes which row each draw picks.
 */
function inCandidateScoreOrder(
  candidate: PredictionData,
  champion: PredictionData,
  metrics: readonly MetricInfo[],
): [PredictionData, PredictionData] {
  if (candidate.task !== 'binary' || champion.task !== 'binary') return [candidate, champion];
  if (!metrics.some((m) => m.name === 'roc_auc' || m.name === 'pr_auc')) return [candidate, champion];
  const order = argsortDescending(candidate.scores);
  const labels = permute(candidate.labels, order);
  const weights = candidate.weights === undefined ? undefined : permute(candidate.weights, order);
  const reordered = (data: BinaryData): BinaryData => ({
    task: 'binary',
    labels,
    scores: permute(data.scores, order),
    threshold: data.threshold,
    ...(weights === undefined ? {} : { weights }),
  });
  return [reordered(candidate), reordered(champion)];
}

/**
 * The value at quantile q of the sorted values, interpolating linearly between order statistics
 * (numpy.quantile's default "linear" method).
 */
export function quantileSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const below = Math.floor(h);
  const above = Math.min(below + 1, sorted.length - 1);
  const low = sorted[below]!;
  return low + (h - below) * (sorted[above]! - low);
}

/**
 * The improvement of every resample, resample-major per metric: `replicates[m * resamples + r]`. Each resample is
 * drawn as multiplicity counts and evaluated as row weights (counts × the data's own weights), which is the same as
 * scikit-learn on the resampled rows with `sample_weight`.
 */
export function bootstrapReplicates(
  candidate: PredictionData,
  champion: PredictionData,
  metrics: readonly string[],
  options: PairedBootstrapOptions,
): { estimates: Float64Array; replicates: Float64Array } {
  const infos = resolveMetrics(candidate.task, metrics);
  checkPredictionData(candidate);
  checkPredictionData(champion);
  checkPaired(candidate, champion);
  const { resamples, seed } = options;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}.`);

  const [candidateRows, championRows] = inCandidateScoreOrder(candidate, champion, infos);
  const candidateEvaluator = createEvaluator(candidateRows, infos, true);
  const championEvaluator = createEvaluator(championRows, infos, true);
  const rows = candidateEvaluator.rows;
  const candidateValues = new Float64Array(infos.length);
  const championValues = new Float64Array(infos.length);
  const improvement = (m: number): number =>
    infos[m]!.direction === 'higher' ? candidateValues[m]! - championValues[m]! : championValues[m]! - candidateValues[m]!;

  // The estimate is exactly what computeMetrics reports for the two models on the full data.
  createEvaluator(candidate, infos, false).evaluate(candidate.weights, candidateValues);
  createEvaluator(champion, infos, false).evaluate(champion.weights, championValues);
  const estimates = Float64Array.from(infos, (_, m) => improvement(m));

  const baseWeights = candidateRows.weights;
  const replicates = new Float64Array(infos.length * resamples);
  const rng = createRng(seed);
  const compactCounts = new Uint8Array(rows);
  // Float64 buffers for the row-weighted path; without row weights only needed if a count ever exceeds 255.
  let floatCounts = new Float64Array(baseWeights === undefined ? 0 : rows);
  const floatWeights = new Float64Array(baseWeights === undefined ? 0 : rows);
  const stateBefore = new Uint32Array(4);
  for (let r = 0; r < resamples; r++) {
    stateBefore.set(rng.state);
    if (baseWeights === undefined && drawCompactCounts(rng, rows, compactCounts)) {
      candidateEvaluator.evaluateCounts(compactCounts, candidateValues);
      championEvaluator.evaluateCounts(compactCounts, championValues);
    } else {
      // Replay the same draws as float64 counts; with row weights the weights are counts × the rows' own weights.
      rng.state.set(stateBefore);
      if (floatCounts.length !== rows) floatCounts = new Float64Array(rows);
      drawResampleCounts(rng, rows, floatCounts);
      let weights = floatCounts;
      if (baseWeights !== undefined) {
        for (let i = 0; i < rows; i++) floatWeights[i] = floatCounts[i]! * baseWeights[i]!;
        weights = floatWeights;
      }
      candidateEvaluator.evaluate(weights, candidateValues);
      championEvaluator.evaluate(weights, championValues);
    }
    for (let m = 0; m < infos.length; m++) {
      replicates[m * resamples + r] = improvement(m);
    }
  }
  return { estimates, replicates };
}

/**
 * Paired bootstrap of the improvement candidate − champion in each metric's better direction (for a 'lower'
 * metric, champion − candidate), so positive always means the candidate is better. The estimate is the
 * improvement on the full data; the interval is the percentile interval of the resampled improvements. Resamples
 * where a metric is undefined (NaN, e.g. roc_auc of a resample without positives) are left out of its interval.
 */
export function pairedBootstrap(
  candidate: PredictionData,
  champion: PredictionData,
  metrics: readonly string[],
  options: PairedBootstrapOptions,
): Record<string, Interval> {
  const { confidence, resamples } = options;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}.`);
  const { estimates, replicates } = bootstrapReplicates(candidate, champion, metrics, options);
  const tail = (1 - confidence) / 2;
  const result: Record<string, Interval> = {};
  metrics.forEach((name, m) => {
    const values = replicates.subarray(m * resamples, (m + 1) * resamples).filter((v) => !Number.isNaN(v)).sort();
    result[name] = { estimate: estimates[m]!, lower: quantileSorted(values, tail), upper: quantileSorted(values, 1 - tail) };
  });
  return result;
}
