// Runs register-model through the GitHub Action adapter, as the runner runs the action's bundle.
import { runAction } from '../../../src/action.ts';
import { registerModel } from '../../../src/commands/register-model/index.ts';

await runAction(registerModel);
