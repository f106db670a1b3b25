/**
 * The JSON report of `evaluate-model`, version 1: what `register-model` and `open-promotion-pr` read. Additions keep
 * `schemaVersion: 1`; a change that renames or removes a field bumps it. Numbers that are undefined (NaN, e.g. the
 * roc_auc of a slice with one class) are written as null.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { UserError } from '../../lib/errors.ts';

export const REPORT_SCHEMA_VERSION = 1;

const value = z.number().nullable();
const metrics = z.record(z.string(), value);

export const intervalSchema = z.object({
  lower: value,
  upper: value,
  /** Two-sided confidence of the interval, e.g. 0.95. */
  confidence: z.number(),
});

export const ruleResultSchema = z.object({
  /** Where the rule is in the policy: `rules[1].any[0]`, `slices.rules[0]`. */
  id: z.string(),
  metric: z.string(),
  direction: z.enum(['higher', 'lower']),
  kind: z.enum(['min', 'max', 'min_improvement', 'max_regression']),
  /** The bound as the policy wrote it: a number, or a percentage such as "1%". */
  threshold: z.union([z.number(), z.string()]),
  /** The bound in the metric's unit (a percentage applied to the champion's value); null when it cannot be computed. */
  required: value,
  candidate: value,
  champion: value,
  /** Candidate over champion in the metric's better direction (positive = better); null without a champion. */
  improvement: value,
  /** Paired bootstrap interval of the improvement; null when the comparison used point estimates. */
  interval: intervalSchema.nullable(),
  passed: z.boolean(),
  explanation: z.string(),
});

export const groupResultSchema = z.object({
  id: z.string(),
  kind: z.enum(['any', 'all']),
  passed: z.boolean(),
  /** Ids of the rules and groups directly inside. */
  members: z.array(z.string()),
});

export const sliceResultSchema = z.object({
  /** The slice-column value. */
  value: z.string(),
  rows: z.number().int(),
  status: z.enum(['evaluated', 'skipped']),
  /** null for a skipped slice. */
  passed: z.boolean().nullable(),
  candidate: z.object({ metrics }),
  champion: z.object({ metrics }).nullable(),
  rules: z.array(ruleResultSchema),
  groups: z.array(groupResultSchema),
});

export const evaluationReportSchema = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  decision: z.enum(['promote', 'reject']),
  passed: z.boolean(),
  /** One sentence: why the decision was taken. */
  reason: z.string(),
  task: z.enum(['binary', 'multiclass', 'regression']),
  /** Rows of the predictions file. */
  rows: z.number().int(),
  /** Binary tasks: the score at or above which a row is predicted positive; null for other tasks. */
  threshold: z.number().nullable(),
  predictions: z.object({ file: z.string(), format: z.enum(['csv', 'tsv', 'jsonl']), gzip: z.boolean() }),
  candidate: z.object({ metrics }),
  /** null when there is no champion (no champion column, champion-metrics or champion input). */
  champion: z
    .object({
      metrics,
      source: z.enum(['predictions', 'metrics-file', 'registry']),
      /** The `models:/` URI and resolved version, when the metrics came from the registry. */
      modelUri: z.string().nullable(),
      version: z.string().nullable(),
    })
    .nullable(),
  policy: z.object({ source: z.enum(['file', 'inline', 'none']), file: z.string().nullable() }),
  significance: z.object({ confidence: z.number(), resamples: z.number().int(), seed: z.number().int() }).nullable(),
  rules: z.array(ruleResultSchema),
  groups: z.array(groupResultSchema),
  slices: z.array(sliceResultSchema),
  /** The slice-column, when slices were evaluated. */
  sliceColumn: z.string().nullable(),
});

export type Interval = z.infer<typeof intervalSchema>;
export type RuleResult = z.infer<typeof ruleResultSchema>;
export type GroupResult = z.infer<typeof groupResultSchema>;
export type SliceResult = z.infer<typeof sliceResultSchema>;
export type EvaluationReport = z.infer<typeof evaluationReportSchema>;
export type ReportMetrics = z.infer<typeof metrics>;

/**
 * Reads and validates a report written by `evaluate-model` (for the actions that consume it). `input` names the action
 * input that pointed to it, for messages.
 */
export async function readEvaluationReport(file: string, display: string = file, input = 'evaluation-report'): Promise<EvaluationReport> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UserError(`The evaluation report "${display}" does not exist; point ${input} to the report-path output of evaluate-model.`, { input });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UserError(`The evaluation report "${display}" is not JSON (${(error as Error).message}); point ${input} to the report-path output of evaluate-model.`, {
      input,
      location: { file: display },
    });
  }
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== REPORT_SCHEMA_VERSION) {
    throw new UserError(
      `The evaluation report "${display}" has schemaVersion ${JSON.stringify(version)}, but this version of ml-gitops reads version ${REPORT_SCHEMA_VERSION}; produce it with the same ml-gitops release.`,
      { input, location: { file: display } },
    );
  }
  const result = evaluationReportSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.map(String).join('.') ?? '';
    throw new UserError(`The evaluation report "${display}" is not a valid evaluate-model report: ${where === '' ? '' : `${where} `}${issue?.message ?? 'is invalid'}.`, {
      input,
      location: { file: display },
    });
  }
  return result.data;
}

/** JSON numbers cannot be NaN or infinite: those become null. */
export function finiteOrNull(value: number | undefined): number | null {
  return value === undefined || !Number.isFinite(value) ? null : value;
}

export function metricsForReport(values: Readonly<Record<string, number>>): ReportMetrics {
  return Object.fromEntries(Object.entries(values).map(([name, v]) => [name, finiteOrNull(v)]));
}
