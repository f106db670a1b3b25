/**
 * `evaluate-model`: computes the metrics of a candidate (and a champion) from held-out predictions, applies the
 * evaluation policy, and decides promote or reject. A reject with `fail-on-reject` fails the step, after the outputs,
 * the job summary and the JSON report are written.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { choice, defineCommand, flag, number, text, type RunContext } from '../../lib/command.ts';
import { UserError } from '../../lib/errors.ts';
import { METRICS, computeMetrics, metricInfo, type PredictionData, type Task } from '../../lib/metrics/index.ts';
import { openRegistry } from '../../lib/registry/index.ts';
import { REGISTRY_INPUTS, registryOptions } from '../../lib/registry/inputs.ts';
import { readModelUriMetrics } from '../../lib/registry/model-uri.ts';
import { didYouMean } from '../../lib/suggest.ts';
import { decideRules, decideSlices, isComparison, leafRules, type SliceInput } from './decide.ts';
import { readMetricsFile } from './metrics-file.ts';
import { loadPolicy, policySchema, ruleBound, type LoadedPolicy } from './policy.ts';
import { checkDistinctColumns, columnRequests, type Columns } from './columns.ts';
import { readPredictions, type PredictionsTable } from './read-predictions.ts';
import { REPORT_SCHEMA_VERSION, metricsForReport, type EvaluationReport, type RuleResult, type SliceResult } from './report.ts';
import { summaryMarkdown } from './summary.ts';

export { policySchema } from './policy.ts';
export type { EvaluationReport } from './report.ts';

const TASKS = ['binary', 'multiclass', 'regression'] as const;

export const evaluateModel = defineCommand({
  name: 'evaluate-model',
  description:
    'Computes the metrics of a candidate model (and the champion) from held-out predictions, applies an evaluation policy with paired-bootstrap significance, and decides whether to promote.',
  inputs: {
    predictions: text({
      description: 'Predictions file, one row per held-out example: CSV, TSV or JSON Lines, optionally gzip-compressed.',
      required: true,
    }),
    task: choice(TASKS, {
      description: '`binary` (scores in [0, 1]), `multiclass` (class labels) or `regression` (numbers).',
      required: true,
    }),
    'label-column': text({ description: 'Column of the true label.', default: 'label' }),
    'candidate-column': text({ description: "Column of the candidate's prediction.", default: 'candidate' }),
    'champion-column': text({
      description: "Column of the champion's prediction; the champion is compared on the same rows when the column exists.",
      default: 'champion',
    }),
    'weight-column': text({ description: 'Optional column of row weights (sample_weight).' }),
    'slice-column': text({ description: 'Optional column whose values define the slices the policy\'s `slices` rules apply to.' }),
    threshold: number({
      description: 'Binary task: a score at or above it predicts the positive class, for accuracy, precision, recall and f1.',
      default: '0.5',
      min: 0,
      max: 1,
    }),
    'candidate-metrics': text({ description: 'Optional JSON file `{"metric": number}` of extra candidate metrics measured elsewhere (e.g. `latency_p95_ms`).' }),
    'champion-metrics': text({ description: 'Optional JSON file `{"metric": number}` of champion metrics measured elsewhere.' }),
    champion: text({
      description:
        'Optional registry model URI (`models:/<name>@<alias>` or `models:/<name>/<version>`) whose metrics are the champion\'s when the predictions have no champion column.',
    }),
    ...REGISTRY_INPUTS,
    policy: text({
      description:
        'Evaluation policy: a YAML file path or the YAML itself (a value with a line break, or a single line naming no existing file that parses to a mapping). Without a policy the candidate is reported and promoted.',
    }),
    'fail-on-reject': flag({ description: 'Fail the step when the decision is reject (after writing the outputs, summary and report).', default: 'true' }),
    'report-path': text({
      description: 'Where to write the JSON report.',
      defaultDescription: '`$RUNNER_TEMP/evaluation-report.json`',
    }),
  },
  outputs: {
    decision: { description: '`promote` or `reject`.' },
    passed: { description: '`true` when the decision is promote, else `false`.' },
    'report-path': { description: 'Path of the JSON report.' },
    metrics: { description: "JSON object of the candidate's metrics." },
    'summary-markdown': { description: 'The markdown written to the job summary.' },
  },
  jsonSchemas: { 'evaluation-policy': policySchema },
  async run(inputs, ctx) {
    const task: Task = inputs.task;
    const loaded = inputs.policy === undefined ? undefined : loadPolicy(inputs.policy, ctx.workspace);
    const candidateExtra = inputs.candidateMetrics === undefined ? {} : await readMetricsFile(inputs.candidateMetrics, ctx.workspace, 'candidate-metrics');
    const championFile = inputs.championMetrics === undefined ? undefined : await readMetricsFile(inputs.championMetrics, ctx.workspace, 'champion-metrics');
    if (loaded !== undefined) checkPolicyMetrics(loaded, task, candidateExtra, championFile ?? {}, inputs.sliceColumn);

    const columns = {
      label: inputs.labelColumn,
      candidate: inputs.candidateColumn,
      champion: inputs.championColumn,
      weight: inputs.weightColumn,
      slice: inputs.sliceColumn,
    };
    checkDistinctColumns(columns);
    const started = performance.now();
    const table = await readPredictions(
      { path: path.resolve(ctx.workspace, inputs.predictions), display: inputs.predictions },
      columnRequests(task, columns),
    );
    ctx.log.info(
      `Read ${table.rows} rows of ${table.format.toUpperCase()}${table.gzip ? ' (gzip)' : ''} from ${inputs.predictions} in ${((performance.now() - started) / 1000).toFixed(2)} s.`,
    );
    const data = predictionData(task, table, columns, inputs.threshold);

    const champion = await resolveChampion(inputs, data.champion !== undefined, columns.champion, championFile, ctx);
    const championSource = champion.source;
    const championRegistry = champion.registry;
    const championExtra = champion.extra;

    const candidateMetrics = withExtras(computeMetrics(data.candidate), candidateExtra, 'candidate-metrics', ctx);
    const championMetrics =
      data.champion !== undefined
        ? withExtras(computeMetrics(data.champion), championExtra, 'champion-metrics', ctx)
        : championSource !== undefined
          ? championExtra
          : undefined;
    if (loaded !== undefined) checkChampionRules(loaded, championMetrics, data.champion !== undefined, inputs.predictions, columns.champion);

    const policy = loaded?.policy;
    const significance = policy?.significance;
    const paired = data.champion === undefined ? undefined : { candidate: data.candidate, champion: data.champion };
    const outcome = decideRules(policy?.rules ?? [], 'rules', { task, candidate: candidateMetrics, champion: championMetrics, paired, significance });
    const slicesOutcome =
      policy?.slices !== undefined && data.slices !== undefined
        ? decideSlices(policy.slices, data.slices, data.candidate, data.champion, significance)
        : { slices: [], failures: [] };

    const failures = [...outcome.failures, ...slicesOutcome.failures];
    const passed = failures.length === 0;
    const decision = passed ? 'promote' : 'reject';
    const reason = decisionReason(loaded, outcome.rules, slicesOutcome.slices, failures);

    const report: EvaluationReport = {
      schemaVersion: REPORT_SCHEMA_VERSION,
      decision,
      passed,
      reason,
      task,
      rows: table.rows,
      threshold: task === 'binary' ? inputs.threshold : null,
      predictions: { file: inputs.predictions, format: table.format, gzip: table.gzip },
      candidate: { metrics: metricsForReport(candidateMetrics) },
      champion:
        championMetrics === undefined || championSource === undefined
          ? null
          : {
              metrics: metricsForReport(championMetrics),
              source: championSource,
              modelUri: championRegistry?.uri ?? null,
              version: championRegistry?.version ?? null,
            },
      policy: { source: loaded === undefined ? 'none' : loaded.file === undefined ? 'inline' : 'file', file: loaded?.file ?? null },
      significance: significance === undefined ? null : { ...significance },
      rules: outcome.rules,
      groups: outcome.groups,
      slices: slicesOutcome.slices,
      sliceColumn: policy?.slices !== undefined && data.slices !== undefined ? (columns.slice ?? null) : null,
    };

    const reportPath = path.resolve(ctx.workspace, inputs.reportPath ?? path.join(ctx.tempDir, 'evaluation-report.json'));
    await writeReport(reportPath, report);
    const markdown = summaryMarkdown(report);
    ctx.summary(markdown);
    ctx.log.info(`Decision: ${decision}. ${reason}`);
    const outputs = {
      decision,
      passed,
      'report-path': reportPath,
      metrics: report.candidate.metrics,
      'summary-markdown': markdown,
    };
    if (!passed && inputs.failOnReject) {
      throw new RejectedError(`The evaluation policy rejected the candidate: ${failures.join('; ')}; see the job summary or ${reportPath} for every rule.`, outputs);
    }
    return outputs;
  },
});

/**
 * The candidate was rejected and `fail-on-reject` is set: a UserError (the step fails with exit 1) that still
 * carries the outputs, which the adapters write before failing.
 */
export class RejectedError extends UserError {
  constructor(message: string, outputs: Record<string, unknown>) {
    super(message, { input: 'policy', title: 'Candidate rejected', outputs });
  }
}

interface ChampionSource {
  source: 'predictions' | 'metrics-file' | 'registry' | undefined;
  /** Metrics measured elsewhere: the registry version's, under the champion-metrics file's. */
  extra: Record<string, number>;
  registry: { uri: string; version: string } | undefined;
}

/** The champion: its predictions when the column exists, else the registry and/or a metrics file, else none. */
async function resolveChampion(
  inputs: { champion: string | undefined; registryUri: string | undefined; registryToken: string | undefined; registryUsername: string | undefined; registryPassword: string | undefined },
  hasPredictions: boolean,
  championColumn: string,
  championFile: Record<string, number> | undefined,
  ctx: RunContext,
): Promise<ChampionSource> {
  const fileOnly: ChampionSource = { source: hasPredictions ? 'predictions' : championFile === undefined ? undefined : 'metrics-file', extra: championFile ?? {}, registry: undefined };
  if (inputs.champion === undefined) return fileOnly;
  if (hasPredictions) {
    ctx.log.info(`The predictions have a "${championColumn}" column, so the champion is evaluated from it and the champion input (${inputs.champion}) is not used.`);
    return fileOnly;
  }
  const registry = openRegistry(registryOptions(inputs, ctx));
  const found = await readModelUriMetrics(inputs.champion, registry, { input: 'champion' });
  ctx.log.info(`Champion ${inputs.champion} is version ${found.version} of ${found.name} in ${registry.location}.`);
  return { source: 'registry', extra: { ...found.metrics, ...(championFile ?? {}) }, registry: { uri: inputs.champion, version: found.version } };
}

interface ModelData {
  candidate: PredictionData;
  champion: PredictionData | undefined;
  slices: SliceInput | undefined;
}

function predictionData(task: Task, table: PredictionsTable, columns: Columns, threshold: number): ModelData {
  const weights = columns.weight === undefined ? undefined : table.numbers.get(columns.weight);
  const withWeights = weights === undefined ? {} : { weights };
  const sliceColumn = columns.slice === undefined ? undefined : table.texts.get(columns.slice);
  const slices = sliceColumn === undefined ? undefined : { values: sliceColumn.values, codes: sliceColumn.codes };
  if (task === 'binary') {
    const labels = table.flags.get(columns.label) as Uint8Array;
    const model = (scores: Float64Array | undefined): PredictionData | undefined =>
      scores === undefined ? undefined : { task: 'binary', labels, scores, threshold, ...withWeights };
    return { candidate: model(table.numbers.get(columns.candidate)) as PredictionData, champion: model(table.numbers.get(columns.champion)), slices };
  }
  if (task === 'regression') {
    const labels = table.numbers.get(columns.label) as Float64Array;
    const model = (predictions: Float64Array | undefined): PredictionData | undefined =>
      predictions === undefined ? undefined : { task: 'regression', labels, predictions, ...withWeights };
    return { candidate: model(table.numbers.get(columns.candidate)) as PredictionData, champion: model(table.numbers.get(columns.champion)), slices };
  }
  // Multiclass: one class index space shared by the labels and both models' predictions.
  const classes = new Map<string, number>();
  const encode = (column: { codes: Int32Array; values: string[] } | undefined): Int32Array | undefined => {
    if (column === undefined) return undefined;
    const mapping = Int32Array.from(column.values, (value) => {
      let index = classes.get(value);
      if (index === undefined) {
        index = classes.size;
        classes.set(value, index);
      }
      return index;
    });
    return Int32Array.from(column.codes, (code) => mapping[code] as number);
  };
  const labels = encode(table.texts.get(columns.label)) as Int32Array;
  const candidate = encode(table.texts.get(columns.candidate)) as Int32Array;
  const champion = encode(table.texts.get(columns.champion));
  const classCount = classes.size;
  return {
    candidate: { task: 'multiclass', labels, predictions: candidate, classCount, ...withWeights },
    champion: champion === undefined ? undefined : { task: 'multiclass', labels, predictions: champion, classCount, ...withWeights },
    slices,
  };
}

/** The computed metrics plus the file's extra ones; a file cannot override a computed metric. */
function withExtras(computed: Record<string, number>, extra: Record<string, number>, input: string, ctx: RunContext): Record<string, number> {
  const merged = { ...computed };
  for (const [name, value] of Object.entries(extra)) {
    if (name in computed) {
      ctx.log.warning(`The ${input} file has "${name}", which evaluate-model computes from the predictions; the computed value is used.`);
      continue;
    }
    merged[name] = value;
  }
  return merged;
}

/** Every rule names a known metric and has exactly one bound; slice rules use the task's metrics. */
function checkPolicyMetrics(
  loaded: LoadedPolicy,
  task: Task,
  candidateExtra: Record<string, number>,
  championExtra: Record<string, number>,
  sliceColumn: string | undefined,
): void {
  const taskMetrics = METRICS[task].map((info) => info.name);
  const known = [...new Set([...taskMetrics, ...Object.keys(candidateExtra), ...Object.keys(championExtra)])];
  const { policy } = loaded;
  const scopes = [
    { prefix: 'rules', rules: policy.rules, slice: false },
    { prefix: 'slices.rules', rules: policy.slices?.rules ?? [], slice: true },
  ];
  for (const scope of scopes) {
    for (const { id, rule } of leafRules(scope.rules, scope.prefix)) {
      const rulePath = idToPath(id);
      const fail = (sentence: string, at: (string | number)[] = rulePath): never => {
        const position = loaded.locate(at);
        const where = loaded.file === undefined ? `${position ? `line ${position.line} of ` : ''}the inline policy` : `${loaded.file}${position ? `:${position.line}` : ''}`;
        throw new UserError(`The policy rule ${id} at ${where} ${sentence}`, {
          input: 'policy',
          ...(loaded.file === undefined ? {} : { location: { file: loaded.file, ...(position ? { line: position.line, column: position.column } : {}) } }),
        });
      };
      const allowed = scope.slice ? taskMetrics : known;
      if (!allowed.includes(rule.metric)) {
        const extraNote = scope.slice
          ? `slice rules can use the ${task} metrics only (${taskMetrics.join(', ')})`
          : `the ${task} metrics are ${taskMetrics.join(', ')}${known.length > taskMetrics.length ? `, and the metrics files add ${known.slice(taskMetrics.length).join(', ')}` : ', and candidate-metrics / champion-metrics files can add more'}`;
        fail(`uses the unknown metric "${rule.metric}"${didYouMean(rule.metric, allowed)}; ${extraNote}.`, [...rulePath, 'metric']);
      }
      const bound = ruleBound(rule);
      if (!('kind' in bound)) {
        fail(
          bound.kinds.length === 0
            ? 'has no bound; give it one of min, max, min_improvement or max_regression.'
            : `has ${bound.kinds.join(' and ')}; give each rule exactly one bound and write two rules for a range.`,
        );
        continue;
      }
      const info = metricInfo(task, rule.metric);
      if (info !== undefined && rule.direction !== undefined && rule.direction !== info.direction) {
        fail(`says direction ${rule.direction}, but ${rule.metric} is ${info.direction}-is-better; remove the direction.`, [...rulePath, 'direction']);
      }
      if (!isComparison(bound.kind) && info === undefined && !(rule.metric in candidateExtra)) {
        fail(`checks the candidate's "${rule.metric}", but the candidate-metrics file has no such metric; add it there.`, [...rulePath, 'metric']);
      }
    }
  }
  if (policy.slices !== undefined && sliceColumn === undefined) {
    const position = loaded.locate(['slices']);
    throw new UserError(
      `The policy at ${loaded.file === undefined ? 'the inline policy' : `${loaded.file}${position ? `:${position.line}` : ''}`} has slice rules but no slice-column is set; set the slice-column input to the column that defines the slices.`,
      { input: 'slice-column', ...(loaded.file === undefined ? {} : { location: { file: loaded.file, ...(position ? { line: position.line } : {}) } }) },
    );
  }
}

/** A champion comparison needs the champion's value of its metric (slice comparisons need champion predictions). */
function checkChampionRules(
  loaded: LoadedPolicy,
  championMetrics: Record<string, number> | undefined,
  championPredictions: boolean,
  predictionsFile: string,
  championColumn: string,
): void {
  const scopes = [
    { prefix: 'rules', rules: loaded.policy.rules, slice: false },
    { prefix: 'slices.rules', rules: loaded.policy.slices?.rules ?? [], slice: true },
  ];
  for (const scope of scopes) {
    for (const { id, rule } of leafRules(scope.rules, scope.prefix)) {
      const bound = ruleBound(rule);
      if (!('kind' in bound) || !isComparison(bound.kind)) continue;
      const available = scope.slice ? championPredictions : championMetrics !== undefined && rule.metric in championMetrics;
      if (available) continue;
      const position = loaded.locate(idToPath(id));
      const where = loaded.file === undefined ? `${position ? `line ${position.line} of ` : ''}the inline policy` : `${loaded.file}${position ? `:${position.line}` : ''}`;
      const missing =
        championMetrics === undefined || scope.slice
          ? `${predictionsFile} has no "${championColumn}" column${scope.slice ? '' : ' and no champion-metrics or champion input is set'}`
          : `the champion's metrics have no "${rule.metric}" (they have ${Object.keys(championMetrics).join(', ') || 'none'})`;
      const fix = scope.slice
        ? `slice comparisons need the champion's per-row predictions in the "${championColumn}" column`
        : `add the champion's predictions as a "${championColumn}" column, set champion-metrics or champion, or use min/max instead`;
      throw new UserError(`The policy rule ${id} at ${where} compares ${rule.metric} with the champion (${bound.kind}), but ${missing}; ${fix}.`, {
        input: 'policy',
        ...(loaded.file === undefined ? {} : { location: { file: loaded.file, ...(position ? { line: position.line, column: position.column } : {}) } }),
      });
    }
  }
}

/** `rules[1].any[0]` -> ['rules', 1, 'any', 0]. */
function idToPath(id: string): (string | number)[] {
  const steps: (string | number)[] = [];
  for (const match of id.matchAll(/([a-z_]+)|\[(\d+)\]/g)) steps.push(match[2] !== undefined ? Number(match[2]) : (match[1] as string));
  return steps;
}

function decisionReason(loaded: LoadedPolicy | undefined, rules: readonly RuleResult[], slices: readonly SliceResult[], failures: readonly string[]): string {
  if (loaded === undefined) return 'No policy was given, so the candidate is reported and promoted.';
  if (failures.length > 0) return `Rejected because ${failures.join('; ')}.`;
  const evaluated = slices.filter((slice) => slice.status === 'evaluated').length;
  const skipped = slices.length - evaluated;
  const skippedText = skipped > 0 ? ` (${skipped} slice${skipped === 1 ? '' : 's'} with fewer than ${loaded.policy.slices?.min_rows ?? 0} rows skipped)` : '';
  if (rules.length === 0 && evaluated === 0) return `The policy has no rule that applies, so the candidate is promoted${skippedText}.`;
  const ruleCount = `${rules.length} rule${rules.length === 1 ? '' : 's'}`;
  const slicesText = evaluated > 0 ? ` in the whole set and in all ${evaluated} evaluated slice${evaluated === 1 ? '' : 's'}` : '';
  return `Promoted because the policy's ${ruleCount} passed${slicesText}${skippedText}.`;
}

/** Written to a temporary file and renamed, so a reader never sees half a report. */
async function writeReport(file: string, report: EvaluationReport): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(report, null, 2)}\n`);
  await rename(temporary, file);
}
