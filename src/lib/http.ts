/**
 * The HTTP client shared by every command that talks to a server (MLflow, Argo CD, ...): JSON in and out, a timeout
 * per attempt, retries with the MLflow Python client's policy, and typed errors.
 *
 * Retries run inside undici's retry interceptor (it re-dispatches the request, replays the body and discards the
 * bodies of retried answers); this module supplies only the decision it lacks: exponential backoff with jitter, a
 * total time budget per request, timeouts as retryable failures, and whether a non-idempotent request may be retried
 * when its outcome is unknown.
 *
 * A non-idempotent request (POST, PATCH unless the caller says otherwise) is retried only when the server certainly
 * did not act on it: the connection was refused or never established, or the answer was 408/429. Any other failure
 * (a reset after the request was sent, a timeout, a 5xx) leaves its outcome unknown; the error says so
 * (`outcomeUnknown`) and the caller decides, e.g. by looking for what the request would have created.
 */
import { Agent, interceptors, type Dispatcher } from 'undici';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Delay before the first retry; each later one is `backoffFactor` times longer, up to `maxDelayMs`. */
  initialDelayMs: number;
  backoffFactor: number;
  maxDelayMs: number;
  /** A random 0..jitterMs added to every delay, so that many clients do not retry in step. */
  jitterMs: number;
  /** Answers that are retried (a `Retry-After` on them is honoured within the total budget). */
  statusCodes: readonly number[];
}

/** The official MLflow client's policy: 7 retries, factor 2, capped at 120 s, with jitter, on 408/429/5xx. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 7,
  initialDelayMs: 1_000,
  backoffFactor: 2,
  maxDelayMs: 120_000,
  jitterMs: 1_000,
  statusCodes: [408, 429, 500, 502, 503, 504],
};

export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 300_000;

/** Network failures worth another attempt; the rest (ENOTFOUND, TLS errors...) will not heal by waiting. */
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Failures after which the server certainly never saw the request, so even a POST may be sent again. */
const NOT_SENT_NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
const NOT_PROCESSED_STATUS_CODES = new Set([408, 429]);

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpClientOptions {
  /** Base URL; request paths are resolved against it (`https://host/api/2.0/mlflow/`). Credentials in it are refused. */
  baseUrl: string;
  /** Sent with every request (e.g. `authorization`). Never copied into errors. */
  headers?: Record<string, string>;
  /** Per attempt: connecting, waiting for the answer's headers, and between chunks of its body. */
  requestTimeoutMs?: number;
  /** Per request, all attempts and waits included. */
  totalTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Called for every attempt that goes on the wire, with the request's path (relative to `baseUrl`, no query). */
  onRequest?: (method: string, path: string) => void;
  /** Where requests are dispatched (tests, proxies); default: an undici Agent owned by the client. */
  dispatcher?: Dispatcher;
}

export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface HttpRequest {
  method: HttpMethod;
  /** Relative to the client's `baseUrl`, without a leading slash: `registered-models/get`. */
  path: string;
  query?: Record<string, QueryValue>;
  /** Sent as JSON. */
  body?: unknown;
  /**
   * Whether sending the request twice is harmless. Default: true for GET, HEAD, PUT and DELETE; false for POST and
   * PATCH. A non-idempotent request is retried only when the server certainly did not process it.
   */
  idempotent?: boolean;
  /** An absolute deadline (ms since the epoch) shared with other requests; the earlier of it and the budget wins. */
  deadline?: number;
}

export interface HttpClient {
  /** The base URL, safe to print. */
  readonly location: string;
  /** Sends the request and parses the JSON answer (`undefined` for an empty body). Throws HttpError or NetworkError. */
  request<T = unknown>(request: HttpRequest): Promise<T>;
  /** Closes the connections of the client's own Agent (not of a dispatcher passed in). */
  close(): Promise<void>;
}

/** The server answered with a status outside 2xx (after any retries). */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly method: string;
  /** Without credentials. */
  readonly url: string;
  readonly status: number;
  /** The parsed JSON body, or the text when it is not JSON. */
  readonly body: unknown;
  /** The server may have acted on the request (a 5xx other than an overload refusal we could see). */
  readonly outcomeUnknown: boolean;

  constructor(method: string, url: string, status: number, body: unknown) {
    super(`${method} ${url} answered HTTP ${status}`);
    this.method = method;
    this.url = url;
    this.status = status;
    this.body = body;
    this.outcomeUnknown = status >= 500;
  }
}

/** The request never got an answer: refused, unresolvable, reset, timed out. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  readonly method: string;
  /** Without credentials. */
  readonly url: string;
  /** `ECONNREFUSED`, `ENOTFOUND`, `ECONNRESET`, `TIMEOUT`, ... */
  readonly code: string;
  /** What the network said, in words: "connection refused", "timed out after 30000 ms". */
  readonly reason: string;
  /** The request may have reached the server and been processed. */
  readonly outcomeUnknown: boolean;

  constructor(method: string, url: string, code: string, reason: string, cause?: unknown) {
    super(`${method} ${url} failed: ${reason}`, cause === undefined ? undefined : { cause });
    this.method = method;
    this.url = url;
    this.code = code;
    this.reason = reason;
    this.outcomeUnknown = !NOT_SENT_NETWORK_CODES.has(code);
  }
}

/** True when a failed request may nevertheless have been carried out by the server. */
export function isOutcomeUnknown(error: unknown): boolean {
  return (error instanceof HttpError || error instanceof NetworkError) && error.outcomeUnknown;
}

/** The URL without user name and password, for messages. */
export function redactUrl(url: string | URL): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '<invalid URL>';
  }
}

/** Milliseconds to wait as a `Retry-After` asks (seconds or an HTTP date), or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const header = Array.isArray(value) ? value[0] : value;
  if (header === undefined || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The backoff before retry number `retry` (0-based), jitter included. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.backoffFactor ** retry);
  return exponential + random() * policy.jitterMs;
}

function describeNetworkFailure(code: string, message: string, timeoutMs: number): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
      return 'host not found';
    case 'EAI_AGAIN':
      return 'host name lookup failed temporarily';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset by the server';
    case 'EPIPE':
      return 'connection closed by the server';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `connection timed out after ${timeoutMs} ms`;
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ETIMEDOUT':
      return `no answer within ${timeoutMs} ms`;
    case 'TIMEOUT':
      return message;
    default:
      return message === '' ? code : `${message} (${code})`;
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // Node wraps some socket errors: the code is on the cause.
  return errorCode((error as { cause?: unknown }).cause);
}

function isDefaultIdempotent(method: HttpMethod): boolean {
  return method !== 'POST' && method !== 'PATCH';
}

function buildPath(basePath: string, path: string, query: Record<string, QueryValue> | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value as readonly string[]) params.append(key, item);
    else params.append(key, String(value));
  }
  const search = params.toString();
  return basePath + path.replace(/^\/+/, '') + (search === '' ? '' : `?${search}`);
}

async function readBody(body: Dispatcher.ResponseData['body']): Promise<unknown> {
  const text = await body.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

type RetryingRequestOptions = Dispatcher.RequestOptions & {
  retryOptions: { retry: (error: Error, context: unknown, callback: (result?: Error | null) => void) => void };
};

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const base = new URL(options.baseUrl);
  if (base.username !== '' || base.password !== '') {
    throw new TypeError('Pass credentials as headers, not in the URL.');
  }
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const location = base.toString();
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const totalTimeoutMs = options.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS;
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const ownAgent = options.dispatcher === undefined ? new Agent({ connect: { timeout: requestTimeoutMs } }) : undefined;
  const onRequest = options.onRequest;

  // Inner to outer: count every attempt that goes on the wire, then retry around it.
  const countAttempts: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
    if (onRequest !== undefined) {
      const path = (opts.path.split('?')[0] ?? '').slice(base.pathname.length);
      onRequest(opts.method, path);
    }
    return dispatch(opts, handler);
  };
  // throwOnError: false hands the last answer (with its body) to us instead of a bodiless RequestRetryError.
  const dispatcher = (options.dispatcher ?? ownAgent!).compose(countAttempts, interceptors.retry({ throwOnError: false }));

  async function request<T>(req: HttpRequest): Promise<T> {
    const started = Date.now();
    const deadline = Math.min(started + totalTimeoutMs, req.deadline ?? Number.POSITIVE_INFINITY);
    const idempotent = req.idempotent ?? isDefaultIdempotent(req.method);
    const path = buildPath(base.pathname, req.path, req.query);
    const url = redactUrl(new URL(path, base.origin));
    let retries = 0;

    const toNetworkError = (error: unknown): NetworkError => {
      if (error instanceof NetworkError) return error;
      const name = (error as { name?: string } | undefined)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        return new NetworkError(req.method, url, 'TIMEOUT', `no answer within the time budget (${Date.now() - started} ms)`, error);
      }
      const code = errorCode(error) ?? 'UNKNOWN';
      const message = error instanceof Error ? error.message : String(error);
      return new NetworkError(req.method, url, code, describeNetworkFailure(code, message, requestTimeoutMs), error);
    };

    // undici calls this after every failed attempt: callback() retries, callback(error) ends the request with it
    // (for an answer with a status, ending means handing that answer on, body included).
    const decide = (error: Error, _context: unknown, callback: (result?: Error | null) => void): void => {
      const status = (error as { statusCode?: number }).statusCode;
      const headers = (error as { headers?: Record<string, string | string[] | undefined> }).headers;
      const stop = (): void => callback(status === undefined ? toNetworkError(error) : error);

      if (status !== undefined) {
        if (!policy.statusCodes.includes(status)) return stop();
        if (!idempotent && !NOT_PROCESSED_STATUS_CODES.has(status)) return stop();
      } else {
        const code = errorCode(error) ?? '';
        if (!RETRYABLE_NETWORK_CODES.has(code)) return stop();
        if (!idempotent && !NOT_SENT_NETWORK_CODES.has(code)) return stop();
      }
      if (retries >= policy.maxRetries) return stop();
      const retryAfter = status === undefined ? undefined : parseRetryAfter(headers?.['retry-after']);
      // A server's Retry-After wins over the backoff (and is not capped by it); the budget still bounds it.
      const delay = retryAfter ?? backoffDelay(policy, retries);
      // Leave the next attempt some time of its own; otherwise give up now with what we have.
      if (Date.now() + delay >= deadline) return stop();
      retries += 1;
      setTimeout(() => callback(null), delay);
    };

    const remaining = deadline - Date.now();
    const dispatchOptions: RetryingRequestOptions = {
      origin: base.origin,
      path,
      method: req.method,
      headers: {
        accept: 'application/json',
        ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      headersTimeout: requestTimeoutMs,
      bodyTimeout: requestTimeoutMs,
      signal: AbortSignal.timeout(Math.max(1, remaining)),
      retryOptions: { retry: decide },
    };

    let response: Dispatcher.ResponseData;
    try {
      response = await dispatcher.request(dispatchOptions);
    } catch (error) {
      throw toNetworkError(error);
    }
    let body: unknown;
    try {
      body = await readBody(response.body);
    } catch (error) {
      throw toNetworkError(error);
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw new HttpError(req.method, url, response.statusCode, body);
    }
    return body as T;
  }

  return {
    location,
    request,
    close: async () => {
      await ownAgent?.close();
    },
  };
}
