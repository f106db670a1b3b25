/**
 * The runner's schedule and verdicts on fake time, with a scripted client (the real Prometheus cases are in
 * run.test.ts): when measurements are taken, when it fails fast, what inconclusive means, dry runs, error limits.
 */
import { describe, expect, test } from 'vitest';
import { parseAnalysis, parseAnalysisTemplate, renderAnalysisReport, runAnalysis, type AnalysisPlan } from '../../../src/lib/analysis/index.ts';
import { UserError } from '../../../src/lib/errors.ts';
import { PrometheusQueryError, type PrometheusClient, type QueryResult } from '../../../src/lib/prometheus.ts';
import type { Clock } from '../../../src/lib/retry.ts';

/** Time that moves only when the runner sleeps. */
function fakeClock(start = Date.UTC(2026, 0, 1, 12, 0, 0)): Clock & { sleeps: number[] } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    random: () => 0.5,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      now += ms;
    },
  };
}

type Answer = number | null | 'error' | QueryResult;

/** Answers each query from a script per query text: a number (scalar), null (empty vector), or an error. */
function scriptedClient(clock: Clock, script: Record<string, Answer[]>): PrometheusClient & { sent: string[] } {
  const sent: string[] = [];
  const calls = new Map<string, number>();
  return {
    sent,
    location: 'http://prometheus.test/',
    async query(promql) {
      sent.push(promql);
      const answers = script[promql];
      if (answers === undefined) throw new Error(`unexpected query ${promql}`);
      const call = calls.get(promql) ?? 0;
      calls.set(promql, call + 1);
      const answer = answers[Math.min(call, answers.length - 1)] as Answer;
      const time = clock.now();
      if (answer === 'error') throw new PrometheusQueryError('server', 'HTTP 503: overloaded', 503);
      if (answer === null) return { resultType: 'vector', series: [] };
      if (typeof answer === 'number') return { resultType: 'scalar', sample: { time, value: answer } };
      return answer;
    },
    close: async () => undefined,
  };
}

const logLines = (): { lines: string[]; info: (m: string) => void } => {
  const lines: string[] = [];
  return { lines, info: (m) => void lines.push(m) };
};

function plan(yaml: string): AnalysisPlan {
  return parseAnalysis(yaml, undefined).plan;
}

describe('runAnalysis on fake time', () => {
  test('a good version is measured count times, one per interval after the check, and succeeds at the end of the window', async () => {
    const clock = fakeClock();
    const client = scriptedClient(clock, { 'acc{version="7"}': [0.9, 0.91, 0.92, 0.93] });
    const started = clock.now();
    const result = await runAnalysis({
      analysis: plan('interval: 30s\ncount: 3\nmetrics:\n  - { name: accuracy, query: \'acc{version="{version}"}\', min: 0.8 }\n'),
      client,
      clock,
      placeholders: { version: '7' },
    });
    expect(result.result).toBe('successful');
    expect(result.passed).toBe(true);
    expect(client.sent).toHaveLength(4); // the check, then 3 measurements
    expect(clock.now() - started).toBe(90_000);
    const metric = result.measurements[0]!;
    expect(metric.query).toBe('acc{version="7"}');
    expect(metric.values.map((m) => m.value)).toEqual([0.91, 0.92, 0.93]);
    expect(metric.values.map((m) => m.time)).toEqual(['2026-01-01T12:00:30.000Z', '2026-01-01T12:01:00.000Z', '2026-01-01T12:01:30.000Z']);
    expect(metric.threshold).toBe('min 0.8');
    expect(metric.verdict).toBe('successful');
    expect(result.failure).toBeUndefined();
  });

  test('a bad version fails at failure-limit + 1 failed measurements, with the metric, its worst value and the threshold', async () => {
    const clock = fakeClock();
    const client = scriptedClient(clock, { acc: [0.9, 0.62, 0.7, 0.9, 0.9, 0.9], err: [0.001] });
    const started = clock.now();
    const result = await runAnalysis({
      analysis: plan('interval: 1m\ncount: 5\nmetrics:\n  - { name: accuracy, query: acc, min: 0.8, failure-limit: 1 }\n  - { name: error-rate, query: err, max: 0.01 }\n'),
      client,
      clock,
    });
    expect(result.result).toBe('failed');
    expect(result.passed).toBe(false);
    expect(clock.now() - started).toBe(120_000); // stopped after the second interval
    expect(result.failure).toBe('accuracy fell to 0.62 (min 0.8) in 2 of 2 measurements');
    expect(result.measurements[1]!.verdict).toBe('successful');
    expect(result.measurements[1]!.values.length).toBeLessThanOrEqual(2);
  });

  test('a max threshold says "rose to"', async () => {
    const clock = fakeClock();
    const client = scriptedClient(clock, { err: [0, 0.05, 0.02] });
    const result = await runAnalysis({ analysis: plan('interval: 1s\ncount: 3\nmetrics:\n  - { name: error-rate, query: err, max: 0.01 }\n'), client, clock });
    expect(result.failure).toBe('error-rate rose to 0.05 (max 0.01) in 1 of 1 measurement');
  });

  test('no data is inconclusive: "fail" ends the analysis at once, "pass" watches the whole window and passes', async () => {
    const failing = fakeClock();
    const failed = await runAnalysis({
      analysis: plan('interval: 1s\ncount: 3\ninconclusive: fail\nmetrics:\n  - { name: accuracy, query: acc, min: 0.8 }\n'),
      client: scriptedClient(failing, { acc: [null] }),
      clock: failing,
    });
    expect(failed).toMatchObject({ result: 'inconclusive', passed: false, failure: 'accuracy returned no data in 1 of 1 measurement' });

    const passing = fakeClock();
    const started = passing.now();
    const passed = await runAnalysis({
      analysis: plan('interval: 1s\ncount: 3\ninconclusive: pass\nmetrics:\n  - { name: accuracy, query: acc, min: 0.8 }\n'),
      client: scriptedClient(passing, { acc: [null, null, 0.9, null] }),
      clock: passing,
    });
    expect(passed).toMatchObject({ result: 'inconclusive', passed: true });
    expect(passing.now() - started).toBe(3_000);
    expect(passed.measurements[0]!.values.map((m) => m.phase)).toEqual(['inconclusive', 'successful', 'inconclusive']);
  });

  test('NaN (0/0 with no traffic) counts as no data, not as a pass or a failure', async () => {
    const clock = fakeClock();
    const result = await runAnalysis({
      analysis: plan('interval: 1s\ncount: 1\nmetrics:\n  - { name: error-rate, query: err, max: 0.01 }\n'),
      client: scriptedClient(clock, { err: [Number.NaN] }),
      clock,
    });
    expect(result.result).toBe('inconclusive');
    expect(result.measurements[0]!.values[0]).toMatchObject({ value: null, phase: 'inconclusive', message: 'the query answered NaN' });
  });

  test('a query answering several series fails its check, before the window, naming the metric', async () => {
    const clock = fakeClock();
    const vector: QueryResult = {
      resultType: 'vector',
      series: [
        { labels: { __name__: 'acc', instance: 'a' }, sample: { time: 0, value: 1 } },
        { labels: { __name__: 'acc', instance: 'b' }, sample: { time: 0, value: 1 } },
      ],
    };
    const run = runAnalysis({ analysis: plan('interval: 1s\ncount: 3\nmetrics:\n  - { name: accuracy, query: acc, min: 0.8 }\n'), client: scriptedClient(clock, { acc: [vector] }), clock });
    await expect(run).rejects.toThrow(UserError);
    await expect(run).rejects.toThrow('The query of metric "accuracy" (line 4 of the inline analysis) returned 2 series ({instance="a"}, {instance="b"}), not one number; aggregate it');
    expect(clock.sleeps).toEqual([]);
  });

  test('a range vector is refused with the way out', async () => {
    const clock = fakeClock();
    const run = runAnalysis({
      analysis: plan('interval: 1s\ncount: 1\nmetrics:\n  - { name: accuracy, query: acc, min: 0.8 }\n'),
      client: scriptedClient(clock, { acc: [{ resultType: 'matrix', seriesCount: 1 }] }),
      clock,
    });
    await expect(run).rejects.toThrow('returned a range vector (a matrix), not one number; drop the [range] selector or wrap it, e.g. in avg_over_time(...).');
  });

  test('a placeholder without a value names the input to set', async () => {
    const clock = fakeClock();
    const run = runAnalysis({ analysis: plan('interval: 1s\ncount: 1\nmetrics:\n  - { name: accuracy, query: \'acc{model="{model}"}\', min: 0.8 }\n'), client: scriptedClient(clock, {}), clock });
    await expect(run).rejects.toThrow(/uses \{model\}, but no value was given for it; set .*model-name.* or remove \{model\} from the query\./);
  });

  test('a server error during the window fails the metric with the server\'s words (no error tolerance in the analysis YAML)', async () => {
    const clock = fakeClock();
    const result = await runAnalysis({ analysis: plan('interval: 1s\ncount: 3\nmetrics:\n  - { name: accuracy, query: acc, min: 0.8 }\n'), client: scriptedClient(clock, { acc: [0.9, 0.9, 'error'] }), clock });
    expect(result.result).toBe('failed');
    expect(result.failure).toMatch(/^accuracy could not be measured \(1 error\): Prometheus at http:\/\/prometheus.test\/ failed the query of metric "accuracy" \(line 4 of the inline analysis\): HTTP 503: overloaded/);
  });

  test('an aborted signal ends the run with its reason', async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    const client = scriptedClient(clock, { acc: [0.9] });
    const reason = new Error('timed out');
    const originalSleep = clock.sleep;
    const abortingClock: Clock = { ...clock, sleep: async (ms, signal) => {
      controller.abort(reason);
      return originalSleep(ms, signal);
    } };
    await expect(runAnalysis({ analysis: plan('interval: 1s\ncount: 3\nmetrics:\n  - { name: accuracy, query: acc, min: 0.8 }\n'), client, clock: abortingClock, signal: controller.signal })).rejects.toBe(reason);
  });
});

describe('runAnalysis with an AnalysisTemplate on fake time', () => {
  const template = (metrics: string, extraSpec = ''): AnalysisPlan =>
    parseAnalysisTemplate(`apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: { name: t }\nspec:\n${extraSpec}  metrics:\n${metrics}`, undefined).plan;

  test('successCondition on result[0]; failureLimit and consecutiveErrorLimit as Argo counts them', async () => {
    const clock = fakeClock();
    const result = await runAnalysis({
      analysis: template('    - name: accuracy\n      interval: 10s\n      count: 4\n      failureLimit: 1\n      successCondition: result[0] >= 0.8\n      provider: { prometheus: { query: acc } }\n'),
      client: scriptedClient(clock, { acc: [0.9, 0.7, 'error', 0.9, 0.85] }),
      clock,
    });
    expect(result.result).toBe('successful');
    expect(result.measurements[0]!.values.map((m) => m.phase)).toEqual(['failed', 'error', 'successful', 'successful']);
  });

  test('both conditions: meeting neither is inconclusive; len(result) reads an empty answer', async () => {
    const clock = fakeClock();
    const result = await runAnalysis({
      analysis: template(
        '    - name: accuracy\n      interval: 1s\n      count: 2\n      inconclusiveLimit: 1\n      successCondition: result[0] >= 0.9\n      failureCondition: result[0] < 0.5\n      provider: { prometheus: { query: acc } }\n' +
          '    - name: errors\n      interval: 1s\n      count: 2\n      successCondition: len(result) == 0 || result[0] < 0.01\n      provider: { prometheus: { query: err } }\n',
      ),
      client: scriptedClient(clock, { acc: [0.7], err: [null] }),
      clock,
    });
    expect(result.result).toBe('inconclusive');
    expect(result.measurements[0]!.values.map((m) => m.phase)).toEqual(['inconclusive', 'inconclusive']);
    expect(result.measurements[1]!.verdict).toBe('successful');
  });

  test('a dry-run metric is measured and reported but does not fail the analysis', async () => {
    const clock = fakeClock();
    const result = await runAnalysis({
      analysis: template('    - name: latency\n      interval: 1s\n      count: 2\n      successCondition: result[0] < 1\n      provider: { prometheus: { query: lat } }\n', '  dryRun:\n    - metricName: lat.*\n'),
      client: scriptedClient(clock, { lat: [2] }),
      clock,
    });
    expect(result.result).toBe('successful');
    expect(result.measurements[0]).toMatchObject({ verdict: 'failed', dryRun: true });
    expect(renderAnalysisReport(result)).toContain('❌ failed (dry run)');
  });

  test('a vector answer is result as a list', async () => {
    const clock = fakeClock();
    const vector: QueryResult = {
      resultType: 'vector',
      series: [
        { labels: { pod: 'a' }, sample: { time: clock.now(), value: 0.9 } },
        { labels: { pod: 'b' }, sample: { time: clock.now(), value: 0.95 } },
      ],
    };
    const result = await runAnalysis({
      analysis: template('    - name: accuracy\n      successCondition: len(result) == 2 && result[1] > result[0]\n      provider: { prometheus: { query: acc } }\n'),
      client: scriptedClient(clock, { acc: [vector] }),
      clock,
      log: logLines(),
    });
    expect(result.result).toBe('successful');
    expect(result.measurements[0]!.values[0]).toMatchObject({ value: 0.9, values: [0.9, 0.95] });
  });
});
