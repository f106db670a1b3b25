/** Every command of the suite, in the order of the promotion chain. The adapters and generators read this list. */
import type { AnyCommand } from '../lib/command.ts';

export const COMMANDS: readonly AnyCommand[] = [];

export function findCommand(name: string): AnyCommand | undefined {
  return COMMANDS.find((command) => command.name === name);
}
