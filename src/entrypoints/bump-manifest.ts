// Generated from the command schema by `npm run generate`; do not edit by hand.
import { runAction } from '../action.ts';
import { bumpManifest } from '../commands/bump-manifest/index.ts';

await runAction(bumpManifest);
