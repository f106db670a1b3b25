/** The root action (`uses: <owner>/ml-gitops@v1`): runs the command named by the `command` input. */
import * as core from '@actions/core';
import { reportActionError, runAction, undeclaredInputs } from '../action.ts';
import { COMMANDS, findCommand } from '../commands/index.ts';
import type { InputSpec } from '../lib/command.ts';
import { UserError } from '../lib/errors.ts';
import { didYouMean } from '../lib/suggest.ts';

const name = core.getInput('command');
const command = findCommand(name);
if (command === undefined) {
  const names = COMMANDS.map((c) => c.name);
  reportActionError(
    new UserError(
      name === ''
        ? `Input "command" is required: set it to one of ${names.join(', ')}.`
        : `Input "command" names no ml-gitops command: "${name}"${didYouMean(name, names)}; use one of ${names.join(', ')}.`,
      { input: 'command' },
    ),
    process.env.GITHUB_WORKSPACE || process.cwd(),
  );
} else {
  // The root action declares every command's inputs; a value given for another command's input is ignored, so say so.
  // Inputs with a default in action.yml (the token: \${{ github.token }}) reach every step, given or not.
  const runnerFilled = COMMANDS.flatMap((each) => Object.entries(each.inputs as Record<string, InputSpec<unknown>>).filter(([, input]) => input.actionDefault !== undefined).map(([name]) => name));
  const ignored = undeclaredInputs(command, process.env, ['command', ...runnerFilled]);
  if (ignored.length > 0) {
    core.warning(
      `${command.name} does not take the input${ignored.length === 1 ? '' : 's'} ${ignored.map((input) => `"${input}"`).join(', ')}, so ${ignored.length === 1 ? 'it is' : 'they are'} ignored; remove ${ignored.length === 1 ? 'it' : 'them'} from \`with:\` or check the spelling (ml-gitops ${command.name} --help lists its inputs).`,
    );
  }
  await runAction(command, process.env, { warnUnknownInputs: false });
}
