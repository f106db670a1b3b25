/**
 * A `ManifestSource` over files already read from a revision of the repository through the GitHub API (the
 * promotion state read), so the plan of open-promotion-pr is computed against the tip of `base`, not a checkout.
 * Paths are literal: a glob would need the whole tree, which the one-request read does not fetch.
 */
import path from 'node:path';
import { isDynamicPattern } from 'tinyglobby';
import { UserError } from '../errors.ts';
import type { ManifestSource, UpdateLine } from '../manifest/index.ts';
import type { PathRequest, ResolvedFile, TextFile } from '../paths.ts';

/** The repository path an update line names, normalised; a UserError naming the line when it is not a plain path. */
export function repositoryPath(pattern: string, request: PathRequest): string {
  const fail = (reason: string): never => {
    throw new UserError(`${request.origin}: ${reason}`, { input: request.input });
  };
  if (pattern.trim() === '') fail('the file part is empty; write `<file>:<selector>=<value>`.');
  if (path.posix.isAbsolute(pattern) || path.win32.isAbsolute(pattern) || pattern.startsWith('~')) {
    fail(`"${pattern}" is an absolute path; give the file relative to the repository root.`);
  }
  const segments = pattern.split(/[\\/]+/);
  if (segments.includes('..')) fail(`"${pattern}" contains "..", which would leave the repository; give a path inside it.`);
  if (segments.includes('.git')) fail(`"${pattern}" points into the .git directory; give a manifest file of the repository.`);
  if (isDynamicPattern(pattern)) {
    fail(`"${pattern}" is a glob; open-promotion-pr reads the files through the GitHub API and needs each file named (write one line per file).`);
  }
  return path.posix.normalize(pattern.replace(/\\/g, '/')).replace(/^\.\//, '');
}

/** The paths of the update lines, as `repositoryPath` normalises them, without duplicates. */
export function updatePaths(updates: readonly UpdateLine[], input: string): string[] {
  return [
    ...new Set(updates.map((update) => repositoryPath(update.spec.file, { origin: `${input} line ${update.lineNumber} ("${update.text}")`, input, rootInput: input }))),
  ];
}

/** Files at `revision` (e.g. `main` of `acme/manifests`): path -> text, undefined when missing or binary. */
export function revisionSource(files: ReadonlyMap<string, string | undefined>, revision: string): ManifestSource {
  return {
    description: revision,
    resolve: (pattern: string, request: PathRequest): Promise<ResolvedFile[]> => {
      try {
        const relativePath = repositoryPath(pattern, request);
        // No directory on disk: locations stay repository paths, which is what annotations attach to.
        return Promise.resolve([{ relativePath, realPath: relativePath, root: '' }]);
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    read: (file: ResolvedFile, request: PathRequest): Promise<TextFile> => {
      const text = files.get(file.relativePath);
      if (text === undefined) {
        return Promise.reject(
          new UserError(`${request.origin}: the file "${file.relativePath}" does not exist in ${revision} (or is a binary file); check the file name and the base branch.`, {
            input: request.input,
          }),
        );
      }
      return Promise.resolve({ ...file, text, mode: 0o644 });
    },
  };
}
