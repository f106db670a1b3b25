/**
 * The analysis as the runner executes it, whichever form it came in: the ml-gitops analysis YAML or an Argo Rollouts
 * AnalysisTemplate. Each metric carries its own schedule and limits (a template's metrics may differ).
 */

export type InconclusivePolicy = 'fail' | 'pass';

export type MetricCheck =
  /** The ml-gitops YAML: the value must be at least `min` and at most `max`. */
  | { kind: 'threshold'; min?: number; max?: number }
  /** An AnalysisTemplate: expr-style conditions on `result`. */
  | { kind: 'condition'; successCondition?: string; failureCondition?: string };

export interface PlannedMetric {
  name: string;
  /** PromQL; `{model}`-style placeholders still in it when `placeholders` is true. */
  query: string;
  /** Whether `{model}`, `{version}`, `{environment}`, `{revision}` are filled in at run time. */
  placeholders: boolean;
  check: MetricCheck;
  intervalMs: number;
  /** Measurements in the window. */
  count: number;
  /** Wait before the first measurement (an AnalysisTemplate's initialDelay). */
  initialDelayMs: number;
  /** Failed measurements tolerated; one more fails the metric (and the analysis, at once). */
  failureLimit: number;
  /** Inconclusive measurements (no data) tolerated; one more makes the metric inconclusive. */
  inconclusiveLimit: number;
  /** Query errors in a row tolerated during the window (a template's consecutiveErrorLimit); one more fails it. */
  consecutiveErrorLimit: number;
  /** Measured and reported, but its verdict does not decide the analysis (a template's dryRun). */
  dryRun: boolean;
  /** An AnalysisTemplate's `provider.prometheus.address`, for the caller to use or override. */
  address?: string;
  /** An AnalysisTemplate's `provider.prometheus.timeout` (seconds), sent as the query's `timeout`. */
  queryTimeoutSeconds?: number;
  /** Where the metric is defined, for messages: `analysis.yaml:7:5`. */
  where: string;
}

export interface AnalysisPlan {
  /** How messages name it: the file, or "the inline analysis". */
  display: string;
  /** The input it came from (`analysis`, `analysis-template`), for annotations. */
  input: string;
  /** What a metric that ends inconclusive (no data) means for the analysis. */
  inconclusive: InconclusivePolicy;
  metrics: PlannedMetric[];
}
