// Runs the echo command through the GitHub Action adapter, as the runner would run an action's bundle.
import { runAction } from '../../src/action.ts';
import { echoCommand } from './echo-command.ts';

await runAction(echoCommand);
