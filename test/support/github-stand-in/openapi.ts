/**
 * The official REST description (`@octokit/openapi`, api.github.com, dereferenced) and an openapi-backend validator
 * over it: every request the stand-in receives and every response it sends is checked against it. Loaded once per
 * process (the file is ~70 MB: reading it takes under a second; validators are compiled per operation on first use).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import addFormats from 'ajv-formats';
import { OpenAPIValidator } from 'openapi-backend';
import type { ErrorObject } from 'ajv';

const require = createRequire(import.meta.url);

type Definition = ConstructorParameters<typeof OpenAPIValidator>[0]['definition'];

let cached: { validator: OpenAPIValidator } | undefined;

function load(): NonNullable<typeof cached> {
  if (cached !== undefined) return cached;
  // The one dereferenced description, not the package's index (which loads all sixteen).
  const file = require.resolve('@octokit/openapi/generated/api.github.com.deref.json');
  const document = JSON.parse(readFileSync(file, 'utf8')) as Definition;
  const validator = new OpenAPIValidator({
    definition: document,
    lazyCompileValidators: true,
    coerceTypes: true,
    customizeAjv: (ajv) => {
      addFormats.default(ajv);
      // GitHub's own formats: a repository `owner/name`.
      ajv.addFormat('repo.nwo', /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/);
      return ajv;
    },
  });
  cached = { validator };
  return cached;
}

/** Loads the description now (a test's `beforeAll` can pay the second up front). */
export function preloadOpenApi(): void {
  load();
}

export function formatAjvErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? error.keyword}${error.params && Object.keys(error.params).length > 0 ? ` ${JSON.stringify(error.params)}` : ''}`);
}

type RouterOperation = ReturnType<OpenAPIValidator['router']['getOperations']>[number];
const operationsByRoute = new Map<string, RouterOperation>();

/**
 * The router's operation for a path template and method. Looked up by route, not by operationId: the description
 * reuses some ids (`repos/compare-commits` names both `compare/{basehead}` and `compare/{base}...{head}`).
 * On first use its schemas are made acceptable to Ajv: GitHub's description has `nullable: true` without a `type` in
 * places, which Ajv refuses to compile; those become `anyOf: [schema, {type: 'null'}]`, which means the same; and a
 * nullable `enum` gets `null` among its values (Ajv's `nullable` does not extend `enum`).
 */
function routerOperation(pathTemplate: string, method: string): RouterOperation {
  const key = `${method.toLowerCase()} ${pathTemplate}`;
  let found = operationsByRoute.get(key);
  if (found === undefined) {
    found = load().validator.router.getOperations().find((op) => op.path === pathTemplate && op.method === method.toLowerCase());
    if (found === undefined) throw new Error(`the OpenAPI description has no ${key}`);
    fixUntypedNullable(found, new Set());
    operationsByRoute.set(key, found);
  }
  return found;
}

function fixUntypedNullable(node: unknown, seen: Set<unknown>): void {
  if (node === null || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  if (Array.isArray(node)) {
    for (const item of node) fixUntypedNullable(item, seen);
    return;
  }
  const record = node as Record<string, unknown>;
  for (const value of Object.values(record)) fixUntypedNullable(value, seen);
  // `nullable` does not extend `enum` in Ajv: a nullable enum must list null itself.
  if (record.nullable === true && Array.isArray(record.enum) && !record.enum.includes(null)) record.enum.push(null);
  if (record.nullable === true && record.type === undefined) {
    const { nullable: _nullable, ...rest } = record;
    for (const key of Object.keys(record)) delete record[key];
    record.anyOf = [rest, { type: 'null' }];
  }
}

export interface RequestToValidate {
  readonly method: string;
  /** The request path with each parameter encoded as one segment (the template's shape). */
  readonly path: string;
  readonly query: Record<string, string | string[]>;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

export function validateRequest(pathTemplate: string, request: RequestToValidate): string[] {
  const result = load().validator.validateRequest(
    { method: request.method.toLowerCase(), path: request.path, query: request.query, headers: request.headers, body: request.body as never },
    routerOperation(pathTemplate, request.method),
  );
  return result.valid ? [] : formatAjvErrors(result.errors);
}

/**
 * Problems with a response of ours for `operationId`: against the documented schema of that status; an error status
 * the description does not list must still have GitHub's error shape.
 */
export function validateResponse(pathTemplate: string, method: string, status: number, body: unknown): string[] {
  const op = routerOperation(pathTemplate, method);
  const documented = (op.responses ?? {}) as Record<string, unknown>;
  if (String(status) in documented) {
    const result = load().validator.validateResponse(body, op, status);
    return result.valid ? [] : formatAjvErrors(result.errors);
  }
  if (status >= 400) {
    const error = body as { message?: unknown; documentation_url?: unknown } | null;
    if (typeof error?.message !== 'string' || typeof error.documentation_url !== 'string') return [`a ${status} must carry {message, documentation_url}`];
    return [];
  }
  return [`status ${status} is not documented for ${method} ${pathTemplate}`];
}
