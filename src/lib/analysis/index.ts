/**
 * Post-deployment analysis: Prometheus queries over a bake window decide whether the new model stays. The analysis
 * comes as ml-gitops YAML (`loadAnalysis`) or an Argo Rollouts AnalysisTemplate (`loadAnalysisTemplate`); both give
 * an `AnalysisPlan` for `runAnalysis`, whose result `renderAnalysisReport` turns into a job summary.
 */
export { analysisSchema, analysisMetricSchema, type Analysis, type AnalysisMetric } from './schema.ts';
export { loadAnalysis, parseAnalysis, type LoadedAnalysis } from './load.ts';
export { loadAnalysisTemplate, parseAnalysisTemplate, REFUSED_TEMPLATE_FEATURES, type LoadedTemplate, type LoadTemplateOptions } from './template.ts';
export { fillPlaceholders, placeholdersIn, PLACEHOLDER_INPUTS, type Placeholders } from './placeholders.ts';
export {
  runAnalysis,
  formatNumber,
  thresholdText,
  type AnalysisResult,
  type AnalysisOutcome,
  type AnalysisLog,
  type Measurement,
  type MeasurementPhase,
  type MetricMeasurements,
  type MetricVerdict,
  type RunAnalysisOptions,
} from './run.ts';
export { renderAnalysisReport, metricChart, metricTable } from './report.ts';
export { compileCondition, evaluateConditions, ConditionError, NoDataError } from './conditions.ts';
export { parseDuration, formatDuration } from './duration.ts';
export type { AnalysisPlan, PlannedMetric, MetricCheck, InconclusivePolicy } from './types.ts';
