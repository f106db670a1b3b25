/**
 * Runs a command the way the adapters do (raw string inputs through `parseInputs`, environment fallbacks included) but
 * in-process, recording what it logs. Messages come back rendered as the Action adapter renders them (`input "x"`), or
 * as the CLI does with `style: 'cli'`, so tests assert what a user reads.
 */
import { parseInputs, type AnyCommand, type OutputValue } from '../../src/lib/command.ts';
import { isUserError, renderInputRefs, UserError, type InputStyle } from '../../src/lib/errors.ts';
import { testContext, type RecordedContext } from './context.ts';

export interface CommandRunOptions {
  readonly env?: Record<string, string | undefined>;
  readonly workspace?: string;
  readonly tempDir?: string;
  readonly style?: InputStyle;
}

export interface CommandRun {
  readonly outputs: Record<string, OutputValue>;
  readonly ctx: RecordedContext;
}

/** A UserError whose message (and outputs) are rendered for `style`. */
function rendered(error: UserError, style: InputStyle): UserError {
  const copy = new UserError(renderInputRefs(error.message, style), {
    ...(error.location !== undefined ? { location: error.location } : {}),
    ...(error.input !== undefined ? { input: error.input } : {}),
    ...(error.title !== undefined ? { title: error.title } : {}),
    ...(error.outputs !== undefined ? { outputs: error.outputs } : {}),
    cause: error,
  });
  return copy;
}

export async function runCommand(command: AnyCommand, inputs: Record<string, string | undefined>, options: CommandRunOptions = {}): Promise<CommandRun> {
  const style = options.style ?? 'action';
  const ctx = testContext({ env: options.env ?? {}, workspace: options.workspace, tempDir: options.tempDir, render: (text) => renderInputRefs(text, style) });
  try {
    const parsed = parseInputs(command, (name) => inputs[name], ctx.setSecret, ctx.env);
    const outputs = (await command.run(parsed, ctx)) as Record<string, OutputValue>;
    return { outputs, ctx };
  } catch (error) {
    throw isUserError(error) ? rendered(error, style) : error;
  }
}

/** The UserError a run ends with (rendered); fails the test when it succeeds or throws something else. */
export async function commandError(command: AnyCommand, inputs: Record<string, string | undefined>, options: CommandRunOptions = {}): Promise<UserError> {
  try {
    await runCommand(command, inputs, options);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error(`expected ${command.name} to fail with a user error`);
}
