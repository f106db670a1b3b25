/**
 * roc_auc and average precision of unweighted rows, without an index sort: the scores are bucketed by the high bits
 * of their float64 representation (a counting sort, positives and negatives apart), each bucket is sorted on its own
 * and the buckets are walked from the highest score down, one group of tied scores at a time.
 *
 * Memory: the bucket histogram (2^20 buckets × 2 classes, 8 MB) and a scratch copy of at most CHUNK_ROWS scores (or
 * the largest bucket, if bigger). Larger inputs are handled in chunks of whole buckets, each chunk costing one more
 * read of the scores, so the extra memory stays bounded instead of growing with the rows (an index sort needs about
 * 17 bytes per row, 85 MB for 5,000,000 rows).
 *
 * The sums are those of `rankingMetrics` with unit weights, group by group in the same order: the values are the same
 * to the last bit.
 */
import type { RankingSums } from './ranking.ts';

/** First level: the top 20 bits of a score's order key (sign, exponent and 8 mantissa bits). */
const BUCKET_BITS = 20;
/** Second level, inside a bucket: the remaining 12 bits of the high word. */
const SUB_BITS = 32 - BUCKET_BITS;
const SUB_MASK = (1 << SUB_BITS) - 1;
/** Ranges up to this length are sorted by insertion. */
const INSERTION_LIMIT = 32;
/** Buckets from this length on are first tallied by high word, which needs no sort when each word holds one score. */
const TALLY_MIN_ROWS = 2048;
/** Rows per chunk: the scratch copy holds this many scores (16 MB); 5,000,000 rows take 3 passes. */
export const CHUNK_ROWS = 1 << 21;

/** Index of a double's high 32-bit word in a Uint32Array view of its bytes. */
const HIGH = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1 ? 1 : 0;

/**
 * A 32-bit unsigned key that grows with the value (the high word of its float64, sign-corrected); -0 gets the key of
 * 0, so that the two, tied for scikit-learn, land in the same bucket.
 */
function orderKey(high: number, value: number): number {
  if (high < 0x80000000) return high + 0x80000000;
  return value === 0 ? 0x80000000 : 0xffffffff - high;
}

/** Reusable buffers of the per-bucket work. */
interface BucketBuffers {
  /** Sort output. */
  temp: Float64Array;
  /** Counting-sort offsets, one per sub-bucket and one more. */
  counts: Int32Array;
  /** Per high word of a bucket: negatives at 2d, positives at 2d + 1, and the first score seen. */
  tally: Int32Array;
  representative: Float64Array;
}

/**
 * The running sums of the threshold walk, highest score first: per group of tied scores, the ROC area gains the
 * trapezoid ΔFP · (TP + TP_prev) / 2 and the average precision ΔTP · precision (as `rankingMetrics`).
 */
class ThresholdWalk {
  tp = 0;
  fp = 0;
  tpPrevious = 0;
  fpPrevious = 0;
  twiceArea = 0;
  precisionSum = 0;
  readonly withPrecision: boolean;

  constructor(withPrecision: boolean) {
    this.withPrecision = withPrecision;
  }

  /** Closes the next group of tied scores, which holds `positives` positive and `negatives` negative rows. */
  group(positives: number, negatives: number): void {
    const tp = this.tp + positives;
    const fp = this.fp + negatives;
    this.twiceArea += (fp - this.fpPrevious) * (tp + this.tpPrevious);
    if (this.withPrecision && tp > this.tpPrevious) this.precisionSum += ((tp - this.tpPrevious) * tp) / (tp + fp);
    this.tp = tp;
    this.fp = fp;
    this.tpPrevious = tp;
    this.fpPrevious = fp;
  }
}

function insertionSort(values: Float64Array, from: number, to: number): void {
  for (let i = from + 1; i < to; i++) {
    const value = values[i]!;
    let j = i - 1;
    while (j >= from && values[j]! > value) {
      values[j + 1] = values[j]!;
      j--;
    }
    values[j + 1] = value;
  }
}

/** Sorts a sub-range whose values share their high word (or a range too short to bucket): insertion or native. */
function sortSmall(values: Float64Array, from: number, to: number): void {
  const length = to - from;
  if (length < 2) return;
  if (length <= INSERTION_LIMIT) {
    insertionSort(values, from, to);
    return;
  }
  const first = values[from]!;
  let allEqual = true;
  for (let k = from + 1; k < to && allEqual; k++) allEqual = values[k] === first;
  if (!allEqual) values.subarray(from, to).sort();
}

/**
 * Sorts `values[from, to)` ascending, where all values share one first-level bucket: a counting sort on the rest of
 * the high word, then each sub-range (values sharing the whole high word) on its own.
 */
function sortBucket(values: Float64Array, words: Uint32Array, from: number, to: number, buffers: BucketBuffers): void {
  const length = to - from;
  if (length <= INSERTION_LIMIT) {
    if (length > 1) insertionSort(values, from, to);
    return;
  }
  const first = values[from]!;
  let allEqual = true;
  for (let k = from + 1; k < to && allEqual; k++) allEqual = values[k] === first;
  if (allEqual) return;

  if (buffers.temp.length < length) buffers.temp = new Float64Array(length);
  const { temp, counts } = buffers;
  // As many sub-buckets as values (up to the 12 bits left), so that they hold about one value each.
  const bits = Math.min(SUB_BITS, 32 - Math.clz32(length));
  const shift = SUB_BITS - bits;
  const size = 1 << bits;
  counts.fill(0, 0, size + 1);
  for (let k = from; k < to; k++) {
    counts[(((orderKey(words[2 * k + HIGH]!, values[k]!) & SUB_MASK) >>> shift) + 1)]!++;
  }
  for (let d = 1; d <= size; d++) counts[d]! += counts[d - 1]!;
  for (let k = from; k < to; k++) {
    const value = values[k]!;
    const digit = (orderKey(words[2 * k + HIGH]!, value) & SUB_MASK) >>> shift;
    temp[counts[digit]!++] = value;
  }
  // counts[d] is now the end of sub-bucket d.
  let start = 0;
  for (let d = 0; d < size; d++) {
    const end = counts[d]!;
    if (end - start > 1) sortSmall(temp, start, end);
    start = end;
  }
  values.set(temp.subarray(0, length), from);
}

/**
 * Walks one bucket (negatives in `values[start, positiveStart)`, positives in `[positiveStart, end)`) by tallying its
 * rows per high word, when every high word holds a single score (as with scores written to a fixed number of
 * decimals): then the words, in descending order, are the groups of tied scores. False, with nothing walked, when a
 * word holds two different scores.
 */
function walkByHighWord(
  values: Float64Array,
  words: Uint32Array,
  start: number,
  positiveStart: number,
  end: number,
  walk: ThresholdWalk,
  buffers: BucketBuffers,
): boolean {
  const { tally, representative } = buffers;
  tally.fill(0);
  for (let k = start; k < end; k++) {
    const value = values[k]!;
    const word = orderKey(words[2 * k + HIGH]!, value) & SUB_MASK;
    const cell = 2 * word + (k >= positiveStart ? 1 : 0);
    if (tally[2 * word]! + tally[2 * word + 1]! === 0) representative[word] = value;
    else if (representative[word] !== value) return false;
    tally[cell]!++;
  }
  for (let word = SUB_MASK; word >= 0; word--) {
    const negatives = tally[2 * word]!;
    const positives = tally[2 * word + 1]!;
    if (negatives + positives > 0) walk.group(positives, negatives);
  }
  return true;
}

/** Walks one bucket by sorting its negatives and its positives and merging the two runs from their high ends. */
function walkBySorting(
  values: Float64Array,
  words: Uint32Array,
  start: number,
  positiveStart: number,
  end: number,
  walk: ThresholdWalk,
  buffers: BucketBuffers,
): void {
  sortBucket(values, words, start, positiveStart, buffers);
  sortBucket(values, words, positiveStart, end, buffers);
  let p = end - 1;
  let q = positiveStart - 1;
  while (p >= positiveStart || q >= start) {
    // Each step takes at least one row (even a NaN, which equals nothing), then the rows tied with it.
    let value: number;
    let positives = 0;
    let negatives = 0;
    if (q < start || (p >= positiveStart && values[p]! >= values[q]!)) {
      value = values[p--]!;
      positives++;
    } else {
      value = values[q--]!;
      negatives++;
    }
    while (p >= positiveStart && values[p] === value) {
      p--;
      positives++;
    }
    while (q >= start && values[q] === value) {
      q--;
      negatives++;
    }
    walk.group(positives, negatives);
  }
}

let cachedScratch: WeakRef<Float64Array> | undefined;

/** A scratch array of at least `length` scores, reused across calls while the collector has not reclaimed it. */
function scratchOf(length: number): Float64Array {
  const cached = cachedScratch?.deref();
  if (cached !== undefined && cached.length >= length) return cached;
  const scratch = new Float64Array(length);
  cachedScratch = new WeakRef(scratch);
  return scratch;
}

/**
 * roc_auc and average precision of binary rows with unit weights (labels 0/1), as `rankingMetrics(ranked, undefined,
 * withPrecision, out)` gives them: NaN roc_auc when a class is absent, average precision 0 without positives.
 * `chunkRows` bounds the scratch copy (smaller values only cost more passes; tests use them to exercise chunking).
 */
export function unweightedRankingMetrics(
  labels: Uint8Array,
  scores: Float64Array,
  withPrecision: boolean,
  out: RankingSums,
  chunkRows = CHUNK_ROWS,
): void {
  const n = scores.length;
  const words = new Uint32Array(scores.buffer, scores.byteOffset, 2 * n);
  // Per bucket b: cells[2b] counts its negatives, cells[2b + 1] its positives; later they hold scatter offsets.
  // The extra last cell is the sink of the branch-free scatter.
  const sink = 2 << BUCKET_BITS;
  const cells = new Int32Array(sink + 1);
  // Scores without a sign bit (probabilities) take the short key computation.
  let signed = false;
  for (let i = 0; i < n; i++) {
    const high = words[2 * i + HIGH]!;
    if (high >= 0x80000000) {
      signed = true;
      break;
    }
    cells[2 * ((high >>> SUB_BITS) + (1 << (BUCKET_BITS - 1))) + labels[i]!]!++;
  }
  if (signed) {
    cells.fill(0);
    for (let i = 0; i < n; i++) cells[2 * (orderKey(words[2 * i + HIGH]!, scores[i]!) >>> SUB_BITS) + labels[i]!]!++;
  }
  let lowest = 1 << BUCKET_BITS;
  let highest = -1;
  let largest = 0;
  for (let b = 0; b < 1 << BUCKET_BITS; b++) {
    const size = cells[2 * b]! + cells[2 * b + 1]!;
    if (size === 0) continue;
    if (lowest > b) lowest = b;
    highest = b;
    if (size > largest) largest = size;
  }

  // One slot more than a chunk holds: the sink slot that rows outside the chunk are written to.
  const scratch = scratchOf(Math.min(n, Math.max(chunkRows, largest)) + 1);
  const scratchWords = new Uint32Array(scratch.buffer, scratch.byteOffset, 2 * scratch.length);
  const capacity = scratch.length - 1;
  const buffers: BucketBuffers = {
    temp: new Float64Array(0),
    counts: new Int32Array((1 << SUB_BITS) + 1),
    tally: new Int32Array(2 << SUB_BITS),
    representative: new Float64Array(1 << SUB_BITS),
  };
  const walk = new ThresholdWalk(withPrecision);
  let top = highest;
  while (top >= lowest) {
    // The next chunk: buckets top, top - 1, ... down to bottom, as many as fit in the scratch array; each bucket's
    // region holds its negatives, then its positives.
    let filled = 0;
    let bottom = top;
    for (let b = top; b >= lowest; b--) {
      const negatives = cells[2 * b]!;
      const positives = cells[2 * b + 1]!;
      if (filled + negatives + positives > capacity) break;
      cells[2 * b] = filled;
      cells[2 * b + 1] = filled + negatives;
      filled += negatives + positives;
      bottom = b;
    }
    const span = top - bottom;
    if (!signed) {
      // Without a branch on whether a row belongs to the chunk (a coin flip the processor mispredicts): a row outside
      // it goes to the sink cell, whose offset (the sink slot) does not advance.
      cells[sink] = capacity;
      const offset = bottom - (1 << (BUCKET_BITS - 1));
      for (let i = 0; i < n; i++) {
        const bucket = (words[2 * i + HIGH]! >>> SUB_BITS) - offset;
        const outside = (bucket | (span - bucket)) >> 31; // -1 outside [0, span], else 0
        const cell = ((2 * (bucket + bottom) + labels[i]!) & ~outside) | (sink & outside);
        const at = cells[cell]!;
        scratch[at] = scores[i]!;
        cells[cell] = at + 1 + outside;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const value = scores[i]!;
        const bucket = orderKey(words[2 * i + HIGH]!, value) >>> SUB_BITS;
        if ((bucket - bottom) >>> 0 > span) continue;
        scratch[cells[2 * bucket + labels[i]!]!++] = value;
      }
    }
    // Now cells[2b] is the end of the bucket's negatives (the start of its positives), cells[2b + 1] its end.
    let start = 0;
    for (let b = top; b >= bottom; b--) {
      const positiveStart = cells[2 * b]!;
      const end = cells[2 * b + 1]!;
      if (end === start) continue;
      if (end - start < TALLY_MIN_ROWS || !walkByHighWord(scratch, scratchWords, start, positiveStart, end, walk, buffers)) {
        walkBySorting(scratch, scratchWords, start, positiveStart, end, walk, buffers);
      }
      start = end;
    }
    top = bottom - 1;
  }
  const { tp, fp } = walk;
  out.rocAuc = tp > 0 && fp > 0 ? walk.twiceArea / (2 * tp * fp) : Number.NaN;
  out.averagePrecision = tp > 0 ? walk.precisionSum / tp : 0;
}
