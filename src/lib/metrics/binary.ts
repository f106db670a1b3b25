import {
  createCountRankingSums,
  orderByScore,
  rankingMetrics,
  rankingMetricsForCounts,
  rocAucForCounts,
  rocPlan,
  type CountRankingSums,
  type RankingSums,
  type ScoreOrder,
} from './ranking.ts';
import { unweightedRankingMetrics } from './score-buckets.ts';
import type { BinaryData, MetricInfo, WeightedEvaluator } from './types.ts';

/**
 * From this many rows, an unweighted evaluation ranks the scores by bucketing (bounded memory) instead of sorting
 * row indices (17 bytes per row); below, the index sort is as fast and skips the bucketing's fixed 8 MB histogram.
 */
const BUCKETED_MIN_ROWS = 1 << 16;

/** Machine epsilon of float64: scikit-learn clips probabilities to [eps, 1 - eps] before the logarithm. */
const EPSILON = 2 ** -52;

/**
 * Per-row log loss term, as scikit-learn: -log(clip(p)) for label 1, -log(clip(1 - p)) for label 0. Without a branch
 * on the label (mixed labels make it a mispredicted branch, a third of the pass): with s in [0, 1],
 * label · s + (1 − label) · (1 − s) is exactly s or 1 − s, and clamping the score to [0, 1] first changes nothing after
 * the clip to [eps, 1 − eps].
 */
export function logLossTerm(label: number, score: number): number {
  const s = Math.min(Math.max(score, 0), 1);
  const p = label * s + (1 - label) * (1 - s);
  return -Math.log(Math.min(Math.max(p, EPSILON), 1 - EPSILON));
}

export function brierTerm(label: number, score: number): number {
  const d = score - label;
  return d * d;
}

/** Confusion cell of a row: 2·label + predicted, i.e. 0 = TN, 1 = FP, 2 = FN, 3 = TP. */
function confusionCodes(data: BinaryData): Uint8Array {
  const { labels, scores, threshold } = data;
  const codes = new Uint8Array(labels.length);
  for (let i = 0; i < codes.length; i++) codes[i] = labels[i]! * 2 + (scores[i]! >= threshold ? 1 : 0);
  return codes;
}

function perRow(data: BinaryData, term: (label: number, score: number) => number): Float64Array {
  const values = new Float64Array(data.labels.length);
  for (let i = 0; i < values.length; i++) values[i] = term(data.labels[i]!, data.scores[i]!);
  return values;
}

function weightedSum(values: Float64Array, weights: Float64Array | undefined): number {
  let sum = 0;
  if (weights === undefined) for (let i = 0; i < values.length; i++) sum += values[i]!;
  else for (let i = 0; i < values.length; i++) sum += weights[i]! * values[i]!;
  return sum;
}

function countWeightedSum(values: Float64Array, counts: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += counts[i]! * values[i]!;
  return sum;
}

function totalWeight(rows: number, weights: Float64Array | undefined): number {
  if (weights === undefined) return rows;
  let sum = 0;
  for (let i = 0; i < rows; i++) sum += weights[i]!;
  return sum;
}

/** Divides, giving scikit-learn's zero_division="warn" value 0 for 0 / 0. */
function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

/**
 * Prepares the binary metrics named in `metrics` for repeated weighted evaluation. `cacheTerms` precomputes the
 * per-row confusion cells and losses (worth it when evaluating many weightings; a single evaluation computes them
 * on the fly, and without weights ranks the scores for roc_auc / pr_auc in bounded memory, see score-buckets.ts).
 */
export function binaryEvaluator(data: BinaryData, metrics: readonly MetricInfo[], cacheTerms: boolean): WeightedEvaluator {
  const names = metrics.map((m) => m.name);
  const rows = data.labels.length;
  const needsConfusion = names.some((n) => n === 'accuracy' || n === 'precision' || n === 'recall' || n === 'f1');
  const needsRanking = names.includes('roc_auc') || names.includes('pr_auc');
  const needsLogLoss = names.includes('log_loss');
  const needsBrier = names.includes('brier');
  const codes = needsConfusion && cacheTerms ? confusionCodes(data) : undefined;
  const logLosses = needsLogLoss && cacheTerms ? perRow(data, logLossTerm) : undefined;
  const briers = needsBrier && cacheTerms ? perRow(data, brierTerm) : undefined;
  // The rows in score order, sorted when first needed: weighted and count evaluations walk it; an unweighted
  // evaluation without it buckets the scores instead, which needs far less memory than the order.
  let ranked: ScoreOrder | undefined;
  const scoreOrder = (): ScoreOrder => (ranked ??= orderByScore(data.labels, data.scores, data.threshold));
  const needsPrecision = names.includes('pr_auc');
  // For many count vectors without pr_auc, roc_auc has a faster dedicated pass.
  const plan = needsRanking && cacheTerms && !needsPrecision ? rocPlan(scoreOrder()) : undefined;
  // Per-evaluation results, allocated once: TN, FP, FN, TP; ranking sums; loss sums and total weight.
  const confusion = new Float64Array(4);
  const ranking: RankingSums = { rocAuc: Number.NaN, averagePrecision: Number.NaN };
  const countRanking: CountRankingSums = createCountRankingSums();
  const sums = { logLoss: 0, brier: 0, total: 0 };

  /** One pass over the rows for the confusion matrix, log loss, Brier score and total weight (those needed). */
  const linearPass = (weights: Float64Array | undefined): void => {
    confusion.fill(0);
    let logLoss = 0;
    let brier = 0;
    let total = 0;
    if (codes !== undefined || logLosses !== undefined || briers !== undefined) {
      // Terms cached for many weightings (the bootstrap with row weights).
      if (codes !== undefined) for (let i = 0; i < rows; i++) confusion[codes[i]!]! += weights === undefined ? 1 : weights[i]!;
      if (logLosses !== undefined) logLoss = weightedSum(logLosses, weights);
      if (briers !== undefined) brier = weightedSum(briers, weights);
      total = totalWeight(rows, weights);
    } else if (weights === undefined) {
      // Unit weights: the confusion cells as integer counts (no chain of updates through memory), the losses summed
      // in row order as with weights (so that all-1 weights or counts give the same bits).
      const { labels, scores, threshold } = data;
      let positives = 0;
      let predicted = 0;
      let truePositives = 0;
      for (let i = 0; i < rows; i++) {
        const label = labels[i]!;
        const score = scores[i]!;
        const prediction = +(score >= threshold);
        positives += label;
        predicted += prediction;
        truePositives += label & prediction;
        if (needsLogLoss) logLoss += logLossTerm(label, score);
        if (needsBrier) brier += brierTerm(label, score);
      }
      confusion[0] = rows - positives - predicted + truePositives;
      confusion[1] = predicted - truePositives;
      confusion[2] = positives - truePositives;
      confusion[3] = truePositives;
      total = rows;
    } else {
      const { labels, scores, threshold } = data;
      for (let i = 0; i < rows; i++) {
        const w = weights[i]!;
        const label = labels[i]!;
        const score = scores[i]!;
        if (needsConfusion) confusion[label * 2 + (score >= threshold ? 1 : 0)]! += w;
        if (needsLogLoss) logLoss += w * logLossTerm(label, score);
        if (needsBrier) brier += w * brierTerm(label, score);
        total += w;
      }
    }
    sums.logLoss = logLoss;
    sums.brier = brier;
    sums.total = total;
  };

  // Integer confusion cells for counts: bit 1 of a code is the label, bit 0 the prediction.
  const fillConfusionFromCounts = (counts: Uint8Array): void => {
    const cells = codes ?? confusionCodes(data);
    let total = 0;
    let positives = 0;
    let predicted = 0;
    let truePositives = 0;
    for (let i = 0; i < rows; i++) {
      const c = counts[i]!;
      const code = cells[i]!;
      total = (total + c) | 0;
      positives = (positives + (c & -(code >> 1))) | 0;
      predicted = (predicted + (c & -(code & 1))) | 0;
      truePositives = (truePositives + (c & -((code >> 1) & code))) | 0;
    }
    confusion[0] = total - positives - predicted + truePositives;
    confusion[1] = predicted - truePositives;
    confusion[2] = positives - truePositives;
    confusion[3] = truePositives;
  };

  /** Metric values from the confusion matrix, the ranking sums and the loss sums of one weighting. */
  const finish = (out: Float64Array, ranks: RankingSums, total: number, logLoss: number, brier: number): void => {
    const tn = confusion[0]!, fp = confusion[1]!, fn = confusion[2]!, tp = confusion[3]!;
    for (let m = 0; m < names.length; m++) {
      switch (names[m]) {
        case 'accuracy': out[m] = (tp + tn) / (tn + fp + fn + tp); break;
        case 'precision': out[m] = ratio(tp, tp + fp); break;
        case 'recall': out[m] = ratio(tp, tp + fn); break;
        case 'f1': out[m] = ratio(2 * tp, 2 * tp + fp + fn); break;
        case 'roc_auc': out[m] = ranks.rocAuc; break;
        case 'pr_auc': out[m] = ranks.averagePrecision; break;
        case 'log_loss': out[m] = logLoss / total; break;
        case 'brier': out[m] = brier / total; break;
        default: throw new RangeError(`Unknown binary metric "${names[m]}".`);
      }
    }
  };

  return {
    rows,
    evaluate(weights, out) {
      if (needsConfusion || needsLogLoss || needsBrier) linearPass(weights);
      if (needsRanking) {
        if (weights === undefined && ranked === undefined && rows >= BUCKETED_MIN_ROWS) {
          unweightedRankingMetrics(data.labels, data.scores, needsPrecision, ranking);
        } else {
          rankingMetrics(scoreOrder(), weights, needsPrecision, ranking);
        }
      }
      finish(out, ranking, sums.total, sums.logLoss, sums.brier);
    },
    evaluateCounts(counts, out) {
      if (needsRanking) {
        if (plan !== undefined) rocAucForCounts(plan, counts, countRanking);
        else rankingMetricsForCounts(scoreOrder(), counts, countRanking);
        // The ranking pass also counted the rows at or above the threshold: the confusion matrix comes free.
        const { positives, negatives, truePositives, falsePositives } = countRanking;
        confusion[0] = negatives - falsePositives;
        confusion[1] = falsePositives;
        confusion[2] = positives - truePositives;
        confusion[3] = truePositives;
      } else if (needsConfusion) {
        fillConfusionFromCounts(counts);
      }
      let total = 0;
      if (needsLogLoss || needsBrier) for (let i = 0; i < rows; i++) total += counts[i]!;
      const logLoss = needsLogLoss ? countWeightedSum(logLosses ?? perRow(data, logLossTerm), counts) : 0;
      const brier = needsBrier ? countWeightedSum(briers ?? perRow(data, brierTerm), counts) : 0;
      finish(out, countRanking, total, logLoss, brier);
    },
  };
}
