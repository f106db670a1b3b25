/**
 * Errors a user can fix. Commands throw (or return) these; the adapters print them as one sentence with an
 * annotation and exit 1, never with a stack trace. Anything else that escapes a command is a bug in ml-gitops.
 */
export interface SourceLocation {
  /** Path of the file the error is about, as the user wrote it: relative to `root`, else to the workspace. */
  file: string;
  /** The directory `file` is relative to when it is not the workspace (e.g. the `path` checkout of bump-manifest). */
  root?: string;
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

/**
 * The sentence both adapters print for anything that is not a UserError: a bug in ml-gitops, with its stack so it can
 * be reported.
 */
export function bugReport(error: unknown): string {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `ml-gitops failed unexpectedly; this is a bug, please report it with this log:\n${detail}`;
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

/**
 * How a message names an input. Lib and command code write `inputRef('registry-uri')` inside a sentence; each adapter
 * renders it for its users (`input "registry-uri"` in the Action log, `--registry-uri` in the CLI), so neither
 * audience reads the other's wording.
 */
const INPUT_REF = /\u2063input:([a-z0-9-]+)\u2063/g;

export function inputRef(name: string): string {
  return `\u2063input:${name}\u2063`;
}

export type InputStyle = 'action' | 'cli';

/** Replaces every `inputRef` in `text` with the adapter's spelling; a reference that opens a sentence is capitalised. */
export function renderInputRefs(text: string, style: InputStyle): string {
  return text.replace(INPUT_REF, (_match, name: string, offset: number) => {
    if (style === 'cli') return `--${name}`;
    const before = text.slice(0, offset);
    const opensSentence = before.trim() === '' || /[.!?]\s+$/.test(before) || /\n\s*$/.test(before);
    return `${opensSentence ? 'Input' : 'input'} "${name}"`;
  });
}
