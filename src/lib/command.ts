/**
 * The command framework. A command is its input schema (one zod-validated spec per input), its outputs and a `run()`
 * written against the small `RunContext` interface. The GitHub Action adapter (`src/action.ts`) and the CLI
 * (`src/cli.ts`) both turn raw strings into typed inputs through `parseInputs`, so an input behaves the same whether
 * it came from `INPUT_*` or from `--flag value`. action.yml files and README tables are generated from these specs.
 */
import { z } from 'zod';
import { inputRef, UserError } from './errors.ts';
import { lowerFirst } from './text.ts';

/**
 * How an input is written; drives the CLI's parsing of bare flags and the generated docs. `lines` is one item per line;
 * `list` takes commas or line breaks (labels, reviewers, applications).
 */
export type InputKind = 'string' | 'boolean' | 'number' | 'lines' | 'list' | 'choice';

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
  /**
   * Environment variables read, in order, when the input is empty (e.g. `GITHUB_TOKEN`, `GH_TOKEN`): the CLI's way to
   * the same value, and the Action's fallback too.
   */
  readonly env: readonly string[];
  /**
   * The default written into action.yml when it differs from what the command applies itself, e.g.
   * `${{ github.token }}`: the runner fills it in, the CLI falls back to `env` instead.
   */
  readonly actionDefault: string | undefined;
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

/**
 * A rule across inputs, checked after each input parsed on its own (an input counts as given when it has a value other
 * than its default; a value from an environment fallback counts):
 * - `exclusive`: at most one of them;
 * - `one-of`: exactly one of them, or with `atLeast` one or more;
 * - `together`: all or none;
 * - `requires`: when the first is given, every other one must be too.
 */
export interface InputRule {
  readonly kind: 'exclusive' | 'one-of' | 'together' | 'requires';
  readonly inputs: readonly [string, ...string[]];
  /** `one-of` only: several may be given. */
  readonly atLeast?: boolean;
  /** Why, appended to the message (e.g. "the legacy stage mode sets the alias named after the stage"). */
  readonly reason?: string;
}

export interface Command<S extends InputSpecs = InputSpecs, O extends Record<string, OutputSpec> = Record<string, OutputSpec>> {
  readonly name: string;
  /** One line: what the action does. The first sentence goes into action.yml. */
  readonly description: string;
  readonly inputs: S;
  /** Rules across inputs, declared once and checked by `parseInputs` with a clear message. */
  readonly rules?: readonly InputRule[];
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
  /** Environment variables read when the input is empty, in order. */
  env?: readonly string[];
  /** The default action.yml declares (the runner fills it), when the command's own default differs. */
  actionDefault?: string;
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
    env: options.env ?? [],
    actionDefault: options.actionDefault,
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
  // `10m` or `5min` for a number of seconds: say the unit, since the text does not parse.
  const of = options.unit ? ` of ${options.unit}` : '';
  let schema = z.number({ message: `must be ${options.integer ? 'a whole number' : 'a number'}${of}` });
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

/**
 * Items separated by commas or line breaks (`bug, ml` or one per line), trimmed, blanks dropped, duplicates removed.
 * The CLI accepts the flag several times too.
 */
export function list<O extends BaseOptions>(options: O): InputSpec<Presence<O, string[]>> {
  return spec('list', options, (raw) => [
    ...new Set(
      raw
        .split(/[,\r\n]+/)
        .map((item) => item.trim())
        .filter((item) => item !== '' && !item.startsWith('#')),
    ),
  ]) as InputSpec<Presence<O, string[]>>;
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------------------------

export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Turns raw strings (empty or missing = not given) into typed inputs: environment fallbacks and defaults applied,
 * required inputs and cross-input rules checked, secrets masked, and every problem reported as a UserError naming the
 * input (with `inputRef`, which each adapter renders in its own words).
 */
export function parseInputs<S extends InputSpecs>(
  command: Command<S>,
  raw: (name: string) => string | undefined,
  setSecret: (value: string) => void,
  env: Readonly<Record<string, string | undefined>> = {},
): ParsedInputs<S> {
  const parsed: Record<string, unknown> = {};
  const given = new Set<string>();
  const fromEnv = new Set<string>();
  for (const [name, input] of Object.entries(command.inputs)) {
    let value = raw(name);
    // Given, but empty: in a workflow, an expression that is not set (a secret this run cannot read) renders as ''.
    const givenEmpty = value !== undefined && value.trim() === '';
    if (value !== undefined && input.kind !== 'lines' && input.kind !== 'list') value = value.trim();
    let origin = inputRef(name);
    if (value === undefined || value.trim() === '') {
      const variable = input.env.find((key) => (env[key] ?? '').trim() !== '');
      if (variable !== undefined) {
        value = (env[variable] as string).trim();
        origin = `The environment variable ${variable} (read because ${inputRef(name)} is empty)`;
        fromEnv.add(name);
      }
    }
    if (value !== undefined && input.secret && value !== '') setSecret(value);
    if (value === undefined || value.trim() === '') value = input.default;
    if (value === undefined || value.trim() === '') {
      if (input.required) {
        const fallback = input.env.length > 0 ? ` (or set ${input.env.join(' or ')})` : '';
        const problem = givenEmpty
          ? `is empty (on a runner, a required input left out of \`with:\` arrives empty, and so does an unset variable such as \${{ secrets.NAME }}), but ${command.name} requires it`
          : `is required by ${command.name}`;
        throw new UserError(`${inputRef(name)} ${problem}${fallback}: ${lowerFirst(sentence(input.description))}`, {
          input: name,
        });
      }
      parsed[camelCase(name)] = undefined;
      continue;
    }
    if (value !== input.default) given.add(name);
    try {
      parsed[camelCase(name)] = input.parse(value);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const shown = input.secret ? '***' : JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
      throw new UserError(`${origin} ${reason} (got ${shown}).`, { input: name });
    }
  }
  for (const rule of command.rules ?? []) {
    if (rule.kind === 'exclusive' || (rule.kind === 'one-of' && rule.atLeast !== true)) {
      // An input given explicitly beats an environment fallback of an input it excludes (ARGOCD_AUTH_TOKEN exported
      // for other steps, username and password given to this one): the fallback is dropped, not reported as a clash.
      const present = rule.inputs.filter((name) => given.has(name));
      if (present.some((name) => !fromEnv.has(name))) {
        for (const name of present.filter((candidate) => fromEnv.has(candidate))) {
          given.delete(name);
          parsed[camelCase(name)] = undefined;
        }
      }
    }
    checkRule(rule, given, command.name);
  }
  return parsed as ParsedInputs<S>;
}

function sentence(text: string): string {
  return `${text.trim().replace(/\.$/, '')}.`;
}

function joinRefs(names: readonly string[], word: 'and' | 'or'): string {
  const refs = names.map(inputRef);
  return refs.length <= 2 ? refs.join(` ${word} `) : `${refs.slice(0, -1).join(', ')} ${word} ${refs.at(-1)}`;
}

function checkRule(rule: InputRule, given: ReadonlySet<string>, commandName: string): void {
  const present = rule.inputs.filter((name) => given.has(name));
  const why = rule.reason === undefined ? '' : ` (${rule.reason})`;
  const fail = (message: string, input: string): never => {
    throw new UserError(`${message}${why}.`, { input });
  };
  switch (rule.kind) {
    case 'exclusive':
      if (present.length > 1) fail(`${joinRefs(present, 'and')} cannot be used together; give only one of them`, present[1] as string);
      return;
    case 'one-of':
      if (present.length === 0) fail(`${commandName} needs ${joinRefs(rule.inputs, 'or')}; set ${rule.atLeast ? 'at least one' : 'one'} of them`, rule.inputs[0]);
      if (!rule.atLeast && present.length > 1) fail(`${joinRefs(present, 'and')} cannot be used together; give only one of them`, present[1] as string);
      return;
    case 'together':
      if (present.length > 0 && present.length < rule.inputs.length) {
        const missing = rule.inputs.filter((name) => !given.has(name));
        fail(`${joinRefs(present, 'and')} ${present.length === 1 ? 'is' : 'are'} set but ${joinRefs(missing, 'and')} ${missing.length === 1 ? 'is' : 'are'} not; set ${joinRefs(rule.inputs, 'and')} together`, missing[0] as string);
      }
      return;
    case 'requires': {
      const [first, ...others] = rule.inputs;
      if (!given.has(first)) return;
      const missing = others.filter((name) => !given.has(name));
      if (missing.length > 0) fail(`${inputRef(first)} needs ${joinRefs(missing, 'and')}; set ${missing.length === 1 ? 'it' : 'them'} too`, missing[0] as string);
      return;
    }
  }
}

/** Serialises an output value the way both adapters write it. */
export function formatOutput(value: OutputValue): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
