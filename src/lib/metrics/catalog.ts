import type { MetricInfo, Task } from './types.ts';

function metric(task: Task, name: string, direction: MetricInfo['direction'], description: string): MetricInfo {
  return Object.freeze({ name, task, direction, description });
}

/**
 * Every metric per task, in the order reports list them. The values equal scikit-learn's functions named in the
 * descriptions, with per-row weights passed as `sample_weight`.
 */
export const METRICS: Record<Task, readonly MetricInfo[]> = Object.freeze({
  binary: Object.freeze([
    metric('binary', 'accuracy', 'higher', 'Weighted share of rows whose predicted class (score >= threshold) equals the label (accuracy_score).'),
    metric('binary', 'precision', 'higher', 'Share of predicted positives that are positive; 0 when nothing is predicted positive (precision_score).'),
    metric('binary', 'recall', 'higher', 'Share of positives predicted positive; 0 when there is no positive label (recall_score).'),
    metric('binary', 'f1', 'higher', 'Harmonic mean of precision and recall, 2·TP / (2·TP + FP + FN) (f1_score).'),
    metric('binary', 'roc_auc', 'higher', 'Area under the ROC curve, tied scores forming one step (roc_auc_score); NaN when one class is absent.'),
    metric('binary', 'pr_auc', 'higher', 'Average precision, the non-interpolated step area under the precision-recall curve (average_precision_score).'),
    metric('binary', 'log_loss', 'lower', 'Mean negative log-likelihood, scores clipped to [eps, 1 - eps] with eps = 2^-52 (log_loss).'),
    metric('binary', 'brier', 'lower', 'Mean squared difference between score and label (brier_score_loss).'),
  ]),
  multiclass: Object.freeze([
    metric('multiclass', 'accuracy', 'higher', 'Weighted share of rows whose predicted class equals the label (accuracy_score).'),
    metric('multiclass', 'f1_macro', 'higher', 'Unweighted mean of per-class F1 over the classes seen in labels or predictions (f1_score, average="macro").'),
    metric('multiclass', 'f1_weighted', 'higher', 'Mean of per-class F1 weighted by each class\'s (weighted) support (f1_score, average="weighted").'),
    metric('multiclass', 'precision_macro', 'higher', 'Unweighted mean of per-class precision; a class never predicted counts 0 (precision_score, average="macro").'),
    metric('multiclass', 'recall_macro', 'higher', 'Unweighted mean of per-class recall; a class never labelled counts 0 (recall_score, average="macro").'),
  ]),
  regression: Object.freeze([
    metric('regression', 'mae', 'lower', 'Mean absolute error (mean_absolute_error).'),
    metric('regression', 'rmse', 'lower', 'Square root of the mean squared error (root_mean_squared_error).'),
    metric('regression', 'r2', 'higher', 'Coefficient of determination, 1 for a perfect fit, 0 for a constant label that is missed (r2_score).'),
    metric('regression', 'mape', 'lower', 'Mean absolute percentage error as a fraction, |label| floored at 2^-52 (mean_absolute_percentage_error).'),
  ]),
});

export function metricInfo(task: Task, name: string): MetricInfo | undefined {
  return METRICS[task].find((info) => info.name === name);
}

/** Resolves metric names for a task (all of its metrics when `names` is undefined); throws on an unknown name. */
export function resolveMetrics(task: Task, names: readonly string[] | undefined): MetricInfo[] {
  if (names === undefined) return [...METRICS[task]];
  return names.map((name) => {
    const info = metricInfo(task, name);
    if (info === undefined) {
      const known = METRICS[task].map((m) => m.name).join(', ');
      throw new RangeError(`Unknown ${task} metric "${name}"; the ${task} metrics are: ${known}.`);
    }
    return info;
  });
}
