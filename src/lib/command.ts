/**
 * The command framework. A command is its input schema (one zod-validated spec per input), its outputs and a `run()`
 * written against the small `RunContext` interface. The GitHub Action adapter (`src/action.ts`) and the CLI
 * (`src/cli.ts`) both turn raw strings into typed inputs through `parseInputs`, so an input behaves the same whether
 * it came from `INPUT_*` or from `--flag value`. action.yml files and README tables are generated from these specs.
 */
import { z } from 'zod';
import { UserError } from './errors.ts';

/** How an input is written; drives the CLI's parsing of bare flags and the generated docs. */
export type InputKind = 'string' | 'boolean' | 'number' | 'lines' | 'choice';

export interface InputSpec<T> {
  readonly kind: InputKind;
  readonly description: string;
  readonly required: boolean;
  /** The default as the runner would pass it (a string), written into action.yml. */
  readonly default: string | undefined;
  /** Shown in docs instead of `default` when the default is computed at run time (e.g. "`$RUNNER_TEMP/report.json`"). */
  readonly defaultDescription: string | undefined;
  /** Allowed values, for `choice` inputs. */
  readonly choices: readonly string[] | undefined;
  /** The value is a credential: masked in logs (`core.setSecret`) as soon as it is read. */
  readonly secret: boolean;
  /** Turns the raw, non-empty string into the typed value; throws a message (not a UserError) when it is invalid. */
  readonly parse: (raw: string) => T;
}

export type InputSpecs = Record<string, InputSpec<unknown>>;

/** `label-column` -> `labelColumn`. */
export type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

export type ParsedInputs<S extends InputSpecs> = {
  [K in keyof S & string as CamelCase<K>]: S[K] extends InputSpec<infer T> ? T : never;
};

export interface OutputSpec {
  readonly description: string;
}

/** What a command may return for an output: objects and arrays are written as JSON. */
export type OutputValue = string | number | boolean | null | undefined | object;

export interface Logger {
  info(message: string): void;
  /** A warning; with a location it becomes a `::warning file=…` annotation. */
  warning(message: string, location?: { file: string; line?: number; column?: number }): void;
  debug(message: string): void;
  /** Runs `fn` inside a collapsible log group. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
}

export interface RunContext {
  readonly log: Logger;
  /** Appends markdown to the job summary (GitHub) or prints it (CLI). */
  summary(markdown: string): void;
  /** Masks a value in every later log line. Every token goes through here before it is used. */
  setSecret(value: string): void;
  /** The environment (GITHUB_*, RUNNER_*, MLFLOW_* …). Commands read it through here, never from `process.env`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The directory relative paths are resolved against (GITHUB_WORKSPACE in Actions, the current directory in the CLI). */
  readonly workspace: string;
  /** A directory for scratch files and default report paths (RUNNER_TEMP in Actions, the OS temp dir in the CLI). */
  readonly tempDir: string;
}

export interface Command<S extends InputSpecs = InputSpecs, O extends Record<string, OutputSpec> = Record<string, OutputSpec>> {
  readonly name: string;
  /** One line: what the action does. The first sentence goes into action.yml. */
  readonly description: string;
  readonly inputs: S;
  readonly outputs: O;
  /** JSON Schemas to publish under `schemas/<key>.schema.json` (editor completion for files the command reads). */
  readonly jsonSchemas?: Record<string, z.ZodType>;
  run(inputs: ParsedInputs<S>, context: RunContext): Promise<{ [K in keyof O]?: OutputValue }>;
}

/** Declares a command; the identity function that gives `run` its typed inputs. */
export function defineCommand<S extends InputSpecs, O extends Record<string, OutputSpec>>(command: Command<S, O>): Command<S, O> {
  return command;
}

/** Any command, whatever its inputs: what the adapters and generators handle. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = Command<any, any>;

// ---------------------------------------------------------------------------------------------------------------
// Input spec builders
// ---------------------------------------------------------------------------------------------------------------

interface BaseOptions {
  description: string;
  required?: boolean;
  default?: string;
  defaultDescription?: string;
}

/** `T` when the input always has a value (required or defaulted), `T | undefined` otherwise. */
type Presence<O extends BaseOptions, T> = O extends { required: true } ? T : O extends { default: string } ? T : T | undefined;

function spec<T>(kind: InputKind, options: BaseOptions & { secret?: boolean; choices?: readonly string[] }, parse: (raw: string) => T): InputSpec<T> {
  return {
    kind,
    description: options.description,
    required: options.required ?? false,
    default: options.default,
    defaultDescription: options.defaultDescription,
    choices: options.choices,
    secret: options.secret ?? false,
    parse,
  };
}

/** Runs a zod schema on a raw input, turning its first issue into a plain message. */
function parseWith<T>(schema: z.ZodType<T>, raw: unknown): T {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new Error(result.error.issues[0]?.message ?? 'is not valid');
}

/** A free-text input. `pattern` (with `patternHint` describing it) refuses values of the wrong shape. */
export function text<O extends BaseOptions & { secret?: boolean; pattern?: RegExp; patternHint?: string }>(
  options: O,
): InputSpec<Presence<O, string>> {
  const schema = options.pattern
    ? z.string().regex(options.pattern, { message: `must be ${options.patternHint ?? `of the form ${String(options.pattern)}`}` })
    : z.string();
  return spec('string', options, (raw) => parseWith(schema, raw)) as InputSpec<Presence<O, string>>;
}

/** A credential: like `text`, and masked as soon as it is read. */
export function secret<O extends BaseOptions>(options: O): InputSpec<Presence<O, string>> {
  return text({ ...options, secret: true }) as InputSpec<Presence<O, string>>;
}

const TRUE_WORDS = ['true', 'True', 'TRUE'];
const FALSE_WORDS = ['false', 'False', 'FALSE'];

/** `true` or `false` (the YAML 1.2 core spellings, as `core.getBooleanInput` accepts). */
export function flag<O extends BaseOptions>(options: O): InputSpec<Presence<O, boolean>> {
  return spec('boolean', options, (raw) => {
    if (TRUE_WORDS.includes(raw)) return true;
    if (FALSE_WORDS.includes(raw)) return false;
    throw new Error('must be true or false');
  }) as InputSpec<Presence<O, boolean>>;
}

/** A number, optionally an integer, within bounds. */
export function number<O extends BaseOptions & { integer?: boolean; min?: number; max?: number; unit?: string }>(
  options: O,
): InputSpec<Presence<O, number>> {
  let schema = z.number({ message: `must be ${options.integer ? 'a whole number' : 'a number'}` });
  if (options.integer) schema = schema.int({ message: 'must be a whole number' });
  const unit = options.unit ? ` ${options.unit}` : '';
  if (options.min !== undefined) schema = schema.min(options.min, { message: `must be at least ${options.min}${unit}` });
  if (options.max !== undefined) schema = schema.max(options.max, { message: `must be at most ${options.max}${unit}` });
  return spec('number', options, (raw) => {
    const value = raw.trim() === '' ? Number.NaN : Number(raw);
    return parseWith(schema, Number.isNaN(value) ? raw : value);
  }) as InputSpec<Presence<O, number>>;
}

/** One of a fixed set of words. */
export function choice<const C extends readonly [string, ...string[]], O extends BaseOptions>(
  choices: C,
  options: O,
): InputSpec<Presence<O, C[number]>> {
  const schema = z.enum(choices as unknown as [C[number], ...C[number][]], {
    message: `must be one of ${choices.map((c) => `"${c}"`).join(', ')}`,
  });
  return spec('choice', { ...options, choices }, (raw) => parseWith(schema, raw)) as InputSpec<Presence<O, C[number]>>;
}

/**
 * One item per line: blank lines and lines starting with `#` are skipped, each line is trimmed.
 * The CLI accepts the flag several times, one item each.
 */
export function lines<O extends BaseOptions>(options: O): InputSpec<Presence<O, string[]>> {
  return spec('lines', options, (raw) =>
    raw
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  ) as InputSpec<Presence<O, string[]>>;
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------------------------

export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Turns raw strings (empty or missing = not given) into typed inputs: defaults applied, required inputs checked,
 * secrets masked, and every problem reported as a UserError naming the input.
 */
export function parseInputs<S extends InputSpecs>(
  command: Command<S>,
  raw: (name: string) => string | undefined,
  setSecret: (value: string) => void,
  describeInput: (name: string) => string = (name) => `Input "${name}"`,
): ParsedInputs<S> {
  const parsed: Record<string, unknown> = {};
  for (const [name, input] of Object.entries(command.inputs)) {
    let value = raw(name);
    if (value !== undefined && input.kind !== 'lines') value = value.trim();
    if (value !== undefined && input.secret && value !== '') setSecret(value);
    if (value === undefined || value.trim() === '') value = input.default;
    if (value === undefined || value.trim() === '') {
      if (input.required) {
        throw new UserError(`${describeInput(name)} is required by ${command.name}: ${lowerFirst(input.description)}`, {
          input: name,
        });
      }
      parsed[camelCase(name)] = undefined;
      continue;
    }
    try {
      parsed[camelCase(name)] = input.parse(value);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const shown = input.secret ? '***' : JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
      throw new UserError(`${describeInput(name)} ${reason} (got ${shown}).`, { input: name });
    }
  }
  return parsed as ParsedInputs<S>;
}

function lowerFirst(sentence: string): string {
  const trimmed = sentence.trim().replace(/\.$/, '');
  return `${trimmed.charAt(0).toLowerCase()}${trimmed.slice(1)}.`;
}

/** Serialises an output value the way both adapters write it. */
export function formatOutput(value: OutputValue): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
