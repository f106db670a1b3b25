/**
 * The Argo CD API client, on the shared HTTP layer. The server's quirks live here once: every non-GET request carries
 * `Content-Type: application/json` exactly (DELETE too), a missing app answers 403, error bodies are
 * `{error, code, message}`, a GET with `refresh` can hang until the server's refresh deadline (so it gets a client
 * timeout and a plain GET after it), int64 fields go as JSON numbers, and the watch stream is re-opened after a drop.
 */
import type { Dispatcher } from 'undici';
import { createHttpClient, HttpError, isTlsCertificateCode, NetworkError, NotJsonError, type HttpClient, type HttpRequest, type RetryPolicy } from '../http.ts';
import { sleep } from '../retry.ts';
import { argoCdMessage, ArgoCdError, isArgoCdError, toArgoCdError, type ArgoCdInputNames } from './errors.ts';
import { parseArgoCdServer } from './server.ts';
import type { Application, ApplicationTree, Info, SyncResource, WatchEvent } from './types.ts';

export interface ArgoCdClientOptions {
  /** `https://host[:port][/path]`, or `host[:port][/path]` (https unless `plaintext`). */
  server: string;
  plaintext?: boolean | undefined;
  /** Sent as `Authorization: Bearer …`; never logged. */
  authToken?: string | undefined;
  /** Extra headers on every request (identity-aware proxies); values never logged. */
  headers?: Record<string, string> | undefined;
  insecure?: boolean | undefined;
  /** PEM text of CA certificates trusted besides the system's. */
  caCert?: string | undefined;
  /** Environment for HTTPS_PROXY/HTTP_PROXY/NO_PROXY (a RunContext's env). */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Per attempt: connecting and waiting for the answer's headers; default 30 s (Argo CD answers reads in milliseconds). */
  requestTimeoutMs?: number | undefined;
  /** Per request, all attempts included; default 60 s. */
  totalTimeoutMs?: number | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  /** The caller's input names, for messages. */
  inputs?: ArgoCdInputNames | undefined;
  onRequest?: ((method: string, path: string) => void) | undefined;
  dispatcher?: Dispatcher | undefined;
}

export interface AppScope {
  /** The Application's namespace (apps outside the control plane's namespace). */
  appNamespace?: string | undefined;
  /** Restricts the lookup to a project (Argo CD then answers 404, not 403, for a missing app). */
  project?: string | undefined;
}

export interface GetOptions extends AppScope {
  /** Ask the controller to refresh first (the GET blocks until it did). */
  refresh?: 'normal' | 'hard' | undefined;
  /** Client timeout on the refreshing GET before falling back to a plain GET; default 10 s. */
  refreshTimeoutMs?: number | undefined;
  /** Told when the refresh did not complete and a plain GET answered instead. */
  onRefreshFallback?: ((reason: string) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** The plain GET's budget, all attempts included, instead of the client's total timeout. */
  timeoutMs?: number | undefined;
}

export interface ListOptions {
  /** A Kubernetes label selector on the Applications' labels. */
  selector?: string | undefined;
  projects?: readonly string[] | undefined;
  appNamespace?: string | undefined;
  signal?: AbortSignal | undefined;
  /** The budget, all attempts included, instead of the client's total timeout. */
  timeoutMs?: number | undefined;
}

export interface SyncOptions extends AppScope {
  revision?: string | undefined;
  /** Multi-source: revisions for the sources at `sourcePositions` (1-based). */
  revisions?: readonly string[] | undefined;
  sourcePositions?: readonly number[] | undefined;
  prune?: boolean | undefined;
  dryRun?: boolean | undefined;
  /** `ServerSideApply=true`, …: REPLACES the app's own sync options (omit to inherit them). */
  syncOptions?: readonly string[] | undefined;
  /** `hook` (default, runs hooks) or `apply` (skips them). */
  strategy?: 'hook' | 'apply' | undefined;
  force?: boolean | undefined;
  resources?: readonly SyncResource[] | undefined;
  /** Echoed in `status.operationState.operation.info[]`: the surest way to recognise one's own operation. */
  infos?: readonly Info[] | undefined;
  retryStrategy?: { limit?: number; backoff?: { duration?: string; factor?: number; maxDuration?: string } } | undefined;
}

export interface RollbackOptions extends AppScope {
  /** `status.history[].id`. */
  id: number;
  prune?: boolean | undefined;
  dryRun?: boolean | undefined;
}

export interface WatchQuery {
  name?: string | undefined;
  selector?: string | undefined;
  projects?: readonly string[] | undefined;
  appNamespace?: string | undefined;
  /** Start after this resourceVersion (a named watch still sends the current state first). */
  resourceVersion?: string | undefined;
}

export interface WatchOptions {
  /** Ends the watch: the iteration then stops quietly. */
  signal?: AbortSignal | undefined;
  /** Before re-opening a dropped or ended stream; default 1000 ms (the CLI's), doubling to 10 s while opening fails. */
  reconnectDelayMs?: number | undefined;
  /** `ndjson` (default) or `sse` (keepalives every 15 s). */
  format?: 'ndjson' | 'sse' | undefined;
  /** Fail and re-open a stream silent for this long (SSE keepalives count); default none. */
  idleTimeoutMs?: number | undefined;
  /** Told of each re-open, with why (for logs; a caller may GET to cover the gap). */
  onReconnect?: ((reason: string, attempt: number) => void) | undefined;
}

export interface ArgoCdClient {
  /** The server, safe to print. */
  readonly location: string;
  /** The Argo CD UI page of an application. */
  appUrl(name: string, namespace?: string): string;
  get(name: string, options?: GetOptions): Promise<Application>;
  list(options?: ListOptions): Promise<Application[]>;
  sync(name: string, options?: SyncOptions): Promise<Application>;
  rollback(name: string, options: RollbackOptions): Promise<Application>;
  terminateOperation(name: string, options?: AppScope): Promise<void>;
  resourceTree(name: string, options?: AppScope): Promise<ApplicationTree>;
  /** Application events until the signal aborts, across drops (re-opened, resumed from the last resourceVersion). */
  watch(query: WatchQuery, options?: WatchOptions): AsyncIterable<WatchEvent>;
  /** A session token for a local account (POST /api/v1/session); `timeoutMs` bounds it, all attempts included. */
  createSession(username: string, password: string, options?: { timeoutMs?: number | undefined }): Promise<string>;
  close(): Promise<void>;
}

const DEFAULT_REFRESH_TIMEOUT_MS = 10_000;
/**
 * Argo CD answers every call the actions make (reads, sync and rollback requests, sessions) in well under a second: a
 * server that accepts the connection and stays silent for this long is not going to answer.
 */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_TOTAL_TIMEOUT_MS = 60_000;
/**
 * The watch's headers come with its first event (grpc-gateway flushes them with the first message), so a watch of apps
 * that do not change may open late; a silent stream is covered by the caller's guard GETs.
 */
const STREAM_OPEN_TIMEOUT_MS = 120_000;
const MAX_RECONNECT_DELAY_MS = 10_000;
/** Argo CD wants exactly this on every request with a method other than GET. */
const JSON_CONTENT_TYPE = { 'content-type': 'application/json' };

function appPath(name: string, suffix = ''): string {
  return `api/v1/applications/${encodeURIComponent(name)}${suffix}`;
}

function scopeQuery(scope: AppScope | undefined): Record<string, string | undefined> {
  return { appNamespace: nonEmpty(scope?.appNamespace), project: nonEmpty(scope?.project) };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function isRefreshTimeout(error: unknown): boolean {
  if (error instanceof NetworkError) return error.isTimeout;
  if (error instanceof HttpError) return error.status === 504 || (error.status === 500 && /refresh deadline/i.test(argoCdMessage(error.body) ?? ''));
  return false;
}

export function createArgoCdClient(options: ArgoCdClientOptions): ArgoCdClient {
  const inputs = options.inputs ?? {};
  const address = parseArgoCdServer(options.server, { plaintext: options.plaintext, input: inputs.server });
  const location = address.display;
  const headers: Record<string, string> = { ...options.headers };
  if (options.authToken !== undefined && options.authToken !== '') headers.authorization = `Bearer ${options.authToken}`;
  const http: HttpClient = createHttpClient({
    baseUrl: address.baseUrl,
    headers,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    totalTimeoutMs: options.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS,
    retry: options.retry,
    onRequest: options.onRequest,
    dispatcher: options.dispatcher,
    tls: { insecure: options.insecure, caCert: options.caCert },
    env: options.env,
  });

  async function call<T>(request: HttpRequest, doing: string, app?: string): Promise<T> {
    try {
      const answer = await http.send<T>({ ...request, headers: { ...(request.method === 'GET' ? {} : JSON_CONTENT_TYPE), ...request.headers } });
      return answer.body;
    } catch (error) {
      if (request.signal?.aborted === true) throw error;
      throw toArgoCdError(error, { location, doing, app, inputs });
    }
  }

  async function get(name: string, getOptions: GetOptions = {}): Promise<Application> {
    const query = scopeQuery(getOptions);
    const doing = `reading application ${name}`;
    if (getOptions.refresh !== undefined) {
      try {
        const answer = await http.send<Application>({
          method: 'GET',
          path: appPath(name),
          query: { ...query, refresh: getOptions.refresh },
          timeoutMs: getOptions.refreshTimeoutMs ?? DEFAULT_REFRESH_TIMEOUT_MS,
          retry: false,
          signal: getOptions.signal,
        });
        return answer.body;
      } catch (error) {
        if (getOptions.signal?.aborted === true) throw error;
        if (!isRefreshTimeout(error)) throw toArgoCdError(error, { location, doing: `refreshing application ${name}`, app: name, inputs });
        getOptions.onRefreshFallback?.(error instanceof HttpError ? (argoCdMessage(error.body) ?? `HTTP ${error.status}`) : (error as NetworkError).reason);
      }
    }
    return call<Application>({ method: 'GET', path: appPath(name), query, signal: getOptions.signal, timeoutMs: getOptions.timeoutMs }, doing, name);
  }

  async function* watch(query: WatchQuery, watchOptions: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    const signal = watchOptions.signal;
    const aborted = (): boolean => signal?.aborted === true;
    const baseDelay = watchOptions.reconnectDelayMs ?? 1_000;
    const what = query.name !== undefined ? `application ${query.name}` : query.selector !== undefined ? `applications matching ${query.selector}` : 'applications';
    const doing = `watching ${what}`;
    // Per application, the last resourceVersion seen: repeats after a reconnect are dropped.
    const seen = new Map<string, string>();
    let lastVersion = query.resourceVersion;
    let attempt = 0;
    let failures = 0;
    while (!aborted()) {
      let reason: string;
      try {
        const stream = await http.stream<{ result?: WatchEvent; error?: unknown }>({
          path: 'api/v1/stream/applications',
          query: {
            name: nonEmpty(query.name),
            selector: nonEmpty(query.selector),
            projects: query.projects === undefined || query.projects.length === 0 ? undefined : [...query.projects],
            appNamespace: nonEmpty(query.appNamespace),
            // Only a named watch resends the current state with a resourceVersion; a list watch would skip what changed
            // during the gap, so it re-opens without one and relies on the repeat filter below.
            resourceVersion: query.name !== undefined || attempt === 0 ? lastVersion : undefined,
          },
          format: watchOptions.format,
          openTimeoutMs: Math.max(STREAM_OPEN_TIMEOUT_MS, options.requestTimeoutMs ?? 0),
          idleTimeoutMs: watchOptions.idleTimeoutMs,
          signal,
        });
        failures = 0;
        let inBandError: string | undefined;
        for await (const frame of stream) {
          if (frame.error !== undefined) {
            // An error inside the stream: final when it is about access, else the stream is re-opened.
            const code = (frame.error as { http_code?: unknown }).http_code;
            if (typeof code === 'number' && code >= 400 && code < 500) throw streamError(frame.error, doing);
            inBandError = argoCdMessage(frame.error) ?? 'a stream error';
            stream.close();
            break;
          }
          const event = frame.result;
          if (event?.application?.metadata === undefined) continue;
          const key = `${event.application.metadata.namespace ?? ''}/${event.application.metadata.name}`;
          const version = event.application.metadata.resourceVersion;
          if (version !== undefined) {
            if (event.type !== 'DELETED' && seen.get(key) === version) continue;
            seen.set(key, version);
            lastVersion = version;
          }
          yield event;
        }
        if (aborted()) return;
        reason = inBandError === undefined ? 'the stream ended' : `the stream reported: ${inBandError}`;
      } catch (error) {
        if (aborted()) return;
        if (isArgoCdError(error)) throw error;
        if (error instanceof HttpError && (error.status === 401 || error.status === 403 || error.status === 404 || error.status === 400)) {
          throw toArgoCdError(error, { location, doing, inputs });
        }
        if (error instanceof NotJsonError) throw toArgoCdError(error, { location, doing, inputs });
        // A certificate the client does not trust will not become trusted by re-opening.
        if (error instanceof NetworkError && isTlsCertificateCode(error.code)) throw toArgoCdError(error, { location, doing, inputs });
        if (!(error instanceof NetworkError) && !(error instanceof HttpError)) throw error;
        failures += 1;
        reason = error instanceof NetworkError ? error.reason : `HTTP ${error.status}`;
      }
      attempt += 1;
      watchOptions.onReconnect?.(reason, attempt);
      const delay = Math.min(MAX_RECONNECT_DELAY_MS, baseDelay * 2 ** Math.max(0, failures - 1));
      try {
        await sleep(delay, signal);
      } catch {
        return;
      }
    }
  }

  function streamError(body: unknown, doing: string): ArgoCdError {
    const record = (typeof body === 'object' && body !== null ? body : {}) as { http_code?: number; message?: string };
    const status = typeof record.http_code === 'number' ? record.http_code : 500;
    const converted = toArgoCdError(new HttpError('GET', `${location}/api/v1/stream/applications`, status, { message: record.message ?? 'stream error' }, { 'content-type': 'application/json' }), {
      location,
      doing,
      inputs,
    });
    return converted instanceof ArgoCdError ? converted : new ArgoCdError(`Argo CD at ${location} failed while ${doing}: ${record.message ?? 'stream error'}.`, 'other');
  }

  return {
    location,
    appUrl: (name, namespace) =>
      `${location}/applications/${namespace === undefined || namespace === '' ? '' : `${encodeURIComponent(namespace)}/`}${encodeURIComponent(name)}`,
    get,

    async list(listOptions = {}) {
      const answer = await call<{ items?: Application[] | null }>(
        {
          method: 'GET',
          path: 'api/v1/applications',
          query: {
            selector: nonEmpty(listOptions.selector),
            projects: listOptions.projects === undefined || listOptions.projects.length === 0 ? undefined : [...listOptions.projects],
            appNamespace: nonEmpty(listOptions.appNamespace),
          },
          signal: listOptions.signal,
          timeoutMs: listOptions.timeoutMs,
        },
        listOptions.selector === undefined ? 'listing applications' : `listing applications matching ${listOptions.selector}`,
      );
      return answer?.items ?? [];
    },

    sync(name, syncOptions = {}) {
      const body: Record<string, unknown> = {
        name,
        ...(nonEmpty(syncOptions.revision) === undefined ? {} : { revision: syncOptions.revision }),
        ...(syncOptions.revisions === undefined ? {} : { revisions: [...syncOptions.revisions], sourcePositions: [...(syncOptions.sourcePositions ?? [])] }),
        ...(syncOptions.prune === undefined ? {} : { prune: syncOptions.prune }),
        ...(syncOptions.dryRun === undefined ? {} : { dryRun: syncOptions.dryRun }),
        ...(syncOptions.syncOptions === undefined || syncOptions.syncOptions.length === 0 ? {} : { syncOptions: { items: [...syncOptions.syncOptions] } }),
        ...(syncOptions.strategy === 'apply'
          ? { strategy: { apply: { force: syncOptions.force ?? false } } }
          : syncOptions.force === true
            ? { strategy: { hook: { force: true } } }
            : {}),
        ...(syncOptions.resources === undefined ? {} : { resources: syncOptions.resources.map((resource) => ({ group: '', ...resource })) }),
        ...(syncOptions.infos === undefined ? {} : { infos: [...syncOptions.infos] }),
        ...(syncOptions.retryStrategy === undefined ? {} : { retryStrategy: syncOptions.retryStrategy }),
        ...scopeQuery(syncOptions),
      };
      return call<Application>({ method: 'POST', path: appPath(name, '/sync'), body }, `syncing application ${name}${syncOptions.revision ? ` to ${syncOptions.revision}` : ''}`, name);
    },

    rollback(name, rollbackOptions) {
      if (!Number.isSafeInteger(rollbackOptions.id) || rollbackOptions.id < 0) {
        throw new TypeError(`a history id is a whole number, not ${String(rollbackOptions.id)}`);
      }
      const body = {
        name,
        id: rollbackOptions.id,
        ...(rollbackOptions.prune === undefined ? {} : { prune: rollbackOptions.prune }),
        ...(rollbackOptions.dryRun === undefined ? {} : { dryRun: rollbackOptions.dryRun }),
        ...scopeQuery(rollbackOptions),
      };
      return call<Application>({ method: 'POST', path: appPath(name, '/rollback'), body }, `rolling application ${name} back to history entry ${rollbackOptions.id}`, name);
    },

    async terminateOperation(name, scope) {
      await call({ method: 'DELETE', path: appPath(name, '/operation'), query: scopeQuery(scope) }, `terminating the operation of application ${name}`, name);
    },

    resourceTree(name, scope) {
      return call<ApplicationTree>({ method: 'GET', path: appPath(name, '/resource-tree'), query: scopeQuery(scope) }, `reading the resource tree of application ${name}`, name);
    },

    watch: (query, watchOptions) => ({ [Symbol.asyncIterator]: () => watch(query, watchOptions) }),

    async createSession(username, password, sessionOptions = {}) {
      const answer = await call<{ token?: string }>(
        { method: 'POST', path: 'api/v1/session', body: { username, password }, idempotent: true, timeoutMs: sessionOptions.timeoutMs },
        `creating a session for user ${username}`,
      );
      if (answer?.token === undefined || answer.token === '') {
        throw new ArgoCdError(`Argo CD at ${location} answered the session request for user ${username} without a token.`, 'other');
      }
      return answer.token;
    },

    close: () => http.close(),
  };
}

/**
 * A client with a session token for `username` (the password is sent once, to POST /api/v1/session);
 * `loginTimeoutMs` bounds the login, all attempts included (default the client's total timeout).
 */
export async function connectWithPassword(
  options: ArgoCdClientOptions & { username: string; password: string; loginTimeoutMs?: number | undefined; onSessionToken?: ((token: string) => void) | undefined },
): Promise<ArgoCdClient> {
  const { username, password, loginTimeoutMs, onSessionToken, ...rest } = options;
  const anonymous = createArgoCdClient({ ...rest, authToken: undefined });
  let token: string;
  try {
    token = await anonymous.createSession(username, password, { timeoutMs: loginTimeoutMs });
  } finally {
    await anonymous.close();
  }
  onSessionToken?.(token);
  return createArgoCdClient({ ...rest, authToken: token });
}
