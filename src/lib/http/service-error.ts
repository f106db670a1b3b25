/**
 * One sentence for a server that failed us: which service, where, while doing what, why, and which input to fix. Every
 * client (MLflow, Argo CD, GitHub) words its failures through this, so a user reads the same shape everywhere.
 */
import { inputRef, UserError } from '../errors.ts';
import { excerptOf, HttpError, isTlsCertificateCode, NetworkError, NotJsonError } from './errors.ts';

export interface ServiceErrorContext {
  /** The service's name as users know it: `Argo CD`, `MLflow`, `GitHub`. */
  service: string;
  /** What was being done, after "while": `reading application guestbook`. */
  doing: string;
  /** Where the service is, safe to print (no credentials). */
  location: string;
  /** The input holding the service's address (`server`). */
  input?: string | undefined;
  /** The input holding the credentials (`auth-token`), named on 401/403. */
  authInput?: string | undefined;
  /** The inputs that fix a certificate problem, named when the TLS handshake fails. */
  tlsInputs?: { caCert?: string; insecure?: string } | undefined;
  /** Reads the service's own error body, when it has a shape of its own; else the common fields are read. */
  describeBody?: ((body: unknown) => string | undefined) | undefined;
}

/**
 * The message in a JSON error body, whatever the service: `message` (Argo CD, GitHub, MLflow), `error` as a string
 * (Argo CD) or an object with a message (Argo CD's stream), `error_code` (MLflow).
 */
export function errorBodyMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body.trim() === '' ? undefined : excerptOf(body, 200);
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
  const nested = typeof record.error === 'object' && record.error !== null ? text((record.error as Record<string, unknown>).message) : undefined;
  const message = text(record.message) ?? text(record.error) ?? nested;
  const code = text(record.error_code);
  if (message !== undefined && code !== undefined) return `${code}: ${message}`;
  return message ?? code;
}

function sentenceEnd(text: string): string {
  return /[.!?]$/.test(text) ? text.slice(0, -1) : text;
}

/**
 * A `UserError` for an HttpError, NotJsonError or NetworkError from a call to the service; anything else (a UserError
 * already, a bug) is returned unchanged, so callers can `throw serviceError(error, ...)` in every catch.
 */
export function serviceError(error: unknown, context: ServiceErrorContext): unknown {
  if (error instanceof UserError) return error;
  const { service, doing, location } = context;
  const checkAddress = context.input === undefined ? '' : `; check ${inputRef(context.input)}`;

  if (error instanceof NetworkError) {
    if (isTlsCertificateCode(error.code)) {
      const fixes = [context.tlsInputs?.caCert, context.tlsInputs?.insecure].filter((name): name is string => name !== undefined);
      const fix =
        fixes.length === 0
          ? 'trust its certificate authority on this machine'
          : fixes.length === 1
            ? `set ${inputRef(fixes[0]!)}`
            : `pass its certificate authority with ${inputRef(fixes[0]!)} or set ${inputRef(fixes[1]!)} to skip verification`;
      return new UserError(`Could not connect securely to ${service} at ${location} while ${doing}: ${error.reason}; ${fix}.`, {
        input: context.tlsInputs?.caCert ?? context.input,
        cause: error,
      });
    }
    if (error.isTimeout) {
      return new UserError(`${service} at ${location} did not answer while ${doing} (${error.reason})${checkAddress} and that the server is reachable.`, {
        input: context.input,
        cause: error,
      });
    }
    return new UserError(`Could not reach ${service} at ${location} while ${doing} (${error.reason})${checkAddress} and that the server is running.`, {
      input: context.input,
      cause: error,
    });
  }

  if (error instanceof NotJsonError) {
    const what = error.isHtml ? `an HTML page (${error.contentType ?? 'text/html'})` : `${error.contentType ?? 'a body without a content type'}, not JSON`;
    return new UserError(
      `There is no ${service} API at ${location}: it answered ${what} while ${doing}${checkAddress} (the address of the API server, not of a web page, login page or proxy).`,
      { input: context.input, cause: error },
    );
  }

  if (error instanceof HttpError) {
    const html = error.contentType === 'text/html' || (typeof error.body === 'string' && /^\s*<(!doctype|html)/i.test(error.body));
    if (html && error.status !== 401 && error.status !== 403) {
      return new UserError(
        `There is no ${service} API at ${location}: it answered an HTML page (${error.contentType ?? 'text/html'}, HTTP ${error.status}) while ${doing}${checkAddress}.`,
        { input: context.input, cause: error },
      );
    }
    const message = html ? undefined : (context.describeBody?.(error.body) ?? errorBodyMessage(error.body));
    const detail = message === undefined ? `HTTP ${error.status}` : `HTTP ${error.status}: ${sentenceEnd(message)}`;
    const checkAuth = context.authInput === undefined ? '' : `; check ${inputRef(context.authInput)}`;
    if (error.status === 401) {
      return new UserError(`${service} at ${location} rejected the credentials while ${doing} (${detail})${checkAuth}.`, {
        input: context.authInput,
        cause: error,
      });
    }
    if (error.status === 403) {
      return new UserError(`${service} at ${location} denied permission while ${doing} (${detail})${checkAuth}.`, {
        input: context.authInput,
        cause: error,
      });
    }
    return new UserError(`${service} at ${location} failed while ${doing} (${detail}).`, { cause: error });
  }
  return error;
}
