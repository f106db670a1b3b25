/**
 * The JSON report of `evaluate-model`, version 1: the contract between steps. `evaluate-model` writes it;
 * `register-model` and `open-promotion-pr` read it. Additions keep `schemaVersion: 1` and are optional in the schema,
 * so a report written by an earlier release of the same version still reads; a change that renames or removes a field
 * bumps the version. Numbers that are undefined (NaN, e.g. the roc_auc of a slice with one class) are written as null.
 */
import { stat, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { inputRef, UserError } from './errors.ts';

export const REPORT_SCHEMA_VERSION = 1;

const value = z.number().nullable();
const metrics = z.record(z.string(), value);
/** `evaluated`, or `skipped` when the rule could not apply (a comparison without a champion yet). Absent = evaluated. */
const status = z.enum(['evaluated', 'skipped']);

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
  /** A skipped rule does not block the decision (`passed` is true); its explanation says why it was skipped. */
  passed: z.boolean(),
  status: status.optional(),
  explanation: z.string(),
});

export const groupResultSchema = z.object({
  id: z.string(),
  kind: z.enum(['any', 'all']),
  passed: z.boolean(),
  /** `skipped` when every rule inside was skipped. */
  status: status.optional(),
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

export const classesSchema = z.object({
  /** `numbers` when every label and prediction is a number (`1` and `1.0` are one class), else `text`. */
  comparedAs: z.enum(['numbers', 'text']),
  /** The classes occurring among the labels, as first written. */
  labels: z.array(z.string()),
  /** Classes a model predicts that never occur as a label (each counts as a wrong prediction). */
  predictedNotLabelled: z.object({ candidate: z.array(z.string()), champion: z.array(z.string()) }),
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
  /** The fewest rows the whole set needs (the min-rows input); fewer rows reject the candidate. */
  minRows: z.number().int().optional(),
  /** Binary tasks: the score at or above which a row is predicted positive; null for other tasks. */
  threshold: z.number().nullable(),
  /** Binary tasks: the label value of the positive class when the positive-label input named one, else null. */
  positiveLabel: z.string().nullable().optional(),
  /** Multiclass tasks: how the classes were compared and which predicted classes never occur as labels. */
  classes: classesSchema.nullable().optional(),
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
  /**
   * The champion input named an alias that does not exist yet and on-missing-champion is promote-if-rules-pass: the
   * champion comparisons were skipped. null otherwise.
   */
  missingChampion: z.object({ modelUri: z.string() }).nullable().optional(),
  policy: z.object({ source: z.enum(['file', 'inline', 'none']), file: z.string().nullable() }),
  significance: z.object({ confidence: z.number(), resamples: z.number().int(), seed: z.number().int() }).nullable(),
  rules: z.array(ruleResultSchema),
  groups: z.array(groupResultSchema),
  slices: z.array(sliceResultSchema),
  /** The slice-column, when slices were evaluated. */
  sliceColumn: z.string().nullable(),
  /** The warnings of the run, each one sentence (also logged as warnings). */
  warnings: z.array(z.string()).optional(),
});

export type Interval = z.infer<typeof intervalSchema>;
export type RuleResult = z.infer<typeof ruleResultSchema>;
export type GroupResult = z.infer<typeof groupResultSchema>;
export type SliceResult = z.infer<typeof sliceResultSchema>;
export type ReportClasses = z.infer<typeof classesSchema>;
export type EvaluationReport = z.infer<typeof evaluationReportSchema>;
export type ReportMetrics = z.infer<typeof metrics>;

/** Where a report path came from: the input that named it, and the path as the user wrote it. */
export interface ReportOrigin {
  input: string;
  display: string;
}

/**
 * Reads and validates a report written by `evaluate-model` (for the steps that consume it). `display` is the path as
 * the user wrote it and `input` the input that pointed to it, for messages.
 */
export async function readEvaluationReport(file: string, display: string = file, input = 'evaluation-report'): Promise<EvaluationReport> {
  const fix = `point ${inputRef(input)} to the report-path output of evaluate-model`;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === 'EISDIR' ? 'is a directory, not a file' : code === 'EACCES' ? 'cannot be read (permission denied)' : 'does not exist';
    throw new UserError(`The evaluation report "${display}" ${problem}; ${fix}.`, { input });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UserError(`The evaluation report "${display}" is not JSON (${(error as Error).message}); ${fix}.`, {
      input,
      location: { file: display },
    });
  }
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version === undefined) {
    // Some other JSON file (a metrics dump, another tool's report): no version to compare.
    throw new UserError(`The evaluation report "${display}" has no schemaVersion, so it is not a report of evaluate-model; ${fix}.`, {
      input,
      location: { file: display },
    });
  }
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

/**
 * Writes the report to `file` (absolute) atomically (a temporary file renamed over it, so a reader never sees half a
 * report), creating its directory. A location that cannot be written is a UserError naming `origin.input`.
 */
export async function writeEvaluationReport(file: string, report: EvaluationReport, origin: ReportOrigin): Promise<void> {
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, `${JSON.stringify(report, null, 2)}\n`, { encoding: 'utf8' });
  } catch (error) {
    const problem = await unwritableProblem(error, file, origin.display);
    if (problem === undefined) throw error;
    throw new UserError(`The evaluation report cannot be written to "${origin.display}": ${problem}; set ${inputRef(origin.input)} to a file in a writable directory.`, {
      input: origin.input,
    });
  }
}

/** Why `file` cannot be written, in words, for the errors the environment causes; undefined for anything else. */
async function unwritableProblem(error: unknown, file: string, display: string): Promise<string | undefined> {
  switch ((error as NodeJS.ErrnoException | null)?.code) {
    case 'EEXIST':
    case 'ENOTDIR': {
      const blocking = await firstFileAncestor(file);
      const shown = blocking === undefined ? 'a part of the path' : `"${displayedAncestor(display, file, blocking)}"`;
      return `${shown} is a file, not a directory`;
    }
    case 'EISDIR':
      return 'it is a directory; name a file inside it, such as evaluation-report.json';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    default:
      return undefined;
  }
}

/** The nearest ancestor of `file` that exists and is not a directory (the cause of EEXIST / ENOTDIR). */
async function firstFileAncestor(file: string): Promise<string | undefined> {
  let current = path.dirname(file);
  for (;;) {
    const stats = await stat(current).catch(() => undefined);
    if (stats !== undefined) return stats.isDirectory() ? undefined : current;
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/** `blocking` as the user would write it: relative like `display` when `display` was relative. */
function displayedAncestor(display: string, file: string, blocking: string): string {
  if (path.isAbsolute(display)) return blocking;
  const up = path.relative(blocking, file).split(path.sep).length;
  const parts = display.split(/[\\/]/);
  return parts.slice(0, Math.max(1, parts.length - up)).join('/');
}

/** JSON numbers cannot be NaN or infinite: those become null. */
export function finiteOrNull(value: number | undefined): number | null {
  return value === undefined || !Number.isFinite(value) ? null : value;
}

export function metricsForReport(values: Readonly<Record<string, number>>): ReportMetrics {
  return Object.fromEntries(Object.entries(values).map(([name, v]) => [name, finiteOrNull(v)]));
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering: the numbers and verdicts as evaluate-model's sentences and summary and the promotion PR body show them
// ---------------------------------------------------------------------------------------------------------------

/** A metric value for people: five significant digits; `missing` for a value the report does not have. */
export function formatValue(value: number | null | undefined, missing = 'undefined'): string {
  if (value === null || value === undefined || Number.isNaN(value)) return missing;
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(5)));
}

/** Like `formatValue`, with a `+` on positive values (deltas, improvements, interval bounds). */
export function formatSigned(value: number | null | undefined, missing = 'undefined'): string {
  const text = formatValue(value, missing);
  return value !== null && value !== undefined && value > 0 ? `+${text}` : text;
}

/** A rule's requirement, `min_improvement 0.01`. */
export function ruleText(rule: RuleResult): string {
  return `${rule.kind} ${typeof rule.threshold === 'number' ? formatValue(rule.threshold) : rule.threshold}`;
}

/** A rule's interval, `[+0.01, +0.03] (95%)`; empty without one. */
export function intervalText(rule: RuleResult): string {
  if (rule.interval === null) return '';
  return `[${formatSigned(rule.interval.lower)}, ${formatSigned(rule.interval.upper)}] (${formatValue(rule.interval.confidence * 100)}%)`;
}

export function passVerdict(passed: boolean): string {
  return passed ? '✅ pass' : '❌ fail';
}

export function ruleVerdict(rule: RuleResult): string {
  return rule.status === 'skipped' ? '⏭️ skipped' : passVerdict(rule.passed);
}
