/**
 * `evaluate-model`: computes the metrics of a candidate (and a champion) from held-out predictions, applies the
 * evaluation policy, and decides promote or reject. A reject with `fail-on-reject` fails the step, after the outputs,
 * the job summary and the JSON report are written.
 */
import path from 'node:path';
import { choice, defineCommand, flag, number, text } from '../../lib/command.ts';
import { UserError } from '../../lib/errors.ts';
import { writeEvaluationReport } from '../../lib/evaluation-report.ts';
import { computeMetrics, type Task } from '../../lib/metrics/index.ts';
import { REGISTRY_INPUTS, REGISTRY_RULES } from '../../lib/registry/inputs.ts';
import { decide } from './build-report.ts';
import { ON_MISSING_CHAMPION, resolveChampion, withExtras } from './champion.ts';
import { checkDistinctColumns, columnRequests, type Columns } from './columns.ts';
import { readMetricsFile } from './metrics-file.ts';
import { loadPolicy, policySchema } from './policy.ts';
import { checkChampionRules, checkPolicyMetrics } from './policy-checks.ts';
import { predictionData, type ModelData } from './prediction-data.ts';
import { readPredictions } from './read-predictions.ts';
import { summaryMarkdown } from './summary.ts';

export { policySchema } from './policy.ts';

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
    'positive-label': text({
      description:
        'Binary task: the label value of the positive class (e.g. `churned`); every other label is the negative class, and at most one other may occur. Without it, labels are 0/1, true/false or yes/no (any case).',
    }),
    'min-rows': number({
      description:
        'The fewest rows the whole set needs: with fewer, the candidate is rejected, and champion comparisons that ask for significance fail, as so few rows cannot show one.',
      default: '30',
      integer: true,
      min: 1,
    }),
    'candidate-metrics': text({ description: 'Optional JSON file `{"metric": number}` of extra candidate metrics measured elsewhere (e.g. `latency_p95_ms`).' }),
    'champion-metrics': text({ description: 'Optional JSON file `{"metric": number}` of champion metrics measured elsewhere.' }),
    champion: text({
      description:
        'Optional registry model URI (`models:/<name>@<alias>` or `models:/<name>/<version>`) whose metrics are the champion\'s when the predictions have no champion column.',
    }),
    'on-missing-champion': choice(ON_MISSING_CHAMPION, {
      description:
        'When the `champion` alias does not exist yet (a first deployment): `fail` stops the step; `promote-if-rules-pass` skips the champion comparisons, reports them as skipped and decides on the other rules.',
      default: 'fail',
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
  rules: REGISTRY_RULES,
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

    const columns: Columns = {
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
      columnRequests(task, columns, task === 'binary' ? inputs.positiveLabel : undefined),
    );
    ctx.log.info(
      `Read ${table.rows} rows of ${table.format.toUpperCase()}${table.gzip ? ' (gzip)' : ''} from ${inputs.predictions} in ${((performance.now() - started) / 1000).toFixed(2)} s.`,
    );
    const data = predictionData(task, table, columns, inputs.threshold);
    const warnings: string[] = [];
    // Warnings that go into the report too, so they are written in plain words.
    const warn = (message: string): void => {
      warnings.push(message);
      ctx.log.warning(message);
    };
    warnAboutClasses(data, inputs.predictions, warn);

    const champion = await resolveChampion(inputs, data.champion !== undefined, columns.champion, championFile, ctx);
    if (champion.missing !== undefined) {
      warn(`The champion ${champion.missing.modelUri} does not exist yet, so this is treated as a first deployment: the champion comparisons are skipped (on-missing-champion is promote-if-rules-pass).`);
    }
    const logWarning = (message: string): void => ctx.log.warning(message);
    const candidateMetrics = withExtras(computeMetrics(data.candidate), candidateExtra, 'candidate-metrics', logWarning);
    const championMetrics =
      data.champion !== undefined
        ? withExtras(computeMetrics(data.champion), champion.extra, 'champion-metrics', logWarning)
        : champion.source !== undefined
          ? champion.extra
          : undefined;
    if (loaded !== undefined && champion.missing === undefined) {
      checkChampionRules(loaded, { metrics: championMetrics, predictions: data.champion !== undefined, predictionsFile: inputs.predictions, championColumn: columns.champion });
    }

    const { report, failures } = decide({
      task,
      predictionsFile: inputs.predictions,
      table,
      data,
      threshold: inputs.threshold,
      minRows: inputs.minRows,
      positiveLabel: inputs.positiveLabel,
      loaded,
      candidateMetrics,
      championMetrics,
      champion,
      sliceColumn: columns.slice,
      warnings,
    });
    const reportPath = path.resolve(ctx.workspace, inputs.reportPath ?? path.join(ctx.tempDir, 'evaluation-report.json'));
    await writeEvaluationReport(reportPath, report, { input: 'report-path', display: inputs.reportPath ?? reportPath });
    const markdown = summaryMarkdown(report);
    ctx.summary(markdown);
    ctx.log.info(`Decision: ${report.decision}. ${report.reason}`);
    const outputs = {
      decision: report.decision,
      passed: report.passed,
      'report-path': reportPath,
      metrics: report.candidate.metrics,
      'summary-markdown': markdown,
    };
    if (!report.passed && inputs.failOnReject) {
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

/** A class a model predicts that no row has as its label can never be right: usually a spelling or mapping mismatch. */
function warnAboutClasses(data: ModelData, predictionsFile: string, warn: (message: string) => void): void {
  if (data.classes === undefined) return;
  for (const [model, classes] of Object.entries(data.classes.predictedNotLabelled)) {
    if (classes.length === 0) continue;
    const shown = classes.slice(0, 10).map((name) => `"${name}"`).join(', ');
    const more = classes.length > 10 ? ` and ${classes.length - 10} more` : '';
    warn(
      `The ${model} predicts ${classes.length === 1 ? 'a class' : 'classes'} that no row of ${predictionsFile} has as its label (${shown}${more}); each such prediction counts as wrong, so check that the labels and predictions name the classes alike.`,
    );
  }
}
