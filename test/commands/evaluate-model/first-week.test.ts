/**
 * The cases of issue 9 that evaluate-model met in a user's first week, run as the user ran them: through the CLI
 * entry (`runCli`) and, for the unwritable report path, the Action entry too.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../../src/cli.ts';
import { evaluationReportSchema, type EvaluationReport } from '../../../src/lib/evaluation-report.ts';
import { createFileRegistry } from '../../../src/lib/registry/index.ts';
import { runActionScript } from '../../support/action-runner.ts';
import { scratch, writeInto } from './helpers.ts';

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The report, when the run wrote one to `report.json` in the directory. */
  report: EvaluationReport | undefined;
}

/** `ml-gitops evaluate-model <args> --report-path report.json` in `dir`. */
async function evaluate(dir: string, args: string[], options: { reportPath?: boolean } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: { RUNNER_TEMP: dir }, cwd: dir };
  const withReport = options.reportPath === false ? args : [...args, '--report-path', 'report.json'];
  const code = await runCli(['evaluate-model', ...withReport], io);
  let report: EvaluationReport | undefined;
  try {
    report = evaluationReportSchema.parse(JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')));
  } catch {
    report = undefined;
  }
  return { code, stdout, stderr, report };
}

/** `rows` lines of `row(i)` under `header`. */
function csv(header: string, rows: number, row: (i: number) => string): string {
  return `${header}\n${Array.from({ length: rows }, (_, i) => row(i)).join('\n')}\n`;
}

/** Errors are one line, `error: <sentence>`, with no stack trace. */
function expectOneSentence(stderr: string): string {
  const errors = stderr.split('\n').filter((line) => line.startsWith('error: '));
  expect(errors).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return errors[0] as string;
}

const BINARY = csv('label,candidate', 40, (i) => `${i % 2},${i % 2 === 1 ? 0.8 : 0.3}`);

describe('issue 9 item 1: an unwritable report-path', () => {
  it('names report-path when a parent of the path is a file (EEXIST), in the CLI', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', BINARY);
    writeInto(dir, 'f', 'a file, not a directory');
    const run = await evaluate(dir, ['--predictions', 'preds.csv', '--task', 'binary', '--report-path', 'f/r.json'], { reportPath: false });
    expect(run.code).toBe(1);
    expect(expectOneSentence(run.stderr)).toBe(
      'error: The evaluation report cannot be written to "f/r.json": "f" is a file, not a directory; set --report-path to a file in a writable directory.',
    );
  });

  it('names report-path when a deeper parent is a file (ENOTDIR) or the path is a directory (EISDIR)', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', BINARY);
    writeInto(dir, 'f', 'a file');
    mkdirSync(path.join(dir, 'out'));
    const deeper = await evaluate(dir, ['--predictions', 'preds.csv', '--task', 'binary', '--report-path', 'f/sub/r.json'], { reportPath: false });
    expect(expectOneSentence(deeper.stderr)).toBe(
      'error: The evaluation report cannot be written to "f/sub/r.json": "f" is a file, not a directory; set --report-path to a file in a writable directory.',
    );
    const directory = await evaluate(dir, ['--predictions', 'preds.csv', '--task', 'binary', '--report-path', 'out'], { reportPath: false });
    expect(expectOneSentence(directory.stderr)).toBe(
      'error: The evaluation report cannot be written to "out": it is a directory; name a file inside it, such as evaluation-report.json; set --report-path to a file in a writable directory.',
    );
  });

  it.skipIf(process.getuid?.() === 0)('names report-path in a directory without write permission (EACCES)', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', BINARY);
    mkdirSync(path.join(dir, 'locked'));
    chmodSync(path.join(dir, 'locked'), 0o500);
    try {
      const run = await evaluate(dir, ['--predictions', 'preds.csv', '--task', 'binary', '--report-path', 'locked/r.json'], { reportPath: false });
      expect(expectOneSentence(run.stderr)).toBe(
        'error: The evaluation report cannot be written to "locked/r.json": permission denied; set --report-path to a file in a writable directory.',
      );
    } finally {
      chmodSync(path.join(dir, 'locked'), 0o700);
    }
  });

  it('names the input in the Action wording, as an error annotation without a stack', () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', BINARY);
    writeInto(dir, 'f', 'a file');
    const run = runActionScript(path.resolve('src/entrypoints/evaluate-model.ts'), { predictions: 'preds.csv', task: 'binary', 'report-path': 'f/r.json' }, { cwd: dir });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('The evaluation report cannot be written to "f/r.json": "f" is a file, not a directory; set input "report-path" to a file in a writable directory.');
    expect(run.stdout).not.toMatch(/\n\s+at /);
  });
});

describe('issue 9 item 3: multiclass labels', () => {
  it('compares numeric labels as numbers in CSV, as pandas and scikit-learn do', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', 'label,candidate\n1,1.0\n2,2\n0,0\n');
    const run = await evaluate(dir, ['--predictions', 'preds.csv', '--task', 'multiclass', '--min-rows', '1']);
    expect(run.code).toBe(0);
    expect(run.report?.candidate.metrics.accuracy).toBe(1);
    expect(run.report?.classes).toEqual({ comparedAs: 'numbers', labels: ['1', '2', '0'], predictedNotLabelled: { candidate: [], champion: [] } });
    // The same rows as JSON Lines give the same values.
    writeInto(dir, 'preds.jsonl', '{"label": 1, "candidate": 1.0}\n{"label": 2, "candidate": "2"}\n{"label": 0, "candidate": "0.0"}\n');
    const jsonl = await evaluate(dir, ['--predictions', 'preds.jsonl', '--task', 'multiclass', '--min-rows', '1']);
    expect(jsonl.report?.candidate.metrics).toEqual(run.report?.candidate.metrics);
  });

  it('compares text labels as written', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', 'label,candidate\ncat,cat\n1,1.0\n');
    const run = await evaluate(dir, ['--predictions', 'preds.csv', '--task', 'multiclass', '--min-rows', '1']);
    expect(run.report?.classes?.comparedAs).toBe('text');
    expect(run.report?.candidate.metrics.accuracy).toBe(0.5);
  });

  it('reports a predicted class that never occurs as a label, as a warning and in the report', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', 'label,candidate,champion\nbird,bird,bird\ncat,Cat,cat\ndog,dog,fish\n');
    const run = await evaluate(dir, ['--predictions', 'preds.csv', '--task', 'multiclass', '--min-rows', '1']);
    expect(run.code).toBe(0);
    expect(run.report?.classes?.predictedNotLabelled).toEqual({ candidate: ['Cat'], champion: ['fish'] });
    const warning = 'The candidate predicts a class that no row of preds.csv has as its label ("Cat"); each such prediction counts as wrong, so check that the labels and predictions name the classes alike.';
    expect(run.stderr).toContain(`warning: ${warning}`);
    expect(run.report?.warnings).toContain(warning);
  });
});

describe('issue 9 item 7: binary labels written as words', () => {
  const scores = (i: number): string => (i % 3 === 0 ? '0.9' : '0.2');
  const truth = (i: number): boolean => i % 2 === 0;

  it('reads True/False (as pandas writes booleans) and yes/no like 1/0', async () => {
    const dir = scratch();
    writeInto(dir, 'numbers.csv', csv('label,candidate', 40, (i) => `${truth(i) ? 1 : 0},${scores(i)}`));
    writeInto(dir, 'booleans.csv', csv('label,candidate', 40, (i) => `${truth(i) ? 'True' : 'False'},${scores(i)}`));
    writeInto(dir, 'words.csv', csv('label,candidate', 40, (i) => `${truth(i) ? 'yes' : 'NO'},${scores(i)}`));
    writeInto(dir, 'booleans.jsonl', Array.from({ length: 40 }, (_, i) => JSON.stringify({ label: truth(i), candidate: Number(scores(i)) })).join('\n'));
    const numbers = await evaluate(dir, ['--predictions', 'numbers.csv', '--task', 'binary']);
    expect(numbers.code).toBe(0);
    for (const file of ['booleans.csv', 'words.csv', 'booleans.jsonl']) {
      const run = await evaluate(dir, ['--predictions', file, '--task', 'binary']);
      expect(run.report?.candidate.metrics, file).toEqual(numbers.report?.candidate.metrics);
    }
  });

  it('words the error for labels, pointing to positive-label', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', csv('label,candidate', 40, (i) => `${truth(i) ? 'churned' : 'stayed'},${scores(i)}`));
    const run = await evaluate(dir, ['--predictions', 'preds.csv', '--task', 'binary']);
    expect(run.code).toBe(1);
    expect(expectOneSentence(run.stderr)).toBe(
      'error: preds.csv:2: Line 2 of preds.csv has "churned" in column "label", which is not a binary label; write labels as 0/1, true/false or yes/no, or set --positive-label to the label of the positive class.',
    );
  });

  it('takes positive-label as the positive class, every other label as the negative one', async () => {
    const dir = scratch();
    writeInto(dir, 'numbers.csv', csv('label,candidate', 40, (i) => `${truth(i) ? 1 : 0},${scores(i)}`));
    writeInto(dir, 'preds.csv', csv('label,candidate', 40, (i) => `${truth(i) ? 'churned' : 'stayed'},${scores(i)}`));
    const numbers = await evaluate(dir, ['--predictions', 'numbers.csv', '--task', 'binary']);
    const named = await evaluate(dir, ['--predictions', 'preds.csv', '--task', 'binary', '--positive-label', 'churned']);
    expect(named.code).toBe(0);
    expect(named.report?.candidate.metrics).toEqual(numbers.report?.candidate.metrics);
    expect(named.report?.positiveLabel).toBe('churned');
    // 0 (written 0.0) as the positive class: the labels flip, so every row that was right is wrong.
    const flipped = await evaluate(dir, ['--predictions', 'numbers.csv', '--task', 'binary', '--positive-label', '0.0']);
    expect(flipped.code).toBe(0);
    expect(flipped.report?.candidate.metrics.accuracy).toBeCloseTo(1 - (numbers.report?.candidate.metrics.accuracy as number), 12);
  });

  it('refuses a positive-label that never occurs, and a third label', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', csv('label,candidate', 40, (i) => `${truth(i) ? 'churned' : 'stayed'},${scores(i)}`));
    const typo = await evaluate(dir, ['--predictions', 'preds.csv', '--task', 'binary', '--positive-label', 'churn']);
    expect(expectOneSentence(typo.stderr)).toBe(
      'error: preds.csv:3: The column "label" of preds.csv has the labels "churned" and "stayed" (by line 3), neither of which is the positive label "churn" named by --positive-label; set --positive-label to the label of the positive class as the file writes it.',
    );
    writeInto(dir, 'one.csv', csv('label,candidate', 40, (i) => `stayed,${scores(i)}`));
    const absent = await evaluate(dir, ['--predictions', 'one.csv', '--task', 'binary', '--positive-label', 'churned']);
    expect(expectOneSentence(absent.stderr)).toBe(
      'error: one.csv: The column "label" of one.csv never has the positive label "churned" named by --positive-label (its only label is "stayed"); set --positive-label to the label of the positive class as the file writes it.',
    );
    writeInto(dir, 'three.csv', 'label,candidate\nchurned,0.9\nstayed,0.1\nunknown,0.5\n');
    const third = await evaluate(dir, ['--predictions', 'three.csv', '--task', 'binary', '--positive-label', 'churned']);
    expect(expectOneSentence(third.stderr)).toBe(
      'error: three.csv:4: Line 4 of three.csv has "unknown" in column "label", a third label besides "churned" (--positive-label) and "stayed"; a binary task has two classes, use task multiclass for more.',
    );
  });
});

describe('issue 9 item 7: a Parquet file', () => {
  it('is recognised by its magic bytes instead of being read as CSV', async () => {
    const dir = scratch();
    const body = Buffer.concat([Buffer.from('PAR1'), Buffer.from([0x15, 0x04, 0x15, 0x10, 0x00, 0xff, 0x1c]), Buffer.from('PAR1')]);
    writeFileSync(path.join(dir, 'preds.parquet'), body);
    const run = await evaluate(dir, ['--predictions', 'preds.parquet', '--task', 'binary']);
    expect(run.code).toBe(1);
    expect(expectOneSentence(run.stderr)).toBe(
      "error: preds.parquet: The predictions file \"preds.parquet\" is a Parquet file; export it as CSV or JSON Lines (for example with pandas' to_csv), as reading Parquet comes later.",
    );
  });
});

describe('issue 9 item 7: too few rows', () => {
  const policy = 'significance: {}\nrules:\n  - metric: accuracy\n    min_improvement: 0.01\n';

  it('rejects a 1-row file instead of promoting it "with significance", and says why', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', 'label,candidate,champion\n1,0.9,0.1\n');
    const run = await evaluate(dir, ['--predictions', 'preds.csv', '--task', 'binary', '--policy', policy]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('decision=reject');
    expect(run.report?.minRows).toBe(30);
    expect(run.report?.reason).toBe(
      'Rejected because the predictions have only 1 row, fewer than min-rows (30), too few to show that the candidate is better; rules[0] (accuracy 0 → 1 (improvement +1); only 1 row, fewer than min-rows (30), so the paired bootstrap cannot show that it meets an improvement of at least +0.01).',
    );
    expect(run.report?.rules[0]).toMatchObject({ passed: false, interval: null });
    expect(run.stderr).toContain('The evaluation policy rejected the candidate: the predictions have only 1 row');
  });

  it('rejects too few rows without a policy too, and takes a lower min-rows when asked', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', csv('label,candidate', 10, (i) => `${i % 2},0.5`));
    const floor = await evaluate(dir, ['--predictions', 'preds.csv', '--task', 'binary', '--fail-on-reject', 'false']);
    expect(floor.code).toBe(0);
    expect(floor.report?.decision).toBe('reject');
    expect(floor.report?.reason).toBe('Rejected because the predictions have only 10 rows, fewer than min-rows (30), too few to show that the candidate is better.');
    const lowered = await evaluate(dir, ['--predictions', 'preds.csv', '--task', 'binary', '--min-rows', '10']);
    expect(lowered.report?.decision).toBe('promote');
  });
});

describe('issue 9 item 7: the first deployment, with no champion yet', () => {
  const policy = 'rules:\n  - metric: accuracy\n    min: 0.6\n  - metric: accuracy\n    min_improvement: 0.01\n';
  const args = (dir: string): string[] => {
    writeInto(dir, 'preds.csv', BINARY);
    return ['--predictions', 'preds.csv', '--task', 'binary', '--champion', 'models:/churn@champion', '--registry-uri', 'registry', '--policy', policy];
  };

  it('fails by default, saying how to allow a first deployment', async () => {
    const dir = scratch();
    const run = await evaluate(dir, args(dir));
    expect(run.code).toBe(1);
    expect(expectOneSentence(run.stderr)).toMatch(
      /^error: --champion "models:\/churn@champion" points to no model version: model "churn" has no alias "champion" in the registry .+; register it first or point to an existing version; for a first deployment, with no champion yet, set --on-missing-champion to promote-if-rules-pass\.$/,
    );
  });

  it('with promote-if-rules-pass, skips the comparisons, reports them as skipped and decides on the other rules', async () => {
    const dir = scratch();
    const run = await evaluate(dir, [...args(dir), '--on-missing-champion', 'promote-if-rules-pass']);
    expect(run.code).toBe(0);
    const report = run.report as EvaluationReport;
    expect(report.decision).toBe('promote');
    expect(report.champion).toBeNull();
    expect(report.missingChampion).toEqual({ modelUri: 'models:/churn@champion' });
    expect(report.rules.map((rule) => [rule.id, rule.status ?? 'evaluated', rule.passed])).toEqual([
      ['rules[0]', 'evaluated', true],
      ['rules[1]', 'skipped', true],
    ]);
    expect(report.rules[1]?.explanation).toBe(
      'skipped: no champion yet (models:/churn@champion does not exist) and on-missing-champion is promote-if-rules-pass',
    );
    expect(report.reason).toBe(
      "Promoted because the policy's 1 rule passed (1 champion comparison skipped: no champion yet (models:/churn@champion does not exist) and on-missing-champion is promote-if-rules-pass).",
    );
    expect(run.stderr).toContain('warning: The champion models:/churn@champion does not exist yet');
    expect(run.stderr).toContain('⏭️ skipped');
  });

  it('still rejects when the other rules fail, and an any-group does not pass on a skipped comparison alone', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', BINARY);
    const group = 'rules:\n  - any:\n      - metric: accuracy\n        min_improvement: 0.01\n      - metric: roc_auc\n        min: 1.01\n';
    const run = await evaluate(dir, [
      '--predictions', 'preds.csv', '--task', 'binary', '--champion', 'models:/churn@champion', '--registry-uri', 'registry',
      '--policy', group, '--on-missing-champion', 'promote-if-rules-pass', '--fail-on-reject', 'false',
    ]);
    expect(run.report?.decision).toBe('reject');
    expect(run.report?.groups).toEqual([{ id: 'rules[0]', kind: 'any', passed: false, members: ['rules[0].any[0]', 'rules[0].any[1]'] }]);
  });

  it('still fails for a pinned version that does not exist', async () => {
    const dir = scratch();
    const registry = createFileRegistry({ directory: path.join(dir, 'registry') });
    await registry.ensureModel('churn');
    writeInto(dir, 'preds.csv', BINARY);
    const run = await evaluate(dir, [
      '--predictions', 'preds.csv', '--task', 'binary', '--champion', 'models:/churn/7', '--registry-uri', 'registry', '--on-missing-champion', 'promote-if-rules-pass',
    ]);
    expect(run.code).toBe(1);
    expect(expectOneSentence(run.stderr)).toContain('"models:/churn/7" points to no model version: model "churn" has no version 7');
  });
});
