// Generated from the command schema by `npm run generate`; do not edit by hand.
import { runAction } from '../action.ts';
import { openPromotionPr } from '../commands/open-promotion-pr/index.ts';

await runAction(openPromotionPr);
