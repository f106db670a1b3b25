export type Task = 'binary' | 'multiclass' | 'regression';
export type Direction = 'higher' | 'lower';

/**
 * Binary classification: labels are 0/1, scores are the predicted probability of class 1 in [0, 1]. The label-based
 * metrics (accuracy, precision, recall, f1) predict class 1 when `score >= threshold`.
 */
export interface BinaryData {
  task: 'binary';
  labels: Uint8Array;
  scores: Float64Array;
  threshold: number;
  weights?: Float64Array;
}

/** Multiclass classification: class labels encoded as indices in [0, classCount) by the caller. */
export interface MulticlassData {
  task: 'multiclass';
  labels: Int32Array;
  predictions: Int32Array;
  classCount: number;
  weights?: Float64Array;
}

export interface RegressionData {
  task: 'regression';
  labels: Float64Array;
  predictions: Float64Array;
  weights?: Float64Array;
}

export type PredictionData = BinaryData | MulticlassData | RegressionData;

export interface MetricInfo {
  name: string;
  task: Task;
  direction: Direction;
  description: string;
}

/**
 * Evaluates a fixed list of metrics on one model's predictions for any row weighting. Prepared once per data set
 * (sorting, per-row terms), then called once per weighting: the point estimate and every bootstrap resample.
 */
export interface WeightedEvaluator {
  /** Number of rows. */
  readonly rows: number;
  /** Writes the metric values, in the order the evaluator was built with, into `out`. `weights` undefined = all 1. */
  evaluate(weights: Float64Array | undefined, out: Float64Array): void;
  /**
   * The same for integer row multiplicities (a bootstrap resample without row weights): equal to `evaluate` with
   * the counts as weights, on a faster integer path.
   */
  evaluateCounts(counts: Uint8Array, out: Float64Array): void;
}
