import { binaryEvaluator } from './binary.ts';
import { multiclassEvaluator } from './multiclass.ts';
import { regressionEvaluator } from './regression.ts';
import type { MetricInfo, PredictionData, WeightedEvaluator } from './types.ts';

/** Checks the shape invariants the metric loops rely on (lengths, label ranges); throws RangeError on a caller bug. */
export function checkPredictionData(data: PredictionData): void {
  const rows = data.labels.length;
  const predictions = data.task === 'binary' ? data.scores : data.predictions;
  if (predictions.length !== rows) {
    throw new RangeError(`${data.task} data has ${rows} labels but ${predictions.length} predictions.`);
  }
  if (data.weights !== undefined && data.weights.length !== rows) {
    throw new RangeError(`${data.task} data has ${rows} rows but ${data.weights.length} weights.`);
  }
  if (data.task === 'binary') {
    for (let i = 0; i < rows; i++) {
      if (data.labels[i]! > 1) throw new RangeError(`Binary label at row ${i} is ${data.labels[i]}, not 0 or 1.`);
    }
  } else if (data.task === 'multiclass') {
    const k = data.classCount;
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`classCount must be a positive integer, got ${k}.`);
    for (let i = 0; i < rows; i++) {
      const label = data.labels[i]!;
      const predicted = data.predictions[i]!;
      if (label < 0 || label >= k || predicted < 0 || predicted >= k) {
        throw new RangeError(`Multiclass row ${i} has class index ${label}/${predicted} outside [0, ${k}).`);
      }
    }
  }
}

/** The evaluator for a task; `cacheTerms` trades memory for speed when many weightings will be evaluated. */
export function createEvaluator(data: PredictionData, metrics: readonly MetricInfo[], cacheTerms: boolean): WeightedEvaluator {
  switch (data.task) {
    case 'binary': return binaryEvaluator(data, metrics, cacheTerms);
    case 'multiclass': return multiclassEvaluator(data, metrics);
    case 'regression': return regressionEvaluator(data, metrics);
  }
}
