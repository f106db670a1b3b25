/** The reusable workflows, the example callers and the action.yml files pass the linters users run: actionlint and zizmor (offline audits). */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/commands/index.ts';
import { ensureActionlint, ensureZizmor } from './support/workflow-linters.ts';

const execFileAsync = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const workflows = ['workflows-examples', '.github/workflows'].flatMap((dir) =>
  readdirSync(path.join(root, dir))
    .filter((file) => file.endsWith('.yml'))
    .map((file) => path.join(dir, file)),
);
// A command whose action.yml is not generated yet is left to test/generated.test.ts, which reports it.
const actionFiles = ['action.yml', ...COMMANDS.map((command) => path.join('actions', command.name, 'action.yml'))].filter((file) =>
  existsSync(path.join(root, file)),
);

async function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('example workflows', () => {
  it('exist', () => {
    expect(workflows.length).toBeGreaterThan(0);
  });

  it('pass actionlint', { timeout: 300_000 }, async () => {
    const result = await run(await ensureActionlint(), ['-no-color', ...workflows]);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('and the action.yml files pass zizmor with no finding', { timeout: 300_000 }, async () => {
    const result = await run(await ensureZizmor(), ['--offline', '--format', 'json', ...workflows, ...actionFiles]);
    expect(JSON.parse(result.stdout)).toEqual([]);
  });
});
