/**
 * The `analysis` input: a YAML file (relative to the workspace) or the YAML itself, by the evaluation policy's rule:
 * a value with a line break is inline YAML; a single line is a path when such a file exists, inline YAML when it
 * parses to a mapping, and a missing file otherwise. Every problem names the file (or the inline analysis) and line.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { UserError, inputRef } from '../errors.ts';
import { parseWithSchema, parseYamlDocument, type LocatedYaml } from '../yaml-locate.ts';
import { parseDuration } from './duration.ts';
import { analysisSchema, type Analysis } from './schema.ts';
import type { AnalysisPlan } from './types.ts';

export interface LoadedAnalysis {
  analysis: Analysis;
  plan: AnalysisPlan;
  /** The file as given, when it came from one. */
  file: string | undefined;
}

export interface LoadOptions {
  /** The input's name, for messages (default `analysis`). */
  input?: string;
}

/** Reads the input as a file when it names one, else as inline YAML; answers the text and the file (if any). */
export function readYamlInput(input: string, workspace: string, inputName: string, noun: string): { text: string; file: string | undefined } {
  const text = input.trim();
  if (!text.includes('\n')) {
    const candidate = path.resolve(workspace, text);
    if (existsSync(candidate) && statSync(candidate).isFile()) return { text: readFileSync(candidate, 'utf8'), file: text };
    const document = parseDocument(text);
    if (document.errors.length > 0 || !isMap(document.contents)) {
      throw new UserError(
        `The ${noun} file "${text}" does not exist; set ${inputRef(inputName)} to an existing YAML file (relative to the workspace) or to the ${noun}'s YAML itself.`,
        { input: inputName },
      );
    }
  }
  return { text: input, file: undefined };
}

/** Resolves and validates the `analysis` input. */
export function loadAnalysis(input: string, workspace: string, options: LoadOptions = {}): LoadedAnalysis {
  const inputName = options.input ?? 'analysis';
  const { text, file } = readYamlInput(input, workspace, inputName, 'analysis');
  return parseAnalysis(text, file, inputName);
}

/** Parses and validates analysis YAML; `file` is the file as given, undefined for inline YAML. */
export function parseAnalysis(text: string, file: string | undefined, inputName = 'analysis'): LoadedAnalysis {
  const yaml = parseYamlDocument(text, { noun: 'analysis', file, input: inputName });
  if (yaml.value !== undefined && yaml.value !== null && (typeof yaml.value !== 'object' || Array.isArray(yaml.value))) {
    throw yaml.error([], 'is not a mapping; write it as keys such as "interval:", "count:" and "metrics:".');
  }
  const analysis = parseWithSchema(yaml, analysisSchema);
  return { analysis, plan: planAnalysis(analysis, yaml), file };
}

function planAnalysis(analysis: Analysis, yaml: LocatedYaml): AnalysisPlan {
  const intervalMs = parseDuration(analysis.interval) as number;
  if (intervalMs < 1) throw yaml.error(['interval'], 'has an interval of 0; set "interval" to a duration such as "30s".');
  return {
    display: yaml.origin.file ?? 'the inline analysis',
    input: yaml.origin.input,
    inconclusive: analysis.inconclusive,
    metrics: analysis.metrics.map((metric, index) => ({
      name: metric.name,
      query: metric.query,
      placeholders: true,
      check: { kind: 'threshold', ...(metric.min === undefined ? {} : { min: metric.min }), ...(metric.max === undefined ? {} : { max: metric.max }) },
      intervalMs,
      count: analysis.count,
      initialDelayMs: 0,
      failureLimit: metric['failure-limit'],
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 0,
      dryRun: false,
      where: yaml.where(['metrics', index]),
    })),
  };
}
