/**
 * Rows ordered by score, highest first, with tied scores grouped: the one sort that roc_auc and pr_auc need.
 * The bootstrap sorts each model once and evaluates every resample in linear passes over this order.
 */
export interface ScoreOrder {
  /** Row indices by descending score (ties in row order). */
  order: Uint32Array;
  /** Per position in `order`: bit 0 = the row's label, bit 1 = last row of its group of tied scores. */
  flags: Uint8Array;
  /** The rows are already in score order (`order[k] === k`): the passes read weights sequentially. */
  inRowOrder: boolean;
  /** How many rows score at least the threshold (they come first in `order`). */
  aboveThreshold: number;
}

const DIGIT_BITS = 11;
const BUCKETS = 1 << DIGIT_BITS;
const PASSES = 3; // 3 × 11 bits cover a 32-bit key

/**
 * Indices of `values` in descending order of their float32 rounding, stable. NaN must not occur (the callers
 * validate scores).
 *
 * A least-significant-digit radix sort (three 11-bit digits) on 32-bit keys: each value's float32 rounding, whose
 * bits map to unsigned integers in the same order. Rounding to float32 is monotone, so only values that share a
 * float32 can be out of order afterwards (`sortDescending` puts them in order by their float64 values).
 */
function argsortDescending32(values: Float64Array): Uint32Array {
  const n = values.length;
  if (isNonIncreasing(values)) return identity(n);
  const rounded = new Float32Array(n);
  rounded.set(values);
  let keys: Uint32Array = new Uint32Array(rounded.buffer);
  const histograms = new Uint32Array(BUCKETS * PASSES);
  for (let i = 0; i < n; i++) {
    const bits = keys[i]!;
    // Negatives flip every bit, the others the sign bit: unsigned order becomes numeric order.
    const key = (bits >>> 31 === 1 ? ~bits : bits | 0x80000000) >>> 0;
    keys[i] = key;
    histograms[key & (BUCKETS - 1)]! += 1;
    histograms[BUCKETS + ((key >>> DIGIT_BITS) & (BUCKETS - 1))]! += 1;
    histograms[2 * BUCKETS + (key >>> (2 * DIGIT_BITS))]! += 1;
  }

  let order: Uint32Array = identity(n);
  let nextKeys: Uint32Array = new Uint32Array(n);
  let nextOrder: Uint32Array = new Uint32Array(n);
  const offsets = new Uint32Array(BUCKETS);
  for (let pass = 0; pass < PASSES; pass++) {
    const base = pass * BUCKETS;
    const shift = pass * DIGIT_BITS;
    let used = 0;
    for (let d = 0; d < BUCKETS && used < 2; d++) if (histograms[base + d]! > 0) used++;
    if (used < 2) continue; // every key shares this digit: the pass would not move anything
    // Descending: the largest digit's bucket comes first.
    let position = 0;
    for (let d = BUCKETS - 1; d >= 0; d--) {
      offsets[d] = position;
      position += histograms[base + d]!;
    }
    for (let k = 0; k < n; k++) {
      const key = keys[k]!;
      const d = (key >>> shift) & (BUCKETS - 1);
      const target = offsets[d]!;
      offsets[d] = target + 1;
      nextKeys[target] = key;
      nextOrder[target] = order[k]!;
    }
    [keys, nextKeys] = [nextKeys, keys];
    [order, nextOrder] = [nextOrder, order];
  }

  return order;
}

/**
 * `argsortDescending` together with the values in that order (`sorted[k] === values[order[k]]`), gathered once.
 * Rows whose values round to the same float32 are adjacent after the radix passes; each such run whose float64
 * values differ is ordered by them here.
 */
export function sortDescending(values: Float64Array): { order: Uint32Array; sorted: Float64Array } {
  const n = values.length;
  const order = argsortDescending32(values);
  const sorted = new Float64Array(n);
  for (let k = 0; k < n; k++) sorted[k] = values[order[k]!]!;
  let start = 0;
  while (start < n) {
    const key = Math.fround(sorted[start]!);
    let end = start + 1;
    let allEqual = true;
    while (end < n && Math.fround(sorted[end]!) === key) {
      if (sorted[end] !== sorted[start]) allEqual = false;
      end++;
    }
    if (!allEqual) {
      order.subarray(start, end).sort((a, b) => values[b]! - values[a]! || a - b);
      for (let k = start; k < end; k++) sorted[k] = values[order[k]!]!;
    }
    start = end;
  }
  return { order, sorted };
}

/** Indices of `values` in descending order, stable (tied values keep their row order); NaN must not occur. */
export function argsortDescending(values: Float64Array): Uint32Array {
  return sortDescending(values).order;
}

function isNonIncreasing(values: Float64Array): boolean {
  for (let i = 1; i < values.length; i++) if (values[i]! > values[i - 1]!) return false;
  return true;
}

function identity(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

/** Sorts the rows of one binary model by score once; labels are 0/1. */
export function orderByScore(labels: Uint8Array, scores: Float64Array, threshold: number): ScoreOrder {
  const n = scores.length;
  const { order, sorted } = sortDescending(scores);
  const flags = new Uint8Array(n);
  let inRowOrder = true;
  let aboveThreshold = 0;
  for (let k = 0; k < n; k++) {
    const row = order[k]!;
    if (row !== k) inRowOrder = false;
    if (sorted[k]! >= threshold) aboveThreshold = k + 1;
    const groupEnd = k === n - 1 || sorted[k] !== sorted[k + 1];
    flags[k] = labels[row]! | (groupEnd ? 2 : 0);
  }
  return { order, flags, inRowOrder, aboveThreshold };
}

export interface RankingSums {
  /** Area under the ROC curve (NaN when either class has zero weight). */
  rocAuc: number;
  /** Average precision (0 when the positive class has zero weight, as scikit-learn). */
  averagePrecision: number;
}

/**
 * roc_auc and average precision for row weights (undefined = all 1) in one pass over the presorted order.
 * Per group of tied scores: ROC area gains the trapezoid ΔFP · (TP + TP_prev) / 2, average precision gains
 * ΔTP · precision; this is scikit-learn's _binary_clf_curve + auc / step integral without materialising the curves.
 */
export function rankingMetrics(
  ranked: ScoreOrder,
  weights: Float64Array | undefined,
  withPrecision: boolean,
  out: RankingSums,
): void {
  const { order, flags } = ranked;
  const n = order.length;
  let tp = 0;
  let fp = 0;
  let tpPrevious = 0;
  let fpPrevious = 0;
  let twiceArea = 0;
  let precisionSum = 0;
  for (let k = 0; k < n; k++) {
    const w = weights === undefined ? 1 : weights[order[k]!]!;
    const f = flags[k]!;
    const positive = f & 1;
    tp += w * positive;
    fp += w * (1 - positive);
    if (f > 1) {
      twiceArea += (fp - fpPrevious) * (tp + tpPrevious);
      if (withPrecision && tp > tpPrevious) precisionSum += ((tp - tpPrevious) * tp) / (tp + fp);
      tpPrevious = tp;
      fpPrevious = fp;
    }
  }
  out.rocAuc = tp > 0 && fp > 0 ? twiceArea / (2 * tp * fp) : Number.NaN;
  out.averagePrecision = tp > 0 ? precisionSum / tp : 0;
}

/** Integer sums of one resample's ranking pass. */
export interface CountRankingSums extends RankingSums {
  /** Total count of positive / negative rows. */
  positives: number;
  negatives: number;
  /** Counts of positive / negative rows scoring at least the threshold: TP and FP of the label-based metrics. */
  truePositives: number;
  falsePositives: number;
}

export function createCountRankingSums(): CountRankingSums {
  return {
    rocAuc: Number.NaN,
    averagePrecision: Number.NaN,
    positives: 0,
    negatives: 0,
    truePositives: 0,
    falsePositives: 0,
  };
}

/**
 * `rankingMetrics` for integer row multiplicities (the bootstrap): the same sums, exact integers below 2^53, so equal
 * to the weighted pass with the counts as weights. Since the rows scoring at least the threshold are a prefix of the
 * order, the confusion matrix comes with it.
 */
export function rankingMetricsForCounts(ranked: ScoreOrder, counts: Uint8Array, out: CountRankingSums): void {
  const { order, flags, inRowOrder, aboveThreshold } = ranked;
  const n = order.length;
  let tp = 0;
  let fp = 0;
  let tpPrevious = 0;
  let fpPrevious = 0;
  let twiceArea = 0;
  let precisionSum = 0;
  for (let k = 0; k < n; k++) {
    if (k === aboveThreshold) {
      out.truePositives = tp;
      out.falsePositives = fp;
    }
    const c = counts[inRowOrder ? k : order[k]!]!;
    const f = flags[k]!;
    const positive = f & 1;
    tp = (tp + (c & -positive)) | 0;
    fp = (fp + (c & (positive - 1))) | 0;
    if (f > 1) {
      twiceArea += (fp - fpPrevious) * (tp + tpPrevious);
      if (tp > tpPrevious) precisionSum += ((tp - tpPrevious) * tp) / (tp + fp);
      tpPrevious = tp;
      fpPrevious = fp;
    }
  }
  if (aboveThreshold === n) {
    out.truePositives = tp;
    out.falsePositives = fp;
  }
  out.rocAuc = tp > 0 && fp > 0 ? twiceArea / (2 * tp * fp) : Number.NaN;
  out.averagePrecision = tp > 0 ? precisionSum / tp : 0;
  out.positives = tp;
  out.negatives = fp;
}

/**
 * roc_auc of one model for many count vectors, as the Mann-Whitney sum over positive rows: a positive row with
 * count c adds c · (2N − F(tied or above) − F(above)) to twice the area, where F(x) is the count of negative rows
 * scoring x. The negative counts are cumulated in score order once per resample, then each positive reads its two
 * bounds: two short loops instead of one pass doing both, the bootstrap's hottest code.
 */
export interface RocPlan {
  /** Negative rows, then positive rows, each in descending score order. */
  negativeRows: Uint32Array;
  positiveRows: Uint32Array;
  /** Per positive row: how many negative rows score higher, and higher or the same. */
  negativesAbove: Uint32Array;
  negativesTiedOrAbove: Uint32Array;
  /** Negative and positive rows scoring at least the threshold (prefixes of the lists above). */
  negativesAtThreshold: number;
  positivesAtThreshold: number;
  /** Scratch: cumulative negative counts, entry j = total count of the first j negative rows. */
  cumulative: Float64Array;
}

export function rocPlan(ranked: ScoreOrder): RocPlan {
  const { order, flags, aboveThreshold } = ranked;
  const n = order.length;
  let positives = 0;
  for (let k = 0; k < n; k++) positives += flags[k]! & 1;
  const negatives = n - positives;
  const plan: RocPlan = {
    negativeRows: new Uint32Array(negatives),
    positiveRows: new Uint32Array(positives),
    negativesAbove: new Uint32Array(positives),
    negativesTiedOrAbove: new Uint32Array(positives),
    negativesAtThreshold: 0,
    positivesAtThreshold: 0,
    cumulative: new Float64Array(negatives + 1),
  };
  let negative = 0;
  let positive = 0;
  let start = 0;
  while (start < n) {
    if (start === aboveThreshold) {
      plan.negativesAtThreshold = negative;
      plan.positivesAtThreshold = positive;
    }
    let end = start;
    while ((flags[end]! & 2) === 0) end++;
    const before = negative;
    for (let k = start; k <= end; k++) if ((flags[k]! & 1) === 0) plan.negativeRows[negative++] = order[k]!;
    for (let k = start; k <= end; k++) {
      if ((flags[k]! & 1) === 0) continue;
      plan.positiveRows[positive] = order[k]!;
      plan.negativesAbove[positive] = before;
      plan.negativesTiedOrAbove[positive] = negative;
      positive++;
    }
    start = end + 1;
  }
  if (aboveThreshold === n) {
    plan.negativesAtThreshold = negative;
    plan.positivesAtThreshold = positive;
  }
  return plan;
}

/** roc_auc and the confusion counts at the threshold for one count vector (see RocPlan). */
export function rocAucForCounts(plan: RocPlan, counts: Uint8Array, out: CountRankingSums): void {
  const { negativeRows, positiveRows, negativesAbove, negativesTiedOrAbove, cumulative } = plan;
  let negatives = 0;
  for (let j = 0; j < negativeRows.length; j++) {
    negatives = (negatives + counts[negativeRows[j]!]!) | 0;
    cumulative[j + 1] = negatives;
  }
  let positives = 0;
  let pairSum = 0;
  const split = plan.positivesAtThreshold;
  for (let i = 0; i < split; i++) {
    const c = counts[positiveRows[i]!]!;
    positives = (positives + c) | 0;
    pairSum += c * (cumulative[negativesTiedOrAbove[i]!]! + cumulative[negativesAbove[i]!]!);
  }
  out.truePositives = positives;
  for (let i = split; i < positiveRows.length; i++) {
    const c = counts[positiveRows[i]!]!;
    positives = (positives + c) | 0;
    pairSum += c * (cumulative[negativesTiedOrAbove[i]!]! + cumulative[negativesAbove[i]!]!);
  }
  out.falsePositives = cumulative[plan.negativesAtThreshold]!;
  out.positives = positives;
  out.negatives = negatives;
  out.rocAuc = positives > 0 && negatives > 0 ? (2 * negatives * positives - pairSum) / (2 * positives * negatives) : Number.NaN;
  out.averagePrecision = Number.NaN;
}
