/**
 * The decision and the report: the policy's rules decided on the whole set and on each slice, the min-rows floor, and
 * the one sentence that says why. Text here goes into the JSON report and the job summary, so it names inputs in
 * plain words (`min-rows`), not with `inputRef`.
 */
import { REPORT_SCHEMA_VERSION, metricsForReport, type EvaluationReport, type RuleResult, type SliceResult } from '../../lib/evaluation-report.ts';
import type { Task } from '../../lib/metrics/index.ts';
import { plural } from '../../lib/text.ts';
import type { ChampionSource } from './champion.ts';
import { decideRules, decideSlices } from './decide.ts';
import type { LoadedPolicy } from './policy.ts';
import type { ModelData } from './prediction-data.ts';
import type { PredictionsTable } from './source.ts';

export interface Evaluation {
  task: Task;
  /** The predictions input as written. */
  predictionsFile: string;
  table: PredictionsTable;
  data: ModelData;
  threshold: number;
  minRows: number;
  positiveLabel: string | undefined;
  loaded: LoadedPolicy | undefined;
  candidateMetrics: Record<string, number>;
  championMetrics: Record<string, number> | undefined;
  champion: ChampionSource;
  sliceColumn: string | undefined;
  warnings: readonly string[];
}

export interface Decided {
  report: EvaluationReport;
  /** The failed top-level items, for the message of a rejected run. */
  failures: string[];
}

export function decide(evaluation: Evaluation): Decided {
  const { task, table, data, loaded, champion, candidateMetrics, championMetrics } = evaluation;
  const policy = loaded?.policy;
  const significance = policy?.significance;
  const paired = data.champion === undefined ? undefined : { candidate: data.candidate, champion: data.champion };
  const tooFewRows = table.rows < evaluation.minRows ? `only ${plural(table.rows, 'row')}, fewer than min-rows (${evaluation.minRows})` : undefined;
  const skipComparisons =
    champion.missing === undefined
      ? undefined
      : `no champion yet (${champion.missing.modelUri} does not exist) and on-missing-champion is promote-if-rules-pass`;
  const extra = { ...(tooFewRows === undefined ? {} : { tooFewRows }), ...(skipComparisons === undefined ? {} : { skipComparisons }) };
  const outcome = decideRules(policy?.rules ?? [], 'rules', { task, candidate: candidateMetrics, champion: championMetrics, paired, significance, ...extra });
  const slicesOutcome =
    policy?.slices !== undefined && data.slices !== undefined
      ? decideSlices(policy.slices, data.slices, data.candidate, data.champion, significance, skipComparisons)
      : { slices: [], failures: [] };

  const failures = [
    ...(tooFewRows === undefined ? [] : [`the predictions have ${tooFewRows}, too few to show that the candidate is better`]),
    ...outcome.failures,
    ...slicesOutcome.failures,
  ];
  const passed = failures.length === 0;
  const report: EvaluationReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    decision: passed ? 'promote' : 'reject',
    passed,
    reason: decisionReason(loaded, outcome.rules, slicesOutcome.slices, failures, skipComparisons),
    task,
    rows: table.rows,
    minRows: evaluation.minRows,
    threshold: task === 'binary' ? evaluation.threshold : null,
    positiveLabel: task === 'binary' ? (evaluation.positiveLabel ?? null) : null,
    classes: data.classes ?? null,
    predictions: { file: evaluation.predictionsFile, format: table.format, gzip: table.gzip },
    candidate: { metrics: metricsForReport(candidateMetrics) },
    champion:
      championMetrics === undefined || champion.source === undefined
        ? null
        : {
            metrics: metricsForReport(championMetrics),
            source: champion.source,
            modelUri: champion.registry?.uri ?? null,
            version: champion.registry?.version ?? null,
          },
    missingChampion: champion.missing ?? null,
    policy: { source: loaded === undefined ? 'none' : loaded.file === undefined ? 'inline' : 'file', file: loaded?.file ?? null },
    significance: significance === undefined ? null : { ...significance },
    rules: outcome.rules,
    groups: outcome.groups,
    slices: slicesOutcome.slices,
    sliceColumn: policy?.slices !== undefined && data.slices !== undefined ? (evaluation.sliceColumn ?? null) : null,
    warnings: [...evaluation.warnings],
  };
  return { report, failures };
}

function decisionReason(
  loaded: LoadedPolicy | undefined,
  rules: readonly RuleResult[],
  slices: readonly SliceResult[],
  failures: readonly string[],
  skipComparisons: string | undefined,
): string {
  if (failures.length > 0) return `Rejected because ${failures.join('; ')}.`;
  if (loaded === undefined) return 'No policy was given, so the candidate is reported and promoted.';
  const evaluated = slices.filter((slice) => slice.status === 'evaluated').length;
  const skippedSlices = slices.length - evaluated;
  const notes: string[] = [];
  if (skippedSlices > 0) notes.push(`${plural(skippedSlices, 'slice')} with fewer than ${loaded.policy.slices?.min_rows ?? 0} rows skipped`);
  const skippedRules = [...rules, ...slices.flatMap((slice) => slice.rules)].filter((rule) => rule.status === 'skipped');
  if (skipComparisons !== undefined && skippedRules.length > 0) {
    notes.push(`${plural(new Set(skippedRules.map((rule) => rule.id)).size, 'champion comparison')} skipped: ${skipComparisons}`);
  }
  const noteText = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  const decided = rules.filter((rule) => rule.status !== 'skipped').length;
  if (decided === 0 && evaluated === 0) return `The policy has no rule that applies, so the candidate is promoted${noteText}.`;
  const slicesText = evaluated > 0 ? ` in the whole set and in all ${plural(evaluated, 'evaluated slice')}` : '';
  return `Promoted because the policy's ${plural(decided, 'rule')} passed${slicesText}${noteText}.`;
}
