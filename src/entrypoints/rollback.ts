// Generated from the command schema by `npm run generate`; do not edit by hand.
import { runAction } from '../action.ts';
import { rollback } from '../commands/rollback/index.ts';

await runAction(rollback);
