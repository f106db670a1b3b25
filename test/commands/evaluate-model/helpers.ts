import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll } from 'vitest';
import type { UserError } from '../../../src/lib/errors.ts';
import { evaluateModel } from '../../../src/commands/evaluate-model/index.ts';
import { evaluationReportSchema, type EvaluationReport } from '../../../src/lib/evaluation-report.ts';
import type { RecordedContext } from '../../support/context.ts';
import { commandError, runCommand } from '../../support/run-command.ts';

export const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/evaluate-model');

export type Expected = Record<string, { candidate: Record<string, number>; champion?: Record<string, number> }>;
export const EXPECTED = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Expected & {
  binary_slices: Record<string, { rows: number; candidate: Record<string, number>; champion: Record<string, number> }>;
};

const scratchDirectories: string[] = [];
afterAll(() => {
  for (const directory of scratchDirectories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** A fresh directory for files a test writes, removed after the test file. */
export function scratch(): string {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'evaluate-model-'));
  scratchDirectories.push(directory);
  return directory;
}

/** Writes `text` (gzip-compressed when the name ends in .gz) into `dir` and returns the file name. */
export function writeInto(dir: string, name: string, text: string): string {
  writeFileSync(path.join(dir, name), name.endsWith('.gz') ? gzipSync(text) : text);
  return name;
}

export interface Run {
  outputs: Record<string, unknown>;
  report: EvaluationReport;
  ctx: RecordedContext;
}

/**
 * Runs evaluate-model as the adapters do: raw input strings (hyphenated names, defaults from the spec) parsed by
 * parseInputs, then run() with a recording context. `workspace` defaults to the fixtures directory. `min-rows` is 1
 * unless given, for the few-row files these tests write (its default is tested on its own).
 */
export async function runEvaluate(raw: Record<string, string>, options: { workspace?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const { outputs, ctx } = await runCommand(evaluateModel, { 'min-rows': '1', ...raw }, { workspace: options.workspace ?? FIXTURES, tempDir: scratch(), env: options.env ?? {} });
  const report = evaluationReportSchema.parse(JSON.parse(readFileSync(String(outputs['report-path']), 'utf8')));
  return { outputs, report, ctx };
}

/**
 * The UserError a run ends with (fails the test when it succeeds or throws something else), its message with inputs
 * named as the Action adapter names them.
 */
export function runError(raw: Record<string, string>, options: { workspace?: string } = {}): Promise<UserError> {
  return commandError(evaluateModel, { 'min-rows': '1', ...raw }, { workspace: options.workspace ?? FIXTURES, tempDir: scratch() });
}
