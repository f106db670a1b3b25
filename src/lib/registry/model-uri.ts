/**
 * `models:/<name>/<version>` and `models:/<name>@<alias>` URIs (the two forms MLflow documents for registered
 * models), and the name rules MLflow applies to model names and aliases, so bad names fail before any request.
 */
import { UserError, type SourceLocation, type UserErrorOptions } from '../errors.ts';
import type { ModelRegistry } from './types.ts';

export type ModelReference =
  | { readonly kind: 'version'; readonly name: string; readonly version: string }
  | { readonly kind: 'alias'; readonly name: string; readonly alias: string };

/** Where a URI or name came from, for the error: an input, a file position, or both. */
export interface ReferenceOrigin {
  /** The action input the value came from. */
  input?: string;
  /** The file (and line) the value came from. */
  location?: SourceLocation;
  /** How to name the value in a message, e.g. `The champion in eval.yml`; defaults to `Input "<input>"` or `The model URI`. */
  label?: string;
}

const URI_FORMS = 'models:/<name>/<version> or models:/<name>@<alias>';

/** MLflow refuses these in model names (`_validate_model_name`): they would break `models:/` URIs and paths. */
const FORBIDDEN_NAME_CHARACTERS = ['/', ':'];

/**
 * Why MLflow would refuse `name` as a registered model name, or undefined when it is acceptable. Mirrors MLflow's
 * `_validate_model_name`: not blank, no `/` or `:`, and not a name that resolves to another path (`.`, `..…`).
 */
export function modelNameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'must not be empty';
  const bad = FORBIDDEN_NAME_CHARACTERS.find((c) => name.includes(c));
  if (bad !== undefined) return `must not contain "/" or ":" (found "${bad}")`;
  if (name === '.' || name.startsWith('..')) return 'must not be "." or start with ".."';
  return undefined;
}

const ALIAS_PATTERN = /^[\p{L}\p{N}_-]+$/u;
const VERSION_LIKE_ALIAS = /^[vV]\d+$/;
const MAX_ALIAS_LENGTH = 255;

/**
 * Why MLflow would refuse `alias` as a registered model alias, or undefined when it is acceptable. Mirrors
 * `_validate_model_alias_name` and `_validate_model_alias_name_reserved`.
 */
export function aliasNameProblem(alias: string): string | undefined {
  if (alias === '') return 'must not be empty';
  if (!ALIAS_PATTERN.test(alias)) return 'may only contain letters, digits, underscores (_) and dashes (-)';
  if (alias.length > MAX_ALIAS_LENGTH) return `must be at most ${MAX_ALIAS_LENGTH} characters long`;
  if (alias.toLowerCase() === 'latest') return 'must not be "latest", which MLflow reserves';
  if (VERSION_LIKE_ALIAS.test(alias)) return `must not look like a version ("${alias}"), which MLflow reserves`;
  return undefined;
}

export function formatModelUri(reference: ModelReference): string {
  return reference.kind === 'version'
    ? `models:/${reference.name}/${reference.version}`
    : `models:/${reference.name}@${reference.alias}`;
}

/** Parses `models:/<name>/<version>` or `models:/<name>@<alias>`; anything else is a UserError naming its origin. */
export function parseModelUri(uri: string, origin: ReferenceOrigin = {}): ModelReference {
  const refuse = (why: string): never => {
    const label = origin.label ?? (origin.input !== undefined ? `Input "${origin.input}"` : 'The model URI');
    throw new UserError(`${label} ${JSON.stringify(uri)} ${why}.`, {
      ...(origin.input !== undefined ? { input: origin.input } : {}),
      ...(origin.location !== undefined ? { location: origin.location } : {}),
    });
  };
  const trimmed = uri.trim();
  if (!trimmed.startsWith('models:/') || trimmed.startsWith('models://')) {
    return refuse(`is not a model URI: write ${URI_FORMS}`);
  }
  const path = trimmed.slice('models:/'.length);
  const parts = path.split('/');
  const [name = '', suffix] = parts;
  if (parts.length > 2 || path === '') return refuse(`is not a model URI: write ${URI_FORMS}`);

  if (suffix !== undefined) {
    if (name.trim() === '') return refuse(`has no model name: write ${URI_FORMS}`);
    if (/^\d+$/.test(suffix)) return { kind: 'version', name, version: String(Number(suffix)) };
    if (suffix.trim() === '') return refuse(`has no version after "/": write ${URI_FORMS}`);
    return refuse(
      `names a stage or "latest" ("${suffix}"), which ml-gitops does not resolve because stages are deprecated: write ${URI_FORMS}`,
    );
  }
  const at = name.lastIndexOf('@');
  if (at === -1) {
    return refuse(`names neither a version nor an alias (a bare models:/<model-id> is not supported): write ${URI_FORMS}`);
  }
  const modelName = name.slice(0, at);
  const alias = name.slice(at + 1);
  if (modelName.trim() === '') return refuse(`has no model name before "@": write ${URI_FORMS}`);
  if (alias.trim() === '') return refuse(`has no alias after "@": write ${URI_FORMS}`);
  return { kind: 'alias', name: modelName, alias };
}

/**
 * The URI is well formed but the registry has no such model version or alias. A UserError like the others; its own
 * class so a caller can tell "nothing there yet" (a first deployment has no champion) from every other failure.
 */
export class ModelVersionNotFoundError extends UserError {
  readonly reference: ModelReference;

  constructor(message: string, reference: ModelReference, options: UserErrorOptions = {}) {
    super(message, options);
    this.reference = reference;
  }
}

export interface ModelUriMetrics {
  name: string;
  version: string;
  metrics: Record<string, number>;
}

/**
 * Resolves a model URI in the registry and reads the version's metrics (its run's metrics under its `metric.<key>`
 * tags). A missing model, version or alias is a UserError naming the URI and the registry.
 */
export async function readModelUriMetrics(
  uri: string | ModelReference,
  registry: ModelRegistry,
  origin: ReferenceOrigin = {},
): Promise<ModelUriMetrics> {
  const reference = typeof uri === 'string' ? parseModelUri(uri, origin) : uri;
  const shown = typeof uri === 'string' ? uri.trim() : formatModelUri(reference);
  const label = origin.label ?? (origin.input !== undefined ? `Input "${origin.input}"` : 'The model URI');
  const errorOptions = {
    ...(origin.input !== undefined ? { input: origin.input } : {}),
    ...(origin.location !== undefined ? { location: origin.location } : {}),
  };
  const found =
    reference.kind === 'alias'
      ? await registry.getAlias(reference.name, reference.alias)
      : await registry.getVersion(reference.name, reference.version);
  if (found === undefined) {
    const missing =
      reference.kind === 'alias'
        ? `model "${reference.name}" has no alias "${reference.alias}"`
        : `model "${reference.name}" has no version ${reference.version}`;
    throw new ModelVersionNotFoundError(
      `${label} ${JSON.stringify(shown)} points to no model version: ${missing} in the registry ${registry.location}; register it first or point to an existing version.`,
      reference,
      errorOptions,
    );
  }
  const metrics = await registry.getVersionMetrics(found.name, found.version);
  return { name: found.name, version: found.version, metrics };
}
