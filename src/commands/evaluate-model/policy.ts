/**
 * The evaluation policy: which metrics the candidate must reach and how it must compare with the champion.
 *
 * ```yaml
 * significance: { confidence: 0.95, resamples: 1000, seed: 1 }
 * rules:                       # a list is all-of
 *   - metric: roc_auc
 *     min: 0.80
 *   - any:                     # any-of; `all:` also exists; groups nest
 *       - { metric: accuracy, min_improvement: 0.01 }
 *       - { metric: f1, min_improvement: 1% }
 *   - { metric: log_loss, max_regression: 0.005 }
 * slices: { min_rows: 200, rules: [ { metric: accuracy, max_regression: 0.02 } ] }
 * ```
 *
 * The `policy` input is a file path or the YAML itself: a value with a line break is inline YAML; a single line is a
 * path when a file of that name exists (relative to the workspace), inline YAML when it parses to a mapping, and a
 * missing policy file otherwise. Every problem names the file (or the inline policy) and the line.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, isMap, parseDocument } from 'yaml';
import { z } from 'zod';
import { inputRef, UserError, type SourceLocation } from '../../lib/errors.ts';
import { didYouMean } from '../../lib/suggest.ts';
import { lowerFirst } from '../../lib/text.ts';
import { describeValue, nodeOffset, pathText, valueAt } from '../../lib/yaml-locate.ts';

const PERCENT = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/;

const amount = z
  .union([z.number().nonnegative(), z.string().regex(PERCENT, { message: 'must be a number or a percentage such as "1%"' })])
  .describe('An absolute amount in the metric\'s unit, or a percentage of the champion\'s value such as "1%".');

const metricRuleSchema = z
  .strictObject({
    metric: z.string().min(1).describe('A metric of the task, or a key of the candidate-metrics / champion-metrics files.'),
    min: z.number().optional().describe('The candidate\'s value must be at least this.'),
    max: z.number().optional().describe('The candidate\'s value must be at most this.'),
    min_improvement: amount
      .optional()
      .describe('The candidate must beat the champion by at least this much, in the metric\'s better direction (a number or "N%" of the champion\'s value).'),
    max_regression: amount
      .optional()
      .describe('The candidate may be worse than the champion by at most this much (a non-inferiority margin; a number or "N%").'),
    direction: z
      .enum(['higher', 'lower'])
      .optional()
      .describe('Which way is better, for metrics from the metrics files; by default names ending in _ms, _seconds, latency, loss or error are lower-is-better, all others higher-is-better.'),
  })
  .describe('One check of one metric: exactly one of min, max, min_improvement, max_regression.');

export type MetricRule = z.infer<typeof metricRuleSchema>;
export type Rule = MetricRule | { any: Rule[] } | { all: Rule[] };

const ruleSchema: z.ZodType<Rule> = z
  .lazy(() =>
    z.union([
      metricRuleSchema,
      z.strictObject({ any: z.array(ruleSchema).min(1).describe('Passes when at least one of these rules passes.') }),
      z.strictObject({ all: z.array(ruleSchema).min(1).describe('Passes when every one of these rules passes.') }),
    ]),
  )
  // Names the recursive definition in the published JSON Schema ($defs/evaluation-rule).
  .meta({ id: 'evaluation-rule', description: 'A metric rule, or an any/all group of rules.' });

const significanceSchema = z
  .strictObject({
    confidence: z
      .number()
      .gt(0, { message: 'must be between 0 and 1, such as 0.95' })
      .lt(1, { message: 'must be between 0 and 1, such as 0.95' })
      .default(0.95).describe('Two-sided confidence of the bootstrap interval.'),
    resamples: z
      .number()
      .int({ message: 'must be a whole number' })
      .min(100, { message: 'must be at least 100 for a stable interval' })
      .max(100_000, { message: 'must be at most 100000' })
      .default(1000).describe('Number of paired bootstrap resamples.'),
    seed: z.number().int({ message: 'must be a whole number' }).min(0, { message: 'must not be negative' }).default(1).describe('Seed of the resampling, so that a run can be repeated exactly.'),
  })
  .describe('Decide champion comparisons on a paired bootstrap interval of the improvement, when both models have per-row predictions.');

const slicesSchema = z
  .strictObject({
    min_rows: z.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be at least 1' }).default(100).describe('Slices with fewer rows are reported as skipped.'),
    rules: z.array(ruleSchema).min(1).describe('Rules every slice with enough rows must pass (all-of).'),
  })
  .describe('Rules applied within each value of the slice-column input.');

export const policySchema = z
  .strictObject({
    significance: significanceSchema.optional(),
    rules: z.array(ruleSchema).default([]).describe('Rules the candidate must pass (all-of).'),
    slices: slicesSchema.optional(),
  })
  .describe('The evaluation policy of the evaluate-model action.');

export type Policy = z.infer<typeof policySchema>;
export type Significance = z.infer<typeof significanceSchema>;

export type RuleKind = 'min' | 'max' | 'min_improvement' | 'max_regression';
const RULE_KINDS: readonly RuleKind[] = ['min', 'max', 'min_improvement', 'max_regression'];

/** A policy with the way back from a rule's path to its place in the YAML. */
export interface LoadedPolicy {
  policy: Policy;
  /** How messages name it: the file as written, or "the inline policy". */
  display: string;
  /** The file, when the policy came from one (for annotations). */
  file: string | undefined;
  /** Where the node at `path` is (1-based line and column), when it can be found. */
  locate(path: readonly (string | number)[]): { line: number; column: number } | undefined;
}

const NO_DOCUMENT: LoadedPolicy['locate'] = () => undefined;

/** Resolves the `policy` input (file or inline YAML) and validates it. */
export function loadPolicy(input: string, workspace: string): LoadedPolicy {
  const text = input.trim();
  const candidatePath = path.resolve(workspace, text);
  if (!text.includes('\n')) {
    if (existsSync(candidatePath) && statSync(candidatePath).isFile()) {
      return parsePolicy(readFileSync(candidatePath, 'utf8'), text, text);
    }
    if (text !== '' && existsSync(candidatePath) && statSync(candidatePath).isDirectory()) {
      throw new UserError(`The policy path "${text}" is a directory, not a file; set ${inputRef('policy')} to the YAML file itself.`, { input: 'policy' });
    }
    const document = parseDocument(text);
    if (document.errors.length > 0 || !isMap(document.contents)) {
      throw new UserError(
        `The policy file "${text}" does not exist; set ${inputRef('policy')} to an existing YAML file (relative to the workspace) or to the policy's YAML itself.`,
        { input: 'policy' },
      );
    }
  }
  return parsePolicy(input, 'the inline policy', undefined);
}

/** Parses and validates policy YAML; `display` names it in messages, `file` is set for a file. */
export function parsePolicy(text: string, display: string, file: string | undefined): LoadedPolicy {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true });
  const at = (line: number | undefined, column?: number): string =>
    file === undefined ? (line === undefined ? 'the inline policy' : `line ${line} of the inline policy`) : `${file}${line === undefined ? '' : `:${line}${column === undefined ? '' : `:${column}`}`}`;
  const location = (line?: number, column?: number): SourceLocation | undefined =>
    file === undefined ? undefined : { file, ...(line === undefined ? {} : { line }), ...(column === undefined ? {} : { column }) };

  const syntaxError = document.errors[0];
  if (syntaxError !== undefined) {
    const position = syntaxError.linePos?.[0];
    const reason = (syntaxError.message.split('\n')[0] ?? syntaxError.message).replace(/ at line \d+, column \d+:?$/, '').replace(/\.$/, '');
    throw new UserError(`The policy at ${at(position?.line, position?.col)} is not valid YAML: ${reason}; fix the YAML syntax there.`, {
      input: 'policy',
      location: location(position?.line, position?.col),
    });
  }
  const locate = (nodePath: readonly (string | number)[]): { line: number; column: number } | undefined => {
    const offset = nodeOffset(document, nodePath);
    if (offset === undefined) return undefined;
    const position = lineCounter.linePos(offset);
    return { line: position.line, column: position.col };
  };
  const raw: unknown = document.toJS() ?? {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UserError(`The policy at ${at(1)} is not a mapping; write it as keys such as "rules:" and "significance:".`, {
      input: 'policy',
      location: location(1),
    });
  }
  const result = policySchema.safeParse(raw);
  if (!result.success) {
    const issue = firstIssue(result.error.issues, raw);
    const position = locate(issue.keyPath ?? issue.path);
    throw new UserError(`The policy at ${at(position?.line, position?.column)} ${issue.message}`, {
      input: 'policy',
      location: location(position?.line, position?.column),
    });
  }
  return { policy: result.data, display, file, locate: document.contents ? locate : NO_DOCUMENT };
}

interface ReportedIssue {
  path: (string | number)[];
  /** For an unknown key: the path of the key itself. */
  keyPath?: (string | number)[];
  message: string;
}

const KEYS_BY_PLACE: Record<string, readonly string[]> = {
  top: Object.keys(policySchema.shape),
  significance: Object.keys(significanceSchema.shape),
  slices: Object.keys(slicesSchema.shape),
  metricRule: Object.keys(metricRuleSchema.shape),
};

/** Which keys are allowed in the object at `nodePath` (a rule is told apart by its `any` / `all` / other keys). */
function allowedKeys(nodePath: readonly PropertyKey[], value: unknown): readonly string[] {
  if (nodePath.length === 0) return KEYS_BY_PLACE.top ?? [];
  if (nodePath.length === 1 && nodePath[0] === 'significance') return KEYS_BY_PLACE.significance ?? [];
  if (nodePath.length === 1 && nodePath[0] === 'slices') return KEYS_BY_PLACE.slices ?? [];
  const keys = value !== null && typeof value === 'object' ? Object.keys(value) : [];
  if (keys.includes('any')) return ['any'];
  if (keys.includes('all')) return ['all'];
  return KEYS_BY_PLACE.metricRule ?? [];
}

/**
 * The one issue to report, with a sentence. A failed rule union is narrowed to the branch the user meant: a mapping
 * with `any` is an any-group, with `all` an all-group, anything else a metric rule.
 */
function firstIssue(issues: readonly z.core.$ZodIssue[], root: unknown, prefix: PropertyKey[] = []): ReportedIssue {
  const issue = issues[0] as z.core.$ZodIssue;
  const issuePath = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union') {
    const value = valueAt(root, issuePath);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return { path: toPath(issuePath), message: `has ${describeValue(value)} where a rule belongs (${pathText(issuePath)}); a rule is a mapping with "metric:" and one bound, or an "any:" or "all:" list.` };
    }
    const keys = Object.keys(value);
    const branch = keys.includes('any') ? 1 : keys.includes('all') ? 2 : 0;
    const chosen = issue.errors[branch];
    if (chosen && chosen.length > 0) {
      // A group that also has other keys: say so rather than reporting the other branches' complaints.
      return firstIssue(chosen, root, issuePath);
    }
  }
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] as string;
    const allowed = allowedKeys(issuePath, valueAt(root, issuePath));
    const hint = didYouMean(key, allowed);
    return {
      path: toPath(issuePath),
      keyPath: toPath([...issuePath, key]),
      message: `has an unknown key "${key}" in ${pathText(issuePath)}${hint}; the keys allowed there are ${allowed.map((k) => `"${k}"`).join(', ')}.`,
    };
  }
  const value = valueAt(root, issuePath);
  const last = issuePath[issuePath.length - 1];
  const field = typeof last === 'string' ? `"${last}"` : 'the value';
  let problem = issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'invalid_type' && value === undefined) problem = `${field} is missing`;
  else if (issue.code === 'invalid_type') problem = `${field} must be a ${issue.expected}, not ${describeValue(value)}`;
  else problem = `${field} ${lowerFirst(problem)}`;
  return { path: toPath(issuePath), message: `has an invalid ${pathText(issuePath)}: ${problem.replace(/\.$/, '')}.` };
}

function toPath(nodePath: readonly PropertyKey[]): (string | number)[] {
  return nodePath.map((step) => (typeof step === 'number' ? step : String(step)));
}

/** The bound of a metric rule, when it has exactly one. */
export function ruleBound(rule: MetricRule): { kind: RuleKind; value: number | string } | { kinds: RuleKind[] } {
  const kinds = RULE_KINDS.filter((kind) => rule[kind] !== undefined);
  if (kinds.length === 1) {
    const kind = kinds[0] as RuleKind;
    return { kind, value: rule[kind] as number | string };
  }
  return { kinds };
}

/** `"1%"` -> 0.01 (a fraction of the champion's value); numbers are absolute. */
export function parseAmount(value: number | string): { amount: number; relative: boolean } {
  if (typeof value === 'number') return { amount: value, relative: false };
  const match = PERCENT.exec(value);
  return { amount: Number(match?.[1]) / 100, relative: true };
}
