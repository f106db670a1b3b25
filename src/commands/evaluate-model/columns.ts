/** The columns evaluate-model reads, per task, with the checks each value must pass. */
import { inputRef, UserError } from '../../lib/errors.ts';
import type { Task } from '../../lib/metrics/index.ts';
import type { ColumnRequest } from './source.ts';

/** Column names from the *-column inputs. */
export interface Columns {
  label: string;
  candidate: string;
  champion: string;
  weight: string | undefined;
  slice: string | undefined;
}

export function checkDistinctColumns(columns: Columns): void {
  const named: [string, string | undefined][] = [
    ['label-column', columns.label],
    ['candidate-column', columns.candidate],
    ['champion-column', columns.champion],
    ['weight-column', columns.weight],
    ['slice-column', columns.slice],
  ];
  for (let i = 0; i < named.length; i++) {
    for (let j = i + 1; j < named.length; j++) {
      const [a, x] = named[i] as [string, string | undefined];
      const [b, y] = named[j] as [string, string | undefined];
      if (x !== undefined && x === y) {
        throw new UserError(`${inputRef(a)} and ${inputRef(b)} both name the column "${x}"; each must name a different column.`, { input: b });
      }
    }
  }
}

/**
 * What to read: binary labels as flags (0/1, true/false, yes/no, or `positiveLabel` against one other value) and scores
 * in [0, 1]; class labels as text; regression numbers.
 */
export function columnRequests(task: Task, columns: Columns, positiveLabel?: string): ColumnRequest[] {
  const requests: ColumnRequest[] = [];
  if (task === 'binary') {
    const score = { min: 0, max: 1, outOfRange: 'outside [0, 1]; binary predictions must be probabilities of the positive class (apply a sigmoid to raw scores).' };
    requests.push(
      {
        name: columns.label,
        kind: 'flag',
        input: 'label-column',
        outOfRange: `but a binary task needs labels 0 or 1 (or set ${inputRef('positive-label')}); use task multiclass for more classes.`,
        notAFlag: `which is not a binary label; write labels as 0/1, true/false or yes/no, or set ${inputRef('positive-label')} to the label of the positive class.`,
        ...(positiveLabel === undefined ? {} : { positive: positiveLabel }),
      },
      { name: columns.candidate, kind: 'number', input: 'candidate-column', ...score },
      { name: columns.champion, kind: 'number', input: 'champion-column', optional: true, ...score },
    );
  } else {
    const kind = task === 'multiclass' ? 'text' : 'number';
    requests.push(
      { name: columns.label, kind, input: 'label-column' },
      { name: columns.candidate, kind, input: 'candidate-column' },
      { name: columns.champion, kind, input: 'champion-column', optional: true },
    );
  }
  if (columns.weight !== undefined) {
    requests.push({
      name: columns.weight,
      kind: 'number',
      input: 'weight-column',
      min: 0,
      outOfRange: 'which is negative; weights must be zero or more.',
    });
  }
  if (columns.slice !== undefined) requests.push({ name: columns.slice, kind: 'text', input: 'slice-column' });
  return requests;
}
