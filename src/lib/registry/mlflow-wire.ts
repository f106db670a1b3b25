/**
 * The MLflow REST wire format (`/api/2.0/mlflow`) and its translation to the registry's types: pure functions, so the
 * quirks are testable without a server.
 */
import type { ModelVersion, VersionStatus } from './types.ts';

export interface MlflowTag {
  key: string;
  value: string;
}

export interface MlflowModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number | string;
  source?: string;
  run_id?: string;
  model_id?: string;
  status?: string;
  status_message?: string;
  description?: string;
  tags?: MlflowTag[];
  aliases?: string[];
}

export interface MlflowErrorBody {
  error_code?: string;
  message?: string;
}

export interface MlflowRun {
  info?: { run_id?: string; artifact_uri?: string };
  data?: { metrics?: { key: string; value: number | string }[]; tags?: MlflowTag[] };
}

const STATUSES: readonly VersionStatus[] = ['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY'];

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

export function tagsToRecord(tags: readonly MlflowTag[] | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  for (const tag of tags ?? []) record[tag.key] = tag.value;
  return record;
}

export function recordToTags(record: Record<string, string>): MlflowTag[] {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}

export function fromMlflowVersion(version: MlflowModelVersion): ModelVersion {
  const status = STATUSES.find((candidate) => candidate === version.status) ?? 'READY';
  return {
    name: version.name,
    version: String(version.version),
    source: version.source ?? '',
    runId: emptyToUndefined(version.run_id),
    modelId: emptyToUndefined(version.model_id),
    status,
    statusMessage: emptyToUndefined(version.status_message),
    description: emptyToUndefined(version.description),
    tags: tagsToRecord(version.tags),
    aliases: [...(version.aliases ?? [])],
    createdAt: Number(version.creation_timestamp ?? 0),
  };
}

/** Newest (highest version number) first. */
export function newestFirst(versions: readonly ModelVersion[]): ModelVersion[] {
  return [...versions].sort((a, b) => Number(b.version) - Number(a.version));
}

/**
 * A string literal for an MLflow search filter. MLflow has no escape sequence: a value is wrapped in single or double
 * quotes and taken verbatim, so a value holding both kinds of quote cannot be written (undefined).
 */
export function filterString(value: string): string | undefined {
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('"')) return `"${value}"`;
  return undefined;
}

/** `tags.\`key\`` for a filter, or undefined when the key holds a backtick (no escape exists either). */
export function filterTagKey(key: string): string | undefined {
  return key.includes('`') ? undefined : `tags.\`${key}\``;
}

/** The filter `name='m' AND tags.\`k\`='v'`, or undefined when a part cannot be written in MLflow's filter syntax. */
export function versionTagFilter(name: string, tag: string, value: string): string | undefined {
  const quotedName = filterString(name);
  const key = filterTagKey(tag);
  const quotedValue = filterString(value);
  if (quotedName === undefined || key === undefined || quotedValue === undefined) return undefined;
  return `name=${quotedName} AND ${key}=${quotedValue}`;
}

/**
 * The metrics of a version: the run's latest value per key, overlaid by the version's `metric.<key>` tags whose
 * value is a number (a registration can record metrics computed outside the run, e.g. by `evaluate-model`).
 */
export function versionMetrics(run: MlflowRun | undefined, tags: Record<string, string>): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const metric of run?.data?.metrics ?? []) {
    const value = Number(metric.value);
    if (Number.isFinite(value)) metrics[metric.key] = value;
  }
  for (const [key, raw] of Object.entries(tags)) {
    if (!key.startsWith('metric.') || key.length === 'metric.'.length || raw.trim() === '') continue;
    const value = Number(raw);
    if (Number.isFinite(value)) metrics[key.slice('metric.'.length)] = value;
  }
  return metrics;
}

/** The MLflow error code and message of an error answer, when the body is MLflow's `{error_code, message}`. */
export function mlflowError(body: unknown): { code: string | undefined; message: string | undefined } {
  if (typeof body !== 'object' || body === null) {
    return { code: undefined, message: typeof body === 'string' && body.trim() !== '' ? body.trim().slice(0, 300) : undefined };
  }
  const { error_code: code, message } = body as MlflowErrorBody;
  return { code: typeof code === 'string' ? code : undefined, message: typeof message === 'string' ? message : undefined };
}

/** Stages of the deprecated stage model, for the opt-in legacy mode: alias name (any case) -> stage. */
export const LEGACY_STAGES: Readonly<Record<string, string>> = {
  staging: 'Staging',
  production: 'Production',
  archived: 'Archived',
};
