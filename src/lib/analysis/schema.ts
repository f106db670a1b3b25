/**
 * The ml-gitops analysis YAML (the `analysis` input of wait-for-argo-sync):
 *
 * ```yaml
 * interval: 30s        # between measurements
 * count: 10            # measurements per metric; the bake window is interval × count
 * inconclusive: fail   # when a query returns no data: fail | pass
 * metrics:
 *   - name: accuracy
 *     query: avg(ml_model_accuracy{model="{model}", version="{version}"})
 *     min: 0.8
 *     failure-limit: 1   # failed measurements tolerated before the analysis fails
 * ```
 */
import { z } from 'zod';
import { DURATION_PATTERN } from './duration.ts';

export const durationSchema = z
  .string({ message: 'must be a duration such as "30s", "1m" or "500ms"' })
  .regex(DURATION_PATTERN, { message: 'must be a duration such as "30s", "1m" or "500ms"' });

export const analysisMetricSchema = z
  .strictObject({
    name: z
      .string()
      .min(1, { message: 'must not be empty' })
      .describe('How reports and messages name the metric, e.g. accuracy, p95-latency, error-rate.'),
    query: z
      .string()
      .min(1, { message: 'must not be empty' })
      .describe('PromQL returning one number (a scalar or a one-element vector); {model}, {version}, {environment} and {revision} are filled in.'),
    min: z.number().optional().describe('Each measurement must be at least this.'),
    max: z.number().optional().describe('Each measurement must be at most this.'),
    'failure-limit': z
      .number()
      .int({ message: 'must be a whole number' })
      .min(0, { message: 'must not be negative' })
      .default(0)
      .describe('Failed measurements tolerated; one more fails the analysis at once.'),
  })
  .refine((metric) => metric.min !== undefined || metric.max !== undefined, {
    message: 'needs a threshold: set "min", "max" or both',
  })
  .refine((metric) => metric.min === undefined || metric.max === undefined || metric.min <= metric.max, {
    message: '"min" must not be greater than "max"',
  })
  .describe('One metric measured over the bake window.');

export const analysisSchema = z
  .strictObject({
    interval: durationSchema.describe('Time between measurements, e.g. "30s" or "1m".'),
    count: z
      .number({ message: 'must be a whole number' })
      .int({ message: 'must be a whole number' })
      .min(1, { message: 'must be at least 1' })
      .max(10_000, { message: 'must be at most 10000' })
      .describe('Measurements per metric; the bake window is interval × count.'),
    inconclusive: z
      .enum(['fail', 'pass'])
      .default('fail')
      .describe('What a metric whose query returns no data (or NaN) means: fail the analysis, or let it pass.'),
    metrics: z
      .array(analysisMetricSchema)
      .min(1, { message: 'must list at least one metric' })
      .describe('The metrics to watch; every one must stay within its thresholds.'),
  })
  .superRefine((analysis, context) => {
    const seen = new Set<string>();
    analysis.metrics.forEach((metric, index) => {
      if (seen.has(metric.name)) {
        context.addIssue({ code: 'custom', path: ['metrics', index, 'name'], message: `"${metric.name}" is the name of an earlier metric too; give each metric its own name` });
      }
      seen.add(metric.name);
    });
  })
  .describe('The post-deployment analysis of wait-for-argo-sync: Prometheus queries over a bake window.');

export type Analysis = z.infer<typeof analysisSchema>;
export type AnalysisMetric = z.infer<typeof analysisMetricSchema>;
