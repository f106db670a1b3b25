/** Every command of the suite, in the order of the promotion chain. The adapters and generators read this list. */
import type { AnyCommand } from '../lib/command.ts';
import { bumpManifest } from './bump-manifest/index.ts';
import { evaluateModel } from './evaluate-model/index.ts';
import { openPromotionPr } from './open-promotion-pr/index.ts';
import { registerModel } from './register-model/index.ts';
import { rollback } from './rollback/index.ts';
import { waitForArgoSync } from './wait-for-argo-sync/index.ts';

export const COMMANDS: readonly AnyCommand[] = [evaluateModel, registerModel, bumpManifest, openPromotionPr, waitForArgoSync, rollback];

export function findCommand(name: string): AnyCommand | undefined {
  return COMMANDS.find((command) => command.name === name);
}
