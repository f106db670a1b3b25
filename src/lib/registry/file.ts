/**
 * The embedded file registry: the model registry as JSON files in a directory (layout in `file-layout.ts`), for teams
 * without an MLflow server and for demos. Every write replaces a whole file atomically (temporary file in the same
 * directory, fsync, rename) while holding the model's lock, so concurrent runs in separate processes never lose an
 * update, and a reader always sees either the old or the new file. Versions are READY as soon as they are written.
 */
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { z } from 'zod';
import { inputRef, UserError } from '../errors.ts';
import { withLock } from '../lock.ts';
import {
  ALIASES_FILE,
  LOCK_DIR,
  MODEL_FILE,
  VERSIONS_DIR,
  aliasesFileSchema,
  aliasesFileText,
  modelDir,
  modelFileSchema,
  modelFileText,
  toModelVersion,
  versionFile,
  versionFileSchema,
  versionFileText,
  versionOfFileName,
  type AliasesFile,
  type VersionFile,
} from './file-layout.ts';
import { aliasNameProblem, modelNameProblem } from './model-uri.ts';
import { metricsFromTags } from './tags.ts';
import type { CreateVersionRequest, CreateVersionResult, ModelRegistry, ModelVersion } from './types.ts';

/** Where the file registry lives when neither `registry-uri` nor `MLFLOW_TRACKING_URI` is set (workspace-relative). */
export const DEFAULT_FILE_REGISTRY_DIR = '.ml-gitops/registry';

export interface FileRegistryOptions {
  /** The registry's directory (absolute). Created on the first write. */
  directory: string;
  /** The clock, for tests. */
  now?: () => Date;
}

export function createFileRegistry(options: FileRegistryOptions): FileRegistry {
  return new FileRegistry(options);
}

export class FileRegistry implements ModelRegistry {
  readonly location: string;
  readonly #root: string;
  readonly #now: () => Date;

  constructor(options: FileRegistryOptions) {
    this.#root = path.resolve(options.directory);
    this.location = this.#root;
    this.#now = options.now ?? (() => new Date());
  }

  /** The JSON file that holds a version (whether or not it exists). */
  versionPath(name: string, version: string): string {
    return versionFile(this.#root, name, version);
  }

  async ensureModel(name: string, description?: string): Promise<void> {
    return this.#guard(async () => {
      checkName(name);
      const dir = modelDir(this.#root, name);
      await mkdir(path.join(dir, VERSIONS_DIR), { recursive: true });
      await this.#locked(name, async (assertHeld) => {
        if ((await readJson(path.join(dir, MODEL_FILE), modelFileSchema)) !== undefined) return;
        assertHeld();
        await writeAtomic(
          path.join(dir, MODEL_FILE),
          modelFileText({ name, description: emptyToUndefined(description), createdAt: this.#now().toISOString() }),
        );
      });
    });
  }

  async getVersion(name: string, version: string): Promise<ModelVersion | undefined> {
    return this.#guard(async () => {
      if (modelNameProblem(name) !== undefined || !/^[1-9]\d*$/.test(version)) return undefined;
      const file = await readJson(versionFile(this.#root, name, version), versionFileSchema);
      return file === undefined ? undefined : toModelVersion(file, await this.#aliases(name));
    });
  }

  async listVersions(name: string): Promise<ModelVersion[]> {
    return this.#guard(async () => {
      if (modelNameProblem(name) !== undefined) return [];
      const [files, aliases] = await Promise.all([this.#versionFiles(name), this.#aliases(name)]);
      return files.map((file) => toModelVersion(file, aliases));
    });
  }

  async findVersionByTag(name: string, tag: string, value: string): Promise<ModelVersion | undefined> {
    return this.#guard(async () => {
      if (modelNameProblem(name) !== undefined) return undefined;
      // Oldest first, as MLflow's implementation does (the lock keeps a tag value on one version anyway).
      const found = (await this.#versionFiles(name)).findLast((file) => file.tags[tag] === value);
      return found === undefined ? undefined : toModelVersion(found, await this.#aliases(name));
    });
  }

  async createVersion(request: CreateVersionRequest): Promise<CreateVersionResult> {
    return this.#guard(async () => {
      const { name } = request;
      checkName(name);
      await this.#requireModel(name);
      return this.#locked(name, async (assertHeld) => {
        const files = await this.#versionFiles(name);
        const { tag, value } = request.idempotencyKey;
        const existing = files.findLast((file) => file.tags[tag] === value);
        if (existing !== undefined) return { version: toModelVersion(existing, await this.#aliases(name)), created: false };

        const number = (files[0]?.version ?? 0) + 1;
        const now = this.#now().toISOString();
        const tags = { ...request.tags, [tag]: value };
        const file: VersionFile = {
          name,
          version: number,
          source: request.source,
          runId: emptyToUndefined(request.runId),
          modelId: emptyToUndefined(request.modelId),
          runLink: emptyToUndefined(request.runLink),
          description: emptyToUndefined(request.description),
          status: 'READY',
          statusMessage: undefined,
          createdAt: now,
          updatedAt: now,
          tags,
          metrics: metricsFromTags(tags),
        };
        assertHeld();
        await writeAtomic(versionFile(this.#root, name, number), versionFileText(file));
        return { version: toModelVersion(file, await this.#aliases(name)), created: true };
      });
    });
  }

  async setTags(name: string, version: string, tags: Record<string, string>): Promise<void> {
    return this.#guard(async () => {
      checkName(name);
      await this.#requireVersion(name, version);
      await this.#locked(name, async (assertHeld) => {
        const file = await this.#requireVersion(name, version);
        const merged = { ...file.tags, ...tags };
        const updated: VersionFile = {
          ...file,
          tags: merged,
          metrics: { ...file.metrics, ...metricsFromTags(merged) },
          updatedAt: this.#now().toISOString(),
        };
        assertHeld();
        await writeAtomic(versionFile(this.#root, name, file.version), versionFileText(updated));
      });
    });
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    return this.#guard(async () => {
      checkName(name);
      const problem = aliasNameProblem(alias);
      if (problem !== undefined) throw new UserError(`Alias ${JSON.stringify(alias)} ${problem}.`);
      await this.#requireVersion(name, version);
      await this.#locked(name, async (assertHeld) => {
        const file = await this.#requireVersion(name, version);
        const aliases = await this.#aliases(name);
        if (aliases[alias] === file.version) return;
        assertHeld();
        await writeAtomic(this.#aliasesPath(name), aliasesFileText({ ...aliases, [alias]: file.version }));
      });
    });
  }

  async getAlias(name: string, alias: string): Promise<ModelVersion | undefined> {
    return this.#guard(async () => {
      if (modelNameProblem(name) !== undefined) return undefined;
      const aliases = await this.#aliases(name);
      const version = aliases[alias];
      if (version === undefined) return undefined;
      const file = await readJson(versionFile(this.#root, name, version), versionFileSchema);
      return file === undefined ? undefined : toModelVersion(file, aliases);
    });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    return this.#guard(async () => {
      if (modelNameProblem(name) !== undefined || (await this.#aliases(name))[alias] === undefined) return;
      await this.#locked(name, async (assertHeld) => {
        const aliases = await this.#aliases(name);
        if (aliases[alias] === undefined) return;
        const rest = Object.fromEntries(Object.entries(aliases).filter(([key]) => key !== alias));
        assertHeld();
        await writeAtomic(this.#aliasesPath(name), aliasesFileText(rest));
      });
    });
  }

  /** The version's `metrics` field, overlaid with its numeric `metric.<key>` tags (the same rule as MLflow's run metrics). */
  async getVersionMetrics(name: string, version: string): Promise<Record<string, number>> {
    return this.#guard(async () => {
      checkName(name);
      const file = await this.#requireVersion(name, version);
      return { ...file.metrics, ...metricsFromTags(file.tags) };
    });
  }

  versionUrl(): string | undefined {
    return undefined;
  }

  // -------------------------------------------------------------------------------------------------------------

  /** Runs `critical` under the model's lock; the model's directory exists (callers check the model or version first). */
  async #locked<T>(name: string, critical: (assertHeld: () => void) => Promise<T>): Promise<T> {
    const dir = modelDir(this.#root, name);
    return withLock(path.join(dir, LOCK_DIR), { description: `model "${name}" in the file registry ${this.#root}` }, critical);
  }

  /**
   * Runs one public operation, turning the file-system errors a user fixes by choosing another directory (a file in
   * the way, no permission, a read-only mount) into one sentence naming the directory and the input.
   */
  async #guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw await fileSystemError(error, this.#root);
    }
  }

  #aliasesPath(name: string): string {
    return path.join(modelDir(this.#root, name), ALIASES_FILE);
  }

  async #aliases(name: string): Promise<AliasesFile> {
    return (await readJson(this.#aliasesPath(name), aliasesFileSchema)) ?? {};
  }

  /** Every version of a model, newest first. */
  async #versionFiles(name: string): Promise<VersionFile[]> {
    const dir = path.join(modelDir(this.#root, name), VERSIONS_DIR);
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const numbers = entries
      .map(versionOfFileName)
      .filter((n): n is number => n !== undefined)
      .sort((a, b) => b - a);
    const files = await Promise.all(numbers.map((n) => readJson(path.join(dir, `${n}.json`), versionFileSchema)));
    return files.filter((file): file is VersionFile => file !== undefined);
  }

  async #requireModel(name: string): Promise<void> {
    if ((await readJson(path.join(modelDir(this.#root, name), MODEL_FILE), modelFileSchema)) === undefined) {
      throw new UserError(
        `Model "${name}" is not registered in the file registry ${this.#root}; create it (ensureModel) before adding versions.`,
      );
    }
  }

  async #requireVersion(name: string, version: string): Promise<VersionFile> {
    const file = /^[1-9]\d*$/.test(version)
      ? await readJson(versionFile(this.#root, name, version), versionFileSchema)
      : undefined;
    if (file === undefined) {
      throw new UserError(`Model "${name}" has no version ${JSON.stringify(version)} in the file registry ${this.#root}.`);
    }
    return file;
  }
}

function checkName(name: string): void {
  const problem = modelNameProblem(name);
  if (problem !== undefined) throw new UserError(`Model name ${JSON.stringify(name)} ${problem}.`, { input: 'model-name' });
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** Reads and validates one registry file; undefined when it does not exist, a UserError when it is damaged. */
async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UserError(
      `The file registry file ${file} is not valid JSON (${(error as Error).message}); restore it from git or fix it by hand.`,
      { location: { file }, cause: error },
    );
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
    throw new UserError(
      `The file registry file ${file} does not match the registry layout${where} (${issue?.message ?? 'invalid'}); restore it from git or fix it by hand.`,
      { location: { file } },
    );
  }
  return result.data;
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, text, { encoding: 'utf8', fsync: true });
}

/** Errors of a registry directory the run cannot use, which the user fixes by choosing another place. */
const UNUSABLE: Record<string, string> = {
  EACCES: 'is not writable by this run (permission denied)',
  EPERM: 'is not writable by this run (operation not permitted)',
  EROFS: 'is on a read-only file system',
  EISDIR: 'holds a directory where a registry file belongs',
};

/**
 * A file-system failure as a UserError naming the registry directory and `registry-uri`, or the error itself when it
 * is something else (a bug, or already a UserError such as a lost lock).
 */
async function fileSystemError(error: unknown, root: string): Promise<unknown> {
  if (error instanceof UserError) return error;
  const { code, path: where } = (error ?? {}) as NodeJS.ErrnoException;
  const fix = `set ${inputRef('registry-uri')} to a directory this run can write to`;
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    const blocker = where === undefined ? undefined : await fileInTheWay(path.resolve(where));
    if (blocker === undefined && code === 'EEXIST') return error;
    const what =
      blocker === undefined || blocker === root
        ? `${root} is a file, not a directory`
        : isInside(blocker, root)
          ? `${root} holds a file where a directory belongs (${blocker})`
          : `${root} is below ${blocker}, which is a file, not a directory`;
    return new UserError(`The file registry cannot be used: ${what}; ${fix}.`, { input: 'registry-uri', cause: error });
  }
  const problem = code === undefined ? undefined : UNUSABLE[code];
  if (problem === undefined) return error;
  const detail = where !== undefined && path.resolve(where) !== root ? ` (${where})` : '';
  return new UserError(`The file registry ${root} ${problem}${detail}; ${fix}.`, { input: 'registry-uri', cause: error });
}

/** The nearest existing ancestor of `target` (itself included) when it is not a directory. */
async function fileInTheWay(target: string): Promise<string | undefined> {
  for (let current = target; ; current = path.dirname(current)) {
    try {
      return (await stat(current)).isDirectory() ? undefined : current;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || path.dirname(current) === current) return undefined;
    }
  }
}

function isInside(file: string, directory: string): boolean {
  const relative = path.relative(directory, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}
