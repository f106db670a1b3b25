/**
 * What a failed HTTP exchange throws: the server answered outside 2xx (HttpError), it answered something that is not
 * JSON where JSON was expected (NotJsonError), or there was no answer at all (NetworkError). None of them carries
 * request headers or credentials; URLs are printed without user information.
 */

/** Answer headers, names in lower case (as undici hands them over). */
export type HttpHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** Failures after which the server certainly never saw the request, so even a POST may be sent again. */
export const NOT_SENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Codes of a TLS handshake that failed on the certificate: waiting will not heal them, a CA bundle or `insecure` will. */
const TLS_CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function isTlsCertificateCode(code: string): boolean {
  return TLS_CERTIFICATE_CODES.has(code);
}

/** The media type of a Content-Type header, lower case, without parameters (`text/html`), or undefined. */
export function mediaType(headers: HttpHeaders): string | undefined {
  const raw = headers['content-type'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  const type = value?.split(';')[0]?.trim().toLowerCase();
  return type === undefined || type === '' ? undefined : type;
}

/** The server answered with a status outside 2xx (after any retries). */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly method: string;
  /** Without credentials. */
  readonly url: string;
  readonly status: number;
  /** The parsed JSON body, or the text (its first 4 KiB) when it is not JSON. */
  readonly body: unknown;
  /** The answer's headers (`retry-after`, `x-github-request-id`, ...); empty when unknown. */
  readonly headers: HttpHeaders;
  /** The answer's media type (`application/json`, `text/html`), when it said. */
  readonly contentType: string | undefined;
  /** The server may have acted on the request (a 5xx other than an overload refusal we could see). */
  readonly outcomeUnknown: boolean;

  constructor(method: string, url: string, status: number, body: unknown, headers: HttpHeaders = {}) {
    super(`${method} ${url} answered HTTP ${status}`);
    this.method = method;
    this.url = url;
    this.status = status;
    this.body = body;
    this.headers = headers;
    this.contentType = mediaType(headers);
    this.outcomeUnknown = status >= 500;
  }
}

/**
 * A 2xx answer (or a streamed line) that is not JSON where JSON was expected: usually the URL points at a web UI, a
 * login page or a proxy rather than the API. Carries the media type and a short excerpt, never the whole page.
 */
export class NotJsonError extends Error {
  override readonly name = 'NotJsonError';
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly contentType: string | undefined;
  /** The first characters of the answer, on one line. */
  readonly excerpt: string;

  constructor(method: string, url: string, status: number, contentType: string | undefined, text: string) {
    super(`${method} ${url} answered ${contentType ?? 'a body without a content type'} (HTTP ${status}), not JSON`);
    this.method = method;
    this.url = url;
    this.status = status;
    this.contentType = contentType;
    this.excerpt = excerptOf(text);
  }

  /** True when the answer looks like a web page rather than an API. */
  get isHtml(): boolean {
    return this.contentType === 'text/html' || /^\s*<(!doctype|html)/i.test(this.excerpt);
  }
}

/** The request never got an answer: refused, unresolvable, reset, timed out. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  readonly method: string;
  /** Without credentials. */
  readonly url: string;
  /** `ECONNREFUSED`, `ENOTFOUND`, `ECONNRESET`, `TIMEOUT`, `DEPTH_ZERO_SELF_SIGNED_CERT`, ... */
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
    this.outcomeUnknown = !NOT_SENT_NETWORK_CODES.has(code) && !isTlsCertificateCode(code);
  }

  /** A time limit ran out (per attempt or for the whole request). */
  get isTimeout(): boolean {
    return ['TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT'].includes(this.code);
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

export function excerptOf(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function describeNetworkFailure(code: string, message: string, timeoutMs: number): string {
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
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return `the server's TLS certificate is self-signed and not trusted (${code})`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `the server's TLS certificate is not valid for this host name (${code})`;
    case 'CERT_HAS_EXPIRED':
      return `the server's TLS certificate has expired (${code})`;
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      // OpenSSL's words for an https:// request answered in plain http.
      return `the server does not speak TLS at this address; if it serves plain http, write http:// (${code})`;
    default:
      if (isTlsCertificateCode(code)) return `the server's TLS certificate is not trusted (${code})`;
      return message === '' ? code : `${message} (${code})`;
  }
}

/** The `code` of an error or of one of its causes (Node wraps some socket errors). */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return errorCode((error as { cause?: unknown }).cause);
}
