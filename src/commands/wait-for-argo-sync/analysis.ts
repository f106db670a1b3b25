/** The post-deployment analysis of wait-for-argo-sync: which plan (analysis YAML or AnalysisTemplate) and where to query. */
import type { RunContext } from '../../lib/command.ts';
import { loadAnalysis, loadAnalysisTemplate, runAnalysis, type AnalysisPlan, type AnalysisResult, type Placeholders } from '../../lib/analysis/index.ts';
import { headerLines } from '../../lib/argocd/inputs.ts';
import { createPrometheusClient, type PrometheusClient } from '../../lib/prometheus.ts';

export interface PlannedAnalysis {
  readonly plan: AnalysisPlan;
  /** The template's own Prometheus address, used when `prometheus-url` is empty. */
  readonly address: string | undefined;
  /** The longest metric's window (initial delay + interval × count), in ms. */
  readonly windowMs: number;
  run(client: PrometheusClient, placeholders: Placeholders, log: RunContext['log'], signal: AbortSignal): Promise<AnalysisResult>;
}

interface AnalysisInputs {
  analysis: string | undefined;
  analysisTemplate: string | undefined;
  modelName: string | undefined;
  modelVersion: string | undefined;
  environment: string | undefined;
  revision: string | undefined;
}

export function loadPlan(inputs: AnalysisInputs, workspace: string): PlannedAnalysis | undefined {
  let plan: AnalysisPlan;
  let address: string | undefined;
  if (inputs.analysis !== undefined) {
    plan = loadAnalysis(inputs.analysis, workspace, { input: 'analysis' }).plan;
  } else if (inputs.analysisTemplate !== undefined) {
    const args = { model: inputs.modelName, version: inputs.modelVersion, environment: inputs.environment, revision: inputs.revision };
    const template = loadAnalysisTemplate(inputs.analysisTemplate, args, { workspace, input: 'analysis-template' });
    plan = template.plan;
    address = template.addresses[0];
  } else {
    return undefined;
  }
  return {
    plan,
    address,
    windowMs: Math.max(...plan.metrics.map((metric) => metric.initialDelayMs + metric.intervalMs * metric.count)),
    run: (client, placeholders, log, signal) => runAnalysis({ analysis: plan, client, placeholders, log: { info: (message) => log.info(message) }, signal }),
  };
}

interface PrometheusInputs {
  prometheusUrl: string | undefined;
  prometheusToken: string | undefined;
  prometheusHeaders: string[] | undefined;
}

export function prometheusClient(inputs: PrometheusInputs, planned: PlannedAnalysis, ctx: RunContext): PrometheusClient {
  const headers = headerLines(inputs.prometheusHeaders, 'prometheus-headers');
  for (const value of Object.values(headers)) ctx.setSecret(value);
  return createPrometheusClient({
    url: (inputs.prometheusUrl ?? planned.address) as string,
    ...(inputs.prometheusToken !== undefined ? { token: inputs.prometheusToken } : {}),
    headers,
    env: ctx.env,
    // A measurement is due every interval: the per-query budget stays within it where it is short.
    totalTimeoutMs: Math.max(5_000, Math.min(60_000, ...planned.plan.metrics.map((metric) => metric.intervalMs || 60_000))),
  });
}
