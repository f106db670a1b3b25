import os from 'node:os';
import type { Logger, RunContext } from '../../src/lib/command.ts';

export interface RecordedContext extends RunContext {
  readonly infos: string[];
  readonly warnings: string[];
  readonly summaries: string[];
  readonly secrets: string[];
}

/** A RunContext that records what a command logs, summarises and masks, for tests that call `run()` directly. */
export function testContext(
  options: { env?: Record<string, string | undefined>; workspace?: string | undefined; tempDir?: string | undefined; render?: (text: string) => string } = {},
): RecordedContext {
  const render = options.render ?? ((text: string) => text);
  const infos: string[] = [];
  const warnings: string[] = [];
  const summaries: string[] = [];
  const secrets: string[] = [];
  const log: Logger = {
    info: (message) => void infos.push(render(message)),
    warning: (message, location) => void warnings.push(location === undefined ? render(message) : `${location.file}${location.line === undefined ? '' : `:${location.line}`}: ${render(message)}`),
    debug: () => undefined,
    group: async (_title, fn) => fn(),
  };
  return {
    log,
    infos,
    warnings,
    summaries,
    secrets,
    summary: (markdown) => void summaries.push(render(markdown)),
    setSecret: (value) => void secrets.push(value),
    env: options.env ?? {},
    workspace: options.workspace ?? process.cwd(),
    tempDir: options.tempDir ?? os.tmpdir(),
  };
}
