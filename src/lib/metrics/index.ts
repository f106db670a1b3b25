/**
 * Model evaluation metrics with scikit-learn's values (binary, multiclass, regression; every metric takes per-row
 * weights as sample_weight) and a paired bootstrap of the improvement of a candidate over a champion.
 *
 * Conventions, each as scikit-learn:
 * - binary: a row is predicted positive when `score >= threshold`; precision, recall and f1 are 0 when their
 *   denominator is 0 (zero_division="warn"); roc_auc is NaN when a class is absent, pr_auc 0 without positives;
 *   log_loss clips scores to [2^-52, 1 - 2^-52].
 * - multiclass: macro and weighted averages run over the classes occurring among the labels or the predictions
 *   (whatever their weights); a class never predicted has precision 0, a class never labelled recall 0.
 * - regression: mape is a fraction and divides by max(|label|, 2^-52); r2 is 1 for a perfect fit, 0 for a
 *   constant label that is missed, NaN below 2 rows.
 * - a zero total weight gives NaN for accuracy and the mean losses / errors.
 */
import { resolveMetrics } from './catalog.ts';
import { checkPredictionData, createEvaluator } from './evaluator.ts';
import type { PredictionData } from './types.ts';

export type {
  BinaryData,
  Direction,
  MetricInfo,
  MulticlassData,
  PredictionData,
  RegressionData,
  Task,
} from './types.ts';
export { METRICS, metricInfo } from './catalog.ts';
export { pairedBootstrap, type Interval, type PairedBootstrapOptions } from './bootstrap.ts';

/**
 * The named metrics (all of the task's metrics, in METRICS order, by default) of one model's predictions, weighted
 * by `data.weights` when present. Throws RangeError for an unknown metric name or inconsistent arrays.
 */
export function computeMetrics(data: PredictionData, names?: readonly string[]): Record<string, number> {
  const infos = resolveMetrics(data.task, names);
  checkPredictionData(data);
  const values = new Float64Array(infos.length);
  createEvaluator(data, infos, false).evaluate(data.weights, values);
  const result: Record<string, number> = {};
  infos.forEach((info, m) => {
    result[info.name] = values[m]!;
  });
  return result;
}
