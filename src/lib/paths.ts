/**
 * Safe resolution of user-given file paths and globs inside one root directory (a manifest checkout), and safe
 * reading and writing of the files found there. Nothing resolved here can leave the root: `..`, absolute paths and
 * symlinks whose target lies outside are refused, as are files that are not UTF-8 text.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { inputRef, UserError } from './errors.ts';

/** Who asked for a path, for error messages: e.g. `updates line 2 ("envs/*.yaml:a=1")` and the input's name. */
export interface PathRequest {
  /** A short phrase naming where the path was given, used as the start of error sentences. */
  readonly origin: string;
  /** The input that gave the path. */
  readonly input: string;
  /** The input that names the root directory (e.g. `path`). */
  readonly rootInput: string;
}

export interface ResolvedFile {
  /** The path relative to the root, with `/` separators, as the user wrote it or the glob matched it. */
  readonly relativePath: string;
  /** The real absolute path (symlinks resolved); read and write here. */
  readonly realPath: string;
  /** The real path of the root `relativePath` is relative to. */
  readonly root: string;
}

export interface TextFile extends ResolvedFile {
  readonly text: string;
  /** Permission bits, kept when the file is rewritten. */
  readonly mode: number;
}

/**
 * Resolves `pattern` (a path or a glob, relative to `root`) to the files it names, sorted; throws a UserError otherwise.
 * `realRoot` (from `resolveRoot`) saves resolving the root again when many patterns share it.
 */
export async function resolveFiles(root: string, pattern: string, request: PathRequest, realRoot?: string): Promise<ResolvedFile[]> {
  const fail = (reason: string): never => {
    throw new UserError(`${request.origin}: ${reason}`, { input: request.input });
  };
  const rootRef = inputRef(request.rootInput);
  if (pattern.trim() === '') fail('the file part is empty; write `<file>:<selector>=<value>`.');
  if (path.isAbsolute(pattern) || path.win32.isAbsolute(pattern) || pattern.startsWith('~')) {
    fail(`"${pattern}" is an absolute path; give the file relative to ${rootRef}.`);
  }
  const segments = pattern.split(/[\\/]+/);
  if (segments.includes('..')) fail(`"${pattern}" contains "..", which would leave the directory of ${rootRef}; give a path inside it.`);
  if (segments.includes('.git')) fail(`"${pattern}" points into the .git directory; give a manifest file of the checkout.`);

  const rootPath = realRoot ?? (await resolveRoot(root, request.rootInput));
  const dynamic = isDynamicPattern(pattern);
  let candidates: string[];
  if (dynamic) {
    // Symlinked files are matched like files; each match's real path is checked below.
    candidates = await glob(pattern, { cwd: rootPath, onlyFiles: true, dot: true, expandDirectories: false, followSymbolicLinks: true, ignore: ['**/.git/**'] });
    candidates.sort();
  } else {
    candidates = [path.posix.normalize(pattern.replace(/\\/g, '/')).replace(/^\.\//, '')];
  }

  const files: ResolvedFile[] = [];
  for (const candidate of candidates) {
    const absolute = path.join(rootPath, candidate);
    let realPath: string;
    try {
      realPath = await fs.realpath(absolute);
    } catch {
      const broken = await fs.lstat(absolute).then(() => true, () => false);
      fail(broken ? `"${candidate}" is a symlink whose target does not exist; fix the link or name the target.` : `the file "${candidate}" does not exist under ${root}; check the file name.`);
      continue;
    }
    if (!isInside(rootPath, realPath)) {
      fail(`"${candidate}" is a symlink to ${realPath}, outside the directory of ${rootRef}; only files inside the checkout can be edited.`);
    }
    const stat = await fs.stat(realPath);
    if (!stat.isFile()) {
      if (dynamic) continue;
      fail(`"${candidate}" is not a regular file; name a YAML file.`);
    }
    files.push({ relativePath: candidate, realPath, root: rootPath });
  }
  if (files.length === 0) fail(`the glob "${pattern}" matches no file under ${root}; check the pattern.`);
  return files;
}

/** Reads a resolved file as UTF-8 text (a BOM is kept in the text), refusing binary and non-UTF-8 content. */
export async function readTextFile(file: ResolvedFile, request: PathRequest): Promise<TextFile> {
  const [bytes, stat] = await Promise.all([fs.readFile(file.realPath), fs.stat(file.realPath)]);
  const fail = (reason: string): never => {
    throw new UserError(`${request.origin}: ${reason}`, { input: request.input, location: { file: file.relativePath, root: file.root } });
  };
  if (bytes.includes(0)) fail(`"${file.relativePath}" is a binary file (it contains a NUL byte); name a YAML text file.`);
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    fail(`"${file.relativePath}" is not valid UTF-8 text; convert it to UTF-8 or name another file.`);
  }
  return { ...file, text, mode: stat.mode & 0o7777 };
}

export interface FileWrite {
  readonly realPath: string;
  readonly text: string;
  readonly mode: number;
}

/**
 * Writes several files so that each is replaced atomically (temporary file in the same directory, then rename),
 * keeping its permission bits. If any write fails, the files already replaced get their previous content back.
 */
export async function writeFilesAtomically(writes: readonly FileWrite[], previous: ReadonlyMap<string, string>): Promise<void> {
  const staged = writes.map((write) => ({
    write,
    temp: path.join(path.dirname(write.realPath), `.${path.basename(write.realPath)}.${randomBytes(6).toString('hex')}.tmp`),
  }));
  const removeTemps = () => Promise.all(staged.map(({ temp }) => fs.rm(temp, { force: true })));
  const written = await Promise.allSettled(
    staged.map(async ({ write, temp }) => {
      await fs.writeFile(temp, write.text, { encoding: 'utf8', mode: write.mode, flag: 'wx' });
      await fs.chmod(temp, write.mode);
    }),
  );
  const writeFailure = written.find((result) => result.status === 'rejected');
  if (writeFailure) {
    await removeTemps();
    throw writeFailure.reason;
  }
  const renamed = await Promise.allSettled(staged.map(({ write, temp }) => fs.rename(temp, write.realPath)));
  const renameFailure = renamed.find((result) => result.status === 'rejected');
  if (renameFailure) {
    await removeTemps();
    await Promise.all(
      staged.map(async ({ write }, index) => {
        const before = previous.get(write.realPath);
        if (renamed[index]?.status === 'fulfilled' && before !== undefined) await fs.writeFile(write.realPath, before, 'utf8');
      }),
    );
    throw renameFailure.reason;
  }
}

/** The real path of the root directory; a UserError naming `rootInput` when it is not a directory. */
export async function resolveRoot(root: string, rootInput: string): Promise<string> {
  try {
    const real = await fs.realpath(root);
    if (!(await fs.stat(real)).isDirectory()) throw new Error('not a directory');
    return real;
  } catch {
    throw new UserError(`The directory ${root} given by ${inputRef(rootInput)} does not exist or is not a directory; check ${inputRef(rootInput)}.`, {
      input: rootInput,
    });
  }
}

/** True when `candidate` is `root` itself or lies below it (both real, absolute paths). */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}
