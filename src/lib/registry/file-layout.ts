/**
 * The on-disk layout of the file registry: where each JSON file lives, its schema, and how it is written (pretty,
 * fixed key order, sorted maps, trailing newline) so that a registry kept in git gives small, readable diffs.
 *
 *   <dir>/models/<model>/model.json            { name, description?, createdAt }
 *   <dir>/models/<model>/versions/<n>.json     one file per version, n = 1, 2, 3 …
 *   <dir>/models/<model>/aliases.json          { "<alias>": <version>, … }
 *   <dir>/models/<model>/.lock/                the lock directory while a run writes (empty: git ignores it)
 *
 * `<model>` is the model name, percent-encoded like a URI component (plus `*`), so any name MLflow accepts is a
 * single, portable directory name.
 */
import path from 'node:path';
import { z } from 'zod';
import type { ModelVersion, VersionStatus } from './types.ts';

export const MODELS_DIR = 'models';
export const MODEL_FILE = 'model.json';
export const VERSIONS_DIR = 'versions';
export const ALIASES_FILE = 'aliases.json';
export const LOCK_DIR = '.lock';

const VERSION_FILE_PATTERN = /^([1-9]\d*)\.json$/;

export function modelDirName(name: string): string {
  return encodeURIComponent(name).replace(/\*/g, '%2A');
}

export function modelDir(root: string, name: string): string {
  return path.join(root, MODELS_DIR, modelDirName(name));
}

export function versionFile(root: string, name: string, version: number | string): string {
  return path.join(modelDir(root, name), VERSIONS_DIR, `${version}.json`);
}

/** The version number a file in `versions/` holds, or undefined for anything else (e.g. a temporary file). */
export function versionOfFileName(fileName: string): number | undefined {
  const match = VERSION_FILE_PATTERN.exec(fileName);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

const stringMap = z.record(z.string(), z.string());
const numberMap = z.record(z.string(), z.number());

export const modelFileSchema = z.object({
  name: z.string(),
  description: z.string().optional(),
  createdAt: z.iso.datetime(),
});
export type ModelFile = z.infer<typeof modelFileSchema>;

export const versionFileSchema = z.object({
  name: z.string(),
  version: z.number().int().positive(),
  source: z.string(),
  runId: z.string().optional(),
  modelId: z.string().optional(),
  runLink: z.string().optional(),
  description: z.string().optional(),
  status: z.enum(['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY']),
  statusMessage: z.string().optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  tags: stringMap,
  metrics: numberMap,
});
export type VersionFile = z.infer<typeof versionFileSchema>;

export const aliasesFileSchema = z.record(z.string(), z.number().int().positive());
export type AliasesFile = z.infer<typeof aliasesFileSchema>;

/** Keys in code-unit order (not locale order, which differs between machines). */
function sorted<V>(map: Readonly<Record<string, V>>): Record<string, V> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Pretty JSON with a trailing newline; undefined fields are left out. */
export function toJsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function modelFileText(model: ModelFile): string {
  return toJsonText({ name: model.name, description: model.description, createdAt: model.createdAt });
}

export function versionFileText(version: VersionFile): string {
  return toJsonText({
    name: version.name,
    version: version.version,
    source: version.source,
    runId: version.runId,
    modelId: version.modelId,
    runLink: version.runLink,
    description: version.description,
    status: version.status,
    statusMessage: version.statusMessage,
    createdAt: version.createdAt,
    updatedAt: version.updatedAt,
    tags: sorted(version.tags),
    metrics: sorted(version.metrics),
  });
}

export function aliasesFileText(aliases: AliasesFile): string {
  return toJsonText(sorted(aliases));
}

export function toModelVersion(file: VersionFile, aliases: AliasesFile): ModelVersion {
  return {
    name: file.name,
    version: String(file.version),
    source: file.source,
    runId: file.runId,
    modelId: file.modelId,
    status: file.status satisfies VersionStatus,
    statusMessage: file.statusMessage,
    description: file.description,
    tags: { ...file.tags },
    aliases: Object.keys(sorted(aliases)).filter((alias) => aliases[alias] === file.version),
    createdAt: Date.parse(file.createdAt),
  };
}
