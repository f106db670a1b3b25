// Generated from the command schema by `npm run generate`; do not edit by hand.
import { runAction } from '../action.ts';
import { registerModel } from '../commands/register-model/index.ts';

await runAction(registerModel);
