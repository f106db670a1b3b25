/**
 * The MLflow model registry over its REST API (`<tracking URI>/api/2.0/mlflow`).
 *
 * MLflow has no server-side idempotency, so `createVersion` makes it on the client: every version carries an
 * idempotency tag, sent inside the create request itself (the version and its tag appear together or not at all).
 * Before creating, and again after any failure whose outcome is unknown (a reset after the request was sent, a
 * timeout, a 5xx), the registry searches for that tag and reuses what it finds.
 *
 * Errors are decided on MLflow's `error_code`, not on the HTTP status (an existing model is a 400).
 */
import type { Dispatcher } from 'undici';
import { inputRef, UserError } from '../errors.ts';
import {
  backoffDelay,
  createHttpClient,
  DEFAULT_TOTAL_TIMEOUT_MS,
  HttpError,
  isOutcomeUnknown,
  NetworkError,
  NotJsonError,
  redactUrl,
  type HttpRequest,
  type RetryPolicy,
} from '../http.ts';
import type { CreateVersionRequest, CreateVersionResult, ModelRegistry, ModelVersion } from './types.ts';
import {
  filterString,
  fromMlflowVersion,
  LEGACY_STAGES,
  mlflowError,
  newestFirst,
  recordToTags,
  versionMetrics,
  versionTagFilter,
  type MlflowModelVersion,
  type MlflowRun,
} from './mlflow-wire.ts';

export type MlflowAuth = { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string };

export interface MlflowRegistryOptions {
  /** `http(s)://host[:port][/prefix]`, as in MLFLOW_TRACKING_URI. */
  trackingUri: string;
  auth?: MlflowAuth | undefined;
  /** Budget for each operation, retries included (createVersion's search-and-create rounds share one). */
  totalTimeoutMs?: number | undefined;
  /** Per attempt. */
  requestTimeoutMs?: number | undefined;
  /**
   * Deprecated stage model: `setAlias` with an alias named staging, production or archived also moves the version to
   * that stage (archiving the versions that were in it). Off by default; aliases replace stages since MLflow 2.9.
   */
  legacyStages?: boolean | undefined;
  /** Called for every HTTP attempt, with the path under `/api/2.0/mlflow/` (`model-versions/search`). */
  onRequest?: ((method: string, path: string) => void) | undefined;
  /** Tests: where requests go, and a faster retry policy. */
  dispatcher?: Dispatcher | undefined;
  retry?: Partial<RetryPolicy> | undefined;
}

/** The official MLflow client's policy: 7 retries, factor 2, capped at 120 s, with jitter, on 408/429/5xx. */
export const MLFLOW_RETRY_POLICY: RetryPolicy = {
  maxRetries: 7,
  initialDelayMs: 1_000,
  backoffFactor: 2,
  maxDelayMs: 120_000,
  jitterMs: 1_000,
  statusCodes: [408, 429, 500, 502, 503, 504],
};

const API_PATH = 'api/2.0/mlflow/';
const PAGE_SIZE = 1000;
/** Search-then-create rounds after an unknown outcome; each round's create has its own retries. */
const MAX_CREATE_ROUNDS = 5;
const CREDENTIAL_HINT =
  `set ${inputRef('registry-token')} (or MLFLOW_TRACKING_TOKEN), or ${inputRef('registry-username')} and ${inputRef('registry-password')} ` +
  '(or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD)';
const CHECK_URI = `check ${inputRef('registry-uri')} (or MLFLOW_TRACKING_URI)`;

/** An answer that is a web page rather than MLflow's JSON: the URL points at a UI, a proxy or a wrong path prefix. */
function isHtmlAnswer(error: HttpError): boolean {
  return error.contentType === 'text/html' || (typeof error.body === 'string' && /^\s*<(!doctype|html)/i.test(error.body));
}

/** Headers for the credentials; the values never go anywhere else. */
function authHeaders(auth: MlflowAuth | undefined): Record<string, string> {
  if (auth === undefined) return {};
  if (auth.kind === 'bearer') return { authorization: `Bearer ${auth.token}` };
  return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
}

function parseTrackingUri(trackingUri: string): { url: URL; auth: MlflowAuth | undefined } {
  let url: URL;
  try {
    url = new URL(trackingUri);
  } catch {
    throw new UserError(
      `The MLflow registry URI is not a valid URL; set ${inputRef('registry-uri')} (or MLFLOW_TRACKING_URI) to http(s)://host:port of the MLflow server.`,
      { input: 'registry-uri' },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError(
      `The MLflow registry URI ${redactUrl(url)} must start with http:// or https://; set ${inputRef('registry-uri')} (or MLFLOW_TRACKING_URI) accordingly.`,
      { input: 'registry-uri' },
    );
  }
  // user:password@host is how some people write MLflow URIs; turn it into Basic auth and keep it out of every URL.
  const auth: MlflowAuth | undefined =
    url.username === '' ? undefined : { kind: 'basic', username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  return { url, auth };
}

function quotedName(name: string): string {
  const quoted = filterString(name);
  if (quoted === undefined) {
    throw new UserError(`The model name ${name} holds both ' and ", which MLflow's search syntax cannot express; rename the model.`, {
      input: 'model-name',
    });
  }
  return quoted;
}

export function createMlflowRegistry(options: MlflowRegistryOptions): ModelRegistry {
  const { url, auth: uriAuth } = parseTrackingUri(options.trackingUri);
  const uiBase = url.toString().replace(/\/+$/, '');
  const location = uiBase;
  const totalTimeoutMs = options.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS;
  const policy: RetryPolicy = { ...MLFLOW_RETRY_POLICY, ...options.retry };
  const http = createHttpClient({
    baseUrl: `${uiBase}/${API_PATH}`,
    headers: authHeaders(options.auth ?? uriAuth),
    requestTimeoutMs: options.requestTimeoutMs,
    totalTimeoutMs,
    retry: policy,
    onRequest: options.onRequest,
    dispatcher: options.dispatcher,
  });

  /** One sentence for a failed request: unreachable, credentials, or MLflow's own code and message. */
  function toUserError(error: unknown, doing: string): unknown {
    if (error instanceof UserError) return error;
    if (error instanceof NetworkError) {
      if (error.isTimeout) {
        return new UserError(
          `The MLflow server at ${location} did not answer while ${doing}: ${error.reason}; ${CHECK_URI} and that the server is up and not overloaded.`,
          { input: 'registry-uri', cause: error },
        );
      }
      return new UserError(
        `Could not reach the MLflow server at ${location} while ${doing} (${error.reason}); ${CHECK_URI} and that the server is running.`,
        { input: 'registry-uri', cause: error },
      );
    }
    if (error instanceof NotJsonError) {
      const what = error.isHtml ? 'a web page' : `${error.contentType ?? 'a body without a content type'}, not JSON`;
      return new UserError(
        `There is no MLflow API at ${location}: it answered ${what} (HTTP ${error.status}) while ${doing}; ${CHECK_URI}: it must be the tracking server's base URL, without the UI's path or a login page in front.`,
        { input: 'registry-uri', cause: error },
      );
    }
    // A web page, or a 404 without MLflow's error body: not the API (a wrong path prefix, the UI's URL, a proxy).
    const notTheApi =
      error instanceof HttpError &&
      error.status !== 401 &&
      error.status !== 403 &&
      (isHtmlAnswer(error) || (error.status === 404 && mlflowError(error.body).code === undefined));
    if (notTheApi) {
      return new UserError(
        `There is no MLflow API at ${location}: it answered HTTP ${error.status}${isHtmlAnswer(error) ? ' with a web page' : ''} while ${doing}; ${CHECK_URI}: it must be the tracking server's base URL (a wrong path prefix answers 404).`,
        { input: 'registry-uri', cause: error },
      );
    }
    if (error instanceof HttpError) {
      const { code, message } = isHtmlAnswer(error) ? { code: undefined, message: undefined } : mlflowError(error.body);
      const detail = [code, message].filter((part) => part !== undefined).join(': ') || `HTTP ${error.status}`;
      if (error.status === 401 || code === 'UNAUTHENTICATED') {
        return new UserError(`The MLflow server at ${location} rejected the credentials while ${doing} (${detail}); ${CREDENTIAL_HINT}.`, {
          input: 'registry-token',
          cause: error,
        });
      }
      if (error.status === 403 || code === 'PERMISSION_DENIED') {
        return new UserError(
          `The MLflow server at ${location} denied permission while ${doing} (${detail}); use credentials allowed to do it: ${CREDENTIAL_HINT}.`,
          { input: 'registry-token', cause: error },
        );
      }
      return new UserError(`MLflow at ${location} failed while ${doing}: ${detail}.`, { cause: error });
    }
    return error;
  }

  async function call<T>(request: HttpRequest, doing: string): Promise<T> {
    try {
      return (await http.send<T>(request)).body;
    } catch (error) {
      throw toUserError(error, doing);
    }
  }

  /** Like `call`, but a missing resource (any of `absentCodes`) is `undefined` instead of an error. */
  async function callOrAbsent<T>(request: HttpRequest, doing: string, absentCodes: readonly string[]): Promise<T | undefined> {
    try {
      return (await http.send<T>(request)).body;
    } catch (error) {
      if (error instanceof HttpError) {
        const { code } = mlflowError(error.body);
        if (code !== undefined && absentCodes.includes(code)) return undefined;
      }
      throw toUserError(error, doing);
    }
  }

  async function searchVersions(filter: string, doing: string, deadline?: number): Promise<ModelVersion[]> {
    const found: ModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const page = await call<{ model_versions?: MlflowModelVersion[]; next_page_token?: string }>(
        { method: 'GET', path: 'model-versions/search', query: { filter, max_results: PAGE_SIZE, page_token: pageToken }, deadline },
        doing,
      );
      found.push(...(page?.model_versions ?? []).map(fromMlflowVersion));
      pageToken = page?.next_page_token === '' ? undefined : page?.next_page_token;
    } while (pageToken !== undefined);
    return found;
  }

  async function getVersion(name: string, version: string): Promise<ModelVersion | undefined> {
    const answer = await callOrAbsent<{ model_version?: MlflowModelVersion }>(
      { method: 'GET', path: 'model-versions/get', query: { name, version } },
      `reading version ${version} of model ${name}`,
      ['RESOURCE_DOES_NOT_EXIST'],
    );
    return answer?.model_version === undefined ? undefined : fromMlflowVersion(answer.model_version);
  }

  async function listVersions(name: string): Promise<ModelVersion[]> {
    return newestFirst(await searchVersions(`name=${quotedName(name)}`, `listing the versions of model ${name}`));
  }

  async function findVersionByTag(name: string, tag: string, value: string, deadline?: number): Promise<ModelVersion | undefined> {
    const filter = versionTagFilter(name, tag, value);
    const matches =
      filter === undefined
        ? (await listVersions(name)).filter((version) => version.tags[tag] === value)
        : (await searchVersions(filter, `searching model ${name} for the tag ${tag}`, deadline)).filter(
            // The server matched already; checking again guards against filter semantics we did not anticipate.
            (version) => version.name === name && version.tags[tag] === value,
          );
    // Two matches can only come from concurrent registrations; the first one created is the registration.
    return matches.sort((a, b) => Number(a.version) - Number(b.version))[0];
  }

  async function createVersion(request: CreateVersionRequest): Promise<CreateVersionResult> {
    const { name, idempotencyKey } = request;
    const deadline = Date.now() + totalTimeoutMs;
    const body = {
      name,
      source: request.source,
      run_id: request.runId,
      model_id: request.modelId,
      description: request.description,
      run_link: request.runLink,
      tags: recordToTags({ ...request.tags, [idempotencyKey.tag]: idempotencyKey.value }),
    };
    for (let round = 0; ; round += 1) {
      const existing = await findVersionByTag(name, idempotencyKey.tag, idempotencyKey.value, deadline);
      // Found after a failed round: that round's request did create it.
      if (existing !== undefined) return { version: existing, created: round > 0 };
      try {
        const { body: answer } = await http.send<{ model_version: MlflowModelVersion }>({
          method: 'POST',
          path: 'model-versions/create',
          body,
          idempotent: false,
          deadline,
        });
        return { version: fromMlflowVersion(answer.model_version), created: true };
      } catch (error) {
        const delay = backoffDelay(policy, round);
        if (isOutcomeUnknown(error) && round + 1 < MAX_CREATE_ROUNDS && Date.now() + delay < deadline) {
          await new Promise((resolve) => setTimeout(resolve, delay));
          continue;
        }
        if (error instanceof HttpError) {
          const { code, message } = mlflowError(error.body);
          if (code === 'INVALID_PARAMETER_VALUE' || code === 'BAD_REQUEST') {
            throw new UserError(`MLflow refused to register ${request.source} as a version of model ${name}: ${message ?? code}`, {
              input: 'source',
              cause: error,
            });
          }
          if (code === 'RESOURCE_DOES_NOT_EXIST') {
            throw new UserError(`MLflow has no registered model ${name} (${message ?? code}); create it before registering a version.`, {
              input: 'model-name',
              cause: error,
            });
          }
        }
        throw toUserError(error, `creating a version of model ${name}`);
      }
    }
  }

  return {
    location,

    async ensureModel(name, description) {
      try {
        // Repeating a create is harmless here: the second one answers RESOURCE_ALREADY_EXISTS, which is success.
        await http.send({
          method: 'POST',
          path: 'registered-models/create',
          body: { name, description },
          idempotent: true,
        });
      } catch (error) {
        if (error instanceof HttpError && mlflowError(error.body).code === 'RESOURCE_ALREADY_EXISTS') return;
        if (error instanceof HttpError && mlflowError(error.body).code === 'INVALID_PARAMETER_VALUE') {
          throw new UserError(`MLflow refused the model name ${name}: ${mlflowError(error.body).message ?? 'invalid name'}`, {
            input: 'model-name',
            cause: error,
          });
        }
        throw toUserError(error, `creating model ${name}`);
      }
    },

    getVersion,
    listVersions,
    findVersionByTag: (name, tag, value) => findVersionByTag(name, tag, value),
    createVersion,

    async setTags(name, version, tags) {
      // One request per tag (MLflow has no batch call); sequential, since SQLite-backed servers lock on writes.
      for (const [key, value] of Object.entries(tags)) {
        await call(
          { method: 'POST', path: 'model-versions/set-tag', body: { name, version, key, value }, idempotent: true },
          `setting the tag ${key} on version ${version} of model ${name}`,
        );
      }
    },

    async setAlias(name, alias, version) {
      const doing = `pointing the alias ${alias} of model ${name} at version ${version}`;
      await call({ method: 'POST', path: 'registered-models/alias', body: { name, alias, version }, idempotent: true }, doing);
      const stage = options.legacyStages === true ? LEGACY_STAGES[alias.toLowerCase()] : undefined;
      if (stage !== undefined) {
        await call(
          {
            method: 'POST',
            path: 'model-versions/transition-stage',
            body: { name, version, stage, archive_existing_versions: stage !== 'Archived' },
            idempotent: true,
          },
          `moving version ${version} of model ${name} to the ${stage} stage`,
        );
      }
    },

    async getAlias(name, alias) {
      // A missing alias is a 400 INVALID_PARAMETER_VALUE, a missing model a RESOURCE_DOES_NOT_EXIST.
      const answer = await callOrAbsent<{ model_version?: MlflowModelVersion }>(
        { method: 'GET', path: 'registered-models/alias', query: { name, alias } },
        `reading the alias ${alias} of model ${name}`,
        ['INVALID_PARAMETER_VALUE', 'RESOURCE_DOES_NOT_EXIST'],
      );
      return answer?.model_version === undefined ? undefined : fromMlflowVersion(answer.model_version);
    },

    async deleteAlias(name, alias) {
      await callOrAbsent(
        { method: 'DELETE', path: 'registered-models/alias', body: { name, alias } },
        `deleting the alias ${alias} of model ${name}`,
        ['INVALID_PARAMETER_VALUE', 'RESOURCE_DOES_NOT_EXIST'],
      );
    },

    async getVersionMetrics(name, version) {
      const modelVersion = await getVersion(name, version);
      if (modelVersion === undefined) {
        throw new UserError(`MLflow at ${location} has no version ${version} of model ${name}.`, { input: 'model-name' });
      }
      let run: MlflowRun | undefined;
      if (modelVersion.runId !== undefined) {
        const answer = await callOrAbsent<{ run?: MlflowRun }>(
          { method: 'GET', path: 'runs/get', query: { run_id: modelVersion.runId } },
          `reading run ${modelVersion.runId} of version ${version} of model ${name}`,
          ['RESOURCE_DOES_NOT_EXIST'],
        );
        run = answer?.run;
      }
      return versionMetrics(run, modelVersion.tags);
    },

    versionUrl(name, version) {
      return `${uiBase}/#/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`;
    },
  };
}
