/**
 * Turns register-model's inputs and the workflow environment into what will be written to the registry: the
 * idempotency key, the lineage tags, the user's tags and the description. Pure, so the rules are testable alone.
 */
import { createHash } from 'node:crypto';
import { inputRef, UserError } from '../../lib/errors.ts';
import { runFacts, type RunFacts } from '../../lib/run-facts.ts';
import { aliasNameProblem, modelNameProblem } from '../../lib/registry/model-uri.ts';
import { IDEMPOTENCY_KEY_TAG, LINEAGE_TAGS, RESERVED_TAG_PREFIX } from '../../lib/registry/tags.ts';
import type { EvaluationTags } from './evaluation.ts';

export interface RegistrationInputs {
  modelName: string;
  source: string;
  runId: string | undefined;
  modelId: string | undefined;
  tags: readonly string[] | undefined;
  description: string | undefined;
  alias: string | undefined;
}

export interface RegistrationPlan {
  name: string;
  source: string;
  runId: string | undefined;
  modelId: string | undefined;
  description: string | undefined;
  alias: string | undefined;
  /** Every tag the version must carry (lineage, evaluation, the user's), the idempotency tag excepted. */
  tags: Record<string, string>;
  idempotencyKey: { tag: string; value: string };
}

/** MLflow's tag key rule (`_validate_tag_name`): these characters, and no path tricks. */
const TAG_KEY_PATTERN = /^[\p{L}\p{N}_/.\- :]+$/u;
const MAX_TAG_KEY_LENGTH = 250;

/** Why MLflow would refuse `key` as a tag key, or undefined when it is acceptable. */
export function tagKeyProblem(key: string): string | undefined {
  if (key === '') return 'is empty';
  if (!TAG_KEY_PATTERN.test(key)) {
    return 'may only contain letters, digits, underscores (_), dashes (-), periods (.), spaces, colons (:) and slashes (/)';
  }
  if (key.length > MAX_TAG_KEY_LENGTH) return `is longer than ${MAX_TAG_KEY_LENGTH} characters`;
  const segments = key.split('/');
  if (key.startsWith('/') || key.endsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..') || key.startsWith('..')) {
    return 'must not start or end with "/", hold "//", or have "." or ".." parts';
  }
  return undefined;
}

/** `key=value` lines (split at the first `=`, both sides trimmed) into a record; later lines win. */
export function parseTagLines(lines: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const line of lines) {
    const equals = line.indexOf('=');
    if (equals === -1) {
      throw new UserError(`${inputRef('tags')} line ${JSON.stringify(line)} is not key=value: write one key=value per line.`, { input: 'tags' });
    }
    const key = line.slice(0, equals).trim();
    const value = line.slice(equals + 1).trim();
    const problem = tagKeyProblem(key);
    if (problem !== undefined) {
      throw new UserError(`${inputRef('tags')} line ${JSON.stringify(line)}: the key ${problem}.`, { input: 'tags' });
    }
    if (key.startsWith(RESERVED_TAG_PREFIX)) {
      throw new UserError(
        `${inputRef('tags')} line ${JSON.stringify(line)} sets "${key}", but tags starting with "${RESERVED_TAG_PREFIX}" are written by ml-gitops itself: choose another key.`,
        { input: 'tags' },
      );
    }
    tags[key] = value;
  }
  return tags;
}

/** Lineage tags from the run's facts; only the values that are known. */
export function lineageTags(facts: RunFacts): Record<string, string> {
  const tags: Record<string, string> = {};
  const set = (key: string, value: string | undefined): void => {
    if (value !== undefined && value.trim() !== '') tags[key] = value.trim();
  };
  set(LINEAGE_TAGS.commit, facts.commit);
  set(LINEAGE_TAGS.repository, facts.repository);
  set(LINEAGE_TAGS.workflowRunUrl, facts.runUrl);
  set(LINEAGE_TAGS.actor, facts.actor);
  set(LINEAGE_TAGS.event, facts.event);
  return tags;
}

/**
 * The idempotency key: a hash of what makes a registration the same one (model, source, run, commit), so a re-run
 * workflow or a retried request finds the version it already made, and a new commit or source makes a new one.
 */
export function idempotencyValue(parts: { name: string; source: string; runId: string | undefined; commit: string | undefined }): string {
  const material = JSON.stringify(['ml-gitops/register-model/v1', parts.name, parts.source, parts.runId ?? '', parts.commit ?? '']);
  return createHash('sha256').update(material).digest('hex');
}

/** Where the commit of the idempotency key and the lineage tag came from. */
export interface CommitFact {
  commit: string | undefined;
  /** For the log and the summary: `GITHUB_SHA`, `git rev-parse HEAD in /repo`, ... */
  origin: string;
}

function checkedName(modelName: string): string {
  const name = modelName.trim();
  const nameProblem = modelNameProblem(name);
  if (nameProblem !== undefined) {
    throw new UserError(`${inputRef('model-name')} ${JSON.stringify(modelName)} ${nameProblem}: use a name MLflow accepts, e.g. "churn-classifier".`, {
      input: 'model-name',
    });
  }
  return name;
}

function checkedAlias(raw: string | undefined): string | undefined {
  const alias = raw?.trim() || undefined;
  if (alias !== undefined) {
    const aliasProblem = aliasNameProblem(alias);
    if (aliasProblem !== undefined) {
      throw new UserError(`${inputRef('alias')} ${JSON.stringify(alias)} ${aliasProblem}: use e.g. "challenger".`, { input: 'alias' });
    }
  }
  return alias;
}

/**
 * The registration of a new version. `commit` is the run's commit as the command found it (CI variables, else the
 * checkout); it goes into the idempotency key and the lineage tag instead of the environment's GITHUB_SHA alone.
 */
export function planRegistration(
  inputs: RegistrationInputs,
  env: Readonly<Record<string, string | undefined>>,
  evaluation: EvaluationTags | undefined,
  commit: string | undefined = runFacts(env).commit,
): RegistrationPlan {
  const name = checkedName(inputs.modelName);
  const source = inputs.source.trim();
  if (source === '') {
    throw new UserError(`${inputRef('source')} is empty: pass the artifact URI of the model, e.g. runs:/<run-id>/model.`, { input: 'source' });
  }
  const alias = checkedAlias(inputs.alias);
  const runId = inputs.runId?.trim() || undefined;
  const userTags = parseTagLines(inputs.tags ?? []);
  const facts = { ...runFacts(env), commit };
  const tags = { ...(evaluation?.tags ?? {}), ...userTags, ...lineageTags(facts) };
  const parts = [inputs.description?.trim() ?? ''];
  if (evaluation !== undefined) parts.push(evaluation.descriptionMarkdown);
  const description = parts.filter((part) => part !== '').join('\n\n') || undefined;
  return {
    name,
    source,
    runId,
    modelId: inputs.modelId?.trim() || undefined,
    description,
    alias,
    tags,
    idempotencyKey: {
      tag: IDEMPOTENCY_KEY_TAG,
      value: idempotencyValue({ name, source, runId, commit }),
    },
  };
}

export interface AliasInputs {
  modelName: string;
  version: string;
  tags: readonly string[] | undefined;
  alias: string | undefined;
}

/** Pointing an alias at an existing version: the version's lineage stays that of its registration. */
export interface AliasPlan {
  name: string;
  version: string;
  alias: string | undefined;
  /** The user's tags and the evaluation's, set on the version before the alias moves. */
  tags: Record<string, string>;
}

export function planAlias(inputs: AliasInputs, evaluation: EvaluationTags | undefined): AliasPlan {
  return {
    name: checkedName(inputs.modelName),
    version: inputs.version.trim(),
    alias: checkedAlias(inputs.alias),
    tags: { ...(evaluation?.tags ?? {}), ...parseTagLines(inputs.tags ?? []) },
  };
}
