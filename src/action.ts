/**
 * The GitHub Action adapter: inputs from `INPUT_*` (as the runner sets them), outputs to `$GITHUB_OUTPUT`, markdown
 * to `$GITHUB_STEP_SUMMARY`, user errors as `::error file=…,line=…::` annotations and exit code 1.
 */
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import { formatOutput, parseInputs, type AnyCommand, type Logger, type OutputValue, type RunContext } from './lib/command.ts';
import { bugReport, isUserError, renderInputRefs, type SourceLocation } from './lib/errors.ts';

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
  for (const [name, value] of Object.entries(outputs)) core.setOutput(name, formatOutput(value as OutputValue));
}

/** Runs one command as a GitHub Action step. */
export async function runAction(command: AnyCommand, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { context, summaryParts } = actionContext(env);
  try {
    const inputs = parseInputs(
      command,
      (name) => {
        const kind = command.inputs[name]?.kind;
        return kind === 'lines' || kind === 'list' ? core.getInput(name, { trimWhitespace: false }) : core.getInput(name);
      },
      (value) => core.setSecret(value),
      env,
    );
    writeOutputs(await command.run(inputs, context));
  } catch (error) {
    if (isUserError(error) && error.outputs !== undefined) writeOutputs(error.outputs);
    reportActionError(error, context.workspace);
  } finally {
    try {
      await flushSummary(summaryParts);
    } catch (error) {
      core.warning(`Could not write the job summary: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
