/**
 * Validation of what crosses the simulator's wire: bodies against Argo CD's own swagger (patched where the server
 * disagrees with it, see argocd-api.md) and Application objects against the Application CRD schema.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * The server's REST description: a copy of shared/reference/argocd-swagger.json (assets/swagger.json of argo-cd) kept
 * beside this file so the tests need nothing outside the repository.
 */
export function swaggerPath(): string {
  return path.join(path.dirname(new URL(import.meta.url).pathname), 'argocd-swagger.json');
}

type Json = Record<string, unknown>;

/** The known disagreements between the swagger and the server; the server wins. */
function patch(definitions: Record<string, Json>): void {
  // MicroTime is an RFC 3339 string on the wire, not {seconds, nanos}.
  definitions.v1MicroTime = { type: 'string', format: 'date-time' };
  // IntOrString is an int or a string (maxUpdate: "10%"), not an object.
  definitions.intstrIntOrString = { type: ['integer', 'string'] };
  // sourcePositions are JSON numbers (Go encoding/json), the swagger says strings.
  const sync = definitions.applicationApplicationSyncRequest as { properties: Record<string, Json> };
  sync.properties.sourcePositions = { type: 'array', items: { type: 'integer', format: 'int64' } };
  // strategy.hook is {"force": bool}; the swagger shows a nested apply object.
  definitions.v1alpha1SyncStrategyHook = {
    type: 'object',
    properties: { force: { type: 'boolean' }, syncStrategyApply: { $ref: '#/definitions/v1alpha1SyncStrategyApply' } },
  };
}

export interface Validators {
  /** Errors of `value` against swagger definition `name` (`v1alpha1Application`); empty when valid. */
  definition(name: string, value: unknown): string[];
  /** Errors of an Application object against the CRD schema; empty when valid. */
  application(value: unknown): string[];
}

let cached: Validators | undefined;

export function loadValidators(file = swaggerPath()): Validators {
  if (cached !== undefined) return cached;
  const swagger = JSON.parse(readFileSync(file, 'utf8')) as { definitions: Record<string, Json> };
  patch(swagger.definitions);
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  // ajv-formats is CommonJS with a default export; under ESM the function may sit on `.default`.
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => void;
  addFormats(ajv);
  ajv.addSchema({ definitions: swagger.definitions }, 'sw');
  const compiled = new Map<string, ValidateFunction>();

  const definition = (name: string, value: unknown): string[] => {
    let validate = compiled.get(name);
    if (validate === undefined) {
      const found = ajv.getSchema(`sw#/definitions/${name}`);
      if (found === undefined) throw new Error(`no swagger definition ${name}`);
      validate = found;
      compiled.set(name, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map((error) => `${name}${error.instancePath} ${error.message ?? 'is invalid'}`);
  };

  const application = (value: unknown): string[] => {
    try {
      new Application(value as ConstructorParameters<typeof Application>[0]).validate();
      return [];
    } catch (error) {
      return [`Application CRD: ${error instanceof Error ? error.message : String(error)}`];
    }
  };

  cached = { definition, application };
  return cached;
}
