/**
 * Which registry a command was pointed at, decided from the registry inputs alone: MLflow for `http(s)://` URLs, the
 * embedded file registry for `file://` URIs and directory paths, and `.ml-gitops/registry` of the workspace when no
 * URI is given. The environment fallbacks (`MLFLOW_TRACKING_URI`, `MLFLOW_TRACKING_TOKEN`, ...) are declared on the
 * inputs and applied by `parseInputs`, so nothing here reads the environment.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inputRef, UserError } from '../errors.ts';
import { nonEmpty } from '../text.ts';
import { DEFAULT_FILE_REGISTRY_DIR } from './file.ts';

export type RegistryAuth = { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string };

export type RegistryTarget =
  | { kind: 'mlflow'; trackingUri: string; auth: RegistryAuth | undefined }
  | { kind: 'file'; directory: string };

export interface RegistryTargetOptions {
  /** The `registry-uri` input (its `MLFLOW_TRACKING_URI` fallback applied); empty means the default file registry. */
  uri?: string | undefined;
  /** The `registry-token` input (Bearer). */
  token?: string | undefined;
  /** The `registry-username` / `registry-password` inputs (Basic). */
  username?: string | undefined;
  password?: string | undefined;
  /** Relative directories are resolved against it. */
  workspace: string;
  /** Masks every credential before it is used. */
  setSecret(value: string): void;
}

const ACCEPTED_FORMS = 'an http(s):// MLflow tracking server URL, a file://<dir> URI, or a directory path relative to the workspace';

/** MLflow tracking URIs that name a hosted service rather than a location (the Databricks workspace registries). */
const SERVICE_WORDS = new Set(['databricks', 'databricks-uc']);

/**
 * Why `uri` cannot name a registry (the rest of a sentence that starts with the value's origin), or undefined when
 * it can. The `registry-uri` input runs it while parsing, so the message names the input or the variable it came from.
 */
export function registryUriProblem(uri: string): string | undefined {
  if (/^https?:\/\//i.test(uri)) {
    return URL.canParse(uri) ? undefined : `is not a valid URL; use ${ACCEPTED_FORMS}`;
  }
  if (/^file:/i.test(uri)) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1];
  const isWindowsDrive = /^[a-z]:[\\/]/i.test(uri);
  if ((scheme !== undefined && !isWindowsDrive) || SERVICE_WORDS.has(uri.toLowerCase())) {
    const named = scheme === undefined ? `"${uri}"` : `"${scheme}:"`;
    return `names a registry ml-gitops does not support (${named}); use ${ACCEPTED_FORMS}`;
  }
  return undefined;
}

/** Decides which registry the options name, without opening it; credentials are masked here. */
export function resolveRegistryTarget(options: RegistryTargetOptions): RegistryTarget {
  const uri = nonEmpty(options.uri) ?? DEFAULT_FILE_REGISTRY_DIR;
  const problem = registryUriProblem(uri);
  if (problem !== undefined) {
    throw new UserError(`${inputRef('registry-uri')} ${JSON.stringify(uri)} ${problem}.`, { input: 'registry-uri' });
  }
  if (/^https?:\/\//i.test(uri)) {
    const url = new URL(uri);
    if (url.username !== '' || url.password !== '') {
      if (url.password !== '') options.setSecret(decodeURIComponent(url.password));
      throw new UserError(
        `The registry URI (${inputRef('registry-uri')} or MLFLOW_TRACKING_URI) must not carry credentials: pass them with ${inputRef('registry-username')} and ${inputRef('registry-password')}, or ${inputRef('registry-token')}, instead.`,
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
  const directory = path.resolve(options.workspace, uri);
  const host = hostLike(uri);
  if (host !== undefined && !existsSync(directory)) {
    // `mlflow.example.com` without its scheme would silently become a new, empty file registry of that name.
    throw new UserError(
      `${inputRef('registry-uri')} ${JSON.stringify(uri)} looks like a server's address, but without http(s):// it names a file registry directory, and none exists there; write https://${uri} for an MLflow server, or ./${uri} to create a file registry.`,
      { input: 'registry-uri' },
    );
  }
  return { kind: 'file', directory };
}

const HOST_SUFFIXES = new Set(['com', 'net', 'org', 'io', 'dev', 'ai', 'app', 'cloud', 'internal', 'local', 'lan', 'corp', 'example']);

/** The host of a value written like `host.domain[:port][/path]`, not like a directory; undefined otherwise. */
function hostLike(uri: string): string | undefined {
  const first = uri.split('/')[0] ?? '';
  const match = /^[a-z0-9-]+(?:\.[a-z0-9-]+)+(:\d+)?$/i.exec(first);
  if (match === null) return undefined;
  const labels = first.replace(/:\d+$/, '').split('.');
  const suffix = (labels.at(-1) ?? '').toLowerCase();
  return match[1] !== undefined || labels.length >= 3 || HOST_SUFFIXES.has(suffix) ? first : undefined;
}

/** The credentials the inputs give; a token wins over a user name and password. */
function resolveAuth(options: RegistryTargetOptions): RegistryAuth | undefined {
  const token = nonEmpty(options.token);
  const username = nonEmpty(options.username);
  const password = nonEmpty(options.password);
  if (token !== undefined) options.setSecret(token);
  if (password !== undefined) options.setSecret(password);
  if (token !== undefined) return { kind: 'bearer', token };
  if (username === undefined && password === undefined) return undefined;
  if (username === undefined || password === undefined) {
    // Commands declare REGISTRY_RULES, so parseInputs refuses this first; a caller that did not still gets a sentence.
    const missing = username === undefined ? 'registry-username' : 'registry-password';
    throw new UserError(
      `${inputRef(missing === 'registry-username' ? 'registry-password' : 'registry-username')} is set but ${inputRef(missing)} is not; set both, or use ${inputRef('registry-token')}.`,
      { input: missing },
    );
  }
  options.setSecret(Buffer.from(`${username}:${password}`).toString('base64'));
  return { kind: 'basic', username, password };
}
