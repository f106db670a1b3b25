// Generated from the command schema by `npm run generate`; do not edit by hand.
import { runAction } from '../action.ts';
import { waitForArgoSync } from '../commands/wait-for-argo-sync/index.ts';

await runAction(waitForArgoSync);
