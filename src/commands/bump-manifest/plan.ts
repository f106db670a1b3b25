/**
 * Turns the `updates` lines into a plan: every file resolved, read and edited in memory. Nothing is written here, so
 * a bad line anywhere stops the run before any file changes. The plan is rebuilt from the files on disk on every
 * attempt of the push loop (re-applying the edits to the new tip, never replaying a diff).
 */
import { isUserError, UserError } from '../../lib/errors.ts';
import { readTextFile, resolveFiles, resolveRoot, type PathRequest, type TextFile } from '../../lib/paths.ts';
import { editYamlText, parseUpdateLine, type AppliedEdit, type ScalarEdit, type UpdateSpec } from '../../lib/yaml-edit/index.ts';

export interface UpdateLine {
  readonly spec: UpdateSpec;
  /** 1-based position among the non-blank, non-comment lines of `updates`. */
  readonly lineNumber: number;
  readonly text: string;
}

export interface PlannedEdit extends AppliedEdit {
  /** The `updates` line this edit came from. */
  readonly lineNumber: number;
}

export interface FilePlan {
  /** Relative to `path`, `/`-separated, as written or matched. */
  readonly relativePath: string;
  readonly realPath: string;
  readonly mode: number;
  readonly before: string;
  readonly after: string;
  readonly edits: readonly PlannedEdit[];
  readonly changed: boolean;
}

export interface Plan {
  readonly files: readonly FilePlan[];
  readonly changed: boolean;
}

export function parseUpdates(lines: readonly string[]): UpdateLine[] {
  if (lines.length === 0) {
    throw new UserError('Input "updates" has no update line; write one <file>:<selector>=<value> per line.', { input: 'updates' });
  }
  return lines.map((text, index) => ({ spec: parseUpdateLine(text, index + 1), lineNumber: index + 1, text }));
}

function origin(update: UpdateLine): PathRequest {
  return { origin: `updates line ${update.lineNumber} ("${update.text}")`, input: 'updates' };
}

interface FileTarget {
  relativePath: string;
  realPath: string;
  edits: Array<{ edit: ScalarEdit; update: UpdateLine }>;
}

/** Resolves, reads and edits in memory; throws the first UserError met, having written nothing. */
export async function buildPlan(root: string, updates: readonly UpdateLine[], options: { createMissing: boolean }): Promise<Plan> {
  const realRoot = await resolveRoot(root);
  // File system work runs concurrently; errors are reported in the order of the lines, the first one wins.
  const resolved = await settleInOrder(updates.map((update) => resolveFiles(root, update.spec.file, origin(update), realRoot)));
  const targets = new Map<string, FileTarget>();
  updates.forEach((update, index) => {
    for (const file of resolved[index] ?? []) {
      let target = targets.get(file.realPath);
      if (!target) {
        target = { relativePath: file.relativePath, realPath: file.realPath, edits: [] };
        targets.set(file.realPath, target);
      }
      const same = target.edits.find((entry) => entry.edit.selector === update.spec.selector);
      if (same && same.edit.value !== update.spec.value) {
        throw new UserError(
          `updates lines ${same.update.lineNumber} and ${update.lineNumber} both set ${target.relativePath}:${update.spec.selector}, to different values; keep one of them.`,
          { input: 'updates' },
        );
      }
      if (!same) target.edits.push({ edit: { selector: update.spec.selector, value: update.spec.value }, update });
    }
  });

  const list = [...targets.values()];
  const texts = await settleInOrder(list.map((target) => readTextFile(target, origin(target.edits[0]!.update))));
  const files: FilePlan[] = list.map((target, index) => {
    const file = texts[index] as TextFile;
    const lineOf = new Map(target.edits.map((entry) => [entry.edit.selector, entry.update.lineNumber]));
    const result = applyEdits(file.text, target, options.createMissing);
    return {
      relativePath: target.relativePath,
      realPath: target.realPath,
      mode: file.mode,
      before: file.text,
      after: result.text,
      edits: result.applied.map((applied) => ({ ...applied, lineNumber: lineOf.get(applied.selector) ?? 0 })),
      changed: result.changed && result.text !== file.text,
    };
  });
  return { files, changed: files.some((file) => file.changed) };
}

/** Awaits every promise, then throws the first rejection in list order (so errors do not depend on timing). */
async function settleInOrder<T>(promises: ReadonlyArray<Promise<T>>): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  return settled.map((result) => {
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  });
}

/** Applies a file's edits at once; on failure, finds the `updates` line at fault so the error names it. */
function applyEdits(text: string, target: FileTarget, createMissing: boolean) {
  const options = { file: target.relativePath, createMissing };
  try {
    return editYamlText(text, target.edits.map((entry) => entry.edit), options);
  } catch (error) {
    if (!isUserError(error)) throw error;
    for (const entry of target.edits) {
      try {
        editYamlText(text, [entry.edit], options);
      } catch (single) {
        if (!isUserError(single)) throw single;
        throw new UserError(`updates line ${entry.update.lineNumber} ("${entry.update.text}"): ${lowerFirst(single.message)}`, {
          location: single.location ?? { file: target.relativePath },
          input: 'updates',
          cause: single,
        });
      }
    }
    throw error;
  }
}

function lowerFirst(sentence: string): string {
  return /^[A-Z][a-z]/.test(sentence) ? `${sentence.charAt(0).toLowerCase()}${sentence.slice(1)}` : sentence;
}

/** `file:selector` -> the value found there before the edit (null when the key was created). */
export function previousValues(plan: Plan): Record<string, string | null> {
  const previous: Record<string, string | null> = {};
  for (const file of plan.files) for (const edit of file.edits) previous[`${file.relativePath}:${edit.selector}`] = edit.previous;
  return previous;
}

export function changedFiles(plan: Plan): string[] {
  return plan.files.filter((file) => file.changed).map((file) => file.relativePath);
}
