/**
 * Argo CD's failures in one place: its error bodies (`{error, code, message}` and the stream's
 * `{error: {grpc_code, http_code, message}}`), the refusals a caller acts on (each with a `reason`), and the wording of
 * everything else through the shared `serviceError`.
 */
import { inputRef, UserError } from '../errors.ts';
import { HttpError, isTlsCertificateCode, NetworkError, serviceError } from '../http.ts';

/** What a caller may act on; `other` is everything it can only report. */
export type ArgoCdErrorReason =
  | 'not-found-or-denied'
  | 'not-found'
  | 'unauthenticated'
  | 'operation-in-progress'
  | 'auto-sync-enabled'
  | 'auto-sync-revision'
  | 'sync-window'
  | 'no-operation'
  | 'unknown-history-id'
  | 'refresh-deadline'
  /** No answer at all: connection refused, host not found, reset, or no answer in time (a restart heals it). */
  | 'unreachable'
  /** The TLS handshake failed on the server's certificate (waiting will not heal it; `ca-cert` or `insecure` will). */
  | 'untrusted-certificate'
  | 'other';

/** A UserError (one sentence for the user) that also says why, for callers that wait, retry or fall back. */
export class ArgoCdError extends UserError {
  readonly reason: ArgoCdErrorReason;
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;
  /** Argo CD's own message, without the gRPC prefix. */
  readonly serverMessage: string | undefined;

  constructor(message: string, reason: ArgoCdErrorReason, options: { status?: number; serverMessage?: string; input?: string | undefined; cause?: unknown } = {}) {
    super(message, { input: options.input, cause: options.cause });
    this.reason = reason;
    this.status = options.status;
    this.serverMessage = options.serverMessage;
  }
}

export function isArgoCdError(error: unknown, reason?: ArgoCdErrorReason): error is ArgoCdError {
  return error instanceof ArgoCdError && (reason === undefined || error.reason === reason);
}

/** The input names a caller's messages refer to (none by default: lib code does not know a command's inputs). */
export interface ArgoCdInputNames {
  server?: string;
  authToken?: string;
  caCert?: string;
  insecure?: string;
  appNamespace?: string;
  project?: string;
}

/** Argo CD's message in an error body (`rpc error: code = X desc = ` prefixes removed). */
export function argoCdMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return typeof body === 'string' && body.trim() !== '' ? body.trim() : undefined;
  const record = body as Record<string, unknown>;
  const nested = typeof record.error === 'object' && record.error !== null ? (record.error as Record<string, unknown>).message : undefined;
  const raw = [record.message, record.error, nested].find((value): value is string => typeof value === 'string' && value.trim() !== '');
  return raw?.replace(/^(rpc error: code = \w+ desc = )+/, '').trim();
}

export interface ArgoCdErrorContext {
  location: string;
  doing: string;
  /** The application the request was about, for the 403 that means "missing or not permitted". */
  app?: string | undefined;
  inputs?: ArgoCdInputNames | undefined;
}

const KNOWN: readonly { status: number; pattern: RegExp; reason: ArgoCdErrorReason }[] = [
  { status: 400, pattern: /another operation is already in progress/i, reason: 'operation-in-progress' },
  { status: 400, pattern: /rollback cannot be initiated when auto-sync is enabled/i, reason: 'auto-sync-enabled' },
  { status: 400, pattern: /^Cannot sync to .*auto-sync currently set to/i, reason: 'auto-sync-revision' },
  { status: 403, pattern: /blocked by sync window/i, reason: 'sync-window' },
  { status: 400, pattern: /No operation is in progress/i, reason: 'no-operation' },
  { status: 400, pattern: /does not have deployment with id/i, reason: 'unknown-history-id' },
  { status: 500, pattern: /refresh deadline exceeded/i, reason: 'refresh-deadline' },
];

/** An ArgoCdError for any failure of a call (a UserError or a bug passes through unchanged). */
export function toArgoCdError(error: unknown, context: ArgoCdErrorContext): unknown {
  if (error instanceof UserError) return error;
  const inputs = context.inputs ?? {};
  const { location, doing } = context;
  if (error instanceof HttpError) {
    const message = argoCdMessage(error.body);
    const detail = message === undefined ? `HTTP ${error.status}` : `HTTP ${error.status}: ${message}`;
    const known = message === undefined ? undefined : KNOWN.find((item) => item.status === error.status && item.pattern.test(message));
    if (known !== undefined) {
      return new ArgoCdError(`Argo CD at ${location} refused ${doing} (${detail}).`, known.reason, { status: error.status, serverMessage: message, cause: error });
    }
    const scope = [inputs.appNamespace, inputs.project].filter((name): name is string => name !== undefined).map(inputRef);
    const scopeHint = scope.length === 0 ? '' : ` (and ${scope.join(' and ')})`;
    if (error.status === 403 && context.app !== undefined && !(error.contentType ?? '').includes('html')) {
      // The API answers 403 both for a missing application and for one the token may not see.
      const token = inputs.authToken === undefined ? 'the token' : `the token of ${inputRef(inputs.authToken)}`;
      return new ArgoCdError(
        `Argo CD at ${location} has no application ${context.app} or does not let ${token} see it (${detail}) while ${doing}; check the application name${scopeHint} and the token's RBAC permissions.`,
        'not-found-or-denied',
        { status: 403, serverMessage: message, input: inputs.authToken, cause: error },
      );
    }
    if (error.status === 404 && context.app !== undefined && error.contentType === 'application/json') {
      return new ArgoCdError(`Argo CD at ${location} has no application ${context.app} (${detail}) while ${doing}; check the application name${scopeHint}.`, 'not-found', {
        status: 404,
        serverMessage: message,
        cause: error,
      });
    }
    if (error.status === 415) {
      return new ArgoCdError(
        `Argo CD at ${location} refused the request's content type (${detail}) while ${doing}; a proxy in between may rewrite the Content-Type header, which Argo CD requires to be exactly application/json.`,
        'other',
        { status: 415, serverMessage: message, cause: error },
      );
    }
  }
  const worded = serviceError(error, {
    service: 'Argo CD',
    doing,
    location,
    input: inputs.server,
    authInput: inputs.authToken,
    tlsInputs: { ...(inputs.caCert === undefined ? {} : { caCert: inputs.caCert }), ...(inputs.insecure === undefined ? {} : { insecure: inputs.insecure }) },
    describeBody: argoCdMessage,
  });
  if (worded instanceof UserError && !(worded instanceof ArgoCdError)) {
    const status = error instanceof HttpError ? error.status : undefined;
    const reason: ArgoCdErrorReason =
      status === 401 ? 'unauthenticated' : error instanceof NetworkError ? (isTlsCertificateCode(error.code) ? 'untrusted-certificate' : 'unreachable') : 'other';
    const serverMessage = error instanceof HttpError ? argoCdMessage(error.body) : undefined;
    return new ArgoCdError(worded.message, reason, {
      ...(status === undefined ? {} : { status }),
      ...(serverMessage === undefined ? {} : { serverMessage }),
      input: worded.input,
      cause: error,
    });
  }
  return worded;
}
