/**
 * Opens the model registry a command was pointed at: MLflow for `http(s)://` URLs, the embedded file registry for
 * `file://` URIs and directory paths. The URI defaults to `$MLFLOW_TRACKING_URI`, then to the file registry in
 * `.ml-gitops/registry` of the workspace, so a repository without MLflow works out of the box.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';
import { DEFAULT_FILE_REGISTRY_DIR, createFileRegistry } from './file.ts';
import { createMlflowRegistry } from './mlflow.ts';
import type { ModelRegistry } from './types.ts';

export type * from './types.ts';
export { DEFAULT_FILE_REGISTRY_DIR, FileRegistry, createFileRegistry } from './file.ts';
export { createMlflowRegistry } from './mlflow.ts';
export * from './model-uri.ts';
export * from './tags.ts';

export type RegistryAuth = { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string };

export interface OpenRegistryOptions {
  /** The `registry-uri` input; empty or undefined falls back to `MLFLOW_TRACKING_URI`, then the file registry. */
  uri?: string | undefined;
  /** The `registry-token` input (Bearer); falls back to `MLFLOW_TRACKING_TOKEN`. */
  token?: string | undefined;
  /** The `registry-username` / `registry-password` inputs (Basic); fall back to `MLFLOW_TRACKING_USERNAME` / `_PASSWORD`. */
  username?: string | undefined;
  password?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  /** Relative directories are resolved against it. */
  workspace: string;
  /** Masks every credential before it is used. */
  setSecret(value: string): void;
  /** MLflow only: the time budget of one request, retries included. */
  totalTimeoutMs?: number;
  /** MLflow only: the time limit of one attempt. */
  requestTimeoutMs?: number;
  /** MLflow only: also move the deprecated stages. */
  legacyStages?: boolean;
  /** MLflow only: called for every HTTP attempt (benchmarks count requests). */
  onRequest?: (method: string, path: string) => void;
}

export type RegistryTarget =
  | { kind: 'mlflow'; trackingUri: string; auth: RegistryAuth | undefined }
  | { kind: 'file'; directory: string };

const ACCEPTED_FORMS = 'an http(s):// MLflow tracking server URL, a file://<dir> URI, or a directory path relative to the workspace';

/** MLflow tracking URIs that name a hosted service rather than a location (the Databricks workspace registries). */
const SERVICE_WORDS = new Set(['databricks', 'databricks-uc']);

/** Decides which registry the options name, without opening it; credentials are masked here. */
export function resolveRegistryTarget(options: OpenRegistryOptions): RegistryTarget {
  const fromInput = nonEmpty(options.uri);
  const fromEnv = nonEmpty(options.env.MLFLOW_TRACKING_URI);
  const uri = fromInput ?? fromEnv ?? DEFAULT_FILE_REGISTRY_DIR;
  const origin = fromInput !== undefined ? 'Input "registry-uri"' : 'MLFLOW_TRACKING_URI (used because input "registry-uri" is empty)';

  if (/^https?:\/\//i.test(uri)) {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new UserError(`${origin} ${JSON.stringify(uri)} is not a valid URL: use ${ACCEPTED_FORMS}.`, { input: 'registry-uri' });
    }
    if (url.username !== '' || url.password !== '') {
      if (url.password !== '') options.setSecret(decodeURIComponent(url.password));
      throw new UserError(
        `${origin} must not carry credentials in the URL: pass them with the inputs "registry-username" and "registry-password" (or "registry-token"), or MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN).`,
        { input: 'registry-uri' },
      );
    }
    return { kind: 'mlflow', trackingUri: url.toString().replace(/\/+$/, ''), auth: resolveAuth(options) };
  }
  if (/^file:/i.test(uri)) {
    const directory = /^file:\/\/(localhost)?\//i.test(uri)
      ? fileURLToPath(uri.replace(/^file:\/\/localhost\//i, 'file:///'))
      : path.resolve(options.workspace, decodeURIComponent(uri.replace(/^file:(\/\/)?/i, '')));
    return { kind: 'file', directory };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1];
  const isWindowsDrive = /^[a-z]:[\\/]/i.test(uri);
  if ((scheme !== undefined && !isWindowsDrive) || SERVICE_WORDS.has(uri.toLowerCase())) {
    const named = scheme === undefined ? `"${uri}"` : `"${scheme}:"`;
    throw new UserError(
      `${origin} ${JSON.stringify(uri)} names a registry ml-gitops does not support (${named}): use ${ACCEPTED_FORMS}.`,
      { input: 'registry-uri' },
    );
  }
  return { kind: 'file', directory: path.resolve(options.workspace, uri) };
}

/** Credentials from the inputs, else from the MLflow environment variables; a token wins over a user name. */
function resolveAuth(options: OpenRegistryOptions): RegistryAuth | undefined {
  const token = nonEmpty(options.token) ?? nonEmpty(options.env.MLFLOW_TRACKING_TOKEN);
  const inputUser = nonEmpty(options.username);
  const inputPassword = nonEmpty(options.password);
  const fromInputs = inputUser !== undefined || inputPassword !== undefined;
  const username = fromInputs ? inputUser : nonEmpty(options.env.MLFLOW_TRACKING_USERNAME);
  const password = fromInputs ? inputPassword : nonEmpty(options.env.MLFLOW_TRACKING_PASSWORD);
  if (token !== undefined) options.setSecret(token);
  if (password !== undefined) options.setSecret(password);
  if (token !== undefined) return { kind: 'bearer', token };
  if (username === undefined && password === undefined) return undefined;
  if (username === undefined || password === undefined) {
    const [missing, given] = username === undefined ? ['user name', 'password'] : ['password', 'user name'];
    throw new UserError(
      fromInputs
        ? `The registry ${given} is set but its ${missing} is not: set both inputs "registry-username" and "registry-password" (or use "registry-token").`
        : `MLFLOW_TRACKING_${given === 'password' ? 'PASSWORD' : 'USERNAME'} is set but MLFLOW_TRACKING_${missing === 'password' ? 'PASSWORD' : 'USERNAME'} is not: set both, or pass the inputs "registry-username" and "registry-password" (or "registry-token").`,
      { input: username === undefined ? 'registry-username' : 'registry-password' },
    );
  }
  options.setSecret(Buffer.from(`${username}:${password}`).toString('base64'));
  return { kind: 'basic', username, password };
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

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
