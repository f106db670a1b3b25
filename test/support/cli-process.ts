/**
 * Runs the real CLI entry point (`src/entrypoints/cli.ts`, what `ml-gitops` runs) in its own process, as another CI
 * system would: for the tests where several processes race each other.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '../..');
export const NODE = path.join(REPO, 'node_modules/.bin/node');
export const CLI_ENTRY = path.join(REPO, 'src/entrypoints/cli.ts');

export interface CliProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `{ 'model-name': 'churn' }` -> `['--model-name', 'churn']`. */
export function flags(inputs: Record<string, string>): string[] {
  return Object.entries(inputs).flatMap(([name, value]) => [`--${name}`, value]);
}

export function runCliProcess(args: readonly string[], options: { cwd: string; env: Record<string, string> }): Promise<CliProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(NODE, [CLI_ENTRY, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
