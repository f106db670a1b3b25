/** The root action (`uses: <owner>/ml-gitops@v1`): runs the command named by the `command` input. */
import * as core from '@actions/core';
import { reportActionError, runAction } from '../action.ts';
import { COMMANDS, findCommand } from '../commands/index.ts';
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
  await runAction(command);
}
