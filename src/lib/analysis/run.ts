/**
 * Runs an analysis against a Prometheus-compatible API: every query once as a check (a syntax error, an unknown
 * function or a refused token fails in seconds, before the window), then `count` measurements per metric, one at the
 * end of each `interval` (so the window is interval × count), failing fast as soon as a metric is past its
 * failure-limit.
 */
import { UserError, inputRef } from '../errors.ts';
import { PrometheusQueryError, type PrometheusClient, type QueryResult } from '../prometheus.ts';
import { SYSTEM_CLOCK, type Clock } from '../retry.ts';
import { ConditionError, NoDataError, compileCondition, evaluateConditions, type CompiledCondition } from './conditions.ts';
import { fillPlaceholders, type Placeholders } from './placeholders.ts';
import type { AnalysisPlan, PlannedMetric } from './types.ts';

export interface AnalysisLog {
  info(message: string): void;
}

export type MeasurementPhase = 'successful' | 'failed' | 'inconclusive' | 'error';
export type MetricVerdict = 'successful' | 'failed' | 'inconclusive';
export type AnalysisOutcome = 'successful' | 'failed' | 'inconclusive';

export interface Measurement {
  /** ISO 8601: the server's evaluation time when it answered, else ours. */
  time: string;
  /** The number measured; null when there was none (no data, NaN, ±Inf, an error). */
  value: number | null;
  /** Every value of a vector answer (AnalysisTemplate metrics), when there was more than one. */
  values?: (number | null)[];
  phase: MeasurementPhase;
  /** Why it is inconclusive or an error. */
  message?: string;
}

export interface MetricMeasurements {
  name: string;
  /** The PromQL as sent (placeholders filled). */
  query: string;
  /** `min 0.8`, `max 0.01`, `min 0.8, max 1`, `success: result[0] >= 0.8`. */
  threshold: string;
  /** The numeric bounds of a threshold metric (for charts). */
  bounds?: { min?: number; max?: number };
  verdict: MetricVerdict;
  /** Measured and reported only: its verdict does not decide the analysis. */
  dryRun: boolean;
  /** Measurements planned. */
  count: number;
  values: Measurement[];
  failed: number;
  inconclusive: number;
  errors: number;
  /** The sentence that explains a verdict other than successful. */
  failure?: string;
}

export interface AnalysisResult {
  result: AnalysisOutcome;
  /** successful, or inconclusive where the analysis says `inconclusive: pass`. */
  passed: boolean;
  measurements: MetricMeasurements[];
  /** One sentence per metric that decided a result other than successful, joined: names, values, thresholds. */
  failure?: string;
  startedAt: string;
  finishedAt: string;
}

export interface RunAnalysisOptions {
  analysis: AnalysisPlan;
  client: PrometheusClient;
  placeholders?: Placeholders;
  clock?: Clock;
  log?: AnalysisLog;
  /** Aborting it (the command's timeout) ends the run with the signal's reason. */
  signal?: AbortSignal;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading an answer
// ---------------------------------------------------------------------------------------------------------------

/** The query answered something other than numbers the metric can use. */
class ShapeError extends Error {
  override readonly name = 'ShapeError';
}

function labelsText(labels: Record<string, string>): string {
  const entries = Object.entries(labels).filter(([key]) => key !== '__name__');
  return `{${entries.map(([key, value]) => `${key}="${value}"`).join(', ')}}`;
}

/** The numbers of an answer: one at most for a threshold metric, any for a condition (Argo's `result` vector). */
function answerValues(answer: QueryResult, oneNumber: boolean): { values: number[]; time: number | undefined } {
  switch (answer.resultType) {
    case 'scalar':
      return { values: [answer.sample.value], time: answer.sample.time };
    case 'vector': {
      if (oneNumber && answer.series.length > 1) {
        const shown = answer.series.slice(0, 3).map((item) => labelsText(item.labels)).join(', ');
        throw new ShapeError(
          `returned ${answer.series.length} series (${shown}${answer.series.length > 3 ? ', ...' : ''}), not one number; aggregate it, e.g. with avg(...) or sum(...), or narrow its labels`,
        );
      }
      const times = answer.series.map((item) => item.sample.time);
      return { values: answer.series.map((item) => item.sample.value), time: times.length > 0 ? Math.max(...times) : undefined };
    }
    case 'matrix':
      throw new ShapeError('returned a range vector (a matrix), not one number; drop the [range] selector or wrap it, e.g. in avg_over_time(...)');
    case 'string':
      throw new ShapeError('returned a string, not a number');
  }
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** `0.912345678` -> `0.912346`: enough digits to read, no float noise. */
export function formatNumber(value: number | null): string {
  if (value === null) return 'no data';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(Number(value.toPrecision(6)));
}

// ---------------------------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------------------------

interface PreparedMetric {
  plan: PlannedMetric;
  query: string;
  success?: CompiledCondition;
  failure?: CompiledCondition;
}

export function thresholdText(metric: PlannedMetric): string {
  const check = metric.check;
  if (check.kind === 'threshold') {
    return [check.min === undefined ? undefined : `min ${check.min}`, check.max === undefined ? undefined : `max ${check.max}`].filter(Boolean).join(', ');
  }
  const parts = [
    check.successCondition === undefined ? undefined : `success: ${check.successCondition}`,
    check.failureCondition === undefined ? undefined : `failure: ${check.failureCondition}`,
  ].filter(Boolean);
  return parts.length === 0 ? 'none (always successful)' : parts.join('; ');
}

/** The phase of one measurement with these values, and why when it is not a plain pass or fail. */
function judge(metric: PreparedMetric, values: readonly number[]): { phase: MeasurementPhase; message?: string } {
  const check = metric.plan.check;
  if (check.kind === 'threshold') {
    const value = values[0];
    if (value === undefined) return { phase: 'inconclusive', message: 'no data' };
    if (Number.isNaN(value)) return { phase: 'inconclusive', message: 'the query answered NaN' };
    if (check.min !== undefined && value < check.min) return { phase: 'failed' };
    if (check.max !== undefined && value > check.max) return { phase: 'failed' };
    return { phase: 'successful' };
  }
  try {
    return { phase: evaluateConditions(values, metric.success, metric.failure) };
  } catch (error) {
    if (error instanceof NoDataError) return { phase: 'inconclusive', message: `no data (${error.message})` };
    if (error instanceof ConditionError) return { phase: 'error', message: `its condition could not be evaluated: ${error.message}` };
    throw error;
  }
}

function querySentence(metric: PreparedMetric, error: PrometheusQueryError, location: string, display: string): string {
  const name = `"${metric.plan.name}" (${metric.plan.where})`;
  switch (error.kind) {
    case 'query':
      return `Prometheus at ${location} refused the query of metric ${name}: ${error.serverMessage}; fix the query in ${display}.`;
    case 'auth':
      return `Prometheus at ${location} refused the query of metric ${name} with ${error.serverMessage}; check ${inputRef('prometheus-token')} and, for a multi-tenant server, ${inputRef('prometheus-headers')}.`;
    case 'not-found':
      return `Prometheus at ${location} has no query API (${error.serverMessage}) for metric ${name}; set ${inputRef('prometheus-url')} to the API root, the URL before /api/v1.`;
    case 'server':
      return `Prometheus at ${location} failed the query of metric ${name}: ${error.serverMessage}; check that ${inputRef('prometheus-url')} is a Prometheus-compatible API and that it is healthy.`;
    case 'network':
      return `Prometheus at ${location} could not be reached for metric ${name}: ${error.serverMessage}; check ${inputRef('prometheus-url')}.`;
  }
}

function prepare(plan: AnalysisPlan, placeholders: Placeholders): PreparedMetric[] {
  return plan.metrics.map((metric) => {
    const prepared: PreparedMetric = { plan: metric, query: metric.placeholders ? fillPlaceholders(metric.query, placeholders, metric) : metric.query };
    if (metric.check.kind === 'condition') {
      // Compiled when the template was loaded too; compiling again is cheap and keeps this module self-contained.
      if (metric.check.successCondition !== undefined) prepared.success = compileCondition(metric.check.successCondition);
      if (metric.check.failureCondition !== undefined) prepared.failure = compileCondition(metric.check.failureCondition);
    }
    return prepared;
  });
}

async function runQuery(client: PrometheusClient, metric: PreparedMetric): Promise<QueryResult> {
  return client.query(metric.query, metric.plan.queryTimeoutSeconds === undefined ? {} : { timeout: `${metric.plan.queryTimeoutSeconds}s` });
}

/** Every query once, before the window: problems the window would only repeat fail now, with the server's words. */
async function checkQueries(metrics: readonly PreparedMetric[], options: RunAnalysisOptions): Promise<void> {
  const { client, analysis } = options;
  const outcomes = await Promise.allSettled(metrics.map((metric) => runQuery(client, metric)));
  outcomes.forEach((outcome, index) => {
    const metric = metrics[index] as PreparedMetric;
    if (outcome.status === 'rejected') {
      const error: unknown = outcome.reason;
      if (error instanceof PrometheusQueryError) {
        throw new UserError(querySentence(metric, error, client.location, analysis.display), { input: analysis.input });
      }
      throw error;
    }
    let values: number[];
    try {
      values = answerValues(outcome.value, metric.plan.check.kind === 'threshold').values;
    } catch (error) {
      if (!(error instanceof ShapeError)) throw error;
      throw new UserError(`The query of metric "${metric.plan.name}" (${metric.plan.where}) ${error.message}.`, { input: analysis.input });
    }
    const checked = judge(metric, values);
    if (checked.phase === 'error') {
      throw new UserError(`Metric "${metric.plan.name}" (${metric.plan.where}): ${checked.message ?? 'its condition failed'}; fix the condition.`, { input: analysis.input });
    }
    options.log?.info(`Checked the query of ${metric.plan.name}: ${values.length === 0 ? 'no data yet' : values.map(formatNumber).join(', ')}.`);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The window
// ---------------------------------------------------------------------------------------------------------------

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The sentence for a metric whose verdict is not successful: its name, the values seen, the threshold. */
function failureSentence(metric: PreparedMetric, result: MetricMeasurements, lastError: string | undefined): string {
  const taken = result.values.length;
  if (result.verdict === 'inconclusive') {
    return `${metric.plan.name} returned no data in ${result.inconclusive} of ${plural(taken, 'measurement')}`;
  }
  if (lastError !== undefined && result.errors > metric.plan.consecutiveErrorLimit) {
    return `${metric.plan.name} could not be measured (${plural(result.errors, 'error')}): ${lastError}`;
  }
  const failedValues = result.values.filter((m) => m.phase === 'failed').map((m) => m.value);
  const check = metric.plan.check;
  const tally = `in ${result.failed} of ${plural(taken, 'measurement')}`;
  if (check.kind === 'threshold') {
    const numbers = failedValues.filter((v): v is number => v !== null);
    const parts: string[] = [];
    const low = check.min === undefined ? [] : numbers.filter((v) => v < (check.min as number));
    const high = check.max === undefined ? [] : numbers.filter((v) => v > (check.max as number));
    if (low.length > 0) parts.push(`fell to ${formatNumber(Math.min(...low))} (min ${check.min})`);
    if (high.length > 0) parts.push(`rose to ${formatNumber(Math.max(...high))} (max ${check.max})`);
    return `${metric.plan.name} ${parts.join(' and ')} ${tally}`;
  }
  const seen = failedValues.map(formatNumber).join(', ');
  const condition = check.successCondition !== undefined ? `did not meet "${check.successCondition}"` : `met its failure condition "${check.failureCondition}"`;
  return `${metric.plan.name} ${condition} ${tally} (values ${seen})`;
}

interface WindowControl {
  /** Ends every metric's loop: the outcome is decided. */
  stop: AbortController;
  signal: AbortSignal;
}

async function measureMetric(metric: PreparedMetric, windowStart: number, options: RunAnalysisOptions, control: WindowControl): Promise<MetricMeasurements> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const plan = metric.plan;
  const result: MetricMeasurements = {
    name: plan.name,
    query: metric.query,
    threshold: thresholdText(plan),
    ...(plan.check.kind === 'threshold' ? { bounds: { ...(plan.check.min === undefined ? {} : { min: plan.check.min }), ...(plan.check.max === undefined ? {} : { max: plan.check.max }) } } : {}),
    verdict: 'successful',
    dryRun: plan.dryRun,
    count: plan.count,
    values: [],
    failed: 0,
    inconclusive: 0,
    errors: 0,
  };
  let consecutiveErrors = 0;
  let lastError: string | undefined;
  const decides = !plan.dryRun;

  for (let index = 1; index <= plan.count; index++) {
    const due = windowStart + plan.initialDelayMs + index * plan.intervalMs;
    try {
      await clock.sleep(Math.max(0, due - clock.now()), control.signal);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (control.stop.signal.aborted) break;
      throw error;
    }
    if (control.stop.signal.aborted) break;

    let measurement: Measurement;
    try {
      const answer = answerValues(await runQuery(options.client, metric), plan.check.kind === 'threshold');
      const judged = judge(metric, answer.values);
      const value = answer.values.length === 0 ? null : finite(answer.values[0] as number);
      measurement = {
        time: new Date(answer.time ?? clock.now()).toISOString(),
        value,
        ...(answer.values.length > 1 ? { values: answer.values.map(finite) } : {}),
        phase: judged.phase,
        ...(judged.message === undefined ? {} : { message: judged.message }),
      };
    } catch (error) {
      let message: string;
      if (error instanceof PrometheusQueryError) message = querySentence(metric, error, options.client.location, options.analysis.display).replace(/\.$/, '');
      else if (error instanceof ShapeError) message = `its query ${error.message}`;
      else throw error;
      measurement = { time: new Date(clock.now()).toISOString(), value: null, phase: 'error', message };
    }
    result.values.push(measurement);
    if (measurement.phase === 'error') {
      consecutiveErrors += 1;
      result.errors += 1;
      lastError = measurement.message;
    } else {
      consecutiveErrors = 0;
    }
    if (measurement.phase === 'failed') result.failed += 1;
    if (measurement.phase === 'inconclusive') result.inconclusive += 1;
    options.log?.info(
      `${plan.name} [${index}/${plan.count}]: ${measurement.phase === 'error' ? 'error' : formatNumber(measurement.value)} (${result.threshold}) ${measurement.phase}${measurement.message === undefined ? '' : `: ${measurement.message}`}`,
    );

    if (result.failed > plan.failureLimit || consecutiveErrors > plan.consecutiveErrorLimit) {
      result.verdict = 'failed';
      if (decides) control.stop.abort();
      break;
    }
    if (result.inconclusive > plan.inconclusiveLimit && result.verdict !== 'inconclusive') {
      result.verdict = 'inconclusive';
      // Nothing can make it successful any more: where inconclusive fails the analysis, that is decided now.
      if (decides && options.analysis.inconclusive === 'fail') {
        control.stop.abort();
        break;
      }
    }
  }
  if (result.verdict !== 'successful') result.failure = failureSentence(metric, result, lastError);
  return result;
}

/** Runs the analysis; throws a UserError when a query fails its check (before the window). */
export async function runAnalysis(options: RunAnalysisOptions): Promise<AnalysisResult> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const startedAt = new Date(clock.now()).toISOString();
  const metrics = prepare(options.analysis, options.placeholders ?? {});
  options.signal?.throwIfAborted();
  await checkQueries(metrics, options);

  const stop = new AbortController();
  const control: WindowControl = { stop, signal: options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal]) };
  const windowStart = clock.now();
  const longest = Math.max(...metrics.map((m) => m.plan.initialDelayMs + m.plan.intervalMs * m.plan.count));
  options.log?.info(`Watching ${plural(metrics.length, 'metric')} for ${Math.round(longest / 1000)} s.`);
  const measurements = await Promise.all(metrics.map((metric) => measureMetric(metric, windowStart, options, control)));

  const deciding = measurements.filter((m) => !m.dryRun);
  const result: AnalysisOutcome = deciding.some((m) => m.verdict === 'failed')
    ? 'failed'
    : deciding.some((m) => m.verdict === 'inconclusive')
      ? 'inconclusive'
      : 'successful';
  const reasons = deciding.filter((m) => (result === 'failed' ? m.verdict === 'failed' : m.verdict !== 'successful')).map((m) => m.failure);
  return {
    result,
    passed: result === 'successful' || (result === 'inconclusive' && options.analysis.inconclusive === 'pass'),
    measurements,
    ...(reasons.length === 0 ? {} : { failure: reasons.join('; ') }),
    startedAt,
    finishedAt: new Date(clock.now()).toISOString(),
  };
}
