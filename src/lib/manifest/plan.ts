/**
 * Manifest updates: the `<file>:<selector>=<value>` lines turned into a plan, every file resolved, read and edited in
 * memory. Nothing is written here, so a bad line anywhere stops the run before any file changes. bump-manifest,
 * open-promotion-pr and rollback all plan this way; the push loop rebuilds the plan from the files of each new tip
 * (re-applying the edits, never replaying a diff).
 */
import { inputRef, isUserError, UserError } from '../errors.ts';
import { readTextFile, resolveFiles, resolveRoot, type PathRequest, type ResolvedFile, type TextFile } from '../paths.ts';
import { lowerFirst } from '../text.ts';
import { editYamlText, type AppliedEdit, type ScalarEdit } from '../yaml-edit/index.ts';
import { parseUpdateLine, type UpdateSpec } from './update-line.ts';

/** The inputs of the calling command that name the update lines and the checkout, for messages. */
export interface PlanInputs {
  /** The input holding the update lines (e.g. `updates`). */
  readonly updates: string;
  /** The input naming the directory the files are relative to (e.g. `path`). */
  readonly root: string;
}

/**
 * Where the manifests are read from: the checkout on disk, or (open-promotion-pr) a revision of the repository.
 * `resolve` turns a path or glob into files; `read` returns a file's text.
 */
export interface ManifestSource {
  /** For messages: the directory or revision the paths are relative to. */
  readonly description: string;
  resolve(pattern: string, request: PathRequest): Promise<ResolvedFile[]>;
  read(file: ResolvedFile, request: PathRequest): Promise<TextFile>;
}

/** The files of a checkout on disk, below `root`. */
export async function diskSource(root: string, rootInput: string): Promise<ManifestSource> {
  const realRoot = await resolveRoot(root, rootInput);
  return {
    description: root,
    resolve: (pattern, request) => resolveFiles(root, pattern, request, realRoot),
    read: (file, request) => readTextFile(file, request),
  };
}

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
  /** Relative to the checkout root, `/`-separated, as written or matched. */
  readonly relativePath: string;
  readonly realPath: string;
  /** The real path of the checkout root. */
  readonly root: string;
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

export function parseUpdates(lines: readonly string[], input: string): UpdateLine[] {
  if (lines.length === 0) {
    throw new UserError(`${inputRef(input)} has no update line; write one <file>:<selector>=<value> per line.`, { input });
  }
  return lines.map((text, index) => ({ spec: parseUpdateLine(text, index + 1, input), lineNumber: index + 1, text }));
}

function origin(update: UpdateLine, inputs: PlanInputs): PathRequest {
  return { origin: `${inputs.updates} line ${update.lineNumber} ("${update.text}")`, input: inputs.updates, rootInput: inputs.root };
}

interface FileTarget {
  relativePath: string;
  realPath: string;
  root: string;
  edits: Array<{ edit: ScalarEdit; update: UpdateLine }>;
}

export interface PlanOptions {
  readonly createMissing: boolean;
  readonly inputs: PlanInputs;
}

/** Resolves, reads and edits in memory; throws the first UserError met, having written nothing. */
export async function buildPlan(source: ManifestSource, updates: readonly UpdateLine[], options: PlanOptions): Promise<Plan> {
  // File system work runs concurrently; errors are reported in the order of the lines, the first one wins.
  const resolved = await settleInOrder(updates.map((update) => source.resolve(update.spec.file, origin(update, options.inputs))));
  const targets = new Map<string, FileTarget>();
  updates.forEach((update, index) => {
    for (const file of resolved[index] ?? []) {
      let target = targets.get(file.realPath);
      if (!target) {
        target = { relativePath: file.relativePath, realPath: file.realPath, root: file.root, edits: [] };
        targets.set(file.realPath, target);
      }
      const same = target.edits.find((entry) => entry.edit.selector === update.spec.selector);
      if (same && same.edit.value !== update.spec.value) {
        throw new UserError(
          `${options.inputs.updates} lines ${same.update.lineNumber} and ${update.lineNumber} both set ${target.relativePath}:${update.spec.selector}, to different values; keep one of them.`,
          { input: options.inputs.updates },
        );
      }
      if (!same) target.edits.push({ edit: { selector: update.spec.selector, value: update.spec.value }, update });
    }
  });

  const list = [...targets.values()];
  const texts = await settleInOrder(list.map((target) => source.read(target, origin(target.edits[0]!.update, options.inputs))));
  const files: FilePlan[] = list.map((target, index) => {
    const file = texts[index] as TextFile;
    const lineOf = new Map(target.edits.map((entry) => [entry.edit.selector, entry.update.lineNumber]));
    const result = applyEdits(file.text, target, options);
    return {
      relativePath: target.relativePath,
      realPath: target.realPath,
      root: target.root,
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

/** Applies a file's edits at once; on failure, finds the update line at fault so the error names it. */
function applyEdits(text: string, target: FileTarget, plan: PlanOptions) {
  const options = { file: target.relativePath, createMissing: plan.createMissing };
  const located = (error: UserError) => ({ ...(error.location ?? { file: target.relativePath }), root: target.root });
  try {
    return editYamlText(text, target.edits.map((entry) => entry.edit), options);
  } catch (error) {
    if (!isUserError(error)) throw error;
    for (const entry of target.edits) {
      try {
        editYamlText(text, [entry.edit], options);
      } catch (single) {
        if (!isUserError(single)) throw single;
        throw new UserError(`${plan.inputs.updates} line ${entry.update.lineNumber} ("${entry.update.text}"): ${lowerFirst(single.message)}`, {
          location: located(single),
          input: plan.inputs.updates,
          cause: single,
        });
      }
    }
    throw new UserError(error.message, { location: located(error), input: plan.inputs.updates, cause: error });
  }
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

/** The scalars the plan changes, as the ledger records them (`file:selector=value`). */
export function changedUpdates(plan: Plan): Array<{ file: string; selector: string; value: string }> {
  return plan.files.flatMap((file) => file.edits.filter((edit) => edit.changed).map((edit) => ({ file: file.relativePath, selector: edit.selector, value: edit.value })));
}
