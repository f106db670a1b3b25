/**
 * Applies a policy to the metrics of a candidate and a champion: each rule's verdict with its explanation, the groups,
 * the slices, and the decision with the one sentence that says why.
 *
 * Champion comparisons (`min_improvement`, `max_regression`) use the improvement in the metric's better direction
 * (candidate − champion for higher-is-better metrics, champion − candidate for lower-is-better ones). With
 * `significance` and per-row predictions of both models, the comparison is decided on the lower bound of the paired
 * bootstrap interval of that improvement: `min_improvement` needs lower ≥ required, `max_regression` needs
 * lower > −margin. Otherwise the point estimate decides (improvement ≥ required, improvement ≥ −margin).
 */
import { byCodePoint } from '../../lib/text.ts';
import { computeMetrics, metricInfo, pairedBootstrap, type Direction, type PredictionData, type Task } from '../../lib/metrics/index.ts';
import { parseAmount, ruleBound, type MetricRule, type Policy, type Rule, type RuleKind, type Significance } from './policy.ts';
import { finiteOrNull, formatSigned, formatValue, metricsForReport, type GroupResult, type RuleResult, type SliceResult } from '../../lib/evaluation-report.ts';

/** Name endings of lower-is-better metrics from the metrics files (latency_p95_ms, eval_loss, error_rate is not one). */
const LOWER_IS_BETTER_ENDINGS = ['_ms', '_seconds', 'latency', 'loss', 'error'];

/** Which way is better for a metric: the task's catalog, the rule's `direction`, or the name's ending. */
export function metricDirection(task: Task, name: string, declared?: Direction): Direction {
  const known = metricInfo(task, name);
  if (known !== undefined) return known.direction;
  if (declared !== undefined) return declared;
  const lowered = name.toLowerCase();
  return LOWER_IS_BETTER_ENDINGS.some((ending) => lowered.endsWith(ending)) ? 'lower' : 'higher';
}

/** What the rules of one scope (the whole set, or one slice) are decided on. */
export interface Scope {
  task: Task;
  candidate: Readonly<Record<string, number>>;
  /** undefined without a champion. */
  champion: Readonly<Record<string, number>> | undefined;
  /** Per-row predictions of both models, when a paired bootstrap is possible. */
  paired: { candidate: PredictionData; champion: PredictionData } | undefined;
  significance: Significance | undefined;
  /**
   * Set when the champion does not exist yet (on-missing-champion: promote-if-rules-pass): champion comparisons are
   * skipped with this reason, reported and not blocking.
   */
  skipComparisons?: string;
  /**
   * Set when the scope has fewer rows than the bootstrap needs (the min-rows input), e.g. "only 1 row, fewer than
   * min-rows (30)": comparisons that ask for significance fail with it instead of resampling.
   */
  tooFewRows?: string;
}

export interface RulesOutcome {
  passed: boolean;
  rules: RuleResult[];
  groups: GroupResult[];
  /** Top-level items that failed, described for the decision sentence. */
  failures: string[];
}

/** Leaf rules in policy order, each with its id (`rules[1].any[0]`). */
export function leafRules(rules: readonly Rule[], prefix: string): { id: string; rule: MetricRule }[] {
  const leaves: { id: string; rule: MetricRule }[] = [];
  rules.forEach((rule, index) => {
    const id = `${prefix}[${index}]`;
    if ('any' in rule) leaves.push(...leafRules(rule.any, `${id}.any`));
    else if ('all' in rule) leaves.push(...leafRules(rule.all, `${id}.all`));
    else leaves.push({ id, rule });
  });
  return leaves;
}

export function isComparison(kind: RuleKind): boolean {
  return kind === 'min_improvement' || kind === 'max_regression';
}

/** Decides a list of rules (all-of) in one scope. */
export function decideRules(rules: readonly Rule[], prefix: string, scope: Scope): RulesOutcome {
  const intervals = bootstrapIntervals(rules, prefix, scope);
  const results: RuleResult[] = [];
  const groups: GroupResult[] = [];
  const failures: string[] = [];

  // A skipped rule is left out of its group: an `any` passes on its other members, a group of skipped rules is skipped.
  const visit = (rule: Rule, id: string): Verdict => {
    if ('any' in rule || 'all' in rule) {
      const kind = 'any' in rule ? 'any' : 'all';
      const members = 'any' in rule ? rule.any : rule.all;
      const memberIds = members.map((_, index) => `${id}.${kind}[${index}]`);
      const verdicts = members.map((member, index) => visit(member, memberIds[index] as string)).filter((verdict) => verdict !== 'skip');
      const verdict: Verdict =
        verdicts.length === 0 ? 'skip' : (kind === 'any' ? verdicts.includes('pass') : !verdicts.includes('fail')) ? 'pass' : 'fail';
      groups.push({ id, kind, passed: verdict !== 'fail', ...(verdict === 'skip' ? { status: 'skipped' as const } : {}), members: memberIds });
      return verdict;
    }
    const result = decideRule(rule, id, scope, intervals.get(rule.metric));
    results.push(result);
    return result.status === 'skipped' ? 'skip' : result.passed ? 'pass' : 'fail';
  };

  rules.forEach((rule, index) => {
    const id = `${prefix}[${index}]`;
    if (visit(rule, id) !== 'fail') return;
    if ('any' in rule) failures.push(`${id} (none of its ${rule.any.length} alternatives passed)`);
    else if ('all' in rule) failures.push(`${id} (not all of its ${rule.all.length} rules passed)`);
    else {
      const result = results.find((r) => r.id === id);
      failures.push(`${id} (${result?.explanation ?? rule.metric})`);
    }
  });
  results.sort((a, b) => compareIds(a.id, b.id));
  return { passed: failures.length === 0, rules: results, groups, failures };
}

type Verdict = 'pass' | 'fail' | 'skip';

/** Policy order: `rules[1].any[0]` before `rules[1].any[1]` before `rules[2]`. */
function compareIds(a: string, b: string): number {
  const numbers = (id: string): number[] => [...id.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
  const x = numbers(a);
  const y = numbers(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x.length - y.length;
}

/** One bootstrap for every task metric compared with the champion in these rules, when significance applies. */
function bootstrapIntervals(
  rules: readonly Rule[],
  prefix: string,
  scope: Scope,
): Map<string, { lower: number; upper: number; confidence: number }> {
  const intervals = new Map<string, { lower: number; upper: number; confidence: number }>();
  if (scope.significance === undefined || scope.paired === undefined || scope.tooFewRows !== undefined || scope.skipComparisons !== undefined) return intervals;
  const metrics = new Set<string>();
  for (const { rule } of leafRules(rules, prefix)) {
    const bound = ruleBound(rule);
    if ('kind' in bound && isComparison(bound.kind) && metricInfo(scope.task, rule.metric) !== undefined) metrics.add(rule.metric);
  }
  if (metrics.size === 0) return intervals;
  const { confidence, resamples, seed } = scope.significance;
  const result = pairedBootstrap(scope.paired.candidate, scope.paired.champion, [...metrics], { confidence, resamples, seed });
  for (const [name, interval] of Object.entries(result)) intervals.set(name, { lower: interval.lower, upper: interval.upper, confidence });
  return intervals;
}

/** Up to 5 significant digits, as people read metrics. */
function decideRule(
  rule: MetricRule,
  id: string,
  scope: Scope,
  interval: { lower: number; upper: number; confidence: number } | undefined,
): RuleResult {
  const bound = ruleBound(rule);
  if (!('kind' in bound)) throw new RangeError(`Rule ${id} has no single bound; the policy validation should have refused it.`);
  const { kind, value: threshold } = bound;
  const metric = rule.metric;
  const direction = metricDirection(scope.task, metric, rule.direction);
  const candidate = scope.candidate[metric];
  const champion = scope.champion?.[metric];
  const sign = direction === 'higher' ? 1 : -1;
  const improvement = candidate !== undefined && champion !== undefined ? sign * (candidate - champion) : undefined;
  const base = {
    id,
    metric,
    direction,
    kind,
    threshold,
    candidate: finiteOrNull(candidate),
    champion: finiteOrNull(champion),
    improvement: finiteOrNull(improvement),
  };

  if (kind === 'min' || kind === 'max') {
    const limit = threshold as number;
    const defined = candidate !== undefined && Number.isFinite(candidate);
    const passed = defined && (kind === 'min' ? (candidate as number) >= limit : (candidate as number) <= limit);
    const explanation = !defined
      ? `${metric} is undefined for the candidate, so it cannot be checked against the ${kind === 'min' ? 'minimum' : 'maximum'} ${formatValue(limit)}`
      : passed
        ? `${metric} ${formatValue(candidate)} ${kind === 'min' ? '≥' : '≤'} ${formatValue(limit)}`
        : `${metric} ${formatValue(candidate)} is ${kind === 'min' ? 'below the minimum' : 'above the maximum'} ${formatValue(limit)}`;
    return { ...base, required: limit, interval: null, passed, explanation };
  }

  if (scope.skipComparisons !== undefined) {
    return { ...base, required: null, interval: null, passed: true, status: 'skipped', explanation: `skipped: ${scope.skipComparisons}` };
  }
  const { amount, relative } = parseAmount(threshold);
  const required = relative ? (champion === undefined ? Number.NaN : amount * Math.abs(champion)) : amount;
  // min_improvement: improvement must reach `required`; max_regression: improvement must stay above -margin.
  const floor = kind === 'min_improvement' ? required : -required;
  const requirement =
    kind === 'min_improvement'
      ? `an improvement of at least ${formatSigned(required)}${relative ? ` (${threshold} of the champion's ${formatValue(champion)})` : ''}`
      : `a regression of at most ${formatValue(required)}${relative ? ` (${threshold} of the champion's ${formatValue(champion)})` : ''}`;
  if (improvement === undefined || !Number.isFinite(improvement) || !Number.isFinite(required)) {
    return {
      ...base,
      required: finiteOrNull(required),
      interval: null,
      passed: false,
      explanation: `${metric} is undefined for the ${candidate === undefined || !Number.isFinite(candidate) ? 'candidate' : 'champion'}, so the rule requiring ${requirement} cannot pass`,
    };
  }
  const moved = `${metric} ${formatValue(champion)} → ${formatValue(candidate)} (improvement ${formatSigned(improvement)})`;
  if (scope.tooFewRows !== undefined && scope.significance !== undefined && scope.paired !== undefined && metricInfo(scope.task, metric) !== undefined) {
    return {
      ...base,
      required: finiteOrNull(required),
      interval: null,
      passed: false,
      explanation: `${moved}; ${scope.tooFewRows}, so the paired bootstrap cannot show that it meets ${requirement}`,
    };
  }
  if (interval !== undefined) {
    const lower = interval.lower;
    const passed = kind === 'min_improvement' ? lower >= floor : lower > floor;
    const percent = `${formatValue(interval.confidence * 100)}%`;
    const range = `${percent} interval [${formatSigned(lower)}, ${formatSigned(interval.upper)}]`;
    const explanation = passed
      ? `${moved}; the ${range} has its lower bound ${kind === 'min_improvement' ? 'at or above' : 'above'} ${formatSigned(floor)}, so it meets ${requirement}`
      : `${moved}; the ${range} reaches down to ${formatSigned(lower)}, so ${requirement} is not established at ${percent} confidence`;
    return {
      ...base,
      required: finiteOrNull(required),
      interval: { lower: finiteOrNull(lower), upper: finiteOrNull(interval.upper), confidence: interval.confidence },
      passed,
      explanation,
    };
  }
  const passed = improvement >= floor;
  // With significance configured, say why this comparison still used the point estimate.
  const pointOnly = scope.significance !== undefined ? ' (point estimate: no per-row values of both models to resample)' : '';
  const explanation = passed ? `${moved} meets ${requirement}${pointOnly}` : `${moved} falls short of ${requirement}${pointOnly}`;
  return { ...base, required: finiteOrNull(required), interval: null, passed, explanation };
}

// ---------------------------------------------------------------------------------------------------------------
// Slices
// ---------------------------------------------------------------------------------------------------------------

export interface SliceInput {
  values: readonly string[];
  codes: Int32Array;
}

/** The rows of `data` at `rows`, as their own data set. */
export function subset(data: PredictionData, rows: Uint32Array): PredictionData {
  const weights = data.weights === undefined ? undefined : pick(data.weights, rows, new Float64Array(rows.length));
  switch (data.task) {
    case 'binary':
      return {
        task: 'binary',
        labels: pick(data.labels, rows, new Uint8Array(rows.length)),
        scores: pick(data.scores, rows, new Float64Array(rows.length)),
        threshold: data.threshold,
        ...(weights ? { weights } : {}),
      };
    case 'multiclass':
      return {
        task: 'multiclass',
        labels: pick(data.labels, rows, new Int32Array(rows.length)),
        predictions: pick(data.predictions, rows, new Int32Array(rows.length)),
        classCount: data.classCount,
        ...(weights ? { weights } : {}),
      };
    case 'regression':
      return {
        task: 'regression',
        labels: pick(data.labels, rows, new Float64Array(rows.length)),
        predictions: pick(data.predictions, rows, new Float64Array(rows.length)),
        ...(weights ? { weights } : {}),
      };
  }
}

function pick<T extends Float64Array | Int32Array | Uint8Array>(values: T, rows: Uint32Array, out: T): T {
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i] as number] as number;
  return out;
}

/** Row indices per slice value. */
function rowsPerSlice(slices: SliceInput): Uint32Array[] {
  const counts = new Uint32Array(slices.values.length);
  for (const code of slices.codes) counts[code]! += 1;
  const rows = Array.from(counts, (count) => new Uint32Array(count));
  const filled = new Uint32Array(slices.values.length);
  slices.codes.forEach((code, row) => {
    (rows[code] as Uint32Array)[filled[code]!] = row;
    filled[code]! += 1;
  });
  return rows;
}

export interface SlicesOutcome {
  slices: SliceResult[];
  failures: string[];
}

/** Decides the slice rules in every slice with at least `min_rows` rows; smaller slices are reported as skipped. */
export function decideSlices(
  policy: NonNullable<Policy['slices']>,
  slices: SliceInput,
  candidate: PredictionData,
  champion: PredictionData | undefined,
  significance: Significance | undefined,
  skipComparisons?: string,
): SlicesOutcome {
  const results: SliceResult[] = [];
  const failures: string[] = [];
  const perSlice = rowsPerSlice(slices);
  const order = slices.values.map((value, code) => ({ value, code })).sort((a, b) => byCodePoint(a.value, b.value));
  for (const { value, code } of order) {
    const rows = perSlice[code] as Uint32Array;
    if (rows.length < policy.min_rows) {
      results.push({ value, rows: rows.length, status: 'skipped', passed: null, candidate: { metrics: {} }, champion: null, rules: [], groups: [] });
      continue;
    }
    const candidateData = subset(candidate, rows);
    const championData = champion === undefined ? undefined : subset(champion, rows);
    const candidateMetrics = computeMetrics(candidateData);
    const championMetrics = championData === undefined ? undefined : computeMetrics(championData);
    const outcome = decideRules(policy.rules, 'slices.rules', {
      task: candidate.task,
      candidate: candidateMetrics,
      champion: championMetrics,
      paired: championData === undefined ? undefined : { candidate: candidateData, champion: championData },
      significance,
      ...(skipComparisons === undefined ? {} : { skipComparisons }),
    });
    results.push({
      value,
      rows: rows.length,
      status: 'evaluated',
      passed: outcome.passed,
      candidate: { metrics: metricsForReport(candidateMetrics) },
      champion: championMetrics === undefined ? null : { metrics: metricsForReport(championMetrics) },
      rules: outcome.rules,
      groups: outcome.groups,
    });
    for (const failure of outcome.failures) failures.push(`slice "${value}": ${failure}`);
  }
  return { slices: results, failures };
}
