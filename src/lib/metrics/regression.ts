import type { MetricInfo, RegressionData, WeightedEvaluator } from './types.ts';

/** scikit-learn floors |label| at float64 machine epsilon in the MAPE denominator. */
const EPSILON = 2 ** -52;

/**
 * Regression metrics from six weighted sums gathered in one pass. The R² denominator uses labels shifted by their
 * (base-weighted) mean, which keeps the one-pass sum of squares as accurate as scikit-learn's two-pass form.
 */
export function regressionEvaluator(data: RegressionData, metrics: readonly MetricInfo[]): WeightedEvaluator {
  const names = metrics.map((m) => m.name);
  const { labels, predictions } = data;
  const rows = labels.length;
  let shift = 0;
  {
    let sum = 0;
    let weight = 0;
    for (let i = 0; i < rows; i++) {
      const w = data.weights === undefined ? 1 : data.weights[i]!;
      sum += w * labels[i]!;
      weight += w;
    }
    if (weight !== 0) shift = sum / weight;
  }

  const evaluate = (weights: Float64Array | Uint8Array | undefined, out: Float64Array): void => {
      let total = 0;
      let absolute = 0;
      let squared = 0;
      let percentage = 0;
      let centred = 0;
      let centredSquared = 0;
      for (let i = 0; i < rows; i++) {
        const w = weights === undefined ? 1 : weights[i]!;
        const y = labels[i]!;
        const error = predictions[i]! - y;
        const magnitude = Math.abs(y);
        const c = y - shift;
        total += w;
        absolute += w * Math.abs(error);
        squared += w * error * error;
        percentage += (w * Math.abs(error)) / (magnitude < EPSILON ? EPSILON : magnitude);
        centred += w * c;
        centredSquared += w * c * c;
      }
      for (let m = 0; m < names.length; m++) {
        switch (names[m]) {
          case 'mae': out[m] = absolute / total; break;
          case 'rmse': out[m] = Math.sqrt(squared / total); break;
          case 'mape': out[m] = percentage / total; break;
          case 'r2': {
            const residual = squared;
            const spread = centredSquared - (centred * centred) / total;
            // scikit-learn (force_finite): a perfect fit scores 1, a missed constant label 0; fewer than 2 rows NaN.
            out[m] = rows < 2 ? Number.NaN : residual === 0 ? 1 : spread <= 0 ? 0 : 1 - residual / spread;
            break;
          }
          default: throw new RangeError(`Unknown regression metric "${names[m]}".`);
        }
      }
  };
  return { rows, evaluate, evaluateCounts: evaluate };
}
