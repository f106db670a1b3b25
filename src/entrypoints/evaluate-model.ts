// Generated from the command schema by `npm run generate`; do not edit by hand.
import { runAction } from '../action.ts';
import { evaluateModel } from '../commands/evaluate-model/index.ts';

await runAction(evaluateModel);
