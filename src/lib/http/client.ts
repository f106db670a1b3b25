/**
 * The HTTP client shared by every command that talks to a server (MLflow, Argo CD, ...): JSON in and out, a timeout
 * per attempt, retries, typed errors, and streamed answers.
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
 *
 * Streams (`stream()`) bypass the retry interceptor: a stream that breaks is the caller's to re-open, since only the
 * caller knows where to resume (Argo CD's `resourceVersion`).
 */
import { interceptors, type Dispatcher } from 'undici';
import { backoffDelay as policyDelay, type BackoffPolicy } from '../retry.ts';
import {
  describeNetworkFailure,
  errorCode,
  HttpError,
  mediaType,
  NetworkError,
  NOT_SENT_NETWORK_CODES,
  NotJsonError,
  redactUrl,
  type HttpHeaders,
} from './errors.ts';
import { framesOf, type StreamFormat } from './stream.ts';
import { createTransport, type TlsOptions } from './transport.ts';

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

/**
 * The neutral default: a few quick retries on 408/429/5xx. Clients with a documented policy of their own (MLflow's
 * 7 × 2 up to 120 s) pass it explicitly.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 3,
  initialDelayMs: 500,
  backoffFactor: 2,
  maxDelayMs: 10_000,
  jitterMs: 250,
  statusCodes: [408, 429, 500, 502, 503, 504],
};

export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 300_000;
/** Bodies of error answers that are not JSON are kept up to this many characters. */
const MAX_TEXT_BODY_CHARS = 4096;

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
const NOT_PROCESSED_STATUS_CODES = new Set([408, 429]);

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpClientOptions {
  /** Base URL; request paths are resolved against it (`https://host/api/2.0/mlflow/`). Credentials in it are refused. */
  baseUrl: string;
  /** Sent with every request (e.g. `authorization`). Never copied into errors. */
  headers?: Record<string, string> | undefined;
  /** Per attempt: connecting, waiting for the answer's headers, and between chunks of its body. */
  requestTimeoutMs?: number | undefined;
  /** Per request, all attempts and waits included. */
  totalTimeoutMs?: number | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  /** Called for every attempt that goes on the wire, with the request's path (relative to `baseUrl`, no query). */
  onRequest?: ((method: string, path: string) => void) | undefined;
  /** Where requests are dispatched (tests, proxies); default: a transport owned by the client (see `tls`, `env`). */
  dispatcher?: Dispatcher | undefined;
  /** Certificate checks of the client's own transport. */
  tls?: TlsOptions | undefined;
  /** The environment whose `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` the client's own transport honours (a RunContext's). */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface HttpRequest {
  method: HttpMethod;
  /** Relative to the client's `baseUrl`, without a leading slash: `registered-models/get`. Encode names in it. */
  path: string;
  query?: Record<string, QueryValue> | undefined;
  /** Sent as JSON (`content-type: application/json`). */
  body?: unknown;
  /** Sent with this request only, over the client's headers. */
  headers?: Record<string, string> | undefined;
  /**
   * Whether sending the request twice is harmless. Default: true for GET, HEAD, PUT and DELETE; false for POST and
   * PATCH. A non-idempotent request is retried only when the server certainly did not process it.
   */
  idempotent?: boolean | undefined;
  /** An absolute deadline (ms since the epoch) shared with other requests; the earlier of it and the budget wins. */
  deadline?: number | undefined;
  /** This request's budget, all attempts included, instead of the client's `totalTimeoutMs`. */
  timeoutMs?: number | undefined;
  /** Per attempt, the wait for the answer's headers, instead of the client's `requestTimeoutMs`. */
  attemptTimeoutMs?: number | undefined;
  /** Per attempt, the longest silence between two chunks of the body. */
  bodyTimeoutMs?: number | undefined;
  /** Retries for this request: `false` for none, or changes to the client's policy. */
  retry?: false | Partial<RetryPolicy> | undefined;
  /** Ends the request (and any wait between attempts); the signal's reason is thrown. */
  signal?: AbortSignal | undefined;
}

export interface HttpResponse<T> {
  readonly status: number;
  readonly headers: HttpHeaders;
  /** The parsed JSON, or undefined for an empty body. */
  readonly body: T;
}

export interface HttpStreamRequest {
  /** Default GET. */
  method?: 'GET' | 'POST' | undefined;
  path: string;
  query?: Record<string, QueryValue> | undefined;
  body?: unknown;
  headers?: Record<string, string> | undefined;
  /** What to ask for: `ndjson` (Accept: application/json) or `sse` (Accept: text/event-stream). The answer's Content-Type decides how it is read. */
  format?: StreamFormat | undefined;
  /** The wait for the answer's headers; default the client's `requestTimeoutMs`. */
  openTimeoutMs?: number | undefined;
  /** The longest silence (no event, no keepalive) before the stream fails with a timeout; default none. */
  idleTimeoutMs?: number | undefined;
  /** Ends the stream: iteration then stops quietly. */
  signal?: AbortSignal | undefined;
  /** Called for each keepalive of a server-sent event stream. */
  onKeepalive?: (() => void) | undefined;
}

/** An open streamed answer: iterate it for the parsed JSON values; `close()` (or breaking out of the loop) ends it. */
export interface HttpStream<T> extends AsyncIterable<T> {
  readonly status: number;
  readonly headers: HttpHeaders;
  /** How the answer is framed, from its Content-Type. */
  readonly format: StreamFormat;
  close(): void;
}

export interface HttpClient {
  /** The base URL, safe to print. */
  readonly location: string;
  /**
   * Sends the request and parses the JSON answer (`undefined` for an empty body; the text when it is not JSON).
   * Throws HttpError or NetworkError.
   */
  request<T = unknown>(request: HttpRequest): Promise<T>;
  /** Like `request`, with the status and headers; an answer that is not JSON throws NotJsonError. */
  send<T = unknown>(request: HttpRequest): Promise<HttpResponse<T>>;
  /** Opens a streamed answer (no retries). Throws HttpError for a status outside 2xx, NetworkError when unreachable. */
  stream<T = unknown>(request: HttpStreamRequest): Promise<HttpStream<T>>;
  /** Ends the client's open streams and closes its own transport's connections (not those of a dispatcher passed in). */
  close(): Promise<void>;
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

/** A retry policy's schedule in the suite's one backoff form (`lib/retry.ts`). */
export function backoffPolicyOf(policy: RetryPolicy): BackoffPolicy {
  return { initialMs: policy.initialDelayMs, factor: policy.backoffFactor, maxMs: policy.maxDelayMs, jitter: policy.jitterMs };
}

/** The backoff before retry number `retry` (0-based), jitter included. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  return policyDelay(backoffPolicyOf(policy), retry, random);
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

type ParsedBody = { kind: 'empty' } | { kind: 'json'; value: unknown } | { kind: 'text'; text: string };

async function readBody(body: Dispatcher.ResponseData['body']): Promise<ParsedBody> {
  const text = await body.text();
  if (text === '') return { kind: 'empty' };
  try {
    return { kind: 'json', value: JSON.parse(text) as unknown };
  } catch {
    return { kind: 'text', text };
  }
}

function bodyValue(parsed: ParsedBody): unknown {
  if (parsed.kind === 'empty') return undefined;
  return parsed.kind === 'json' ? parsed.value : parsed.text.slice(0, MAX_TEXT_BODY_CHARS);
}

function isAbort(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'AbortError' || errorCode(error) === 'UND_ERR_ABORTED';
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
  const clientPolicy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const ownTransport =
    options.dispatcher === undefined ? createTransport({ tls: options.tls, env: options.env, connectTimeoutMs: requestTimeoutMs }) : undefined;
  const transport = options.dispatcher ?? ownTransport!;
  const onRequest = options.onRequest;
  /** Streams still open, ended by `close()` (an open stream would otherwise keep the transport from closing). */
  const openStreams = new Set<AbortController>();

  const countAttempt = (method: string, dispatchPath: string): void => {
    if (onRequest !== undefined) onRequest(method, (dispatchPath.split('?')[0] ?? '').slice(base.pathname.length));
  };
  // Inner to outer: count every attempt that goes on the wire, then retry around it.
  const countAttempts: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
    countAttempt(opts.method, opts.path);
    return dispatch(opts, handler);
  };
  // throwOnError: false hands the last answer (with its body) to us instead of a bodiless RequestRetryError.
  const retrying = transport.compose(countAttempts, interceptors.retry({ throwOnError: false }));

  function urlOf(path: string): string {
    return redactUrl(new URL(path, base.origin));
  }

  function networkErrorOf(method: string, url: string, error: unknown, started: number, attemptTimeoutMs: number): NetworkError {
    if (error instanceof NetworkError) return error;
    const name = (error as { name?: string } | undefined)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new NetworkError(method, url, 'TIMEOUT', `no answer within the time budget (${Date.now() - started} ms)`, error);
    }
    const code = errorCode(error) ?? 'UNKNOWN';
    const message = error instanceof Error ? error.message : String(error);
    return new NetworkError(method, url, code, describeNetworkFailure(code, message, attemptTimeoutMs), error);
  }

  async function exchange(req: HttpRequest): Promise<{ status: number; headers: HttpHeaders; parsed: ParsedBody; url: string }> {
    const started = Date.now();
    const budget = req.timeoutMs ?? totalTimeoutMs;
    const deadline = Math.min(started + budget, req.deadline ?? Number.POSITIVE_INFINITY);
    const idempotent = req.idempotent ?? isDefaultIdempotent(req.method);
    const policy: RetryPolicy = req.retry === false ? { ...clientPolicy, maxRetries: 0 } : { ...clientPolicy, ...req.retry };
    const attemptTimeoutMs = req.attemptTimeoutMs ?? requestTimeoutMs;
    const path = buildPath(base.pathname, req.path, req.query);
    const url = urlOf(path);
    const callerSignal = req.signal;
    callerSignal?.throwIfAborted();
    const signal =
      callerSignal === undefined
        ? AbortSignal.timeout(Math.max(1, deadline - Date.now()))
        : AbortSignal.any([AbortSignal.timeout(Math.max(1, deadline - Date.now())), callerSignal]);
    let retries = 0;

    const toNetworkError = (error: unknown): unknown => {
      if (callerSignal?.aborted === true) return callerSignal.reason;
      return networkErrorOf(req.method, url, error, started, attemptTimeoutMs);
    };

    // undici calls this after every failed attempt: callback() retries, callback(error) ends the request with it
    // (for an answer with a status, ending means handing that answer on, body included).
    const decide = (error: Error, _context: unknown, callback: (result?: Error | null) => void): void => {
      const status = (error as { statusCode?: number }).statusCode;
      const headers = (error as { headers?: Record<string, string | string[] | undefined> }).headers;
      const stop = (): void => callback(status === undefined ? (toNetworkError(error) as Error) : error);

      if (signal.aborted) return stop();
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
      const onAbort = (): void => {
        clearTimeout(timer);
        callback(toNetworkError(signal.reason) as Error);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        callback(null);
      }, delay);
      signal.addEventListener('abort', onAbort, { once: true });
    };

    const dispatchOptions: RetryingRequestOptions = {
      origin: base.origin,
      path,
      method: req.method,
      headers: {
        accept: 'application/json',
        ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
        ...req.headers,
      },
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      headersTimeout: attemptTimeoutMs,
      bodyTimeout: req.bodyTimeoutMs ?? attemptTimeoutMs,
      signal,
      retryOptions: { retry: decide },
    };

    let response: Dispatcher.ResponseData;
    try {
      response = await retrying.request(dispatchOptions);
    } catch (error) {
      throw toNetworkError(error);
    }
    let parsed: ParsedBody;
    try {
      parsed = await readBody(response.body);
    } catch (error) {
      throw toNetworkError(error);
    }
    const headers = response.headers as HttpHeaders;
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw new HttpError(req.method, url, response.statusCode, bodyValue(parsed), headers);
    }
    return { status: response.statusCode, headers, parsed, url };
  }

  async function request<T>(req: HttpRequest): Promise<T> {
    const { parsed } = await exchange(req);
    return (parsed.kind === 'text' ? parsed.text : bodyValue(parsed)) as T;
  }

  async function send<T>(req: HttpRequest): Promise<HttpResponse<T>> {
    const { status, headers, parsed, url } = await exchange(req);
    if (parsed.kind === 'text') throw new NotJsonError(req.method, url, status, mediaType(headers), parsed.text);
    return { status, headers, body: bodyValue(parsed) as T };
  }

  async function stream<T>(req: HttpStreamRequest): Promise<HttpStream<T>> {
    const method = req.method ?? 'GET';
    const path = buildPath(base.pathname, req.path, req.query);
    const url = urlOf(path);
    const started = Date.now();
    const openTimeoutMs = req.openTimeoutMs ?? requestTimeoutMs;
    const closer = new AbortController();
    const signal = req.signal === undefined ? closer.signal : AbortSignal.any([closer.signal, req.signal]);
    signal.throwIfAborted();
    openStreams.add(closer);
    signal.addEventListener('abort', () => openStreams.delete(closer), { once: true });
    countAttempt(method, path);

    let response: Dispatcher.ResponseData;
    try {
      response = await transport.request({
        origin: base.origin,
        path,
        method,
        headers: {
          accept: req.format === 'sse' ? 'text/event-stream' : 'application/json',
          ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
          ...req.headers,
        },
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        headersTimeout: openTimeoutMs,
        bodyTimeout: req.idleTimeoutMs ?? 0,
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw networkErrorOf(method, url, error, started, openTimeoutMs);
    }
    const headers = response.headers as HttpHeaders;
    const status = response.statusCode;
    const type = mediaType(headers);
    if (status < 200 || status >= 300) {
      const parsed = await readBody(response.body).catch((): ParsedBody => ({ kind: 'empty' }));
      throw new HttpError(method, url, status, bodyValue(parsed), headers);
    }
    if (type === 'text/html') {
      const text = await response.body.text().catch(() => '');
      throw new NotJsonError(method, url, status, type, text);
    }
    const format: StreamFormat = type === 'text/event-stream' ? 'sse' : 'ndjson';
    const body = response.body;

    async function* values(): AsyncGenerator<T> {
      try {
        for await (const frame of framesOf(format, body as AsyncIterable<Buffer>)) {
          if (frame.kind === 'keepalive') {
            req.onKeepalive?.();
            continue;
          }
          let value: unknown;
          try {
            value = JSON.parse(frame.text);
          } catch {
            throw new NotJsonError(method, url, status, type, frame.text);
          }
          yield value as T;
        }
      } catch (error) {
        if (signal.aborted || isAbort(error)) return;
        if (error instanceof NotJsonError || error instanceof RangeError) throw error;
        throw networkErrorOf(method, url, error, started, req.idleTimeoutMs ?? openTimeoutMs);
      } finally {
        openStreams.delete(closer);
        if (!body.destroyed) body.destroy();
      }
    }

    return {
      status,
      headers,
      format,
      close: () => closer.abort(),
      [Symbol.asyncIterator]: () => values(),
    };
  }

  return {
    location,
    request,
    send,
    stream,
    close: async () => {
      for (const stream of [...openStreams]) stream.abort();
      await ownTransport?.close();
    },
  };
}
