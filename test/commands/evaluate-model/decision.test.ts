/** The policy's verdicts: bounds, champion comparisons, groups, slices, significance, the report and the summary. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RejectedError } from '../../../src/commands/evaluate-model/index.ts';
import { evaluationReportSchema, readEvaluationReport } from '../../../src/lib/evaluation-report.ts';
import { parseInputs } from '../../../src/lib/command.ts';
import { evaluateModel } from '../../../src/commands/evaluate-model/index.ts';
import { testContext } from '../../support/context.ts';
import { EXPECTED, FIXTURES, runEvaluate, scratch, writeInto } from './helpers.ts';

const binary = { predictions: 'binary-ties.csv', task: 'binary', 'fail-on-reject': 'false' };

describe('evaluate-model decisions', () => {
  it('promotes without a policy and says so', async () => {
    const { outputs, report, ctx } = await runEvaluate({ predictions: 'binary-ties.csv', task: 'binary' });
    expect(outputs.decision).toBe('promote');
    expect(outputs.passed).toBe(true);
    expect(report.rules).toEqual([]);
    expect(report.reason).toBe('No policy was given, so the candidate is reported and promoted.');
    expect(report.policy).toEqual({ source: 'none', file: null });
    expect(ctx.summaries.join('')).toContain('No policy was given');
  });

  it('checks absolute bounds on the candidate', async () => {
    const { report } = await runEvaluate({ ...binary, policy: 'rules:\n  - metric: roc_auc\n    min: 0.9\n  - metric: log_loss\n    max: 0.3\n' });
    expect(report.rules.map((rule) => [rule.id, rule.passed])).toEqual([
      ['rules[0]', true],
      ['rules[1]', false],
    ]);
    expect(report.rules[1]?.explanation).toBe('log_loss 0.3643 is above the maximum 0.3');
    expect(report.decision).toBe('reject');
    expect(report.reason).toBe('Rejected because rules[1] (log_loss 0.3643 is above the maximum 0.3).');
  });

  it('decides any/all groups, nested', async () => {
    const policy = [
      'rules:',
      '  - any:',
      '      - metric: accuracy',
      '        min_improvement: 0.2', // +0.0625: fails
      '      - metric: f1',
      '        min_improvement: 5%', // 5% of 0.736 = 0.0368 < +0.0629: passes
      '  - any:',
      '      - all:',
      '          - metric: roc_auc',
      '            min: 0.95', // 0.925: fails
      '          - metric: brier',
      '            max: 0.2', // passes
      '      - metric: recall',
      '        min: 0.9', // 0.846: fails
    ].join('\n');
    const { report } = await runEvaluate({ ...binary, policy });
    expect(report.groups).toEqual([
      { id: 'rules[0]', kind: 'any', passed: true, members: ['rules[0].any[0]', 'rules[0].any[1]'] },
      { id: 'rules[1].any[0]', kind: 'all', passed: false, members: ['rules[1].any[0].all[0]', 'rules[1].any[0].all[1]'] },
      { id: 'rules[1]', kind: 'any', passed: false, members: ['rules[1].any[0]', 'rules[1].any[1]'] },
    ]);
    expect(report.rules.map((rule) => [rule.id, rule.passed])).toEqual([
      ['rules[0].any[0]', false],
      ['rules[0].any[1]', true],
      ['rules[1].any[0].all[0]', false],
      ['rules[1].any[0].all[1]', true],
      ['rules[1].any[1]', false],
    ]);
    expect(report.decision).toBe('reject');
    expect(report.reason).toBe('Rejected because rules[1] (none of its 2 alternatives passed).');
  });

  it('applies a relative min_improvement to the champion value', async () => {
    const champion = EXPECTED.binary!.champion!.f1!;
    const improvement = EXPECTED.binary!.candidate.f1! - champion;
    const five = await runEvaluate({ ...binary, policy: 'rules:\n  - metric: f1\n    min_improvement: 5%\n' });
    const rule = five.report.rules[0]!;
    expect(rule.threshold).toBe('5%');
    expect(rule.required).toBeCloseTo(0.05 * champion, 12);
    expect(rule.improvement).toBeCloseTo(improvement, 12);
    expect(rule.passed).toBe(true);
    const ten = await runEvaluate({ ...binary, policy: 'rules:\n  - metric: f1\n    min_improvement: 10%\n' });
    expect(ten.report.rules[0]?.passed).toBe(false);
    expect(ten.report.rules[0]?.explanation).toContain('falls short of an improvement of at least +0.073596 (10% of the champion\'s 0.73596)');
  });

  it('checks max_regression in the metric\'s better direction', async () => {
    // Swapped columns: the "candidate" is the worse model, mae 3.807 against 3.124 (lower is better).
    const swapped = { predictions: 'regression.csv.gz', task: 'regression', 'candidate-column': 'champion', 'champion-column': 'candidate', 'fail-on-reject': 'false' };
    const strict = await runEvaluate({ ...swapped, policy: 'rules:\n  - metric: mae\n    max_regression: 0.5\n' });
    const rule = strict.report.rules[0]!;
    expect(rule.direction).toBe('lower');
    expect(rule.improvement).toBeCloseTo(EXPECTED.regression!.candidate.mae! - EXPECTED.regression!.champion!.mae!, 12);
    expect(rule.passed).toBe(false);
    const loose = await runEvaluate({ ...swapped, policy: 'rules:\n  - metric: mae\n    max_regression: 1\n' });
    expect(loose.report.rules[0]?.passed).toBe(true);
    expect(loose.report.decision).toBe('promote');
  });

  it('passes a marginal win on point estimates and refuses it with significance', async () => {
    const rules = 'rules:\n  - metric: accuracy\n    min_improvement: 0.01\n';
    const point = await runEvaluate({ predictions: 'marginal.csv', task: 'binary', policy: rules });
    expect(point.report.rules[0]?.improvement).toBeCloseTo(0.025, 12);
    expect(point.report.rules[0]?.interval).toBeNull();
    expect(point.report.decision).toBe('promote');

    const significant = await runEvaluate({
      predictions: 'marginal.csv',
      task: 'binary',
      'fail-on-reject': 'false',
      policy: `significance:\n  confidence: 0.95\n  resamples: 1000\n  seed: 1\n${rules}`,
    });
    const rule = significant.report.rules[0]!;
    expect(rule.interval?.confidence).toBe(0.95);
    expect(rule.interval?.lower).toBeLessThan(0.01);
    expect(rule.interval?.upper).toBeGreaterThan(0.025);
    expect(rule.passed).toBe(false);
    expect(rule.explanation).toMatch(/95% interval \[-0\.\d+, \+0\.\d+\] reaches down to -0\.\d+, so an improvement of at least \+0\.01 is not established at 95% confidence/);
    expect(significant.report.decision).toBe('reject');
    expect(significant.report.significance).toEqual({ confidence: 0.95, resamples: 1000, seed: 1 });
  });

  it('passes a clear win with significance', async () => {
    const { report } = await runEvaluate({
      ...binary,
      policy: 'significance:\n  resamples: 300\n  seed: 4\nrules:\n  - metric: roc_auc\n    min_improvement: 0.02\n  - metric: log_loss\n    max_regression: 0.01\n',
    });
    expect(report.rules.every((rule) => rule.passed && rule.interval !== null)).toBe(true);
    expect(report.rules[0]!.interval!.lower!).toBeGreaterThan(0.02);
    expect(report.decision).toBe('promote');
    // The same seed gives the same interval.
    const again = await runEvaluate({
      ...binary,
      policy: 'significance:\n  resamples: 300\n  seed: 4\nrules:\n  - metric: roc_auc\n    min_improvement: 0.02\n  - metric: log_loss\n    max_regression: 0.01\n',
    });
    expect(again.report.rules).toEqual(report.rules);
  });

  it('requires every slice with enough rows to pass and skips small ones', async () => {
    const policy = (minRows: number): string => `slices:\n  min_rows: ${minRows}\n  rules:\n    - metric: accuracy\n      max_regression: 0.02\n`;
    const strict = await runEvaluate({ ...binary, 'slice-column': 'region', policy: policy(50) });
    expect(strict.report.slices.map((slice) => [slice.value, slice.rows, slice.status, slice.passed])).toEqual([
      ['apac', 27, 'skipped', null],
      ['eu', 291, 'evaluated', true],
      ['us', 82, 'evaluated', false],
    ]);
    expect(strict.report.decision).toBe('reject');
    expect(strict.report.reason).toMatch(/^Rejected because slice "us": slices\.rules\[0\] \(accuracy 0\.82927 → 0\.76829/);
    expect(strict.report.sliceColumn).toBe('region');
    const summary = strict.ctx.summaries.join('');
    expect(summary).toContain('#### Slices by `region`');
    expect(summary).toContain('| apac | 27 | ➖ skipped (too few rows) |');

    const large = await runEvaluate({ ...binary, 'slice-column': 'region', policy: policy(100) });
    expect(large.report.slices.filter((slice) => slice.status === 'evaluated').map((slice) => slice.value)).toEqual(['eu']);
    expect(large.report.decision).toBe('promote');
    expect(large.report.reason).toBe('Promoted because the policy\'s 0 rules passed in the whole set and in all 1 evaluated slice (2 slices with fewer than 100 rows skipped).');
  });

  it('uses metrics files for extra metrics, lower-is-better by name', async () => {
    const dir = scratch();
    writeInto(dir, 'candidate.json', '{ "latency_p95_ms": 130, "throughput": 900 }');
    writeInto(dir, 'champion.json', '{ "latency_p95_ms": 120, "throughput": 1000 }');
    const { report } = await runEvaluate({
      ...binary,
      predictions: path.join(FIXTURES, 'binary-ties.csv'),
      'candidate-metrics': 'candidate.json',
      'champion-metrics': 'champion.json',
      policy: 'rules:\n  - metric: latency_p95_ms\n    max_regression: 5%\n  - metric: throughput\n    max_regression: 50\n',
    }, { workspace: dir });
    expect(report.rules.map((rule) => [rule.metric, rule.direction, rule.improvement, rule.required, rule.passed])).toEqual([
      ['latency_p95_ms', 'lower', -10, 6, false],
      ['throughput', 'higher', -100, 50, false],
    ]);
    expect(report.candidate.metrics.latency_p95_ms).toBe(130);
    expect(report.champion?.source).toBe('predictions');
  });

  it('compares with a champion known only from a metrics file', async () => {
    const dir = scratch();
    writeInto(dir, 'preds.csv', 'label,candidate\n1,0.9\n0,0.2\n1,0.6\n0,0.4\n');
    writeInto(dir, 'champion.json', '{ "accuracy": 0.7, "roc_auc": 0.99 }');
    const { report, ctx } = await runEvaluate(
      { predictions: 'preds.csv', task: 'binary', 'champion-metrics': 'champion.json', 'fail-on-reject': 'false', policy: 'significance: {}\nrules:\n  - metric: accuracy\n    min_improvement: 0.1\n  - metric: roc_auc\n    max_regression: 0\n' },
      { workspace: dir },
    );
    expect(report.champion).toEqual({ metrics: { accuracy: 0.7, roc_auc: 0.99 }, source: 'metrics-file', modelUri: null, version: null });
    expect(report.rules.map((rule) => [rule.id, rule.improvement, rule.passed])).toEqual([
      ['rules[0]', expect.closeTo(0.3, 12), true],
      ['rules[1]', expect.closeTo(0.01, 12), true],
    ]);
    expect(ctx.summaries.join('')).toContain('champion from a metrics file');
    // Significance is configured, but there is nothing to resample on the champion's side.
    expect(report.rules[0]?.interval).toBeNull();
    expect(report.rules[0]?.explanation).toBe(
      'accuracy 0.7 → 1 (improvement +0.3) meets an improvement of at least +0.1 (point estimate: no per-row values of both models to resample)',
    );
  });

  it('fails on reject after writing the outputs, the summary and the report', async () => {
    const dir = scratch();
    const ctx = testContext({ workspace: FIXTURES, tempDir: dir });
    const raw: Record<string, string> = { predictions: 'marginal.csv', task: 'binary', policy: 'rules:\n  - metric: accuracy\n    min: 0.9\n' };
    const inputs = parseInputs(evaluateModel, (name) => raw[name], () => undefined);
    const error = await evaluateModel.run(inputs, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RejectedError);
    const rejected = error as RejectedError;
    expect(rejected.message).toBe(
      `The evaluation policy rejected the candidate: rules[0] (accuracy 0.825 is below the minimum 0.9); see the job summary or ${path.join(dir, 'evaluation-report.json')} for every rule.`,
    );
    expect(rejected.outputs?.decision).toBe('reject');
    expect(rejected.outputs?.passed).toBe(false);
    expect(ctx.summaries.join('')).toContain('### evaluate-model: ❌ reject');
    expect(existsSync(path.join(dir, 'evaluation-report.json'))).toBe(true);
  });

  it('writes the documented, versioned report and summary table', async () => {
    const dir = scratch();
    const { report, outputs, ctx } = await runEvaluate({
      ...binary,
      'report-path': path.join(dir, 'out', 'report.json'),
      policy: 'significance:\n  resamples: 200\nrules:\n  - metric: roc_auc\n    min: 0.8\n  - metric: accuracy\n    min_improvement: 0\n',
    });
    expect(outputs['report-path']).toBe(path.join(dir, 'out', 'report.json'));
    const json = JSON.parse(readFileSync(path.join(dir, 'out', 'report.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual([
      'schemaVersion', 'decision', 'passed', 'reason', 'task', 'rows', 'minRows', 'threshold', 'positiveLabel', 'classes', 'predictions',
      'candidate', 'champion', 'missingChampion', 'policy', 'significance', 'rules', 'groups', 'slices', 'sliceColumn', 'warnings',
    ]);
    expect(evaluationReportSchema.safeParse(json).success).toBe(true);
    expect(json.schemaVersion).toBe(1);
    expect(report.rules[0]).toEqual({
      id: 'rules[0]',
      metric: 'roc_auc',
      direction: 'higher',
      kind: 'min',
      threshold: 0.8,
      required: 0.8,
      candidate: EXPECTED.binary!.candidate.roc_auc,
      champion: EXPECTED.binary!.champion!.roc_auc,
      improvement: expect.closeTo(EXPECTED.binary!.candidate.roc_auc! - EXPECTED.binary!.champion!.roc_auc!, 12),
      interval: null,
      passed: true,
      explanation: 'roc_auc 0.92498 ≥ 0.8',
    });
    expect(Object.keys(report.rules[1]!.interval!)).toEqual(['lower', 'upper', 'confidence']);
    expect(await readEvaluationReport(path.join(dir, 'out', 'report.json'))).toEqual(report);

    const summary = String(outputs['summary-markdown']);
    expect(ctx.summaries).toEqual([summary]);
    expect(summary).toContain('| metric | champion | candidate | improvement | interval | rule | verdict |');
    expect(summary).toContain('| roc_auc | 0.84935 | 0.92498 | +0.07563 |  | min 0.8 (rules[0]) | ✅ pass |');
    expect(summary).toMatch(/\| accuracy \| 0\.765 \| 0\.8275 \| \+0\.0625 \| \[\+0\.0\d+, \+0\.\d+\] \(95%\) \| min_improvement 0 \(rules\[1\]\) \| ✅ pass \|/);
    expect(summary).toContain('| brier | 0.15807 | 0.11567 | +0.0424 |  |  | reported |');
    expect(summary.split('\n')[2]).toBe("Promoted because the policy's 2 rules passed.");
  });

  it('still reads a version-1 report written before the optional fields were added', async () => {
    const fixture = path.resolve(FIXTURES, '../register-model/evaluation-report.json');
    const report = await readEvaluationReport(fixture, 'evaluation-report.json');
    expect(report.schemaVersion).toBe(1);
    expect(report.minRows).toBeUndefined();
  });

  it('refuses to read a report of another schema version', async () => {
    const dir = scratch();
    writeInto(dir, 'report.json', '{"schemaVersion": 2}');
    await expect(readEvaluationReport(path.join(dir, 'report.json'), 'report.json')).rejects.toThrow(
      'The evaluation report "report.json" has schemaVersion 2, but this version of ml-gitops reads version 1; produce it with the same ml-gitops release.',
    );
  });
});
