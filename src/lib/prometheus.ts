/**
 * A client of the Prometheus HTTP query API, as Prometheus, Thanos, Mimir and VictoriaMetrics all serve it:
 * `GET <url>/api/v1/query?query=…[&time=…][&timeout=…]`, answering `{status, data: {resultType, result}}` or
 * `{status: "error", errorType, error}`. The URL is the API root the user gives (`https://mimir/prometheus` for
 * Mimir, `http://vm:8428` for VictoriaMetrics); a bearer token and extra headers (`X-Scope-OrgID`) go with every
 * request and never into a message.
 */
import { createHttpClient, HttpError, NetworkError, type HttpClient, type HttpClientOptions } from './http.ts';

export interface PrometheusClientOptions {
  /** The API root, without `/api/v1`. */
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent with every request, e.g. `{ 'X-Scope-OrgID': 'team-a' }`. */
  headers?: Record<string, string>;
  /** Per attempt (default 30 s). */
  requestTimeoutMs?: number;
  /** Per query, retries included (default 60 s): a measurement must not outlive its interval by much. */
  totalTimeoutMs?: number;
  /** The environment whose HTTPS_PROXY/HTTP_PROXY/NO_PROXY are honoured (a RunContext's). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Passed to the HTTP client (tests: fewer retries, a dispatcher). */
  http?: Pick<HttpClientOptions, 'retry' | 'dispatcher' | 'onRequest'>;
}

export interface Sample {
  /** Evaluation time, ms since the epoch. */
  time: number;
  /** NaN and ±Infinity as Prometheus writes them ("NaN", "+Inf", "-Inf"). */
  value: number;
}

export type QueryResult =
  | { resultType: 'scalar'; sample: Sample }
  | { resultType: 'vector'; series: { labels: Record<string, string>; sample: Sample }[] }
  | { resultType: 'matrix'; seriesCount: number }
  | { resultType: 'string'; value: string };

export interface QueryOptions {
  /** Evaluation time; default: the server's now. */
  time?: Date;
  /** Server-side evaluation timeout, as Prometheus writes durations (`30s`). */
  timeout?: string;
  /** Counts toward the client's own budget instead of the default one (an absolute deadline, ms since the epoch). */
  deadline?: number;
}

export interface PrometheusClient {
  /** The base URL, safe to print. */
  readonly location: string;
  query(promql: string, options?: QueryOptions): Promise<QueryResult>;
  close(): Promise<void>;
}

/**
 * Why a query got no result: `kind` says what the user can do about it, `serverMessage` is the server's own words
 * (`1:16: parse error: unclosed left parenthesis`), safe to show: it never holds our headers.
 */
export class PrometheusQueryError extends Error {
  override readonly name = 'PrometheusQueryError';
  /**
   * - `query`: the server refused the query itself (bad_data, an unknown function, 422 execution errors);
   * - `auth`: 401 or 403 (token or tenant);
   * - `not-found`: 404, the URL is not a Prometheus API root;
   * - `server`: 5xx or an answer that is not the Prometheus API's;
   * - `network`: no answer at all.
   */
  readonly kind: 'query' | 'auth' | 'not-found' | 'server' | 'network';
  readonly status: number | undefined;
  readonly errorType: string | undefined;
  readonly serverMessage: string;

  constructor(kind: PrometheusQueryError['kind'], serverMessage: string, status?: number, errorType?: string) {
    super(serverMessage);
    this.kind = kind;
    this.status = status;
    this.errorType = errorType;
    this.serverMessage = serverMessage;
  }
}

function parseNumber(text: unknown): number {
  if (typeof text !== 'string') return Number.NaN;
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

function parseSample(pair: unknown): Sample {
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'number') {
    throw new PrometheusQueryError('server', 'the answer holds a sample that is not a [time, "value"] pair');
  }
  return { time: Math.round(pair[0] * 1000), value: parseNumber(pair[1]) };
}

/** Turns the answer's `data` into a QueryResult; anything off the documented shapes is a `server` error. */
export function parseQueryData(data: unknown): QueryResult {
  const { resultType, result } = (data ?? {}) as { resultType?: unknown; result?: unknown };
  switch (resultType) {
    case 'scalar':
      return { resultType, sample: parseSample(result) };
    case 'string':
      return { resultType, value: Array.isArray(result) ? String(result[1]) : '' };
    case 'vector':
      if (!Array.isArray(result)) break;
      return {
        resultType,
        series: result.map((item: { metric?: Record<string, string>; value?: unknown }) => ({
          labels: item.metric ?? {},
          sample: parseSample(item.value),
        })),
      };
    case 'matrix':
      if (!Array.isArray(result)) break;
      return { resultType, seriesCount: result.length };
  }
  throw new PrometheusQueryError('server', `the answer is not a Prometheus query result (resultType ${JSON.stringify(resultType)})`);
}

/** The server's own words from an error answer: `errorType: error` from the JSON, else the start of the text. */
function serverWords(body: unknown): { message: string | undefined; errorType: string | undefined } {
  if (body !== null && typeof body === 'object') {
    const { error, errorType } = body as { error?: unknown; errorType?: unknown };
    if (typeof error === 'string') return { message: error, errorType: typeof errorType === 'string' ? errorType : undefined };
  }
  if (typeof body === 'string' && body.trim() !== '') {
    const text = body.trim().split('\n')[0] ?? '';
    return { message: text.length > 200 ? `${text.slice(0, 197)}...` : text, errorType: undefined };
  }
  return { message: undefined, errorType: undefined };
}

function toQueryError(error: unknown): PrometheusQueryError {
  if (error instanceof PrometheusQueryError) return error;
  if (error instanceof HttpError) {
    const { message, errorType } = serverWords(error.body);
    const said = message ?? `HTTP ${error.status}`;
    if (error.status === 401 || error.status === 403) return new PrometheusQueryError('auth', `HTTP ${error.status}: ${said}`, error.status, errorType);
    if (error.status === 404) return new PrometheusQueryError('not-found', `HTTP 404: ${said}`, error.status, errorType);
    if (error.status === 400 || error.status === 422) {
      return new PrometheusQueryError('query', errorType === undefined ? said : `${errorType}: ${said}`, error.status, errorType);
    }
    return new PrometheusQueryError('server', `HTTP ${error.status}: ${said}`, error.status, errorType);
  }
  if (error instanceof NetworkError) return new PrometheusQueryError('network', error.reason);
  throw error;
}

export function createPrometheusClient(options: PrometheusClientOptions): PrometheusClient {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined && options.token !== '') headers.authorization = `Bearer ${options.token}`;
  const http: HttpClient = createHttpClient({
    baseUrl: options.url,
    headers,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    totalTimeoutMs: options.totalTimeoutMs ?? 60_000,
    // A measurement is due every interval: a few quick retries, not the MLflow client's two minutes.
    retry: { maxRetries: 3, initialDelayMs: 500, maxDelayMs: 4_000, jitterMs: 250, ...options.http?.retry },
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.http?.dispatcher === undefined ? {} : { dispatcher: options.http.dispatcher }),
    ...(options.http?.onRequest === undefined ? {} : { onRequest: options.http.onRequest }),
  });

  async function query(promql: string, queryOptions: QueryOptions = {}): Promise<QueryResult> {
    let body: unknown;
    try {
      body = await http.request({
        method: 'GET',
        path: 'api/v1/query',
        query: {
          query: promql,
          time: queryOptions.time === undefined ? undefined : (queryOptions.time.getTime() / 1000).toFixed(3),
          timeout: queryOptions.timeout,
        },
        ...(queryOptions.deadline === undefined ? {} : { deadline: queryOptions.deadline }),
      });
    } catch (error) {
      throw toQueryError(error);
    }
    const answer = (body ?? {}) as { status?: unknown; data?: unknown; error?: unknown; errorType?: unknown };
    if (answer.status === 'error') {
      const { message, errorType } = serverWords(answer);
      throw new PrometheusQueryError('query', errorType === undefined ? (message ?? 'error') : `${errorType}: ${message ?? ''}`, 200, errorType);
    }
    if (answer.status !== 'success') {
      throw new PrometheusQueryError('server', 'the answer is not the Prometheus query API\'s (no "status": "success"); check that the URL is the API root, without /api/v1');
    }
    return parseQueryData(answer.data);
  }

  return { location: http.location, query, close: () => http.close() };
}
