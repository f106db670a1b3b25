/**
 * Opens the model registry a command was pointed at (see `target.ts` for how the inputs name it): MLflow for
 * `http(s)://` URLs, the embedded file registry for `file://` URIs and directory paths, so a repository without MLflow
 * works out of the box.
 */
import { UserError } from '../errors.ts';
import { nonEmpty } from '../text.ts';
import { createFileRegistry } from './file.ts';
import { createMlflowRegistry } from './mlflow.ts';
import { resolveRegistryTarget, type RegistryTargetOptions } from './target.ts';
import type { ModelRegistry } from './types.ts';

export type * from './types.ts';
export { DEFAULT_FILE_REGISTRY_DIR, FileRegistry, createFileRegistry } from './file.ts';
export { createMlflowRegistry } from './mlflow.ts';
export * from './model-uri.ts';
export * from './tags.ts';
export { registryUriProblem, resolveRegistryTarget, type RegistryAuth, type RegistryTarget, type RegistryTargetOptions } from './target.ts';

export interface OpenRegistryOptions extends RegistryTargetOptions {
  /** Read for the MLflow client's tuning variables (MLFLOW_HTTP_REQUEST_*) only. */
  env: Readonly<Record<string, string | undefined>>;
  /** MLflow only: the time budget of one request, retries included. */
  totalTimeoutMs?: number;
  /** MLflow only: the time limit of one attempt. */
  requestTimeoutMs?: number;
  /** MLflow only: also move the deprecated stages. */
  legacyStages?: boolean;
  /** MLflow only: called for every HTTP attempt (benchmarks count requests). */
  onRequest?: (method: string, path: string) => void;
}

/** Opens the registry the options name (see `resolveRegistryTarget`). */
export function openRegistry(options: OpenRegistryOptions): ModelRegistry {
  const target = resolveRegistryTarget(options);
  if (target.kind === 'file') return createFileRegistry({ directory: target.directory });
  const tuning = mlflowClientTuning(options.env);
  const requestTimeoutMs = options.requestTimeoutMs ?? tuning.requestTimeoutMs;
  return createMlflowRegistry({
    trackingUri: target.trackingUri,
    ...(target.auth !== undefined ? { auth: target.auth } : {}),
    ...(options.totalTimeoutMs !== undefined ? { totalTimeoutMs: options.totalTimeoutMs } : {}),
    ...(requestTimeoutMs !== undefined ? { requestTimeoutMs } : {}),
    ...(tuning.retry !== undefined ? { retry: tuning.retry } : {}),
    ...(options.legacyStages !== undefined ? { legacyStages: options.legacyStages } : {}),
    ...(options.onRequest !== undefined ? { onRequest: options.onRequest } : {}),
  });
}

/**
 * The official MLflow client's tuning variables, honoured so that a team's existing settings carry over:
 * MLFLOW_HTTP_REQUEST_MAX_RETRIES, MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR and MLFLOW_HTTP_REQUEST_TIMEOUT (seconds).
 */
export function mlflowClientTuning(env: Readonly<Record<string, string | undefined>>): {
  retry?: { maxRetries?: number; backoffFactor?: number };
  requestTimeoutMs?: number;
} {
  const read = (name: string, integer: boolean, min: number): number | undefined => {
    const raw = nonEmpty(env[name]);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
      throw new UserError(
        `The environment variable ${name} must be ${integer ? 'a whole number' : 'a number'} of at least ${min} (got "${raw}"); fix or unset it.`,
      );
    }
    return value;
  };
  const maxRetries = read('MLFLOW_HTTP_REQUEST_MAX_RETRIES', true, 0);
  const backoffFactor = read('MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR', false, 1);
  const timeoutSeconds = read('MLFLOW_HTTP_REQUEST_TIMEOUT', false, 1);
  const retry = {
    ...(maxRetries !== undefined ? { maxRetries } : {}),
    ...(backoffFactor !== undefined ? { backoffFactor } : {}),
  };
  return {
    ...(Object.keys(retry).length > 0 ? { retry } : {}),
    ...(timeoutSeconds !== undefined ? { requestTimeoutMs: timeoutSeconds * 1000 } : {}),
  };
}
