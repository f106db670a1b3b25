/** The scikit-learn reference cases in test/fixtures/metrics/ (made by generate_reference.py), for every test that checks values. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface ReferenceCase {
  name: string;
  task: 'binary' | 'multiclass' | 'regression';
  threshold?: number;
  labels: (number | string)[];
  scores?: number[];
  predictions?: (number | string)[];
  weights?: number[];
  expected: Record<string, number>;
}

export function referenceCases(task: ReferenceCase['task']): ReferenceCase[] {
  const file = path.resolve(import.meta.dirname, '..', 'fixtures', 'metrics', `${task}.json`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { cases: ReferenceCase[] }).cases;
}
