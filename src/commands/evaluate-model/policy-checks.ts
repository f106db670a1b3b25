/**
 * Checks of the policy against what the run has, before anything is decided: every rule names a metric that exists
 * and has exactly one bound, slice rules have a slice column, and champion comparisons have a champion to compare with.
 * Each failure is one sentence naming the rule and its place in the policy file.
 */
import { inputRef, UserError, type SourceLocation } from '../../lib/errors.ts';
import { METRICS, metricInfo, type Task } from '../../lib/metrics/index.ts';
import { didYouMean } from '../../lib/suggest.ts';
import { isComparison, leafRules } from './decide.ts';
import { ruleBound, type LoadedPolicy, type Rule } from './policy.ts';

/** Where a node of the policy is, in words (`eval.yml:4`, `line 2 of the inline policy`) and as an annotation. */
function place(loaded: LoadedPolicy, nodePath: readonly (string | number)[]): { where: string; location: SourceLocation | undefined } {
  const position = loaded.locate(nodePath);
  if (loaded.file === undefined) return { where: `${position ? `line ${position.line} of ` : ''}the inline policy`, location: undefined };
  return {
    where: `${loaded.file}${position ? `:${position.line}` : ''}`,
    location: { file: loaded.file, ...(position ? { line: position.line, column: position.column } : {}) },
  };
}

function scopes(loaded: LoadedPolicy): { prefix: string; rules: readonly Rule[]; slice: boolean }[] {
  return [
    { prefix: 'rules', rules: loaded.policy.rules, slice: false },
    { prefix: 'slices.rules', rules: loaded.policy.slices?.rules ?? [], slice: true },
  ];
}

/** Every rule names a known metric and has exactly one bound; slice rules use the task's metrics. */
export function checkPolicyMetrics(
  loaded: LoadedPolicy,
  task: Task,
  candidateExtra: Readonly<Record<string, number>>,
  championExtra: Readonly<Record<string, number>>,
  sliceColumn: string | undefined,
): void {
  const taskMetrics = METRICS[task].map((info) => info.name);
  const known = [...new Set([...taskMetrics, ...Object.keys(candidateExtra), ...Object.keys(championExtra)])];
  for (const scope of scopes(loaded)) {
    for (const { id, rule } of leafRules(scope.rules, scope.prefix)) {
      const rulePath = idToPath(id);
      const fail = (sentence: string, at: (string | number)[] = rulePath): never => {
        const { where, location } = place(loaded, at);
        throw new UserError(`The policy rule ${id} at ${where} ${sentence}`, { input: 'policy', ...(location === undefined ? {} : { location }) });
      };
      const allowed = scope.slice ? taskMetrics : known;
      if (!allowed.includes(rule.metric)) {
        const extraNote = scope.slice
          ? `slice rules can use the ${task} metrics only (${taskMetrics.join(', ')})`
          : `the ${task} metrics are ${taskMetrics.join(', ')}${
              known.length > taskMetrics.length
                ? `, and the metrics files add ${known.slice(taskMetrics.length).join(', ')}`
                : `, and the files of ${inputRef('candidate-metrics')} and ${inputRef('champion-metrics')} can add more`
            }`;
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
        fail(`checks the candidate's "${rule.metric}", but the file of ${inputRef('candidate-metrics')} has no such metric; add it there.`, [...rulePath, 'metric']);
      }
    }
  }
  if (loaded.policy.slices !== undefined && sliceColumn === undefined) {
    const { where, location } = place(loaded, ['slices']);
    throw new UserError(`The policy at ${where} has slice rules but ${inputRef('slice-column')} is not set; set it to the column that defines the slices.`, {
      input: 'slice-column',
      ...(location === undefined ? {} : { location }),
    });
  }
}

/** What the champion comparisons can use, for `checkChampionRules`. */
export interface ChampionAvailability {
  /** The champion's metrics, from its predictions, a metrics file or the registry; undefined without a champion. */
  metrics: Readonly<Record<string, number>> | undefined;
  /** The champion has per-row predictions (slice comparisons need them). */
  predictions: boolean;
  predictionsFile: string;
  championColumn: string;
}

/** A champion comparison needs the champion's value of its metric (slice comparisons need champion predictions). */
export function checkChampionRules(loaded: LoadedPolicy, champion: ChampionAvailability): void {
  const { metrics, predictions, predictionsFile, championColumn } = champion;
  for (const scope of scopes(loaded)) {
    for (const { id, rule } of leafRules(scope.rules, scope.prefix)) {
      const bound = ruleBound(rule);
      if (!('kind' in bound) || !isComparison(bound.kind)) continue;
      const available = scope.slice ? predictions : metrics !== undefined && rule.metric in metrics;
      if (available) continue;
      const { where, location } = place(loaded, idToPath(id));
      const missing =
        metrics === undefined || scope.slice
          ? `${predictionsFile} has no "${championColumn}" column${scope.slice ? '' : ` and neither ${inputRef('champion-metrics')} nor ${inputRef('champion')} is set`}`
          : `the champion's metrics have no "${rule.metric}" (they have ${Object.keys(metrics).join(', ') || 'none'})`;
      const fix = scope.slice
        ? `slice comparisons need the champion's per-row predictions in the "${championColumn}" column`
        : `add the champion's predictions as a "${championColumn}" column, set ${inputRef('champion-metrics')} or ${inputRef('champion')}, or use min/max instead`;
      throw new UserError(`The policy rule ${id} at ${where} compares ${rule.metric} with the champion (${bound.kind}), but ${missing}; ${fix}.`, {
        input: 'policy',
        ...(location === undefined ? {} : { location }),
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
