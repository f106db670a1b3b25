/**
 * The CLI adapter: `ml-gitops <command> --<input-name> <value> … [--json]`, for CI systems other than GitHub Actions.
 * Logs go to stderr so that stdout carries only the outputs (`name=value` lines, or one JSON object with --json).
 */
import os from 'node:os';
import path from 'node:path';
import { formatOutput, parseInputs, type AnyCommand, type InputSpec, type Logger, type OutputValue, type RunContext } from './lib/command.ts';
import { bugReport, formatLocation, isUserError, renderInputRefs, UserError, type SourceLocation } from './lib/errors.ts';
import { maskSecrets } from './lib/secrets.ts';
import { didYouMean } from './lib/suggest.ts';
import { COMMANDS } from './commands/index.ts';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

interface ParsedArgs {
  values: Map<string, string[]>;
  json: boolean;
  help: boolean;
}

/** Parses `--name value`, `--name=value`, bare `--flag` / `--no-flag` for boolean inputs; repeated flags accumulate. */
export function parseCliArgs(command: AnyCommand, argv: readonly string[]): ParsedArgs {
  const values = new Map<string, string[]>();
  let json = false;
  let help = false;
  const inputs = command.inputs as Record<string, InputSpec<unknown>>;
  const add = (name: string, value: string): void => {
    const input = inputs[name];
    if (values.has(name) && input?.kind !== 'lines' && input?.kind !== 'list') {
      // Joined, two values would reach the input as one text with a line break, and fail (or pass) confusingly.
      const shown = input?.secret ? '' : ` (${JSON.stringify(values.get(name)?.[0])} and ${JSON.stringify(value)})`;
      throw new UserError(`--${name} is given twice${shown}; give it once.`, { input: name });
    }
    values.set(name, [...(values.get(name) ?? []), value]);
  };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    if (argument === '--json') {
      json = true;
      continue;
    }
    if (argument === '--help' || argument === '-h') {
      help = true;
      continue;
    }
    if (!argument.startsWith('--')) {
      throw new UserError(
        `Unexpected argument "${argument}" for ${command.name}: inputs are given as --<input-name> <value> (see ml-gitops ${command.name} --help).`,
      );
    }
    const equals = argument.indexOf('=');
    let name = equals === -1 ? argument.slice(2) : argument.slice(2, equals);
    let inline = equals === -1 ? undefined : argument.slice(equals + 1);
    if (!(name in inputs) && name.startsWith('no-') && inputs[name.slice(3)]?.kind === 'boolean' && inline === undefined) {
      name = name.slice(3);
      inline = 'false';
    }
    const input = inputs[name];
    if (input === undefined) {
      throw new UserError(
        `Unknown option --${name} for ${command.name}${didYouMean(name, Object.keys(inputs)).replace('"', '"--')}; run ml-gitops ${command.name} --help for its inputs.`,
      );
    }
    if (inline !== undefined) {
      add(name, inline);
      continue;
    }
    const next = argv[index + 1];
    if (input.kind === 'boolean' && (next === undefined || next.startsWith('--'))) {
      add(name, 'true');
      continue;
    }
    if (next === undefined) {
      const placeholder = input.kind === 'choice' ? `<${(input.choices ?? []).join('|')}>` : '<value>';
      throw new UserError(`--${name} of ${command.name} needs a value: --${name} ${placeholder}.`, { input: name });
    }
    add(name, next);
    index++;
  }
  return { values, json, help };
}

export function commandHelp(command: AnyCommand): string {
  const lines = [`Usage: ml-gitops ${command.name} [--<input> <value> ...] [--json]`, '', command.description, '', 'Inputs:'];
  for (const [name, input] of Object.entries(command.inputs as Record<string, InputSpec<unknown>>)) {
    const value = input.kind === 'boolean' ? '' : input.kind === 'choice' ? ` <${(input.choices ?? []).join('|')}>` : ' <value>';
    const notes: string[] = [];
    if (input.required) notes.push('required');
    if (input.default !== undefined) notes.push(`default: ${input.default === '' ? '""' : input.default}`);
    else if (input.defaultDescription !== undefined) notes.push(`default: ${input.defaultDescription.replaceAll('`', '')}`);
    if (input.kind === 'lines') notes.push('repeat for several');
    if (input.kind === 'list') notes.push('comma-separated, or repeat');
    if (input.env.length > 0) notes.push(`env: ${input.env.map((name) => `$${name}`).join(', ')}`);
    lines.push(`  --${name}${value}${notes.length > 0 ? `  (${notes.join('; ')})` : ''}`);
    lines.push(`      ${input.description}`);
  }
  lines.push('', 'Outputs (printed as name=value lines, or as one JSON object with --json):');
  for (const [name, output] of Object.entries(command.outputs as Record<string, { description: string }>)) {
    lines.push(`  ${name}: ${output.description}`);
  }
  return lines.join('\n');
}

function generalHelp(commands: readonly AnyCommand[]): string {
  const width = Math.max(0, ...commands.map((c) => c.name.length));
  return [
    'Usage: ml-gitops <command> [--<input> <value> ...] [--json]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.description}`),
    '',
    'Run ml-gitops <command> --help for its inputs and outputs.',
  ].join('\n');
}

/** A location relative to another root (`--path`) is shown relative to the current directory, so it can be opened. */
function cliLocation(location: SourceLocation, cwd: string): SourceLocation {
  if (location.root === undefined) return location;
  const relative = path.relative(cwd, path.resolve(location.root, location.file));
  return { ...location, file: relative.startsWith('..') ? path.resolve(location.root, location.file) : relative };
}

/** What the CLI prints: inputs named as its flags (`--x`), secrets masked. */
function cliText(text: string, secrets: readonly string[]): string {
  return maskSecrets(renderInputRefs(text, 'cli'), secrets);
}

function cliContext(io: CliIo, secrets: string[]): RunContext {
  const mask = (text: string): string => cliText(text, secrets);
  const log: Logger = {
    info: (message) => io.stderr(`${mask(message)}\n`),
    warning: (message, location) =>
      io.stderr(`warning: ${location ? `${formatLocation(location)}: ` : ''}${mask(message)}\n`),
    debug: (message) => {
      if (io.env.RUNNER_DEBUG === '1' || io.env.ML_GITOPS_DEBUG === '1') io.stderr(`debug: ${mask(message)}\n`);
    },
    group: async (title, fn) => {
      io.stderr(`${mask(title)}\n`);
      return fn();
    },
  };
  return {
    log,
    summary: (markdown) => io.stderr(`\n${mask(markdown)}\n\n`),
    setSecret: (value) => {
      if (value !== '' && !secrets.includes(value)) secrets.push(value);
    },
    env: io.env,
    workspace: io.cwd,
    tempDir: io.env.RUNNER_TEMP || os.tmpdir(),
  };
}

function printOutputs(io: CliIo, outputs: Record<string, unknown>, json: boolean): void {
  if (json) {
    io.stdout(`${JSON.stringify(outputs, null, 2)}\n`);
    return;
  }
  for (const [output, value] of Object.entries(outputs)) {
    const text = formatOutput(value as OutputValue);
    io.stdout(text.includes('\n') ? `${output}<<EOF\n${text}\nEOF\n` : `${output}=${text}\n`);
  }
}

/** Runs the CLI; returns the exit code (0 success, 1 a failed run or bad input, 2 bad usage). */
export async function runCli(argv: readonly string[], io: CliIo, commands: readonly AnyCommand[] = COMMANDS): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(`${generalHelp(commands)}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) {
    io.stderr(
      `error: Unknown command "${name}"${didYouMean(name, commands.map((c) => c.name))}; the commands are ${commands.map((c) => c.name).join(', ')}.\n`,
    );
    return 2;
  }
  const secrets: string[] = [];
  const context = cliContext(io, secrets);
  const json = rest.includes('--json');
  try {
    const args = parseCliArgs(command, rest);
    if (args.help) {
      io.stdout(`${commandHelp(command)}\n`);
      return 0;
    }
    const inputs = parseInputs(command, (input) => args.values.get(input)?.join('\n'), context.setSecret, io.env);
    printOutputs(io, await command.run(inputs, context), args.json);
    return 0;
  } catch (error) {
    // A run that completed but must fail (a rejected candidate) still prints its outputs.
    if (isUserError(error) && error.outputs !== undefined) printOutputs(io, error.outputs, json);
    if (isUserError(error)) {
      const where = error.location ? `${formatLocation(cliLocation(error.location, io.cwd))}: ` : '';
      io.stderr(`error: ${where}${cliText(error.message, secrets)}\n`);
    } else {
      io.stderr(`error: ${cliText(bugReport(error), secrets)}\n`);
    }
    return 1;
  }
}
