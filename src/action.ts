/**
 * The GitHub Action adapter: inputs from `INPUT_*` (as the runner sets them), outputs to `$GITHUB_OUTPUT`, markdown
 * to `$GITHUB_STEP_SUMMARY`, user errors as `::error file=…,line=…::` annotations and exit code 1.
 */
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import { formatOutput, parseInputs, type AnyCommand, type Logger, type OutputValue, type RunContext } from './lib/command.ts';
import { bugReport, isUserError, renderInputRefs, UserError, type SourceLocation } from './lib/errors.ts';
import { didYouMean } from './lib/suggest.ts';

/** Messages name inputs the way a workflow author writes them: `input "x"`. */
const render = (text: string): string => renderInputRefs(text, 'action');

/** Annotation paths must be relative to the repository root for GitHub to attach them to the file. */
function annotationFile(location: SourceLocation, workspace: string): string {
  const file = location.file;
  const absolute = path.resolve(location.root ?? workspace, file);
  const relative = path.relative(workspace, absolute);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
}

function annotationProperties(location: SourceLocation | undefined, workspace: string, title?: string): core.AnnotationProperties {
  const properties: core.AnnotationProperties = {};
  if (title !== undefined) properties.title = title;
  if (location === undefined) return properties;
  properties.file = annotationFile(location, workspace);
  if (location.line !== undefined) properties.startLine = location.line;
  if (location.column !== undefined) properties.startColumn = location.column;
  return properties;
}

function actionLogger(workspace: string): Logger {
  return {
    info: (message) => core.info(render(message)),
    warning: (message, location) => core.warning(render(message), annotationProperties(location, workspace)),
    debug: (message) => core.debug(render(message)),
    group: (title, fn) => core.group(render(title), fn),
  };
}

/** The run context of an Action step, and the summary parts it collected (flushed once, even after a failure). */
export function actionContext(env: NodeJS.ProcessEnv = process.env): { context: RunContext; summaryParts: string[] } {
  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  const summaryParts: string[] = [];
  const context: RunContext = {
    log: actionLogger(workspace),
    summary: (markdown) => void summaryParts.push(render(markdown)),
    setSecret: (value) => core.setSecret(value),
    env,
    workspace,
    tempDir: env.RUNNER_TEMP || os.tmpdir(),
  };
  return { context, summaryParts };
}

async function flushSummary(parts: readonly string[]): Promise<void> {
  if (parts.length === 0) return;
  if (!process.env.GITHUB_STEP_SUMMARY) {
    // Outside a runner (local `node dist/...` runs) the summary still belongs in the log.
    core.info(parts.join('\n\n'));
    return;
  }
  await core.summary.addRaw(parts.join('\n\n'), true).write();
}

/** Reports an error the way a user should see it: user errors as one annotated sentence, bugs with their stack. */
export function reportActionError(error: unknown, workspace: string): void {
  if (isUserError(error)) {
    core.error(render(error.message), annotationProperties(error.location, workspace, error.title));
  } else {
    core.error(bugReport(error));
  }
  process.exitCode = 1;
}

function writeOutputs(outputs: Record<string, unknown>): void {
  try {
    for (const [name, value] of Object.entries(outputs)) core.setOutput(name, formatOutput(value as OutputValue));
  } catch (error) {
    // The runner's own file: a step run by hand (or a container without the mount) may point it nowhere.
    const code = (error as NodeJS.ErrnoException | null)?.code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : error instanceof Error ? error.message.replace(/^Missing file at path: .*/, 'no such file').replace(/\.$/, '') : String(error);
    throw new UserError(`The step's outputs cannot be written to GITHUB_OUTPUT (${process.env.GITHUB_OUTPUT ?? 'unset'}): ${why}; point GITHUB_OUTPUT at a writable file, as the runner does.`, {
      cause: error,
    });
  }
}

/** The variable the runner passes an input in: `INPUT_<NAME>`, spaces as underscores, upper-cased. */
function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/**
 * The inputs a step gives (non-empty `INPUT_*`) that `command` does not declare, nor `alsoDeclared` (inputs of the
 * action.yml beyond the command's own), lower-cased. The runner passes every `with:` key whether the action declares
 * it or not; its own "Unexpected input(s)" warning lists the valid names, ours says which one was meant.
 */
export function undeclaredInputs(command: AnyCommand, env: NodeJS.ProcessEnv, alsoDeclared: readonly string[] = []): string[] {
  const declared = new Set([...Object.keys(command.inputs as Record<string, unknown>), ...alsoDeclared].map(inputVariable));
  return Object.entries(env)
    .filter(([key, value]) => key.startsWith('INPUT_') && !declared.has(key) && (value ?? '').trim() !== '')
    .map(([key]) => key.slice('INPUT_'.length).toLowerCase())
    .sort();
}

function warnUnknownInputs(command: AnyCommand, env: NodeJS.ProcessEnv, log: Logger): void {
  const names = Object.keys(command.inputs as Record<string, unknown>);
  for (const name of undeclaredInputs(command, env)) {
    log.warning(`${command.name} has no input "${name}"${didYouMean(name, names)}, so its value is ignored; check the step's \`with:\` keys against the action's inputs.`);
  }
}

/** Runs one command as a GitHub Action step. */
export async function runAction(command: AnyCommand, env: NodeJS.ProcessEnv = process.env, options: { warnUnknownInputs?: boolean } = {}): Promise<void> {
  const { context, summaryParts } = actionContext(env);
  // The root action declares every command's inputs and says itself which ones the chosen command ignores.
  if (options.warnUnknownInputs ?? true) warnUnknownInputs(command, env, context.log);
  try {
    const inputs = parseInputs(
      command,
      (name) => {
        // An input the step does not give at all is undefined, one given empty is '' (the messages tell them apart).
        if (env[inputVariable(name)] === undefined) return undefined;
        const kind = command.inputs[name]?.kind;
        return kind === 'lines' || kind === 'list' ? core.getInput(name, { trimWhitespace: false }) : core.getInput(name);
      },
      (value) => core.setSecret(value),
      env,
    );
    writeOutputs(await command.run(inputs, context));
  } catch (error) {
    if (isUserError(error) && error.outputs !== undefined) {
      try {
        writeOutputs(error.outputs);
      } catch (outputError) {
        core.warning(outputError instanceof Error ? outputError.message : String(outputError));
      }
    }
    reportActionError(error, context.workspace);
  } finally {
    try {
      await flushSummary(summaryParts);
    } catch (error) {
      core.warning(`Could not write the job summary: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
