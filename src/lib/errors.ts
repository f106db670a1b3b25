/**
 * Errors a user can fix. Commands throw (or return) these; the adapters print them as one sentence with an
 * annotation and exit 1, never with a stack trace. Anything else that escapes a command is a bug in ml-gitops.
 */
export interface SourceLocation {
  /** Path of the file the error is about, as the user wrote it or relative to the workspace. */
  file: string;
  /** 1-based line. */
  line?: number;
  /** 1-based column. */
  column?: number;
}

export interface UserErrorOptions {
  /** The file (and line) the error is about, when there is one. Becomes a `::error file=…,line=…` annotation. */
  location?: SourceLocation;
  /** The action input the error is about, when there is one. */
  input?: string;
  /** A short title for the annotation. */
  title?: string;
  /**
   * Outputs of a run that completed but must fail the step (a rejected candidate): the adapters write them before
   * failing, so later steps (`if: failure()`) can still read the decision.
   */
  outputs?: Record<string, unknown>;
  cause?: unknown;
}

export class UserError extends Error {
  override readonly name = 'UserError';
  readonly location: SourceLocation | undefined;
  readonly input: string | undefined;
  readonly title: string | undefined;
  readonly outputs: Record<string, unknown> | undefined;

  constructor(message: string, options: UserErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.location = options.location;
    this.input = options.input;
    this.title = options.title;
    this.outputs = options.outputs;
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}

/** Formats a location as `file:line:column` for plain-text output (the CLI, nested messages). */
export function formatLocation(location: SourceLocation): string {
  let text = location.file;
  if (location.line !== undefined) {
    text += `:${location.line}`;
    if (location.column !== undefined) text += `:${location.column}`;
  }
  return text;
}
