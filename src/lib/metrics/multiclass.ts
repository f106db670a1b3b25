import type { MetricInfo, MulticlassData, WeightedEvaluator } from './types.ts';

/**
 * Classes that scikit-learn would average over: those occurring among the labels or the predictions (whatever the
 * row weights, as `unique_labels(y_true, y_pred)` ignores sample_weight).
 */
function classesSeen(data: MulticlassData): Uint8Array {
  const seen = new Uint8Array(data.classCount);
  for (let i = 0; i < data.labels.length; i++) {
    seen[data.labels[i]!] = 1;
    seen[data.predictions[i]!] = 1;
  }
  return seen;
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

/** Weighted confusion matrix (row = label, column = prediction) and the macro / weighted averages derived from it. */
export function multiclassEvaluator(data: MulticlassData, metrics: readonly MetricInfo[]): WeightedEvaluator {
  const names = metrics.map((m) => m.name);
  const k = data.classCount;
  const rows = data.labels.length;
  const seen = classesSeen(data);
  const matrix = new Float64Array(k * k);
  const trueSum = new Float64Array(k);
  const predictedSum = new Float64Array(k);

  const evaluate = (weights: Float64Array | Uint8Array | undefined, out: Float64Array): void => {
      const { labels, predictions } = data;
      matrix.fill(0);
      if (weights === undefined) for (let i = 0; i < rows; i++) matrix[labels[i]! * k + predictions[i]!]! += 1;
      else for (let i = 0; i < rows; i++) matrix[labels[i]! * k + predictions[i]!]! += weights[i]!;
      trueSum.fill(0);
      predictedSum.fill(0);
      let total = 0;
      let correct = 0;
      for (let t = 0; t < k; t++) {
        for (let p = 0; p < k; p++) {
          const w = matrix[t * k + p]!;
          trueSum[t]! += w;
          predictedSum[p]! += w;
          total += w;
        }
        correct += matrix[t * k + t]!;
      }
      let classes = 0;
      let f1Sum = 0;
      let f1WeightedSum = 0;
      let supportSum = 0;
      let precisionSum = 0;
      let recallSum = 0;
      for (let c = 0; c < k; c++) {
        if (seen[c] === 0) continue;
        const tp = matrix[c * k + c]!;
        const f1 = ratio(2 * tp, trueSum[c]! + predictedSum[c]!);
        classes++;
        f1Sum += f1;
        f1WeightedSum += f1 * trueSum[c]!;
        supportSum += trueSum[c]!;
        precisionSum += ratio(tp, predictedSum[c]!);
        recallSum += ratio(tp, trueSum[c]!);
      }
      for (let m = 0; m < names.length; m++) {
        switch (names[m]) {
          case 'accuracy': out[m] = correct / total; break;
          case 'f1_macro': out[m] = f1Sum / classes; break;
          // With no support at all scikit-learn falls back to the unweighted mean.
          case 'f1_weighted': out[m] = supportSum === 0 ? f1Sum / classes : f1WeightedSum / supportSum; break;
          case 'precision_macro': out[m] = precisionSum / classes; break;
          case 'recall_macro': out[m] = recallSum / classes; break;
          default: throw new RangeError(`Unknown multiclass metric "${names[m]}".`);
        }
      }
  };
  return { rows, evaluate, evaluateCounts: evaluate };
}
