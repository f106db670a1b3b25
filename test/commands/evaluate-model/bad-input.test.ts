/** Every bad input ends in one sentence naming the file (and line) and how to fix it. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInputs } from '../../../src/lib/command.ts';
import { renderInputRefs, UserError } from '../../../src/lib/errors.ts';
import { evaluateModel } from '../../../src/commands/evaluate-model/index.ts';
import { runError, scratch, writeInto } from './helpers.ts';

/** Runs on a predictions file written with `text`. */
async function errorFor(text: string, raw: Record<string, string> = {}, name = 'preds.csv'): Promise<UserError> {
  const dir = scratch();
  writeInto(dir, name, text);
  return runError({ predictions: name, task: 'binary', ...raw }, { workspace: dir });
}

const GOOD = 'label,candidate,champion\n1,0.9,0.8\n0,0.2,0.3\n1,0.7,0.4\n0,0.4,0.6\n';

describe('evaluate-model refuses bad input', () => {
  it('a missing file', async () => {
    const error = await runError({ predictions: 'nope.csv', task: 'binary' }, { workspace: scratch() });
    expect(error.message).toBe(
      'The predictions file "nope.csv" does not exist; check input "predictions" (relative paths are resolved against the workspace).',
    );
    expect(error.input).toBe('predictions');
  });

  it('a missing column, naming the columns found and the closest one', async () => {
    const error = await errorFor(GOOD, { 'candidate-column': 'candidat' });
    expect(error.message).toBe(
      'The predictions file preds.csv has no column "candidat" (named by input "candidate-column") (did you mean "candidate"?); its columns are "label", "candidate", "champion".',
    );
    expect(error.location).toEqual({ file: 'preds.csv', line: 1 });
    expect(error.input).toBe('candidate-column');
  });

  it('a file separated by semicolons (a European-locale export), saying so', async () => {
    const error = await errorFor('label;candidate;champion\n1;0.9;0.8\n0;0.2;0.3\n');
    expect(error.message).toBe(
      'The predictions file preds.csv has no column "label" (named by input "label-column"); its columns are "label;candidate;champion" (separated by ";", which CSV does not use: write the file with commas, or tabs as TSV).',
    );
    expect(error.location).toEqual({ file: 'preds.csv', line: 1 });
    const tabs = await errorFor('label\tcandidate\n1\t0.9\n');
    expect(tabs.message).toBe('The predictions file preds.csv has no column "label" (named by input "label-column"); its columns are "label\tcandidate" (separated by tabs: name the file .tsv, or write it with commas).');
  });

  it('a non-numeric value, with its line', async () => {
    const error = await errorFor('label,candidate,champion\n1,0.9,0.8\n0,high,0.3\n');
    expect(error.message).toBe(
      'Line 3 of preds.csv has "high" in column "candidate", which is not a number; write candidate values as plain decimal numbers such as 0.73.',
    );
    expect(error.location).toEqual({ file: 'preds.csv', line: 3 });
  });

  it('an empty value, with its line', async () => {
    const error = await errorFor('label,candidate,champion\n1,0.9,0.8\n0,0.2,0.3\n1,,0.5\n');
    expect(error.message).toBe('Line 4 of preds.csv has no value in column "candidate"; fill it in or drop the row, as every row needs one.');
    expect(error.location).toEqual({ file: 'preds.csv', line: 4 });
  });

  it('a row with too few fields', async () => {
    const error = await errorFor('label,candidate,champion\n1,0.9,0.8\n0,0.2\n');
    expect(error.message).toBe('Line 3 of preds.csv has 2 fields where the header has 3; every row needs a value in each column.');
  });

  it('a header-only file, and an empty one', async () => {
    const headerOnly = await errorFor('label,candidate,champion\n');
    expect(headerOnly.message).toBe('The predictions file preds.csv has a header but no rows; it needs one row per held-out example.');
    expect(headerOnly.location).toEqual({ file: 'preds.csv', line: 1 });
    const empty = await errorFor('');
    expect(empty.message).toBe('The predictions file "preds.csv" is empty; it needs a header and one row per held-out example.');
  });

  it('a label other than 0/1 in a binary task', async () => {
    const error = await errorFor('label,candidate\n1,0.9\n2,0.2\n');
    expect(error.message).toBe(
      'Line 3 of preds.csv has 2 in column "label", but a binary task needs labels 0 or 1 (or set input "positive-label"); use task multiclass for more classes.',
    );
    expect(error.location).toEqual({ file: 'preds.csv', line: 3 });
  });

  it('a score outside [0, 1]', async () => {
    const error = await errorFor('label,candidate,champion\n1,0.9,0.8\n0,0.2,1.7\n');
    expect(error.message).toBe(
      'Line 3 of preds.csv has 1.7 in column "champion", outside [0, 1]; binary predictions must be probabilities of the positive class (apply a sigmoid to raw scores).',
    );
  });

  it('a negative weight', async () => {
    const error = await errorFor('label,candidate,w\n1,0.9,1\n0,0.2,-2\n', { 'weight-column': 'w' });
    expect(error.message).toBe('Line 3 of preds.csv has -2 in column "w", which is negative; weights must be zero or more.');
  });

  it('NaN, in CSV and JSON Lines', async () => {
    const csv = await errorFor('label,candidate\n1,0.9\n0,NaN\n');
    expect(csv.message).toBe('Line 3 of preds.csv has NaN in column "candidate", which is not a number; drop or fill in the rows without a value.');
    const jsonl = await errorFor('{"label": 1, "candidate": 0.5}\n{"label": 0, "candidate": "nan"}\n', {}, 'preds.jsonl');
    expect(jsonl.message).toBe('Line 2 of preds.jsonl has NaN in column "candidate", which is not a number; drop or fill in the rows without a value.');
    expect(jsonl.location).toEqual({ file: 'preds.jsonl', line: 2 });
  });

  it('an unknown task', () => {
    const raw: Record<string, string> = { predictions: 'preds.csv', task: 'ranking' };
    let error: unknown;
    try {
      parseInputs(evaluateModel, (name) => raw[name], () => undefined);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(UserError);
    expect(renderInputRefs((error as UserError).message, 'action')).toBe('Input "task" must be one of "binary", "multiclass", "regression" (got "ranking").');
    expect((error as UserError).input).toBe('task');
  });

  it('unparsable policy YAML, with line and column', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', GOOD);
    writeInto(dir, 'policy.yml', 'rules:\n  - metric: roc_auc\n    min: [0.8\n');
    const error = await runError({ predictions: 'preds.csv', task: 'binary', policy: 'policy.yml' }, { workspace: dir });
    expect(error.message).toMatch(/^The policy at policy\.yml:4:1 is not valid YAML: .+; fix the YAML syntax there\.$/);
    expect(error.location).toEqual({ file: 'policy.yml', line: 4, column: 1 });
  });

  it('an unknown policy key, with a did-you-mean and its line', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', GOOD);
    writeInto(dir, 'policy.yml', 'rules:\n  - metric: roc_auc\n    min_improvment: 0.8\n');
    const error = await runError({ predictions: 'preds.csv', task: 'binary', policy: 'policy.yml' }, { workspace: dir });
    expect(error.message).toBe(
      'The policy at policy.yml:3:5 has an unknown key "min_improvment" in rules[0] (did you mean "min_improvement"?); the keys allowed there are "metric", "min", "max", "min_improvement", "max_regression", "direction".',
    );
    expect(error.location).toEqual({ file: 'policy.yml', line: 3, column: 5 });
  });

  it('an unknown metric, with a did-you-mean and its line', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', GOOD);
    writeInto(dir, 'policy.yml', 'rules:\n  - metric: roc_auc\n    min: 0.8\n  - metric: acuracy\n    min: 0.5\n');
    const error = await runError({ predictions: 'preds.csv', task: 'binary', policy: 'policy.yml' }, { workspace: dir });
    expect(error.message).toBe(
      'The policy rule rules[1] at policy.yml:4 uses the unknown metric "acuracy" (did you mean "accuracy"?); the binary metrics are accuracy, precision, recall, f1, roc_auc, pr_auc, log_loss, brier, and the files of input "candidate-metrics" and input "champion-metrics" can add more.',
    );
    expect(error.location).toEqual({ file: 'policy.yml', line: 4, column: 5 });
  });

  it('a metric of another task, in an inline policy', async () => {
    const error = await errorFor(GOOD, { policy: 'rules:\n  - metric: rmse\n    max: 1\n' });
    expect(error.message).toMatch(/^The policy rule rules\[0\] at line 2 of the inline policy uses the unknown metric "rmse"; the binary metrics are /);
    expect(error.location).toBeUndefined();
    expect(error.input).toBe('policy');
  });

  it('a rule with no bound or two bounds', async () => {
    const none = await errorFor(GOOD, { policy: 'rules:\n  - metric: roc_auc\n' });
    expect(none.message).toBe('The policy rule rules[0] at line 2 of the inline policy has no bound; give it one of min, max, min_improvement or max_regression.');
    const two = await errorFor(GOOD, { policy: 'rules:\n  - metric: roc_auc\n    min: 0.5\n    max: 0.9\n' });
    expect(two.message).toBe('The policy rule rules[0] at line 2 of the inline policy has min and max; give each rule exactly one bound and write two rules for a range.');
  });

  it('a champion rule when there is no champion', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', 'label,candidate\n1,0.9\n0,0.2\n');
    writeInto(dir, 'policy.yml', 'rules:\n  - any:\n      - metric: roc_auc\n        min: 0.99\n      - metric: f1\n        min_improvement: 1%\n');
    const error = await runError({ predictions: 'preds.csv', task: 'binary', policy: 'policy.yml' }, { workspace: dir });
    expect(error.message).toBe(
      'The policy rule rules[0].any[1] at policy.yml:5 compares f1 with the champion (min_improvement), but preds.csv has no "champion" column and neither input "champion-metrics" nor input "champion" is set; add the champion\'s predictions as a "champion" column, set input "champion-metrics" or input "champion", or use min/max instead.',
    );
    expect(error.location).toEqual({ file: 'policy.yml', line: 5, column: 9 });
  });

  it('a champion rule on a metric the champion-metrics file lacks', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', 'label,candidate\n1,0.9\n0,0.2\n');
    writeInto(dir, 'champion.json', '{"accuracy": 0.5}');
    const error = await runError(
      { predictions: 'preds.csv', task: 'binary', 'champion-metrics': 'champion.json', policy: 'rules:\n  - metric: f1\n    max_regression: 0.01\n' },
      { workspace: dir },
    );
    expect(error.message).toMatch(/compares f1 with the champion \(max_regression\), but the champion's metrics have no "f1" \(they have accuracy\);/);
  });

  it('slice rules without a slice column', async () => {
    const error = await errorFor(GOOD, { policy: 'slices:\n  rules:\n    - metric: accuracy\n      min: 0.5\n' });
    expect(error.message).toBe(
      'The policy at line 1 of the inline policy has slice rules but input "slice-column" is not set; set it to the column that defines the slices.',
    );
  });

  it('a policy file that does not exist', async () => {
    const error = await errorFor(GOOD, { policy: 'policies/eval.yml' });
    expect(error.message).toBe(
      'The policy file "policies/eval.yml" does not exist; set input "policy" to an existing YAML file (relative to the workspace) or to the policy\'s YAML itself.',
    );
  });

  it('a directory given as the policy or a metrics file is called a directory, not missing', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', GOOD);
    mkdirSync(path.join(dir, 'policies'));
    const policy = await runError({ predictions: 'preds.csv', task: 'binary', policy: 'policies' }, { workspace: dir });
    expect(policy.message).toBe('The policy path "policies" is a directory, not a file; set input "policy" to the YAML file itself.');
    const metrics = await runError({ predictions: 'preds.csv', task: 'binary', 'candidate-metrics': 'policies' }, { workspace: dir });
    expect(metrics.message).toBe('The metrics path "policies" is a directory, not a file; set input "candidate-metrics" to the JSON file itself.');
  });

  it('two inputs naming the same column', async () => {
    const error = await errorFor(GOOD, { 'champion-column': 'candidate' });
    expect(error.message).toBe('Input "candidate-column" and input "champion-column" both name the column "candidate"; each must name a different column.');
  });

  it('a metrics file that is not a map of numbers', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', GOOD);
    writeInto(dir, 'candidate.json', '{\n  "latency_p95_ms": "fast"\n}\n');
    const error = await runError({ predictions: 'preds.csv', task: 'binary', 'candidate-metrics': 'candidate.json' }, { workspace: dir });
    expect(error.message).toBe('The metrics file candidate.json (input "candidate-metrics") has "fast" for "latency_p95_ms", which is not a number; every value must be a number.');
    expect(error.location).toEqual({ file: 'candidate.json', line: 2 });
  });

  it('a JSON Lines line that is not JSON', async () => {
    const error = await errorFor('{"label": 1, "candidate": 0.5}\n{"label": 0, "candidate": 0.5\n', {}, 'preds.jsonl');
    expect(error.message).toMatch(/^Line 2 of preds\.jsonl is not valid JSON \(.+\); JSON Lines needs one object per line\.$/);
  });

  it('a gzip file that is corrupt', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv.gz', GOOD);
    const { writeFileSync, readFileSync } = await import('node:fs');
    const bytes = readFileSync(`${dir}/preds.csv.gz`);
    writeFileSync(`${dir}/preds.csv.gz`, bytes.subarray(0, bytes.length - 12));
    const error = await runError({ predictions: 'preds.csv.gz', task: 'binary' }, { workspace: dir });
    expect(error.message).toMatch(
      /^The predictions file preds\.csv\.gz \(input "predictions"\) starts like gzip but cannot be decompressed \(.+\), so it is cut short or corrupt; compress it again with gzip\.$/,
    );
  });
});
