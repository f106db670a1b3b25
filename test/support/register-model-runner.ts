/**
 * Runs register-model in its own process, for tests of concurrent registrations: reads the workspace and the raw
 * inputs (a JSON object of input name -> string) from argv, prints the outputs as one JSON line, exits 1 with the
 * message on a UserError.
 *
 *   node test/support/register-model-runner.ts <workspace> '<inputs JSON>' ['<env JSON>']
 */
import { parseInputs } from '../../src/lib/command.ts';
import { isUserError } from '../../src/lib/errors.ts';
import { registerModel } from '../../src/commands/register-model/index.ts';
import { testContext } from './context.ts';

const [workspace, inputsJson, envJson] = process.argv.slice(2);
if (workspace === undefined || inputsJson === undefined) {
  process.stderr.write('usage: register-model-runner.ts <workspace> <inputs JSON> [<env JSON>]\n');
  process.exit(2);
}
const raw = JSON.parse(inputsJson) as Record<string, string>;
const env = (envJson === undefined ? {} : JSON.parse(envJson)) as Record<string, string>;
const ctx = testContext({ env, workspace });
try {
  const inputs = parseInputs(registerModel, (name) => raw[name], ctx.setSecret);
  const outputs = await registerModel.run(inputs, ctx);
  process.stdout.write(`${JSON.stringify(outputs)}\n`);
} catch (error) {
  if (!isUserError(error)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
