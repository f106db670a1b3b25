/**
 * The metrics reference cases (test/fixtures/metrics/, values computed by scikit-learn) run through the whole command:
 * binary cases as CSV, multiclass as JSON Lines, regression as gzip CSV, weights as a weight column.
 */
import { describe, expect, it } from 'vitest';
import { referenceCases, type ReferenceCase } from '../../support/metrics-reference.ts';
import { runEvaluate, scratch, writeInto } from './helpers.ts';


function writeCase(dir: string, reference: ReferenceCase): string {
  const predictions = reference.scores ?? reference.predictions ?? [];
  if (reference.task === 'multiclass') {
    const lines = reference.labels.map((label, i) =>
      JSON.stringify({ label, candidate: predictions[i], ...(reference.weights ? { weight: reference.weights[i] } : {}) }),
    );
    return writeInto(dir, 'predictions.jsonl', `${lines.join('\n')}\n`);
  }
  const header = reference.weights ? 'label,candidate,weight' : 'label,candidate';
  const rows = reference.labels.map((label, i) => [label, predictions[i], ...(reference.weights ? [reference.weights[i]] : [])].map(String).join(','));
  return writeInto(dir, reference.task === 'regression' ? 'predictions.csv.gz' : 'predictions.csv', `${header}\n${rows.join('\n')}\n`);
}

describe('evaluate-model on the scikit-learn reference cases', () => {
  for (const task of ['binary', 'multiclass', 'regression'] as const) {
    for (const reference of referenceCases(task)) {
      it(`${task}: ${reference.name}`, async () => {
        const dir = scratch();
        const file = writeCase(dir, reference);
        const { report } = await runEvaluate(
          {
            predictions: file,
            task,
            ...(reference.threshold !== undefined ? { threshold: String(reference.threshold) } : {}),
            ...(reference.weights ? { 'weight-column': 'weight' } : {}),
          },
          { workspace: dir },
        );
        for (const [metric, value] of Object.entries(reference.expected)) {
          const actual = report.candidate.metrics[metric] as number;
          expect(Math.abs(actual - value), `${metric}: ${actual} vs scikit-learn ${value}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(value)));
        }
      });
    }
  }
});
